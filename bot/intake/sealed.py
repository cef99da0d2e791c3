"""Personal data kept in a conversation while a resident fills in an application is sealed
(authenticated encryption, key derived from INTAKE_SECRET), so Rasa's tracker store holds only
ciphertext; the action server unseals it to show the summary and to register."""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import Any, Optional

from cryptography.fernet import Fernet, InvalidToken

from bot.intake.identity import intake_secret

PREFIX = "sealed:"


@lru_cache(maxsize=4)
def _fernet(secret: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"conversation-seal:" + secret).digest()))


def seal(value: str) -> str:
    return PREFIX + _fernet(intake_secret()).encrypt(value.encode()).decode()


def unseal(value: Any) -> Optional[str]:
    """The sealed text, or None when it is missing or cannot be opened (e.g. a changed secret)."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return None
    try:
        return _fernet(intake_secret()).decrypt(value[len(PREFIX):].encode()).decode()
    except InvalidToken:
        return None
