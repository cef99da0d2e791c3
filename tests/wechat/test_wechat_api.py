"""The WeChat API client against a WeChat API on loopback: one shared access token, refreshed when
refused; long texts split; failures reported, never raised into the caller; menu publishing."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from bot.wechat import menu
from bot.wechat.api import WeChatApi, deliver, sender_for
from bot.wechat.config import WeChatConfig
from bot.wechat.store import SqlChannelStore
from bot.wechat.text import wechat_messages
from tests.wechat.fake_api import AES_KEY, TOKEN, FakeWeChatApi, account_env


def api_for(fake: FakeWeChatApi, factory: sessionmaker, secret: str | None = None) -> WeChatApi:
    config = WeChatConfig(token=TOKEN, appid=fake.appid, appsecret=secret or fake.secret,
                          aes_key=AES_KEY, mode="safe", api_base=fake.base_url)
    return WeChatApi(config, SqlChannelStore(factory))


def test_messages_share_one_token_across_clients(fake_api: FakeWeChatApi, sqlite_factory: sessionmaker) -> None:
    first, second = api_for(fake_api, sqlite_factory), api_for(fake_api, sqlite_factory)
    first.send_text("o-1", "您好")
    second.send_text("o-1", "还有一条")  # another worker: the stored token, no new fetch
    assert fake_api.texts_to("o-1") == ["您好", "还有一条"] and fake_api.token_requests == 1


def test_a_refused_token_is_refreshed_once_and_the_message_sent(
    fake_api: FakeWeChatApi, sqlite_factory: sessionmaker
) -> None:
    api = api_for(fake_api, sqlite_factory)
    api.send_text("o-2", "第一条")
    fake_api.invalidate_tokens()  # WeChat answers 40001 to the stored token
    api.send_text("o-2", "第二条")
    assert fake_api.texts_to("o-2") == ["第一条", "第二条"] and fake_api.token_requests == 2


def test_an_expired_token_is_replaced_before_use(fake_api: FakeWeChatApi, sqlite_factory: sessionmaker) -> None:
    fake_api.expires_in = 2
    api = api_for(fake_api, sqlite_factory)
    api.send_text("o-3", "一")
    time.sleep(1.2)
    api.send_text("o-3", "二")
    assert fake_api.token_requests == 2 and fake_api.texts_to("o-3") == ["一", "二"]


def test_a_long_staff_reply_goes_out_as_several_messages(fake_api: FakeWeChatApi, sqlite_factory: sessionmaker) -> None:
    send = sender_for(api_for(fake_api, sqlite_factory))
    reply = "".join(f"第{i}点：请带上户口本、身份证和收入证明到街道便民服务中心办理。" for i in range(60))
    assert send("o-4", reply)
    texts = fake_api.texts_to("o-4")
    assert len(texts) > 1 and "".join(texts) == reply
    assert all(len(t.encode()) <= 2048 for t in texts)


def test_a_refused_message_is_reported_not_raised(fake_api: FakeWeChatApi, sqlite_factory: sessionmaker) -> None:
    fake_api.refuse_sends_with = 45015  # the resident has not written for 48 hours
    send = sender_for(api_for(fake_api, sqlite_factory))
    assert send("o-5", "您的申请已受理") is False
    assert fake_api.texts_to("o-5") == []


def test_a_wrong_secret_or_an_unreachable_api_is_reported(fake_api: FakeWeChatApi, sqlite_factory: sessionmaker) -> None:
    assert sender_for(api_for(fake_api, sqlite_factory, secret="wrong"))("o-6", "您好") is False
    unreachable = WeChatConfig(token=TOKEN, appid=fake_api.appid, appsecret=fake_api.secret, aes_key=AES_KEY,
                               mode="safe", api_base="http://127.0.0.1:9/cgi-bin/")
    assert deliver(WeChatApi(unreachable, SqlChannelStore(sqlite_factory)), "o-6", wechat_messages(["您好"])) == 0


def test_the_menu_is_checked_and_published(
    fake_api: FakeWeChatApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in account_env(fake_api, "safe").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'intake.db'}")
    assert menu.main(["check"]) == 0
    assert menu.main(["publish"]) == 0
    assert fake_api.menus == [menu.load_menu()]
    assert "已发布" in capsys.readouterr().out

    broken = tmp_path / "menu.json"
    broken.write_text(json.dumps({"button": [{"type": "click", "name": "咨询", "key": "UNKNOWN"}]}), encoding="utf-8")
    assert menu.main(["publish", "--file", str(broken)]) == 2
    assert "UNKNOWN" not in json.dumps(fake_api.menus) and "错误" in capsys.readouterr().err

    monkeypatch.setenv("WECHAT_APPSECRET", "wrong")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'another.db'}")  # no token stored yet
    assert menu.main(["publish"]) == 1
    assert "40125" in capsys.readouterr().err
