"""Answering policy questions and handling what the NLU could not understand."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge.search import strip_regions
from bot.knowledge.service import PolicyReply, ReplyKind, get_policy_service, region_not_covered_text
from bot.regions import Region, display_name, get_region
from bot.replies import INPUT_ISSUE_REPLIES, NOT_UNDERSTOOD
from bot.settings import get_settings
from bot.text import normalize_text

REGION_NOTED = "好的，已记下您在{place}。您想了解哪方面的政策？比如低保标准、申请条件、每月几号发、到哪里申请。"
REGION_UNKNOWN = "抱歉，我没能识别出这个地名。请告诉我您所在的省、市或县（区），例如“山西省运城市”或“银川”。"

def message_text(tracker: Tracker) -> str:
    return normalize_text(tracker.latest_message.get("text") or "")[: get_settings().max_message_chars]


def entity_value(tracker: Tracker, name: str) -> Optional[Any]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name:
            return entity.get("value")
    return None


def region_events(region: Optional[Region], remembered: Optional[str]) -> List[Dict[Text, Any]]:
    if region is None or region.name == remembered:
        return []
    return [SlotSet("region", region.name)]


class ActionAnswerPolicy(Action):
    def name(self) -> Text:
        return "action_answer_policy"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        service = get_policy_service()
        text = message_text(tracker)
        remembered = tracker.get_slot("region")
        pending = tracker.get_slot("pending_question")
        named = entity_value(tracker, "region")
        region = get_region(named) if named else service.resolve_region(text, None)
        only_region = not service.index.vocabulary.query_terms(strip_regions(text)).content
        intent = (tracker.latest_message.get("intent") or {}).get("name")

        if only_region or (intent == "inform_region" and region is not None):
            if region is None:
                dispatcher.utter_message(text=REGION_UNKNOWN)
                return []
            events = region_events(region, remembered)
            if not region.covered:
                dispatcher.utter_message(text=region_not_covered_text(region))
                return events
            if pending:
                reply = service.reply(pending, region.name)
                dispatcher.utter_message(text=reply.text)
                return [*events, SlotSet("pending_question", None)]
            dispatcher.utter_message(text=REGION_NOTED.format(place=display_name(region.name)))
            return events

        reply = service.reply(text, remembered)
        dispatcher.utter_message(text=reply.text)
        return self._events(reply, text, remembered, pending)

    @staticmethod
    def _events(
        reply: PolicyReply, text: str, remembered: Optional[str], pending: Optional[str]
    ) -> List[Dict[Text, Any]]:
        events = region_events(reply.region, remembered)
        if reply.kind == ReplyKind.NEED_REGION:
            events.append(SlotSet("pending_question", text))
        elif pending:
            events.append(SlotSet("pending_question", None))
        return events


class ActionDefaultFallback(Action):
    """Says what went wrong with the message; a policy question the NLU missed still gets answered."""

    def name(self) -> Text:
        return "action_default_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        issue = entity_value(tracker, "input_issue")
        if issue in INPUT_ISSUE_REPLIES:
            dispatcher.utter_message(text=INPUT_ISSUE_REPLIES[issue])
            return []
        text = message_text(tracker)
        if text:
            reply = get_policy_service().reply(text, tracker.get_slot("region"))
            if reply.kind in (ReplyKind.ANSWER, ReplyKind.REGION_NOT_COVERED):
                dispatcher.utter_message(text=reply.text)
                return region_events(reply.region, tracker.get_slot("region"))
        dispatcher.utter_message(text=NOT_UNDERSTOOD)
        return []
