"""Shared shape of the project's NLU components: configured once, nothing trained or stored."""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


class ConfigOnlyComponent(GraphComponent):
    """A graph component built from its config alone (no model storage, no training)."""

    def __init__(self, config: Dict[Text, Any]) -> None:
        raise NotImplementedError

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ConfigOnlyComponent":
        return cls(config)
