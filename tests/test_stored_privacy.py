"""What is stored of a conversation: typed numbers masked, application answers sealed."""
from __future__ import annotations

import pytest
from rasa.shared.core.events import SlotSet, UserUttered

from bot.channels.tracker_store import redacted
from bot.core.privacy import seal, unseal

ID_NUMBER = "11010519491231002X"


def test_sealed_values_open_only_with_the_same_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = seal(ID_NUMBER)
    assert ID_NUMBER not in sealed and unseal(sealed) == ID_NUMBER
    assert seal(ID_NUMBER) != sealed  # a fresh nonce each time
    monkeypatch.setenv("INTAKE_SECRET", "another secret")
    assert unseal(sealed) is None
    assert unseal(ID_NUMBER) is None and unseal(None) is None and unseal(3) is None


def test_a_user_message_is_stored_masked_and_the_live_one_kept() -> None:
    text = f"我的身份证{ID_NUMBER}，手机13800138000"
    event = UserUttered(text, intent={"name": "inform", "confidence": 0.9},
                        entities=[{"entity": "number", "value": "13800138000", "start": 0, "end": 1}])
    stored = redacted(event)
    assert stored.text == "我的身份证110105********002X，手机138****8000"
    assert stored.parse_data["text"] == stored.text
    assert stored.parse_data["entities"][0]["value"] == "138****8000"
    assert event.text == text and event.parse_data["entities"][0]["value"] == "13800138000"
    other = SlotSet("app_mobile", "x")
    assert redacted(other) is other


def test_a_bot_message_is_stored_masked() -> None:
    """A staff reply is recorded in the conversation as a bot message: it rests masked too."""
    from rasa.shared.core.events import BotUttered
    said = BotUttered("您登记的手机 137 2222 3333 已核对", metadata={"staff": "王芳"})
    stored = redacted(said)
    assert stored.text == "您登记的手机 137****3333 已核对" and said.text.startswith("您登记的手机 137 2222")
    plain = BotUttered("好的")
    assert redacted(plain) is plain
