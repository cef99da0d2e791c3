"""Small readers of the tracker shared by the actions."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from bot.settings import get_settings
from bot.text import normalize_text


def message_text(tracker: Tracker) -> str:
    return normalize_text(tracker.latest_message.get("text") or "")[: get_settings().max_message_chars]


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def entity_value(tracker: Tracker, name: str) -> Optional[Any]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name:
            return entity.get("value")
    return None


def changed_slots(tracker: Tracker, **values: Optional[Any]) -> List[Dict[Text, Any]]:
    return [SlotSet(name, value) for name, value in values.items() if tracker.get_slot(name) != value]


def previous_turn(tracker: Tracker) -> List[Dict[Text, Any]]:
    """The events between the resident's previous message and the latest one, newest first."""
    events: List[Dict[Text, Any]] = []
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                break
            seen_user = True
        elif seen_user:
            events.append(event)
    return events


def message_is_new(tracker: Tracker, form: str) -> bool:
    """True when no action other than the form's own has handled the latest user message yet."""
    machinery = {"action_listen", "action_extract_slots", form, f"validate_{form}"}
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in machinery:
            return False
    return False


def client_address(tracker: Tracker) -> Optional[str]:
    """The network address the web app saw the message come from (it sends it as message metadata
    over the token-protected REST channel); None on channels that do not know it."""
    user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), None) or {}
    metadata = user.get("metadata")
    address = metadata.get("client_address") if isinstance(metadata, dict) else None
    return address if isinstance(address, str) and 0 < len(address) <= 64 else None
