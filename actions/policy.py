"""Answering policy questions and handling what the NLU could not understand."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge.service import ReplyKind, get_policy_service
from bot.replies import INPUT_ISSUE_REPLIES, NOT_UNDERSTOOD
from bot.settings import get_settings
from bot.text import normalize_text


def message_text(tracker: Tracker) -> str:
    return normalize_text(tracker.latest_message.get("text") or "")[: get_settings().max_message_chars]


def entity_value(tracker: Tracker, name: str) -> Optional[Any]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name:
            return entity.get("value")
    return None


def changed_slots(tracker: Tracker, **values: Optional[str]) -> List[Dict[Text, Any]]:
    return [SlotSet(name, value) for name, value in values.items() if tracker.get_slot(name) != value]


class ActionAnswerPolicy(Action):
    def name(self) -> Text:
        return "action_answer_policy"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        turn = get_policy_service().converse(
            message_text(tracker),
            remembered_region=tracker.get_slot("region"),
            pending_question=tracker.get_slot("pending_question"),
            region_named=entity_value(tracker, "region"),
            says_region=intent == "inform_region",
        )
        dispatcher.utter_message(text=turn.reply.text)
        return changed_slots(tracker, region=turn.region, pending_question=turn.pending_question)


class ActionDefaultFallback(Action):
    """Says what went wrong with the message; a policy question the NLU missed still gets answered."""

    def name(self) -> Text:
        return "action_default_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        # Like Rasa's own fallback, the message is taken back, so the dialogue waits for the
        # next one instead of predicting again from a state no rule covers.
        return [UserUtteranceReverted(), *self.reply(dispatcher, tracker)]

    @staticmethod
    def reply(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        issue = entity_value(tracker, "input_issue")
        if issue in INPUT_ISSUE_REPLIES:
            dispatcher.utter_message(text=INPUT_ISSUE_REPLIES[issue])
            return []
        text = message_text(tracker)
        if text:
            reply = get_policy_service().reply(text, tracker.get_slot("region"))
            if reply.kind in (ReplyKind.ANSWER, ReplyKind.REGION_NOT_COVERED):
                dispatcher.utter_message(text=reply.text)
                return changed_slots(tracker, region=reply.region.name) if reply.region else []
        dispatcher.utter_message(text=NOT_UNDERSTOOD)
        return []
