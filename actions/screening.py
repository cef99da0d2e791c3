"""The pre-screening questionnaire: reading answers, asking what is still needed, the result."""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_value, latest_intent, message_is_new, message_text, previous_turn
from bot import replies
from bot.knowledge.service import get_policy_service
from bot.questionnaire.answers import (
    NONE,
    NOT_UNDERSTOOD,
    UNKNOWN,
    about_someone_else,
    asked_for,
    asks_back,
    asks_something,
    leaves,
    lives_elsewhere,
    mentioned_facts,
    only_asks_back,
    partial_disability,
    read_answer,
    wants_screening_now,
)
from bot.questionnaire.application import yes_or_no
from bot.questionnaire.flow import (
    PATH_FOR_SLOT,
    SLOT_FOR_PATH,
    answers_from_slots,
    answers_line,
    facts_text,
    next_questions,
    reasons_text,
    result_programs,
    result_text,
    screen_answers,
    short_name,
)
from bot.questionnaire.questions import ask_buttons, distinct_regions, options_buttons
from bot.regions import COVERED_PROVINCES, display_name, get_region
from bot.settings import get_settings

FORM = "screening_form"
# Intents that may leave the questionnaire (rules take over), when the message says so.
LEAVING_INTENTS = {"stop_screening", "request_human", "apply"}
MISREAD_SLOT = "sc_misread"  # {"slot": …, "count": n}: answers in a row that could not be read
SKIP_AFTER = 3  # the third unreadable answer to one question skips it (kept as "不清楚")
EXPLAIN_PAYLOAD = "/explain_result"


SUBJECT_SLOT = "sc_subject"
# Questions about the applicant whose answer may be about another relative ("婆婆瘫在床上"): the
# value the applicant is then taken to have.
NOT_THE_APPLICANTS = {"applicant.disability": NONE, "applicant.seriously_ill": False}


def asked_for_earlier(tracker: Tracker) -> Optional[str]:
    """The relative the resident said they ask for, in this conversation's messages since the last
    result (the latest one said)."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_screening_result":
            return None
        if event.get("event") == "user":
            kind = asked_for(event.get("text") or "")
            if kind is not None:
                return kind
    return None


COVERED_TEXT = "、".join(COVERED_PROVINCES)


def covered(region: str) -> bool:
    known = get_region(region)
    return known is None or known.covered


def not_covered_events(region: str) -> List[Dict[Text, Any]]:
    """A region not covered: not kept as the questionnaire's region; the region question says so
    (which regions are covered, where to ask instead) and waits for one that is."""
    return [SlotSet("region", None), SlotSet(MISREAD_SLOT, {"slot": "region", "count": 0, "uncovered": region})]


def fact_events(facts: Dict[str, Any]) -> List[Dict[Text, Any]]:
    return [SlotSet(SLOT_FOR_PATH[path], value) for path, value in facts.items()]


def misread_count(tracker: Tracker, slot: str) -> int:
    misread = tracker.get_slot(MISREAD_SLOT) or {}
    return int(misread.get("count") or 0) if misread.get("slot") == slot else 0


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
        intent = latest_intent(tracker)
        text = message_text(tracker)
        requested = tracker.get_slot("requested_slot")
        subject = asked_for(text) or tracker.get_slot(SUBJECT_SLOT)
        if requested not in PATH_FOR_SLOT:
            facts = mentioned_facts(text, subject, story=True)
            if "region" in facts and not covered(facts["region"]):
                return [*self.subject_named(dispatcher, tracker, subject), *not_covered_events(facts.pop("region")),
                        *fact_events(facts)]
            return [*self.subject_named(dispatcher, tracker, subject), *fact_events(facts)]
        path = PATH_FOR_SLOT[requested]
        # First read as the answer to the question asked; a command to stop or a person wins
        # only when the message says so ("七十二了" is an age, not "stop").
        value = NOT_UNDERSTOOD if only_asks_back(text) else read_answer(path, text)
        if value is NOT_UNDERSTOOD and path == "applicant.disability" and partial_disability(text) \
                and misread_count(tracker, requested) >= 1:
            value = UNKNOWN  # the kind or the grade asked for once and still not known: not asked a third time
        # "我男人是残疾，二级", "婆婆瘫在床上": about another relative, not the applicant.
        other = about_someone_else(text, subject) if path in NOT_THE_APPLICANTS else None
        if other is not None:
            value = NOT_THE_APPLICANTS[path]
        if intent in LEAVING_INTENTS and (leaves(text) or value is NOT_UNDERSTOOD):
            return None
        subject_events = self.subject_named(dispatcher, tracker, subject)
        if other is not None:
            who = replies.text(f"questionnaire.subject.names.{other}")
            dispatcher.utter_message(text=replies.text("questionnaire.subject.someone_else", who=who))
        events = self.read(dispatcher, tracker, requested, path, value, text, subject)
        return None if events is None else [*subject_events, *events]

    def read(self, dispatcher: CollectingDispatcher, tracker: Tracker, requested: str, path: str, value: Any,
             text: str, subject: Optional[str]) -> Optional[List[Dict[Text, Any]]]:
        """Slot events for the answer `value` (or NOT_UNDERSTOOD) to the question asked."""
        intent = latest_intent(tracker)
        facts = mentioned_facts(text, subject)
        if value is NOT_UNDERSTOOD and asks_back(text):
            dispatcher.utter_message(text=replies.text(f"questionnaire.explain.{requested}"))
            return [SlotSet(requested, None)]
        if path == "region" and value is not NOT_UNDERSTOOD and not covered(value):
            return not_covered_events(value)
        if path != "region" and "region" in facts and not covered(facts["region"]):
            facts.pop("region")  # "在河南打工" said on the way is not where the applicant lives
        if value is not NOT_UNDERSTOOD:
            if path == "household.size" and isinstance(value, int) and lives_elsewhere(text):
                dispatcher.utter_message(text=replies.text("questionnaire.household_elsewhere", size=value))
            facts[path] = value
            if path == "region":
                facts.pop("region", None)
                facts[path] = value
            events = fact_events(facts)
            if path == "region":
                events.append(SlotSet("region_confirmed", True))
            return [*events, SlotSet(MISREAD_SLOT, None)]
        if intent == "ask_policy" and asks_something(text) and not set(facts) - {"region"}:
            return None  # a question naming a place is still a question; a statement is an answer
        if facts and set(facts) != {"region"}:  # something else stated: noted, the question again
            noted = facts_text({p: v for p, v in facts.items() if p != "region"})
            dispatcher.utter_message(text=replies.text("questionnaire.noted", facts=noted))
            return fact_events(facts)
        count = misread_count(tracker, requested) + 1
        if count >= SKIP_AFTER and requested != "region":  # the rules need a place: never skipped
            dispatcher.utter_message(text=replies.text("questionnaire.skipped"))
            return [SlotSet(requested, UNKNOWN), SlotSet(MISREAD_SLOT, None)]
        return [SlotSet(requested, None), SlotSet(MISREAD_SLOT, {"slot": requested, "count": count})]

    @staticmethod
    def subject_named(dispatcher: CollectingDispatcher, tracker: Tracker, kind: Optional[str]) -> List[Dict[Text, Any]]:
        """The relative the resident asks for, when newly named: said once, then remembered."""
        if kind is None or kind == tracker.get_slot(SUBJECT_SLOT):
            return []
        who = replies.text(f"questionnaire.subject.names.{kind}")
        dispatcher.utter_message(text=replies.text("questionnaire.subject.intro", who=who))
        return [SlotSet(SUBJECT_SLOT, kind)]

    def start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        """On activation: a region the resident has not confirmed among several is asked again;
        the relative asked for earlier ("我是替我妈问的") is named as the applicant."""
        events: List[Dict[Text, Any]] = []
        named = distinct_regions(tracker.get_slot("regions_named") or [])
        region = tracker.get_slot("region")
        if region and len(named) > 1 and not tracker.get_slot("region_confirmed"):
            events.append(SlotSet("region", None))
        elif region and not covered(region):  # "俺是河南周口的…": said plainly, then asked
            events += not_covered_events(region)
        return [*events, *self.subject_named(dispatcher, tracker, asked_for_earlier(tracker))]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        events: List[Dict[Text, Any]] = []
        if not tracker.get_slot("requested_slot"):
            events = self.start(dispatcher, tracker)
            tracker.add_slots(events)
        # Read the message only when it is new: when the form resumes after an interruption
        # (a policy question), the latest message was already handled by another action.
        if message_is_new(tracker, FORM) or not tracker.get_slot("requested_slot"):
            extracted = self.extract_answers(dispatcher, tracker)
            if extracted is None:
                return []
            events += extracted
            tracker.add_slots(extracted)
        required = await self.required_slots([], dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        return [*events, SlotSet("requested_slot", missing)]


class AskScreeningQuestion(Action, ABC):
    """Asks one question of the questionnaire: as written, with options to tap where the answer
    is closed; after an unreadable answer in other words with examples; after a second, with
    options to tap and the offer of a person. Never the same words twice in a row."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for."""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        count = misread_count(tracker, self.slot)
        named = distinct_regions(tracker.get_slot("regions_named") or [])
        misread = tracker.get_slot(MISREAD_SLOT) or {}
        uncovered = misread.get("uncovered") if self.slot == "region" else None
        if uncovered:
            # Said in full once; asked again (after "啥意思？"), only the way on.
            key = "region_not_covered_again" if misread.get("told") else "region_not_covered"
            dispatcher.utter_message(
                text=replies.text(f"questionnaire.{key}", covered=COVERED_TEXT, place=display_name(uncovered)),
                buttons=[{"title": replies.text("questionnaire.region_not_covered_buttons.stop"), "payload": "/stop_screening"},
                         {"title": replies.text("questionnaire.region_not_covered_buttons.human"), "payload": "/request_human"}])
            return [SlotSet(MISREAD_SLOT, {**misread, "told": True})]
        if self.slot == "region" and count == 0 and len(named) > 1:
            places = "、".join(display_name(r) for r in named)
            buttons = [{"title": display_name(r), "payload": display_name(r)} for r in named]
            dispatcher.utter_message(text=replies.text("questionnaire.which_region", regions=places),
                                     buttons=buttons)
        elif count == 0:
            dispatcher.utter_message(text=replies.text(f"questionnaire.ask.{self.slot}"),
                                     buttons=ask_buttons(self.slot))
        elif count == 1:
            dispatcher.utter_message(text=replies.text(f"questionnaire.rephrase.{self.slot}"),
                                     buttons=ask_buttons(self.slot))
        elif self.slot == "region" and count >= SKIP_AFTER:
            # Still no place after the options: a person or stopping, in words other than the last.
            key = "questionnaire.region_still" if count % 2 else "questionnaire.options_region"
            dispatcher.utter_message(text=replies.text(key), buttons=options_buttons(self.slot))
        else:
            # The region cannot be skipped (the rules need a place): no "跳过" offered for it.
            options = "questionnaire.options_region" if self.slot == "region" else "questionnaire.options"
            dispatcher.utter_message(text=replies.text(options), buttons=options_buttons(self.slot))
        return []


# One ask action per question (rasa_sdk registers every concrete Action subclass).
ASK_ACTIONS = [type(f"AskScreening_{slot}", (AskScreeningQuestion,), {"slot": slot}) for slot in SLOT_FOR_PATH.values()]


def result_buttons(programs: List[str]) -> List[Dict[str, str]]:
    buttons = [{"title": replies.text("questionnaire.result.why_button", program=short_name(p)),
                "payload": f'{EXPLAIN_PAYLOAD}{{"program": "{p}"}}'} for p in programs[:3]]
    buttons.append({"title": replies.text("questionnaire.result.apply_button"),
                    "payload": replies.text("questionnaire.result.apply_button")})
    buttons.append({"title": replies.text("questionnaire.result.answers_button"),
                    "payload": f'{EXPLAIN_PAYLOAD}{{"program": "answers"}}'})
    return buttons


def screening_reply(dispatcher: CollectingDispatcher, answers: Dict[str, Any]) -> None:
    result = screen_answers(answers, get_settings().today())
    dispatcher.utter_message(text=result_text(result), buttons=result_buttons(result_programs(result)))


class ActionScreeningResult(Action):
    """The short result: what looks possible, what is undecided, the next step; reasons on request."""

    def name(self) -> Text:
        return "action_screening_result"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        screening_reply(dispatcher, answers_from_slots(tracker.slots))
        return [SlotSet(MISREAD_SLOT, None)]


class ActionExplainResult(Action):
    """Why: each program's reasons with citations ("为什么", a button), or the answers given."""

    def name(self) -> Text:
        return "action_explain_result"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        answers = answers_from_slots(tracker.slots)
        if not answers or next_questions(answers, get_settings().today()):
            dispatcher.utter_message(text=replies.text("questionnaire.result.no_result"))
            return []
        program = entity_value(tracker, "program")
        if program == "answers":
            dispatcher.utter_message(text=answers_line(answers))
            return []
        result = screen_answers(answers, get_settings().today())
        known = {p.program for p in result.programs}
        dispatcher.utter_message(text=reasons_text(result, program if program in known else None))
        return []


class ActionOfferScreening(Action):
    """"我能申请什么", a story of hardship: the questionnaire offered, with what was said noted.
    An explicit request ("帮我测测", "继续测") starts it at once."""

    def name(self) -> Text:
        return "action_offer_screening"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        text = message_text(tracker)
        subject = asked_for(text) or tracker.get_slot(SUBJECT_SLOT)
        facts = {path: value for path, value in mentioned_facts(text, subject, story=True).items()
                 if answers_from_slots(tracker.slots).get(path) is None}
        if latest_intent(tracker) == "start_screening" and wants_screening_now(text):
            return [*fact_events(facts), SlotSet("screening_now", True)]  # the rules start it
        lines = []
        if latest_intent(tracker) != "start_screening":
            # A question inside the story about a program the documents do not cover
            # ("家里老人没了，有丧葬费没") is answered first; the offer follows the answer.
            service = get_policy_service()
            uncovered = service.outside_reply(text, service.resolve_region(text, tracker.get_slot("region")))
            if uncovered is not None:
                dispatcher.utter_message(text=uncovered.text)
            lines.append(replies.text("questionnaire.offer_after_story"))
        noted = {path: value for path, value in facts.items() if path != "region" or covered(value)}
        if noted:  # a region not covered is said plainly when the questionnaire starts, not noted
            lines.append(replies.text("questionnaire.offer_noted", facts=facts_text(noted)))
        lines.append(replies.text("questionnaire.offer"))
        dispatcher.utter_message(text="".join(lines), buttons=offer_buttons())
        return [*fact_events(facts), SlotSet("screening_now", False), SlotSet("screening_offered", True)]


def offer_buttons() -> List[Dict[str, str]]:
    return [{"title": replies.text("questionnaire.offer_buttons.start"), "payload": "/start_screening"},
            {"title": replies.text("questionnaire.offer_buttons.later"), "payload": "/deny"}]


# Actions after which an offer of the questionnaire may stand (screening_now is False then).
OFFERING_ACTIONS = ("action_offer_screening", "action_screening_correct", "action_answer_policy",
                    "action_default_fallback")
# Actions between the offer and the reply that say nothing to the resident (a new session after a
# long pause carries the slots over: the offer still stands).
_NOT_REPLIES = ("action_listen", "action_session_start", "action_unlikely_intent")


def offer_accepted(tracker: Tracker, said_yes: bool = False) -> bool:
    """The message answers the offer of the questionnaire with a yes ("好，测一下", "中 你问吧"),
    however unsure the NLU was of it (`said_yes`: the NLU read a yes)."""
    if tracker.get_slot("screening_now") is not False:
        return False
    for event in previous_turn(tracker):
        if event.get("event") == "action" and event.get("name") not in _NOT_REPLIES:
            if event.get("name") not in OFFERING_ACTIONS:
                return False
            return said_yes or accepts_offer(message_text(tracker))
    return False


_SHORT_REPLY_CHARS = 8
_GO_ON_RE = re.compile(r"问吧|你问|来吧|开始")
_YES_FIRST_RE = re.compile(r"^(?:好|行|中|嗯|可以|成|能成|要得|好的|好吧|对)[，,。！!\s]")


def accepts_offer(text: str) -> bool:
    """A yes to the offer: a short reply that says yes or asks to start ("中", "好，测一下"), or one
    that starts with a yes ("行，你问吧，俺听着"); a question of its own ("要带什么材料") is not."""
    yes_first = bool(_YES_FIRST_RE.match(text.strip()))
    if asks_something(text, "after_yes" if yes_first else "offer") and not re.search("测", text):
        return False
    short = re.sub(r"[\s，,。！!？?~～、…]+", "", text)
    if len(short) <= _SHORT_REPLY_CHARS and (yes_or_no(short) is True or wants_screening_now(short)
                                             or _GO_ON_RE.search(short)):
        return True
    return yes_first


def start_after_offer(dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    dispatcher.utter_message(response="utter_screening_intro")
    return [SlotSet("screening_now", None), FollowupAction(FORM)]


class ActionScreeningCorrect(Action):
    """A correction outside the questionnaire: update the answer and screen again. Without
    earlier answers there is nothing to correct: what was said is taken as a story."""

    def name(self) -> Text:
        return "action_screening_correct"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        before = {p: v for p, v in answers_from_slots(tracker.slots).items() if p != "region"}
        if not before:
            return ActionOfferScreening().run(dispatcher, tracker, domain)
        facts = mentioned_facts(message_text(tracker), tracker.get_slot(SUBJECT_SLOT), story=True)
        if not facts:
            dispatcher.utter_message(text=replies.text("questionnaire.correction.nothing_to_correct"))
            return [SlotSet("screening_now", None)]
        answers = {**answers_from_slots(tracker.slots), **facts}
        changed = facts_text(facts)
        if next_questions(answers, get_settings().today()):
            dispatcher.utter_message(text=replies.text("questionnaire.correction.more_questions", facts=changed))
        else:
            dispatcher.utter_message(text=replies.text("questionnaire.correction.done", facts=changed))
            screening_reply(dispatcher, answers)
        return [*fact_events(facts), SlotSet("screening_now", None)]
