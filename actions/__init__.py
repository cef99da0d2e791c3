"""Custom actions served by the rasa_sdk action server: thin adapters over bot/."""
from bot.core.privacy import install_log_redaction

install_log_redaction()  # before anything can log a resident's ID or mobile number

from actions.handoff import ActionHandoffToStaff  # noqa: E402,F401
from actions.intake import (  # noqa: E402,F401
    ActionApplicationStatus,
    ActionAskAppConfirmed,
    ActionAskAppPrograms,
    ActionRegisterApplication,
    ValidateApplicationForm,
    ValidateStatusForm,
)
from actions.policy import ActionAnswerPolicy, ActionDefaultFallback, ActionPolicyDetail, ActionYes  # noqa: E402,F401
from actions.screening import (  # noqa: E402,F401
    ActionScreeningCorrect,
    ActionScreeningResult,
    ValidateScreeningForm,
)
