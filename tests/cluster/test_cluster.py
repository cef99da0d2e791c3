"""The cluster on loopback (bot.cluster): two Rasa servers behind HAProxy, two action servers and
two web workers, PostgreSQL and Redis. A resident's conversation stays whole while processes are
killed, retries are answered once whichever worker gets them, and a store that goes away gives
apologies, then answers again without restarting anything."""
from __future__ import annotations

import concurrent.futures
import os
import time
import uuid
from typing import Iterator

import pytest
import requests

from bot import replies
from bot.cluster.runner import Cluster
from bot.channels.lock_store import KeptTicketLockStore
from bot.cluster.topology import LOCK_KEY_PREFIX, LOCK_STORE_DB, Ports, Topology
from bot.core.testing import free_port
from bot.wechat.config import WeChatConfig
from bot.wechat.simulator import WeChatSimulator, text_xml
from tests.conftest import RASA_TEST_TOKEN, ensure_model, rest_headers
from tests.test_questionnaire_chat import answer_for
from tests.wechat.fake_api import AES_KEY, TOKEN, FakeWeChatApi, account_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
APOLOGY = replies.text("common.assistant_unavailable")
ACTION_FAILED = replies.text("service.action_failed")


@pytest.fixture(scope="module")
def wechat_api() -> Iterator[FakeWeChatApi]:
    with FakeWeChatApi() as api:
        yield api


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, wechat_api: FakeWeChatApi) -> Iterator[Cluster]:
    ensure_model()
    ports = Ports(*(free_port() for _ in range(6)))
    env = {**os.environ, "RASA_TOKEN": RASA_TEST_TOKEN, "COOKIE_SECURE": "0", **account_env(wechat_api, "plaintext")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    root = tmp_path_factory.mktemp("cluster")
    with Cluster(root, Topology(rasa=2, actions=2, web=2, ports=ports), env=env, durable=False) as running:
        yield running


def rasa(cluster: Cluster) -> str:
    return f"http://127.0.0.1:{cluster.topology.ports.rasa}"


def talk(cluster: Cluster, sender: str, text: str) -> tuple[list[str], str]:
    """The replies through the balancer, and the Rasa server that gave them."""
    resp = requests.post(f"{rasa(cluster)}/webhooks/rest/webhook", timeout=90, headers=rest_headers(),
                         json={"sender": sender, "message": text, "message_id": uuid.uuid4().hex})
    resp.raise_for_status()
    return [m["text"] for m in resp.json() if m.get("text")], resp.headers.get("X-Served-By", "")


def chat(cluster: Cluster, resident: requests.Session, text: str) -> list[str]:
    """The chat page's request to the web app, through the balancer, from one browser (a session
    keeping the conversation's cookie; COOKIE_SECURE=0 for plain HTTP)."""
    resp = resident.post(f"http://127.0.0.1:{cluster.topology.ports.web}/api/chat", timeout=90,
                         json={"message": text})
    assert resp.status_code == 200, resp.text
    return [m["text"] for m in resp.json()["messages"]]


def browser(cluster: Cluster) -> tuple[requests.Session, str]:
    """A browser that opened the chat page: its session and the conversation the web app gave it."""
    resident = requests.Session()
    resident.get(f"http://127.0.0.1:{cluster.topology.ports.web}/chat", timeout=60).raise_for_status()
    return resident, resident.cookies["jiuzhu_chat"].partition(".")[0]


def user_events(cluster: Cluster, sender: str) -> list[dict]:
    resp = requests.get(f"{rasa(cluster)}/conversations/{sender}/tracker", timeout=30,
                        params={"token": RASA_TEST_TOKEN})
    resp.raise_for_status()
    return [e for e in resp.json()["events"] if e["event"] == "user"]


def wait_until(check, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(1)


def wechat_for(cluster: Cluster, wechat_api: FakeWeChatApi, port: int) -> WeChatSimulator:
    config = WeChatConfig(token=TOKEN, appid=wechat_api.appid, appsecret=wechat_api.secret,
                          aes_key=AES_KEY, mode="plaintext")
    return WeChatSimulator(f"http://127.0.0.1:{port}/webhooks/wechat/webhook", config, style="plaintext")


def test_a_wechat_retry_reaching_the_other_rasa_process_is_answered_once(
    cluster: Cluster, wechat_api: FakeWeChatApi
) -> None:
    """As when the balancer moved the resident: WeChat's retry reaches the other process while
    the first still works on the message. WeChat reads only the retry's reply; the resident gets
    the answer once, through that reply or through the API. (First in the module: the tests after
    it kill processes, which take a while to come back.)"""
    openid = f"ocluster-{uuid.uuid4().hex[:12]}"
    xml = text_xml(openid, "低保金每月几号发", msg_id=int(time.time() * 1000))
    first, retry = (wechat_for(cluster, wechat_api, port) for port in cluster.topology.rasa_ports)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        original = pool.submit(first.post, xml)
        time.sleep(0.5)
        retried = retry.post(xml)
        assert original.result(timeout=60).status == retried.status == 200
    if not retried.text:  # both slower than the budget: the answer comes through the API
        wechat_api.wait_for_texts(openid, 1, timeout=90)
    time.sleep(3)
    received = ([retried.text] if retried.text else []) + wechat_api.texts_to(openid)
    assert len(received) == 1 and "依据" in received[0], received
    assert [e["text"] for e in user_events(cluster, openid)] == ["低保金每月几号发"]


def kill_mid_turn(cluster: Cluster, sender: str, served_by: str, pending: concurrent.futures.Future) -> bool:
    """Kills the Rasa process as soon as it holds the conversation's lock (it is in the middle of
    the turn: the tracker read, the message not yet answered); False when the turn ended first."""
    locks = KeptTicketLockStore(host="127.0.0.1", port=cluster.topology.ports.redis, db=LOCK_STORE_DB,
                                key_prefix=LOCK_KEY_PREFIX)
    while not pending.done():
        lock = locks.get_lock(sender)
        if lock is not None and lock.now_serving:
            cluster.supervisor.kill(served_by)
            return True
        time.sleep(0.005)
    return False


def test_a_questionnaire_goes_on_across_a_killed_rasa_process(cluster: Cluster) -> None:
    """The process holding the conversation dies in the middle of a turn, holding the
    conversation's lock: HAProxy sends the message to the other process, which waits until the
    dead process's ticket expires (TICKET_LOCK_LIFETIME), answers it once, and the questionnaire
    goes on. (With Rasa's own Redis lock store the waiting request could wait for ever, and
    HAProxy answered 504: bot.channels.lock_store.)"""
    sender = f"cluster-{uuid.uuid4().hex[:10]}"
    first, served_by = talk(cluster, sender, "帮我看看能不能申请低保")
    assert served_by in ("rasa1", "rasa2") and "不需要姓名和身份证号" in first[0]
    question, result, killed = first[-1], "", False
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        for turn in range(30):
            pending = pool.submit(talk, cluster, sender, answer_for(question))
            if turn >= 2 and not killed:
                killed = kill_mid_turn(cluster, sender, served_by, pending)
            answer, _ = pending.result(timeout=120)
            assert answer, f"no reply at turn {turn}"
            if any("初步判断" in r for r in answer):
                result = "\n".join(answer)
                break
            question = answer[-1]
    # 宁夏 urban: 650 × 3 people − 1,500 income = 450 a month: every answer survived the kill
    assert killed and "约450元/月（全家）" in result and "以审核结果为准" in result, result
    ids = [e.get("message_id") for e in user_events(cluster, sender)]
    assert len(ids) == len(set(ids)), "a message was handled twice"
    wait_until(lambda: not cluster.supervisor.children[served_by].exited())


def test_killed_action_server_and_web_worker_lose_no_reply(cluster: Cluster) -> None:
    browsers = [browser(cluster) for _ in range(6)]
    senders = [sender for _session, sender in browsers]
    questions = ["宁夏低保标准是多少", "特困人员有什么条件", "临时救助去哪申请", "渐退期有多久"]

    def resident(session: requests.Session) -> list[list[str]]:
        return [chat(cluster, session, q) for q in questions]

    with concurrent.futures.ThreadPoolExecutor(len(senders)) as pool:
        pending = [pool.submit(resident, session) for session, _sender in browsers]
        time.sleep(1.0)
        cluster.supervisor.kill("actions1")
        time.sleep(0.5)
        cluster.supervisor.kill("web1")
        answered = [p.result(timeout=300) for p in pending]
    # Answered, not apologised for: a call cut off by the kill goes to the other action server
    # (HAProxy's retry of the deflated call, or Rasa's own retry on the 502), a chat request to
    # the other web worker with its message id (answered once).
    assert all(all(turn and ACTION_FAILED not in turn for turn in turns) for turns in answered), answered
    for sender in senders:
        texts = [e["text"] for e in user_events(cluster, sender)]
        assert texts == questions, texts  # each once, in order
    wait_until(lambda: not cluster.supervisor.children["actions1"].exited()
               and not cluster.supervisor.children["web1"].exited())


def test_stores_going_away_give_apologies_then_answers_again(cluster: Cluster) -> None:
    """PostgreSQL, then Redis, crash and come back: an apology while down, then answers, and the
    conversation is whole: a question without a place is answered for the region the resident
    named before the outage."""
    sender, _conversation = browser(cluster)
    assert "依据" in "\n".join(chat(cluster, sender, "宁夏低保标准是多少"))
    ask_region = replies.text("policy.each_region_ask")
    for store in (cluster.postgres, cluster.redis):
        store.halt()
        try:
            assert chat(cluster, sender, "特困人员有什么条件") == [APOLOGY]
        finally:
            store.resume()
        answers: list[str] = []

        def answered_again() -> bool:
            answers[:] = chat(cluster, sender, "临时救助去哪申请")
            return answers != [APOLOGY]

        wait_until(answered_again, timeout=60)
        answer = "\n".join(answers)
        assert ask_region not in answer and "宁政" in answer, answer  # 宁夏's own document
