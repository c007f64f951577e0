"""Errors of the risk domain, bilingual, with stable codes."""

from __future__ import annotations

from autofin.kernel.errors import FieldError, NotFound, RuleViolation, Text, ValidationFailed


def model_not_found(model_id: object) -> NotFound:
    return NotFound("risk.model.not_found",
                    Text(f"Risk model {model_id} does not exist.", f"风险模型 {model_id} 不存在。"))


def no_production_model(name: str) -> NotFound:
    return NotFound("risk.model.no_production",
                    Text(f"Model '{name}' has no version in production; approve and promote one first.",
                         f"模型“{name}”没有已上线的版本，请先审批并上线一个版本。"))


def wrong_status(action: str, status: str, needed: str) -> RuleViolation:
    return RuleViolation("risk.model.wrong_status",
                         Text(f"Cannot {action} a model that is {status}; it must be {needed}.",
                              f"模型状态为 {status}，无法执行“{action}”；需要状态为 {needed}。"))


def self_approval() -> RuleViolation:
    return RuleViolation("risk.model.self_approval",
                         Text("The person who trained a model cannot approve it; a second person must approve.",
                              "模型训练人不能审批自己的模型，须由另一人审批。"))


def bad_data(message_en: str, message_zh: str, field: str = "file") -> ValidationFailed:
    text = Text(message_en, message_zh)
    return ValidationFailed("risk.data.invalid", text, [FieldError(field, text)])


def unknown_inputs(names: list[str]) -> ValidationFailed:
    text = Text(f"Unknown input(s) {', '.join(names)}; send only the model's feature columns.",
                f"未知输入 {', '.join(names)}；只能提交模型的特征列。")
    return ValidationFailed("risk.score.unknown_inputs", text, [FieldError("inputs", text)])


def training_job_not_found(job_id: object) -> NotFound:
    return NotFound("risk.training.not_found",
                    Text(f"Training job {job_id} does not exist.", f"训练任务 {job_id} 不存在。"))


def score_log_not_found(log_id: object) -> NotFound:
    return NotFound("risk.score.not_found", Text(f"Score {log_id} does not exist.", f"评分记录 {log_id} 不存在。"))
