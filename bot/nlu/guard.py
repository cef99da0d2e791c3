"""NLU components that make the pipeline safe for whatever residents send.

`TextNormalizer` runs first: traditional characters become simplified and full-width digits and
letters become ASCII, character by character so that entity offsets stay valid; at inference a
message longer than `max_chars` is cut before the tokenizer sees it.

`InputGuard` runs last: a message that is empty, has no words (emoji only), has no Chinese, or
was cut, gets the intent `nlu_fallback` and an `input_issue` entity, so that the fallback action
can say precisely what went wrong.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.base import ConfigOnlyComponent
from bot.text import fold_width, has_chinese, has_words, to_simplified

ORIGINAL_LENGTH = "original_length"
INPUT_ISSUE_ENTITY = "input_issue"


def normalize_preserving_length(text: str) -> str:
    converted = fold_width(to_simplified(text))
    if len(converted) == len(text):
        return converted
    return "".join(fold_width(to_simplified(char))[:1] or char for char in text)


class MessageLengthLimited(ConfigOnlyComponent):
    """Configured with the longest message the NLU reads (the same number for both components)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"max_chars": 500}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.max_chars = int(config["max_chars"])


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False
)
class TextNormalizer(MessageLengthLimited):
    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            text = example.get(TEXT)
            if text:
                example.set(TEXT, normalize_preserving_length(text))
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text is None:
                continue
            message.set(ORIGINAL_LENGTH, len(text))
            message.set(TEXT, normalize_preserving_length(text[: self.max_chars]))
        return messages


# Without Chinese, only numbers are an answer: a mobile (138 3591-2270), an ID number (…X), an
# amount, an application's 受理编号 (SJ20261123-0007, as the status question asks for it).
_NUMBER_ONLY_RE = re.compile(r"[0-9０-９\sXx+＋\-－—()（）.。,，/、]*[0-9０-９][0-9０-９\sXx+＋\-－—()（）.。,，/、]*")
_CASE_PREFIX_RE = re.compile(r"[Ss][Jj](?=\s*[0-9０-９])")


def _only_numbers(text: str) -> bool:
    return bool(_NUMBER_ONLY_RE.fullmatch(_CASE_PREFIX_RE.sub("", text.strip())))


def input_issue(text: Optional[str], original_length: int, max_chars: int) -> Optional[str]:
    if not text or not text.strip():
        return "empty"
    if original_length > max_chars:
        return "too_long"
    if not has_words(text):
        return "no_words"
    if not has_chinese(text) and not _only_numbers(text):
        return "no_chinese"  # "<script>alert(1)</script>" too (it was read as 再见)
    return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class InputGuard(MessageLengthLimited):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            issue = input_issue(text, message.get(ORIGINAL_LENGTH) or len(text or ""), self.max_chars)
            if issue is None:
                continue
            fallback = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
            message.set(INTENT, fallback, add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT_RANKING_KEY, [fallback, *ranking], add_to_output=True)
            entity = {
                "entity": INPUT_ISSUE_ENTITY,
                "value": issue,
                "start": 0,
                "end": 0,
                "extractor": self.__class__.__name__,
                "confidence_entity": 1.0,
            }
            message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages
