"""Rasa's SQL tracker store, except that the ID and mobile numbers residents type are stored
masked. The conversation in memory keeps the real text for the turn that is being handled;
what an application needs across turns is sealed in its slots (bot.core.privacy.seal).

Configured in endpoints.yml as `tracker_store: {type: bot.channels.tracker_store.RedactingSQLTrackerStore, ...}`.
"""
from __future__ import annotations

import copy
from typing import Any, Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.core.privacy import redact


def redacted(event: Event) -> Event:
    """A copy of a user or bot message with personal numbers masked (a staff reply recorded in the
    conversation is a bot message); other events as they are."""
    if isinstance(event, BotUttered) and event.text:
        if redact(event.text) == event.text:
            return event
        stored = copy.deepcopy(event)
        stored.text = redact(stored.text)
        return stored
    if not isinstance(event, UserUttered) or not event.text:
        return event
    stored = copy.deepcopy(event)
    stored.text = redact(stored.text)
    parse_data = getattr(stored, "parse_data", None)
    if isinstance(parse_data, dict):
        parse_data["text"] = redact(parse_data.get("text") or "")
        for entity in parse_data.get("entities") or []:
            if isinstance(entity.get("value"), str):
                entity["value"] = redact(entity["value"])
    return stored


class RedactingSQLTrackerStore(SQLTrackerStore):
    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        for event in super()._additional_events(session, tracker):
            yield redacted(event)
