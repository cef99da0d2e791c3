"""Handing a conversation to intake staff: a ticket with the transcript, and the bot paused."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot.handoff.delivery import channel_for
from bot.handoff.notices import already_waiting_notice, handoff_notice
from bot.handoff.tickets import open_ticket
from bot.core.privacy import redact
from bot.questionnaire.flow import answers_from_slots, screening_brief
from bot import replies
from bot.settings import get_settings

logger = logging.getLogger(__name__)
# After this many messages in a row that the assistant could not understand, a person takes over.
NOT_UNDERSTOOD_BEFORE_HANDOFF = 3


def fallback_replies() -> set[str]:
    """What the assistant says when it could not understand a message."""
    return {replies.text("common.not_understood"), *replies.group("common.input_issue").values()}


def transcript(tracker: Tracker) -> List[Dict[str, str]]:
    """The conversation so far, personal numbers masked (staff see them on the application)."""
    lines = []
    for event in tracker.events:
        text = event.get("text")
        if not text:
            continue
        if event.get("event") == "user":
            lines.append({"speaker": "resident", "text": redact(text)})
        elif event.get("event") == "bot":
            lines.append({"speaker": "bot", "text": redact(text)})
    return lines


def not_understood_in_a_row(tracker: Tracker) -> int:
    """How many messages before the latest one got only a "not understood" (or bad input) reply."""
    count = 0
    replied_not_understood = False
    latest_seen = False
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            replied_not_understood = replied_not_understood or event.get("text") in fallback_replies()
        elif event.get("event") == "user":
            if latest_seen and not replied_not_understood:
                break
            count += 1 if latest_seen else 0
            latest_seen = True
            replied_not_understood = False
    return count


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> List[Dict[Text, Any]]:
    """Opens (or finds) the conversation's ticket and pauses the bot; tells the resident."""
    answers = answers_from_slots(tracker.slots)
    try:
        ticket, created = open_ticket(
            tracker.sender_id,
            channel_for(tracker.get_latest_input_channel()),
            reason,
            transcript(tracker),
            screening_summary=screening_brief(answers, get_settings().today()),
            region=tracker.get_slot("region"),
            district=tracker.get_slot("app_district"),
        )
    except SQLAlchemyError:
        logger.exception("hand-off ticket could not be stored")
        dispatcher.utter_message(text=replies.text("service.handoff_unavailable"))
        return []
    if reason == "fallback":
        dispatcher.utter_message(text=replies.text("service.handoff_after_not_understood"))
    notice = handoff_notice(ticket.id, ticket.district) if created else already_waiting_notice(ticket.id)
    dispatcher.utter_message(text=notice)
    return [ConversationPaused()]


class ActionHandoffToStaff(Action):
    def name(self) -> Text:
        return "action_handoff_to_staff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return hand_off(dispatcher, tracker, "requested")
