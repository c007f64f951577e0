"""Permissions of the risk domain (menu group 风险管理)."""

from __future__ import annotations

from autofin.kernel.permissions import declare, declare_group

GROUP = declare_group("risk", "风险管理", "Risk management", 45)

MODEL_VIEW = declare("risk.model.view", "查看风险模型", "View risk models", "risk")
MODEL_TRAIN = declare("risk.model.train", "训练风险模型", "Train and register risk models", "risk")
MODEL_APPROVE = declare("risk.model.approve", "审批/上线风险模型", "Approve, promote and retire risk models", "risk")
MODEL_SCORE = declare("risk.model.score", "模型评分", "Score applicants and vehicles with production models",
                      "risk")
