"""`RegionEntityExtractor`: `region` entities with canonical region names.

Non-trainable; in config.yml:

    - name: bot.nlu.regions.RegionEntityExtractor

For "我是运城盐湖区的" it adds {"entity": "region", "start": 2, "end": 7,
"value": "山西省运城市盐湖区", "extractor": "RegionEntityExtractor", "confidence_entity": 1.0}.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
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
from bot.regions import find_regions

REGION_ENTITY = "region"


def add_entities(message: Message, new_entities: List[Dict[Text, Any]]) -> None:
    """Append entities, leaving out any whose type and span are already there."""
    existing = list(message.get(ENTITIES) or [])
    taken = {
        (e.get(ENTITY_ATTRIBUTE_TYPE), e.get(ENTITY_ATTRIBUTE_START), e.get(ENTITY_ATTRIBUTE_END))
        for e in existing
    }
    for entity in new_entities:
        key = (entity[ENTITY_ATTRIBUTE_TYPE], entity[ENTITY_ATTRIBUTE_START],
               entity[ENTITY_ATTRIBUTE_END])
        if key not in taken:
            taken.add(key)
            existing.append(entity)
    message.set(ENTITIES, existing, add_to_output=True)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class RegionEntityExtractor(ConfigOnlyComponent, EntityExtractorMixin):
    """Finds Chinese administrative regions with the gazetteer in `data/regions.yml`."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"entity": REGION_ENTITY}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = {**self.get_default_config(), **config}
        self.entity_type = str(self._config["entity"])


    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def extract(self, text: Text) -> List[Dict[Text, Any]]:
        return [
            {
                ENTITY_ATTRIBUTE_TYPE: self.entity_type,
                ENTITY_ATTRIBUTE_START: match.start,
                ENTITY_ATTRIBUTE_END: match.end,
                ENTITY_ATTRIBUTE_VALUE: match.region.name,
                EXTRACTOR: self.name,
                ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: 1.0,
            }
            for match in find_regions(text or "")
        ]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            add_entities(message, self.extract(message.get(TEXT) or ""))
        return messages
