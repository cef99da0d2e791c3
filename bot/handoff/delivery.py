"""Delivering staff messages to a resident through the channel the resident wrote on.

An outbound message is first stored (Message, direction "out", delivered_at NULL); then:
- channels that can push (WeChat's customer-service API) register a sender with
  `register_sender`, which is called at once and marks the message delivered; what it could not
  send is sent again by the channel's outbox sweep (bot/wechat/outbox.py);
- the local chat page and other REST clients pull their messages (`take_outbox`), which marks
  them delivered, so nothing is lost while the resident's page is closed.
Each message is also written into the Rasa conversation, so the transcript stays whole.
"""
from __future__ import annotations

import logging
from typing import Callable, Optional

import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.core.db import transaction, utcnow
from bot.core.models import Message
from bot.settings import get_settings

logger = logging.getLogger(__name__)
RASA_TIMEOUT_SECONDS = 5
# Sends one text to one conversation; returns True when the channel accepted it.
Sender = Callable[[str, str], bool]
_SENDERS: dict[str, Sender] = {}
# Rasa input channel names → the channel names the registry records.
CHANNEL_FOR_INPUT = {"rest": "web", "wechat": "wechat", "hotline": "hotline"}


def channel_for(input_channel: Optional[str]) -> str:
    return CHANNEL_FOR_INPUT.get(input_channel or "rest", "web")


class DeliveryError(RuntimeError):
    """The assistant (Rasa) could not be reached to record or resume a conversation."""

    message = "智能助手服务暂时无法连接，请稍后再试。"


def register_sender(channel: str, sender: Sender) -> None:
    """A channel that pushes messages itself (e.g. "wechat")."""
    _SENDERS[channel] = sender


def push(message: Message, factory: Optional[sessionmaker] = None) -> bool:
    """Hands the message to its channel's sender, when the channel has one.

    The message is claimed first (delivered_at set where it is still NULL), so that of two
    workers pushing the same message only one sends it; when the channel refuses it, the claim
    is released and a later outbox sweep tries again.
    """
    sender = _SENDERS.get(message.channel)
    if sender is None or not _claim(message.id, factory):
        return False
    try:
        accepted = sender(message.conversation_id, message.text)
    except Exception:  # a channel failure must not lose the stored message
        logger.exception("delivery through %s failed for message %s", message.channel, message.id)
        accepted = False
    if not accepted:
        with transaction(factory) as session:
            session.execute(update(Message).where(Message.id == message.id).values(delivered_at=None))
    return accepted


def _claim(message_id: int, factory: Optional[sessionmaker]) -> bool:
    with transaction(factory) as session:
        claimed = session.execute(
            update(Message).where(Message.id == message_id, Message.delivered_at.is_(None))
            .values(delivered_at=utcnow())
        ).rowcount
    return claimed == 1


def mark_delivered(session: Session, ids: list[int]) -> None:
    if ids:
        session.execute(
            update(Message).where(Message.id.in_(ids), Message.delivered_at.is_(None))
            .values(delivered_at=utcnow())
        )


def take_outbox(
    conversation_id: str, after_id: int = 0, factory: Optional[sessionmaker] = None
) -> list[Message]:
    """Outbound messages for a conversation after `after_id`, marked delivered."""
    with transaction(factory) as session:
        messages = list(
            session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.direction == "out",
                       Message.id > after_id)
                .order_by(Message.id)
            )
        )
        mark_delivered(session, [m.id for m in messages if m.delivered_at is None])
    return messages


class RasaConversations:
    """The few calls to Rasa's HTTP API that a hand-off needs (Rasa runs with --enable-api)."""

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None) -> None:
        settings = get_settings()
        self.url = (url or settings.rasa_url).rstrip("/")
        self.token = token if token is not None else settings.rasa_token

    def append(self, conversation_id: str, events: list[dict]) -> None:
        try:
            resp = requests.post(
                f"{self.url}/conversations/{conversation_id}/tracker/events",
                params={"token": self.token} if self.token else None,
                json=events,
                timeout=RASA_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            raise DeliveryError(f"Rasa unreachable: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise DeliveryError(f"Rasa answered HTTP {resp.status_code}")

    def record_staff_message(self, conversation_id: str, text: str, staff_name: str) -> None:
        self.append(conversation_id, [{"event": "bot", "text": text, "metadata": {"staff": staff_name}}])

    def resume(self, conversation_id: str, text: str) -> None:
        """Un-pauses the bot; the trailing action_listen makes the next message a fresh turn
        (while paused no action ran, so the rules would otherwise not recognise the state)."""
        self.append(conversation_id, [
            {"event": "resume"},
            {"event": "bot", "text": text},
            {"event": "action", "name": "action_listen"},
        ])
