"""Errors of the intake registry. Each carries a Chinese `message` that can be shown as it is."""
from __future__ import annotations


class IntakeError(Exception):
    """Base of every registry error; `str(error)` is the Chinese message."""

    default_message = "操作没有成功，请稍后再试。"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InvalidField(IntakeError, ValueError):
    """An input field is wrong; `field` names it, `message` tells the person what is expected."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class NotFound(IntakeError):
    default_message = "没有找到该申请，请核对受理编号。"


class Forbidden(IntakeError):
    default_message = "您没有权限查看或办理该事项。"


class IllegalTransition(IntakeError):
    default_message = "该申请当前的状态不能执行这个操作。"


class Conflict(IntakeError):
    """Someone else changed the record first (optimistic locking)."""

    default_message = "该事项已被其他工作人员处理，请刷新后再操作。"

    @classmethod
    def for_status(cls, current_status: str) -> "Conflict":
        return cls(f"该申请已被其他工作人员处理（当前状态：{current_status}），请刷新后再操作。")



class TooManyAttempts(IntakeError):
    """A client used up its allowance of attempts (bot.core.limits); try again later."""

    default_message = "尝试次数过多，请稍后再试。"
