"""The pre-screening questionnaire: reading answers, asking what is still needed, the result."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import message_is_new, message_text
from bot.questionnaire.answers import NOT_UNDERSTOOD, mentioned_facts, parse_answer
from bot.questionnaire.flow import (
    PATH_FOR_SLOT,
    SLOT_FOR_PATH,
    answers_from_slots,
    next_questions,
    result_text,
    screen_answers,
    summary_text,
)
from bot.settings import get_settings

FORM = "screening_form"
# Intents that leave the questionnaire (rules take over); a policy question does too, unless
# the text also answers the question that was asked.
LEAVING_INTENTS = {"stop_screening", "request_human", "apply"}
NOT_UNDERSTOOD_REPLY = "抱歉，我没听明白您的回答。"
NOTHING_TO_CORRECT = "请告诉我要改成什么，比如“家里是四口人”“月收入两千”。"
CORRECTED_MORE_QUESTIONS = "好的，已经改过来了。按新的情况还需要问您几个问题，说“继续测”就可以接着回答。"


def fact_events(facts: Dict[str, Any]) -> List[Dict[Text, Any]]:
    return [SlotSet(SLOT_FOR_PATH[path], value) for path, value in facts.items()]


class ValidateScreeningForm(FormValidationAction):
    """Reads each answer (and any fact stated on the way) and picks the next needed question."""

    def name(self) -> Text:
        return "validate_screening_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[Text]:
        paths = next_questions(answers_from_slots(tracker.slots), get_settings().today())
        return [SLOT_FOR_PATH[p] for p in paths]

    def extract_answers(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[List[Dict[Text, Any]]]:
        """Slot events for this message; None hands the message back to the rules."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = message_text(tracker)
        requested = tracker.get_slot("requested_slot")
        facts = mentioned_facts(text)
        if requested in PATH_FOR_SLOT:
            if intent in LEAVING_INTENTS:
                return None
            value = parse_answer(PATH_FOR_SLOT[requested], text)
            if value is not NOT_UNDERSTOOD:
                facts[PATH_FOR_SLOT[requested]] = value
            elif intent == "ask_policy" and not set(facts) - {"region"}:
                return None  # a question naming a place is still a question
            elif not facts:
                dispatcher.utter_message(text=NOT_UNDERSTOOD_REPLY)
                return [SlotSet(requested, None)]
        return fact_events(facts)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        events: List[Dict[Text, Any]] = []
        # Read the message only when it is new: when the form resumes after an interruption
        # (a policy question), the latest message was already handled by another action.
        if message_is_new(tracker, FORM) or not tracker.get_slot("requested_slot"):
            extracted = self.extract_answers(dispatcher, tracker)
            if extracted is None:
                return []
            events = extracted
            tracker.add_slots(events)
        required = await self.required_slots([], dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        return [*events, SlotSet("requested_slot", missing)]


def screening_reply(dispatcher: CollectingDispatcher, answers: Dict[str, Any]) -> None:
    dispatcher.utter_message(text=summary_text(answers))
    dispatcher.utter_message(text=result_text(screen_answers(answers, get_settings().today())))


class ActionScreeningResult(Action):
    """The summary of the answers, then each program's outcome with reasons and citations."""

    def name(self) -> Text:
        return "action_screening_result"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        screening_reply(dispatcher, answers_from_slots(tracker.slots))
        return []


class ActionScreeningCorrect(Action):
    """A correction outside the questionnaire: update the answer and screen again."""

    def name(self) -> Text:
        return "action_screening_correct"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        facts = mentioned_facts(message_text(tracker))
        if not facts:
            dispatcher.utter_message(text=NOTHING_TO_CORRECT)
            return []
        answers = {**answers_from_slots(tracker.slots), **facts}
        if next_questions(answers, get_settings().today()):
            dispatcher.utter_message(text=CORRECTED_MORE_QUESTIONS)
        else:
            dispatcher.utter_message(text="好的，已经改过来了。")
            screening_reply(dispatcher, answers)
        return fact_events(facts)
