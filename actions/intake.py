"""Applying in the chat (一门受理) and asking where an application stands."""
from __future__ import annotations

import logging
import re
import uuid
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import client_address, latest_intent, message_is_new, message_text
from bot.handoff.delivery import channel_for
from bot.intake.registry import ApplicationRequest, Registration, normalize_number, register, resident_status
from bot.core.errors import TooManyAttempts
from bot.core.privacy import InvalidField, seal, unseal
from bot.questionnaire.application import (
    FIELDS,
    PROGRAM_NAMES,
    NotUnderstood,
    corrections,
    materials,
    parse_field,
    programs_from_screening,
    programs_in,
    programs_question,
    summary,
)
from bot.questionnaire.answers import asks_something, leaves
from bot.questionnaire.flow import answers_from_slots, screen_answers, screening_snapshot
from bot import replies
from bot.regions import display_name
from bot.settings import get_settings

logger = logging.getLogger(__name__)
FORM = "application_form"
STATUS_FORM = "status_form"
SLOT_FOR_FIELD = {field: f"app_{field}" for field in FIELDS}
FIELD_FOR_SLOT = {slot: field for field, slot in SLOT_FOR_FIELD.items()}
LEAVING_INTENTS = {"stop_screening", "request_human", "start_screening"}
FREE_TEXT_FIELDS = {"name", "district", "address"}
POLICY_WORDS = re.compile(r"低保|特困|救助|补助|标准|条件|多少钱|材料|审核|多久")
MAX_STATUS_ATTEMPTS = 3
NUMBER_IN_TEXT = re.compile(r"[sS]\s*[jJ]\s*\d{8}\s*-?\s*\d{4,5}")
SEALED_FIELDS = ("name", "mobile", "id_number", "address")
PII_SLOTS = [SLOT_FOR_FIELD[f] for f in SEALED_FIELDS]
MISREAD_SLOT = "app_misread"  # {"slot": …, "count": n}: answers in a row that could not be used
# Fields whose validator says what was wrong with the answer (the others' reason is the question).
EXPLAINED_FIELDS = ("name", "mobile", "id_number", "address")
HUMAN_PAYLOAD = "/request_human"


def misread_count(tracker: Tracker, slot: str) -> int:
    misread = tracker.get_slot(MISREAD_SLOT) or {}
    return int(misread.get("count") or 0) if misread.get("slot") == slot else 0


def reply_button(key: str) -> Dict[str, str]:
    title = replies.text(f"application.buttons.{key}")
    return {"title": title, "payload": HUMAN_PAYLOAD if key == "human" else title}


def ask_again(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, first: str,
              buttons: List[Dict[str, str]]) -> None:
    """A question of the application: as first asked; after an answer that could not be used, in
    other words with examples; after a second, what to tap and the offer of a person (in two
    wordings taking turns, so that the same words are never sent twice in a row)."""
    count = misread_count(tracker, slot)
    field = FIELD_FOR_SLOT[slot]
    if count == 0:
        dispatcher.utter_message(text=first, buttons=buttons)
    elif count == 1:
        dispatcher.utter_message(text=replies.text(f"application.rephrase.{field}"), buttons=buttons)
    else:
        options = "application.options" if count % 2 == 0 else "application.options_again"
        dispatcher.utter_message(text=replies.text(options), buttons=[*buttons, reply_button("human")])


def suggested_programs(tracker: Tracker) -> List[str]:
    answers = answers_from_slots(tracker.slots)
    if not answers:
        return []
    return programs_from_screening(screen_answers(answers, get_settings().today()).to_json())


class ValidateApplicationForm(FormValidationAction):
    """Reads each registration answer; a wrong one is explained and asked again."""

    def name(self) -> Text:
        return "validate_application_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[Text]:
        if tracker.get_slot(SLOT_FOR_FIELD["consent"]) is False:
            return []  # refused: the form ends and the registration action explains
        return list(SLOT_FOR_FIELD.values())

    def start(self, tracker: Tracker) -> List[Dict[Text, Any]]:
        """On activation: an idempotency key for this application, and programs named already."""
        events = [SlotSet(MISREAD_SLOT, None)]
        if not tracker.get_slot("app_request_key"):
            events.append(SlotSet("app_request_key", uuid.uuid4().hex))
        named = programs_in(message_text(tracker))
        if named:
            events.append(SlotSet(SLOT_FOR_FIELD["programs"], named))
        if tracker.get_slot(SLOT_FOR_FIELD["consent"]) is False:
            events.append(SlotSet(SLOT_FOR_FIELD["consent"], None))  # asking again after a refusal
        return events

    def read(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, requested: str
    ) -> Optional[List[Dict[Text, Any]]]:
        """Slot events for the answer; None hands the message back to the rules."""
        intent = latest_intent(tracker)
        text = message_text(tracker)
        field = FIELD_FOR_SLOT[requested]
        # A command wins only when the message says so: an address on 测试路 does not start a
        # test, and a name is not a request to stop.
        if intent in LEAVING_INTENTS and (leaves(text) or text.startswith("/") or field not in FREE_TEXT_FIELDS):
            return None  # (a button's payload, such as 转人工, says so too)
        if field in FREE_TEXT_FIELDS and asks_something(text, "free_text"):
            if not POLICY_WORDS.search(text):
                dispatcher.utter_message(text=replies.text(f"application.explain.{field}"))
                return [SlotSet(requested, None)]
            if intent == "ask_policy":
                return None
        try:
            if field == "confirmed":
                fixed = corrections(text)
                if fixed:
                    dispatcher.utter_message(text=replies.text("application.form.changed"))
                    return [*(kept(f, v) for f, v in fixed.items()), SlotSet(requested, None),
                            SlotSet(MISREAD_SLOT, None)]
            value = parse_field(field, text, suggested_programs(tracker))
        except (InvalidField, NotUnderstood) as exc:
            if intent == "ask_policy" and field in ("programs", "consent", "confirmed"):
                return None
            earlier = corrected_earlier(tracker, text, field)
            if earlier:
                names = "、".join(replies.text(f"application.field_names.{f}") for f in earlier)
                current = answers(tracker)
                same = all(current.get(f) == v for f, v in earlier.items())  # sent again, unchanged
                key = "application.already_noted" if same else "application.corrected_earlier"
                dispatcher.utter_message(text=replies.text(key, fields=names))
                return [*(kept(f, v) for f, v in earlier.items()), SlotSet(requested, None),
                        SlotSet(MISREAD_SLOT, None)]
            # The validator's reason ("the check digit does not match") comes first; the question
            # itself is asked again in other words by the ask action, never the same way twice.
            if isinstance(exc, InvalidField) and field in (*EXPLAINED_FIELDS, "confirmed"):
                dispatcher.utter_message(text=exc.message)
            count = misread_count(tracker, requested) + 1
            return [SlotSet(requested, None), SlotSet(MISREAD_SLOT, {"slot": requested, "count": count})]
        if field == "confirmed" and value is False:
            dispatcher.utter_message(text=replies.text("application.form.what_to_change"))
            return [SlotSet(requested, None), SlotSet(MISREAD_SLOT, None)]
        return [kept(field, value), SlotSet(MISREAD_SLOT, None)]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        requested = tracker.get_slot("requested_slot")
        current = answers(tracker)
        unreadable = [SlotSet(SLOT_FOR_FIELD[f], None) for f in SEALED_FIELDS
                      if tracker.get_slot(SLOT_FOR_FIELD[f]) is not None and current[f] is None]
        tracker.add_slots(unreadable)  # sealed under another secret: asked again
        if requested not in FIELD_FOR_SLOT:
            events = self.start(tracker)
        elif message_is_new(tracker, FORM):
            read = self.read(dispatcher, tracker, requested)
            if read is None:
                return []
            events = read
        else:
            events = []
        tracker.add_slots(events)
        required = await self.required_slots([], dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        return [*unreadable, *events, SlotSet("requested_slot", missing)]


def corrected_earlier(tracker: Tracker, text: str, field: str) -> Dict[str, Any]:
    """Earlier answers the message corrects while another question is asked ("名字不对，是王秀芝"
    to the mobile question); only fields already answered, never the one asked."""
    try:
        fixed = corrections(text)
    except (InvalidField, NotUnderstood):
        return {}
    return {f: v for f, v in fixed.items()
            if f != field and f in SLOT_FOR_FIELD and tracker.get_slot(SLOT_FOR_FIELD[f]) is not None}


class ActionAskAppPrograms(Action):
    def name(self) -> Text:
        return "action_ask_app_programs"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        suggested = suggested_programs(tracker)
        ask_again(dispatcher, tracker, self.name()[len("action_ask_"):], programs_question(suggested),
                  program_buttons(suggested))
        return []


class AskApplicationQuestion(Action, ABC):
    """Asks one of the application's own questions (consent, name, mobile, ID, 乡镇, address)."""

    @property
    @abstractmethod
    def field(self) -> str:
        """The field this action asks for."""

    def name(self) -> Text:
        return f"action_ask_{SLOT_FOR_FIELD[self.field]}"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        buttons = [reply_button("agree"), reply_button("disagree")] if self.field == "consent" else []
        ask_again(dispatcher, tracker, SLOT_FOR_FIELD[self.field],
                  replies.text(f"application.ask.{self.field}"), buttons)
        return []


# One ask action per question (rasa_sdk registers every concrete Action subclass).
ASK_ACTIONS = [type(f"AskApplication_{field}", (AskApplicationQuestion,), {"field": field})
               for field in ("consent", "name", "mobile", "id_number", "district", "address")]


def program_buttons(suggested: List[str]) -> List[Dict[str, str]]:
    """The programs to tap; after a screening, "yes" to the suggested ones first."""
    buttons = []
    if suggested:
        yes = replies.text("application.buttons.suggested")
        buttons.append({"title": yes, "payload": yes})
    for program in PROGRAM_NAMES:
        if program not in suggested or len(suggested) > 1:
            title = replies.text(f"application.program_choice.{program}")
            buttons.append({"title": title, "payload": title})
    return buttons


def kept(field: str, value: Any) -> Dict[Text, Any]:
    """The slot event keeping an answer; personal data is sealed (the tracker store sees ciphertext)."""
    return SlotSet(SLOT_FOR_FIELD[field], seal(value) if field in SEALED_FIELDS else value)


def answers(tracker: Tracker) -> Dict[str, Any]:
    return {
        field: unseal(tracker.get_slot(slot)) if field in SEALED_FIELDS else tracker.get_slot(slot)
        for field, slot in SLOT_FOR_FIELD.items()
    }


def region_name(tracker: Tracker) -> Optional[str]:
    region = tracker.get_slot("region")
    return display_name(region) if region else None


class ActionAskAppConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_app_confirmed"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        buttons = [{"title": replies.text("application.buttons.confirm"), "payload": replies.text("application.buttons.confirm")},
                   {"title": replies.text("application.buttons.change"), "payload": replies.text("application.buttons.change_payload")}]
        ask_again(dispatcher, tracker, "app_confirmed", summary(answers(tracker), region_name(tracker)), buttons)
        return []


def registered_text(result: Registration, programs: List[str], district: str) -> str:
    names = "、".join(PROGRAM_NAMES[p] for p in programs)
    say = replies.text
    if not result.created:
        return say("application.registered.before", programs=names, number=result.number, status=result.status)
    due = (say("application.registered.due", month=result.due_date.month, day=result.due_date.day)
           if result.due_date else say("application.registered.due_soon"))
    return "\n".join([
        say("application.registered.number", number=result.number),
        say("application.registered.programs", programs=names, district=district, due=due),
        say("application.registered.materials", materials=materials(programs)),
        say("application.registered.status_hint"),
    ])


class ActionRegisterApplication(Action):
    """Registers the confirmed application once, and says what happens next."""

    def name(self) -> Text:
        return "action_register_application"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        given = answers(tracker)
        if given["consent"] is False:
            dispatcher.utter_message(text=replies.text("application.form.consent_refused"))
            return [SlotSet(slot, None) for slot in [*SLOT_FOR_FIELD.values(), "app_request_key"]]
        if given["confirmed"] is not True:
            return []
        screening = answers_from_slots(tracker.slots)
        request = ApplicationRequest(
            channel=channel_for(tracker.get_latest_input_channel()),
            conversation_id=tracker.sender_id,
            request_key=tracker.get_slot("app_request_key") or uuid.uuid4().hex,
            name=given["name"], mobile=given["mobile"], id_number=given["id_number"],
            address=given["address"], district=given["district"], programs=list(given["programs"]),
            consent=True, region=region_name(tracker),
            screening=screening_snapshot(screening, get_settings().today()),
        )
        try:
            result = register(request)
        except InvalidField as exc:
            dispatcher.utter_message(text=replies.text("application.registered.field_again", reason=exc.message))
            slot = SLOT_FOR_FIELD.get(exc.field)
            return [SlotSet("app_confirmed", None), *([SlotSet(slot, None)] if slot else [])]
        except SQLAlchemyError:
            logger.exception("registration failed")
            dispatcher.utter_message(text=replies.text("application.registered.registry_down"))
            return [SlotSet("app_confirmed", None)]
        dispatcher.utter_message(text=registered_text(result, request.programs, request.district))
        return [
            *(SlotSet(slot, None) for slot in [*PII_SLOTS, "app_confirmed", "app_consent", "app_request_key"]),
            SlotSet("application_number", result.number),
        ]


class ValidateStatusForm(FormValidationAction):
    """Reads the 受理编号 and the last four digits of the mobile number."""

    def name(self) -> Text:
        return "validate_status_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[Text]:
        if (tracker.get_slot("status_failures") or 0) >= MAX_STATUS_ATTEMPTS:
            return []
        return ["status_number", "status_mobile_tail"]

    @staticmethod
    def found(text: str, tracker: Tracker, first: bool) -> List[Dict[Text, Any]]:
        events = []
        written = NUMBER_IN_TEXT.search(text)
        number = normalize_number(written.group(0)) if written else None
        if number:
            events.append(SlotSet("status_number", number))
            text = NUMBER_IN_TEXT.sub(" ", text)
        elif first and tracker.get_slot("application_number"):
            events.append(SlotSet("status_number", tracker.get_slot("application_number")))
        tail = mobile_tail(text)
        if tail:
            events.append(SlotSet("status_mobile_tail", tail))
        return events

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        requested = tracker.get_slot("requested_slot")
        text = message_text(tracker)
        events: List[Dict[Text, Any]] = []
        if requested not in ("status_number", "status_mobile_tail"):
            events = self.found(text, tracker, first=True)
        elif message_is_new(tracker, STATUS_FORM):
            if latest_intent(tracker) in LEAVING_INTENTS:
                return []
            events = self.found(text, tracker, first=False)
            if not any(e["name"] == requested for e in events):
                dispatcher.utter_message(text=replies.text(
                    "application.status.bad_number" if requested == "status_number" else "application.status.bad_tail"))
        tracker.add_slots(events)
        required = await self.required_slots([], dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        return [*events, SlotSet("requested_slot", missing)]


def mobile_tail(text: str) -> Optional[str]:
    digits = [run for run in "".join(c if c.isdigit() else " " for c in text).split() if len(run) == 4]
    return digits[-1] if digits else None


class ActionApplicationStatus(Action):
    """The status and last update, only when the number and the mobile's last four digits match."""

    def name(self) -> Text:
        return "action_application_status"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        failures = tracker.get_slot("status_failures") or 0
        reset = [SlotSet("status_number", None), SlotSet("status_mobile_tail", None)]
        if failures >= MAX_STATUS_ATTEMPTS:
            dispatcher.utter_message(text=replies.text("application.status.locked", n=failures))
            return reset
        number, tail = tracker.get_slot("status_number"), tracker.get_slot("status_mobile_tail")
        if not number or not tail:
            return reset
        try:
            status = resident_status(number, tail, client=tracker.sender_id, address=client_address(tracker))
        except TooManyAttempts:
            dispatcher.utter_message(text=replies.text("application.status.locked", n=MAX_STATUS_ATTEMPTS))
            return [*reset, SlotSet("status_failures", MAX_STATUS_ATTEMPTS)]
        except SQLAlchemyError:
            logger.exception("status lookup failed")
            dispatcher.utter_message(text=replies.text("application.status.down"))
            return reset
        if status is None:
            failures += 1
            locked = failures >= MAX_STATUS_ATTEMPTS
            dispatcher.utter_message(text=replies.text("application.status.locked", n=failures) if locked
                                     else replies.text("application.status.not_found"))
            return [*reset, SlotSet("status_failures", failures)]
        dispatcher.utter_message(text=status_text(status))
        return [*reset, SlotSet("status_failures", 0)]


def status_text(status: Dict[str, Any]) -> str:
    lines = [replies.text("application.status.current", number=status["number"], status=status["status"],
                          updated_at=status["updated_at"])]
    if status.get("note"):
        lines.append(status["note"])
    elif status.get("due_date"):
        lines.append(replies.text("application.status.due", due_date=status["due_date"]))
    return "\n".join(lines)
