"""Answering policy questions and handling what the NLU could not understand."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import changed_slots, entity_value, message_text, previous_turn
from actions.handoff import NOT_UNDERSTOOD_BEFORE_HANDOFF, hand_off, not_understood_in_a_row
from bot.knowledge.service import PolicyReply, ReplyKind, get_policy_service
from bot import replies
from bot.questionnaire.questions import distinct_regions
from actions.screening import ActionOfferScreening, offer_accepted, offer_buttons, start_after_offer
from bot.questionnaire.flow import answers_from_slots

DETAIL_PAYLOAD = "/ask_policy_detail"


def send_policy_reply(dispatcher: CollectingDispatcher, reply: PolicyReply) -> Optional[Dict[Text, Any]]:
    """The reply, with a button for the full clause when it quotes one; what to remember for it."""
    detail = reply.detail_ref()
    if detail is None:
        dispatcher.utter_message(text=reply.text)
        return None
    button = {"title": replies.text("policy.detail_button"), "payload": DETAIL_PAYLOAD}
    dispatcher.utter_message(text=reply.text, buttons=[button])
    return detail


class ActionAnswerPolicy(Action):
    def name(self) -> Text:
        return "action_answer_policy"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if offer_accepted(tracker):  # "那你问吧" to the offer of the questionnaire
            return start_after_offer(dispatcher)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        named_now = entity_value(tracker, "region")
        remembered = tracker.get_slot("region")
        named_before = tracker.get_slot("regions_named") or []
        # Two places named and neither confirmed: a question naming none is not answered with
        # the last one; the resident is asked which (when the answer depends on the place).
        if not named_now and len(distinct_regions(named_before)) > 1 and not tracker.get_slot("region_confirmed"):
            remembered = None
        turn = get_policy_service().converse(
            message_text(tracker),
            remembered_region=remembered,
            pending_question=tracker.get_slot("pending_question"),
            region_named=named_now,
            says_region=intent == "inform_region",
        )
        detail = send_policy_reply(dispatcher, turn.reply)
        offered = offer_after_answer(dispatcher, tracker, turn.reply)
        standing = tracker.get_slot("screening_now")
        offer = False if offered else (None if standing is False else standing)
        region = turn.region or tracker.get_slot("region")
        named = named_before
        if turn.region and turn.region != tracker.get_slot("region") and (named_now or intent == "inform_region"):
            named = [*named_before, turn.region][-5:]
        confirmed = tracker.get_slot("region_confirmed")
        if tracker.get_slot("pending_question") and turn.pending_question is None and remembered is None:
            confirmed = True  # the place given in answer to "which place?"
        return changed_slots(tracker, region=region, pending_question=turn.pending_question,
                             policy_answer=detail or tracker.get_slot("policy_answer"),
                             regions_named=named, region_confirmed=confirmed, screening_now=offer,
                             screening_offered=True if offered else tracker.get_slot("screening_offered"))


# Replies after which the questionnaire is offered, with the offer's wording: after an answer,
# after "which region?" (a question such as "有补助吗" may be the resident's own case: the
# questionnaire asks the region first too), and after a question the documents do not answer
# (what the assistant can do instead).
OFFER_AFTER = {ReplyKind.ANSWER: "questionnaire.offer_after_answer",
               ReplyKind.NEED_REGION: "questionnaire.offer_after_region_question",
               ReplyKind.NOT_FOUND: "questionnaire.offer_after_not_found"}


def offer_after_answer(dispatcher: CollectingDispatcher, tracker: Tracker, reply: PolicyReply) -> bool:
    """After the first policy answer outside the forms, to a resident not yet screened, the
    questionnaire is offered (its own message, after the answer); True when it was."""
    answered = {p for p in answers_from_slots(tracker.slots) if p != "region"}
    if (reply.kind not in OFFER_AFTER or (tracker.active_loop or {}).get("name") or answered
            or tracker.get_slot("screening_offered")):
        return False
    dispatcher.utter_message(text=replies.text(OFFER_AFTER[reply.kind]), buttons=offer_buttons())
    return True


class ActionYes(Action):
    """A yes outside any question: the offer of the questionnaire accepted when one stands
    ("好", "中", "行", "嗯" after it), else what else the resident wants."""

    def name(self) -> Text:
        return "action_yes"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if offer_accepted(tracker, said_yes=True):
            return start_after_offer(dispatcher)
        step = acknowledgement(last_bot_text(tracker), domain)
        if step is None:
            dispatcher.utter_message(response="utter_anything_else")
        elif step == "suggestions":
            dispatcher.utter_message(text=replies.text("common.acknowledged.suggestions"),
                                     buttons=[acknowledged_button(k) for k in ACKNOWLEDGED_BUTTONS])
        else:
            dispatcher.utter_message(text=replies.text(f"common.acknowledged.{step}"))
        return []


ACKNOWLEDGED_BUTTONS = ("screening", "standard", "where", "status", "human")


def acknowledged_button(key: str) -> Dict[str, str]:
    title = replies.text(f"common.acknowledged.buttons.{key}")
    return {"title": title, "payload": "/request_human" if key == "human" else title}


def last_bot_text(tracker: Tracker) -> Optional[str]:
    """The assistant's last message before the resident's latest one."""
    return next((event.get("text") for event in previous_turn(tracker) if event.get("event") == "bot"), None)


def acknowledgement(previous: Optional[str], domain: Dict[Text, Any]) -> Optional[str]:
    """What a plain yes after `previous` gets: None, "还有什么可以帮您"; after that question, the
    suggestions; after them, a short goodbye (two wordings in turn, so none is said twice running)."""
    anything_else = {r.get("text") for r in (domain.get("responses") or {}).get("utter_anything_else") or []}
    if previous in anything_else:
        return "suggestions"
    steps = {replies.text("common.acknowledged.suggestions"): "closing",
             replies.text("common.acknowledged.closing"): "closing_again",
             replies.text("common.acknowledged.closing_again"): "closing"}
    return steps.get(previous or "")


class ActionThank(Action):
    """Thanks; thanks with a yes to the offer of the questionnaire ("好的谢谢", "行，谢谢你") takes it."""

    def name(self) -> Text:
        return "action_thank"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if offer_accepted(tracker):
            return start_after_offer(dispatcher)
        dispatcher.utter_message(text=replies.text("common.thanks"))
        return []


class ActionPolicyDetail(Action):
    """The full clause of the last policy answer and its related measures ("详细", "原文")."""

    def name(self) -> Text:
        return "action_policy_detail"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=get_policy_service().detail(tracker.get_slot("policy_answer")))
        return []


# Intents that lead to the offer of the questionnaire; a message the NLU was unsure of between them
# (or with one of them first) is offered it rather than told it was not understood.
OFFER_INTENTS = ("start_screening", "tell_hardship")
UNSURE_OFFER_CONFIDENCE = 0.3


def unsure_between_offers(tracker: Tracker) -> bool:
    if entity_value(tracker, "input_issue") or (tracker.active_loop or {}).get("name"):
        return False
    ranking = [r for r in tracker.latest_message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    return bool(ranking) and ranking[0].get("name") in OFFER_INTENTS \
        and float(ranking[0].get("confidence") or 0) >= UNSURE_OFFER_CONFIDENCE


class ActionDefaultFallback(Action):
    """Says what went wrong with the message; a policy question the NLU missed still gets answered."""

    def name(self) -> Text:
        return "action_default_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if offer_accepted(tracker):  # "好，测一下" to the offer of the questionnaire
            return start_after_offer(dispatcher)
        if unsure_between_offers(tracker):  # "…我老了啥也不懂，你帮我看看": offered, not "没明白"
            return ActionOfferScreening().run(dispatcher, tracker, domain)
        # Like Rasa's own fallback, the message is taken back, so the dialogue waits for the
        # next one instead of predicting again from a state no rule covers.
        events = self.reply(dispatcher, tracker)
        if events is None:
            if not_understood_in_a_row(tracker) + 1 >= NOT_UNDERSTOOD_BEFORE_HANDOFF:
                dispatcher.messages.clear()
                return [UserUtteranceReverted(), *hand_off(dispatcher, tracker, "fallback")]
            events = []
        return [UserUtteranceReverted(), *events]

    @staticmethod
    def reply(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict[Text, Any]]]:
        """Events after a helpful reply, or None after a "not understood" (or bad input) reply."""
        issue = entity_value(tracker, "input_issue")
        issue_replies = replies.group("common.input_issue")
        if issue in issue_replies:
            dispatcher.utter_message(text=issue_replies[issue])
            return None
        text = message_text(tracker)
        if text:
            reply = get_policy_service().reply(text, tracker.get_slot("region"))
            if reply.kind in (ReplyKind.ANSWER, ReplyKind.REGION_NOT_COVERED, ReplyKind.OUTSIDE):
                detail = send_policy_reply(dispatcher, reply)
                return changed_slots(tracker, region=reply.region.name if reply.region else tracker.get_slot("region"),
                                     policy_answer=detail or tracker.get_slot("policy_answer"))
        dispatcher.utter_message(text=replies.text("common.not_understood"))
        return None
