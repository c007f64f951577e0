"""Permissions of second-party intake, in the business centre's menu group (业务中心)."""

from __future__ import annotations

from autofin.kernel.permissions import declare
from autofin.origination.permissions import GROUP

PARTNER_VIEW = declare(
    "origination.partner.view", "查看合作方与回调日志", "View partners and callback logs", GROUP
)
PARTNER_MANAGE = declare(
    "origination.partner.manage", "维护合作方（密钥、限流、代码映射）", "Manage partners (keys, limits, mappings)",
    GROUP,
)
