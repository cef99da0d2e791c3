"""The hotline endpoints and the operator's panel over real HTTP (python -m bot.web): signing,
bad input with nothing lost, the suggestions of a whole call, the operator's decision, the
operator role in the console, and the panel's stream fed by another web worker."""
from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from sanic import Sanic
from sqlalchemy import select

from bot.hotline.signing import signed_headers
from bot.hotline.client import HotlineClient, load_calls, utterances
from bot.core.db import transaction
from bot.core.models import AuditEntry
from bot.core.testing import sample_id_number
from bot.knowledge.service import PolicyService
from bot.settings import Settings
from bot.web.app import create_app
from tests.console.console_support import PASSWORD, StaffClient
from tests.hotline.conftest import SECRET, Hotline, running

UTTERANCES = "/api/hotline/utterances"


def new_call(hotline: Hotline, operator: str = "hw01") -> tuple[HotlineClient, str]:
    platform = hotline.platform(operator)
    call_id = f"t-{uuid.uuid4().hex[:10]}"
    assert platform.start(call_id, time.time() - 60).status_code == 201
    return platform, call_id


def transcript(hotline: Hotline, call_id: str) -> list[str]:
    boss = hotline.staff("boss")
    page = boss.get(f"/console/hotline/calls/{call_id}")
    assert page.status_code == 200
    return [line["text"] for line in read_events(hotline.url, boss, call_id, until=lambda _e: True)[0]["transcript"]]


def read_events(base: str, client: StaffClient, call_id: str | None, until: Any,
                seconds: float = 20) -> list[dict[str, Any]]:
    """The panel's `call` events from the stream of `base` until one satisfies `until`."""
    query = f"?call={call_id}" if call_id else ""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()), "Accept": "text/event-stream"}
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    with requests.get(f"{base}/console/hotline/events{query}", headers=headers, stream=True,
                      timeout=(5, 20)) as stream:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        name = None
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: ") and name == "call":
                seen.append(json.loads(line[len("data: "):]))
                if until(seen[-1]):
                    return seen
            if time.monotonic() > deadline:
                break
    raise AssertionError(f"no such event in {seconds} s: {seen[-1:]}")


# ---- signing ----

def test_requests_without_a_valid_fresh_signature_are_refused(hotline: Hotline) -> None:
    body = json.dumps({"call_id": "x-1", "operator_id": "hw01", "ts": time.time()}).encode()
    post = lambda headers: requests.post(f"{hotline.url}/api/hotline/calls/start", data=body,  # noqa: E731
                                         headers=headers, timeout=10)
    missing = post({"Content-Type": "application/json"})
    assert missing.status_code == 401 and "缺少签名" in missing.json()["error"]
    assert post(signed_headers("another-secret", body)).status_code == 401
    stale = post(signed_headers(SECRET, body, timestamp=int(time.time()) - 400))
    assert stale.status_code == 401 and "5 分钟" in stale.json()["error"]
    tampered = signed_headers(SECRET, body)
    assert requests.post(f"{hotline.url}/api/hotline/calls/start", data=body.replace(b"x-1", b"x-2"),
                         headers=tampered, timeout=10).status_code == 401
    good = signed_headers(SECRET, body)
    assert post(good).status_code == 201
    replayed = post(good)
    assert replayed.status_code == 403 and "nonce" in replayed.json()["error"]


def test_without_a_secret_nothing_is_accepted(policy_service: PolicyService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_SECRET", raising=False)
    app: Sanic = create_app(Settings(), policy_service, name="hotline_no_secret")
    body = json.dumps({"call_id": "x", "operator_id": "hw01", "ts": time.time()}).encode()
    _request, response = app.test_client.post("/api/hotline/calls/start", data=body,
                                              headers=signed_headers("", body))
    assert response.status == 503 and "HOTLINE_SECRET" in response.json["error"]


# ---- bad input: a clear error, nothing lost ----

def test_bad_input_gets_a_clear_error_and_the_call_keeps_everything(hotline: Hotline) -> None:
    platform, call_id = new_call(hotline)
    assert platform.say(call_id, "caller", "我想问问低保怎么申请", time.time() - 50).status_code == 200
    assert platform.say(call_id, "operator", "您是哪里的？", time.time() - 40).status_code == 200
    refusals = {
        "unknown call": platform.say("never-started", "caller", "你好"),
        "empty": platform.say(call_id, "caller", "  \n "),
        "10,000 characters": platform.say(call_id, "caller", "低保" * 5000),
        "speaker": platform.say(call_id, "robot", "你好"),
        "ts": platform.post("/utterances", {"call_id": call_id, "operator_id": "hw01", "speaker": "caller",
                                            "text": "你好", "ts": "昨天"}),
        "future": platform.say(call_id, "caller", "你好", time.time() + 3600),
        "before the call": platform.say(call_id, "caller", "你好", time.time() - 7200),
        "other operator": hotline.platform("hw02").say(call_id, "caller", "你好"),
        "not json": requests.post(f"{hotline.url}{UTTERANCES}", data=b"[1, 2",
                                  headers=signed_headers(SECRET, b"[1, 2"), timeout=10),
        "call id": platform.post("/utterances", {"call_id": "a b/c", "operator_id": "hw01", "speaker": "caller",
                                                 "text": "你好", "ts": time.time()}),
    }
    expected = {"unknown call": 404, "other operator": 409}
    for what, response in refusals.items():
        assert response.status_code == expected.get(what, 400), what
        message = response.json()["error"]
        assert re.search(r"[\u4e00-\u9fff]", message) and "Traceback" not in message, what
    assert "1000" in refusals["10,000 characters"].json()["error"]
    assert "请先发送通话开始事件" in refusals["unknown call"].json()["error"]
    assert transcript(hotline, call_id) == ["我想问问低保怎么申请", "您是哪里的？"]
    assert platform.say(call_id, "caller", "运城盐湖区的", time.time() - 30).json()["revision"] == 3


def test_a_late_utterance_joins_the_transcript_in_order(hotline: Hotline) -> None:
    platform, call_id = new_call(hotline)
    now = time.time()
    platform.say(call_id, "caller", "我想申请低保", now - 30)
    platform.say(call_id, "caller", "我叫王芳 电话一三九 零三五九 一二三四", now - 10)
    late = platform.say(call_id, "caller", "我是运城永济的", now - 20).json()
    assert late["late"] is True and late["suggestions"]["region"]["name"] == "山西省运城市永济市"
    assert late["suggestions"]["work_order"]["caller_name"] == "王芳"
    assert transcript(hotline, call_id) == ["我想申请低保", "我是运城永济的", "我叫王芳 电话139****1234"]


def test_a_retried_utterance_is_answered_again_but_stored_once(hotline: Hotline) -> None:
    platform, call_id = new_call(hotline)
    first = platform.say(call_id, "caller", "特困供养怎么申请", time.time() - 5, utterance_id="u-1").json()
    retry = platform.say(call_id, "caller", "特困供养怎么申请", time.time() - 5, utterance_id="u-1").json()
    assert retry["duplicate"] is True and retry["revision"] == first["revision"] == 1
    assert retry["suggestions"] == first["suggestions"]


def test_after_the_end_nothing_is_added(hotline: Hotline) -> None:
    platform, call_id = new_call(hotline)
    platform.say(call_id, "caller", "谢谢 没别的了", time.time() - 5)
    assert platform.end(call_id).json()["ended"] is True
    assert platform.end(call_id).json()["ended"] is False
    refused = platform.say(call_id, "caller", "喂 还有一件事")
    assert refused.status_code == 409 and "已经结束" in refused.json()["error"]
    assert transcript(hotline, call_id) == ["谢谢 没别的了"]


# ---- the suggestions of a whole call ----

def test_a_whole_call_gets_suggestions_for_every_caller_utterance(hotline: Hotline) -> None:
    call = next(c for c in load_calls() if c["id"] == "yc-dibao-apply-household-correction")
    platform, call_id = new_call(hotline)
    start = time.time() - 50
    answers = []
    for index, (speaker, text) in enumerate(utterances(call)):
        response = platform.say(call_id, speaker, text, start + index)
        assert response.status_code == 200
        answers.append(response.json())
    last = answers[-1]["suggestions"]
    assert last["topic"]["programs"] == [{"key": "dibao", "name": "最低生活保障（低保）"}]
    assert len(last["policies"]) == 3 and all(p["citation"] and p["quote"] for p in last["policies"])
    assert last["reply"].startswith("您好")
    facts = {fact["path"]: fact["value"] for fact in last["facts"]}
    assert facts["household.size"] == 4 and facts["region"] == "山西省运城市盐湖区"
    assert any(c["path"] == "household.size" for c in last["corrections"])
    order = last["work_order"]
    assert order["caller_name"] == "王秀兰" and order["callback_phone"] == "139****5678"
    assert order["district"] == "解州镇" and order["address"] == "解州镇东街村3组12号"
    assert last["screening"]["next_question"]["text"]
    assert "13912345678" not in json.dumps(answers, ensure_ascii=False)  # masked wherever it leaves


def test_no_personal_number_reaches_the_log(hotline: Hotline) -> None:
    platform, call_id = new_call(hotline)
    id_number = sample_id_number(11)
    platform.say(call_id, "caller", f"我电话13912345678 身份证{id_number}", time.time() - 5)
    platform.say(call_id, "caller", "a" * 2000, time.time() - 4)  # refused: the log says why, not what
    log = Path(hotline.log).read_text(encoding="utf-8", errors="replace")
    assert "13912345678" not in log and id_number not in log


# ---- the operator's decision over HTTP ----

def decision_form(client: StaffClient, **fields: str) -> dict[str, str]:
    return {"caller_name": "王秀兰", "callback_phone": "13912345678", "id_number": sample_id_number(21),
            "region": "运城市盐湖区", "district": "解州镇", "address": "解州镇东街村3组12号", "category": "apply",
            "programs": "dibao", "urgency": "normal", "summary": "咨询低保申请", **fields}


def test_the_operator_confirms_the_work_order_as_an_application(hotline: Hotline) -> None:
    platform, call_id = new_call(hotline)
    platform.say(call_id, "caller", "我想申请低保 我是运城盐湖区解州镇的", time.time() - 5)
    operator = hotline.staff("hw01")
    operator.get(f"/console/hotline/calls/{call_id}")
    path = f"/console/hotline/calls/{call_id}/application"
    json_headers = {"Accept": "application/json"}
    forged = operator.post(path, decision_form(operator, consent="1"), csrf=False, headers=json_headers)
    assert forged.status_code == 403
    no_consent = operator.post(path, decision_form(operator), headers=json_headers)
    assert no_consent.status_code == 400 and "同意" in no_consent.json()["error"]
    bad_id = operator.post(path, decision_form(operator, consent="1", id_number="123"), headers=json_headers)
    assert bad_id.status_code == 400 and bad_id.json()["field"] == "id_number"
    other = hotline.staff("hw02")
    other.get("/console/hotline")
    assert other.post(path, decision_form(other, consent="1"), headers=json_headers).status_code == 404
    done = operator.post(path, decision_form(operator, consent="1"), headers=json_headers)
    assert done.status_code == 200 and re.fullmatch(r"SJ\d{8}-\d{4}", done.json()["number"])
    staff = hotline.staff("jiezhou")
    assert done.json()["number"] in staff.get("/console/queue/new").text
    answered = operator.post(f"/console/hotline/calls/{call_id}/answered", {"note": "x"}, headers=json_headers)
    assert answered.status_code == 409


def test_a_hand_off_reaches_the_districts_intake_staff(hotline: Hotline) -> None:
    platform, call_id = new_call(hotline)
    platform.say(call_id, "caller", "家里着火了 我在运城盐湖区解州镇 想申请临时救助", time.time() - 5)
    operator = hotline.staff("hw01")
    operator.get(f"/console/hotline/calls/{call_id}")
    done = operator.post(f"/console/hotline/calls/{call_id}/ticket", decision_form(operator, urgency="urgent"),
                         headers={"Accept": "application/json"})
    assert done.status_code == 200
    staff = hotline.staff("jiezhou")
    page = staff.get(f"/console/tickets/{done.json()['ticket']}").text
    assert "12345来电记录" in page and "回拨电话：139****5678" in page and "已回电，办结" in page
    # The full call-back number is on the page for the staff who call back, and that view is audited.
    assert '<span class="mono" id="callback-phone">13912345678</span>' in page
    with transaction(hotline.factory) as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "view_callback_phone",
                                                        AuditEntry.object_id == str(done.json()["ticket"]))).all()


# ---- the operator role ----

def test_the_admin_creates_an_operator_who_lands_on_the_panel(hotline: Hotline) -> None:
    admin = hotline.staff("admin")
    page = admin.get("/console/admin/users").text
    assert '<option value="operator">话务员</option>' in page
    created = admin.post("/console/admin/users", {"username": "hw09", "display_name": "话务员小周",
                                                  "role": "operator", "district": "", "password": PASSWORD})
    assert created.status_code == 302
    operator = StaffClient(hotline.url)
    operator.get("/console/login")
    login = operator.post("/console/login", {"username": "hw09", "password": PASSWORD})
    assert login.headers["Location"] == "/console/hotline"
    assert "来电工作台" in operator.get("/console/hotline").text
    refused = operator.get("/console/queue/new")
    assert refused.status_code == 403 and 'href="/console/hotline">返回工作台' in refused.text
    assert operator.get("/console/handoffs").status_code == 403
    intake = hotline.staff("jiezhou")
    assert intake.get("/console/hotline").status_code == 403


# ---- the panel's stream ----

def test_the_stream_shows_a_call_posted_to_another_worker(hotline: Hotline, tmp_path: Path) -> None:
    """Two web workers on one database: the platform posts to one, the panel listens on the other."""
    with running(tmp_path, hotline.db_url) as other_worker:
        operator = hotline.staff("hw01")
        platform, call_id = new_call(hotline)
        platform.say(call_id, "caller", "你好 我想问问特困供养", time.time() - 30)
        second = HotlineClient(other_worker, SECRET, "hw01")
        reply = second.say(call_id, "caller", "我在运城夏县 老人八十了", time.time() - 20)
        assert reply.status_code == 200
        seen = read_events(hotline.url, operator, None, until=lambda e: len(e["transcript"]) == 2
                           and e["suggestions"] and e["suggestions"]["region"])
        assert seen[-1]["call"]["call_id"] == call_id
        assert seen[-1]["suggestions"]["region"]["name"] == "山西省运城市夏县"


def test_the_stream_follows_the_operators_newest_call(hotline: Hotline) -> None:
    operator = hotline.staff("hw02")
    platform, call_id = new_call(hotline, "hw02")
    platform.say(call_id, "caller", "我想问一下渐退期", time.time() - 5)
    seen = read_events(hotline.url, operator, None, until=lambda e: e["call"]["call_id"] == call_id
                       and e["transcript"])
    assert seen[-1]["transcript"][0]["who"] == "来电人"


def test_opening_a_call_is_audited(hotline: Hotline) -> None:
    platform, call_id = new_call(hotline)
    platform.say(call_id, "caller", "我电话13912345678", time.time() - 5)
    assert hotline.staff("boss").get(f"/console/hotline/calls/{call_id}").status_code == 200
    with transaction(hotline.factory) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "view_hotline_call",
                                                           AuditEntry.object_id == call_id)).all()
    assert [entry.actor_name for entry in entries] == ["主管张华"]


def test_the_supervisors_list_of_calls_shows_the_caller_masked(hotline: Hotline) -> None:
    """A supervisor tells the calls apart by the caller's number, masked as everywhere else."""
    platform = hotline.platform("hw01")
    call_id = f"m-{uuid.uuid4().hex[:10]}"
    assert platform.start(call_id, time.time() - 30, caller_number="13734591234").status_code == 201
    page = hotline.staff("boss").get("/console/hotline").text
    row = page[page.index(call_id):]
    assert "137****1234" in row[:400] and "13734591234" not in page
