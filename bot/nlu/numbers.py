"""`ChineseNumberExtractor`: typed number entities (age, household size, money, ...).

Non-trainable; in config.yml:

    - name: bot.nlu.numbers.ChineseNumberExtractor
      # optional, the entity types to emit (default: all but "year")
      kinds: [age, household_size, money, months, disability_grade, number]

The parsing lives in `bot.numbers` (no Rasa). Each entity has the numeric `value` (int, or a
float for amounts such as 3.5 yuan) and `additional_info` with `approximate` ("两千出头"),
and when known `upper` (a range: "三四千") and `period` (money per "month" or "year").
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.base import ConfigOnlyComponent
from bot import numbers
from bot.nlu.regions import add_entities

ADDITIONAL_INFO = "additional_info"
DEFAULT_KINDS = [kind for kind in numbers.KINDS if kind != numbers.YEAR]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class ChineseNumberExtractor(ConfigOnlyComponent, EntityExtractorMixin):
    """Numbers written with Arabic or Chinese numerals, typed by their unit and context."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"kinds": list(DEFAULT_KINDS)}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = {**self.get_default_config(), **config}
        kinds = set(self._config["kinds"] or [])
        unknown = kinds - set(numbers.KINDS)
        if unknown:
            raise ValueError(f"ChineseNumberExtractor: unknown kinds {sorted(unknown)}")
        self.kinds = kinds


    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def extract(self, text: Text) -> List[Dict[Text, Any]]:
        entities = []
        for match in numbers.extract_numbers(text or ""):
            if match.kind not in self.kinds:
                continue
            info: Dict[Text, Any] = {"approximate": match.approximate}
            if match.upper is not None:
                info["upper"] = match.upper
            if match.period is not None:
                info["period"] = match.period
            entities.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: match.kind,
                    ENTITY_ATTRIBUTE_START: match.start,
                    ENTITY_ATTRIBUTE_END: match.end,
                    ENTITY_ATTRIBUTE_VALUE: match.value,
                    EXTRACTOR: self.name,
                    ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: 1.0,
                    ADDITIONAL_INFO: info,
                }
            )
        return entities

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            add_entities(message, self.extract(message.get(TEXT) or ""))
        return messages
