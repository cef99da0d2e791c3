"""Eligibility pre-screening: dated, cited parameters, rules per program, explanations.

No Rasa imports: the chat questionnaire (actions/) and the web API call this package.
"""
from bot.eligibility.engine import (
    PROGRAMS,
    ProgramResult,
    ScreeningResult,
    default_parameters,
    questions_needed,
    screen,
    screening_response,
)
from bot.eligibility.facts import (
    FIELD_PATHS,
    UNKNOWN,
    Disability,
    Facts,
    InvalidInput,
    facts_from_request,
    facts_with,
)
from bot.eligibility.parameters import ParameterError, ParameterSet

__all__ = [
    "FIELD_PATHS",
    "PROGRAMS",
    "UNKNOWN",
    "Disability",
    "Facts",
    "InvalidInput",
    "ParameterError",
    "ParameterSet",
    "ProgramResult",
    "ScreeningResult",
    "default_parameters",
    "facts_from_request",
    "facts_with",
    "questions_needed",
    "screen",
    "screening_response",
]
