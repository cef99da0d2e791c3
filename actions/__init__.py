"""Custom actions served by the rasa_sdk action server: thin adapters over bot/."""
from actions.policy import ActionAnswerPolicy, ActionDefaultFallback  # noqa: F401
from actions.screening import (  # noqa: F401
    ActionScreeningCorrect,
    ActionScreeningResult,
    ValidateScreeningForm,
)
