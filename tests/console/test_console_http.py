"""The staff console over HTTP against the real web app: login, lockout, CSRF, role scoping,
masking, staff actions and their refusals, hand-off tickets and the live-update API."""
from __future__ import annotations

import html
import re
from pathlib import Path

import requests
from sqlalchemy import select

from bot.handoff import tickets
from bot.intake import registry, staff
from bot.core.db import transaction
from bot.core.privacy import mask_id_number, mask_mobile
from bot.core.models import ACCEPTED, ASSIGNED, REGISTERED, TICKET_CLOSED, AuditEntry
from tests.conftest import free_port
from tests.console.console_support import (
    PASSWORD,
    Console,
    StaffClient,
    open_handoff,
    register_application,
    web_app,
)

FLASH_RE = re.compile(r'<div class="flash flash-(ok|error)"[^>]*>(.*?)</div>', re.S)


def flash(client: StaffClient, response: requests.Response) -> tuple[str, str]:
    """Follows a redirect and returns the flash message shown on the next page: (kind, text)."""
    assert response.status_code == 302, response.text[:500]
    page = client.get(response.headers["Location"])
    match = FLASH_RE.search(page.text)
    assert match, page.text[:1000]
    return match.group(1), html.unescape(match.group(2))


def audit_rows(console: Console, action: str) -> list[AuditEntry]:
    with transaction(console.factory) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def status_of(console: Console, number: str) -> str:
    return registry.get_application(number, factory=console.factory).status


def detail_path(number: str) -> str:
    return f"/console/applications/{number}"


def test_login_sets_a_hardened_session_cookie(console: Console) -> None:
    client = StaffClient(console.url)
    form = client.get("/console/login")
    assert "console_login" in client.cookies
    response = client.post("/console/login", {"username": "jia", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/console/queue/new"
    cookie = next(h for h in response.raw.headers.getlist("Set-Cookie") if h.startswith("console_session="))
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/console", "Secure"):
        assert flag in cookie, cookie
    assert "console_session" in client.cookies
    assert form.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert client.get("/console/queue/new").status_code == 200


def test_pages_and_api_need_a_session(console: Console) -> None:
    anonymous = StaffClient(console.url)
    page = anonymous.get("/console/queue/all")
    assert page.status_code == 302 and page.headers["Location"] == "/console/login?next=%2Fconsole%2Fqueue%2Fall"
    api = anonymous.get("/console/api/updates")
    assert api.status_code == 401 and "重新登录" in api.json()["error"]
    forged = StaffClient(console.url)
    forged.cookies["console_session"] = "made-up-token"
    assert forged.get("/console/queue/new").status_code == 302


def test_wrong_passwords_lock_the_account(console: Console) -> None:
    staff.create_user("locked1", "锁定测试", PASSWORD, "intake", "甲镇", factory=console.factory)
    client = StaffClient(console.url)
    for _ in range(staff.LOCKOUT_FAILURES):
        refused = client.login("locked1", "not-the-password")
        assert refused.status_code == 401
        assert "用户名或密码不正确" in refused.text
    still_refused = client.login("locked1", PASSWORD)
    assert still_refused.status_code == 401 and "console_session" not in client.cookies
    failures = [e for e in audit_rows(console, "login_failed") if e.object_id == "locked1"]
    assert [e.detail for e in failures][-1] == staff.LOCKED
    assert all(e.ip == "127.0.0.1" for e in failures)


def test_the_login_form_needs_its_own_token_and_origin(console: Console) -> None:
    client = StaffClient(console.url)
    client.get("/console/login")
    no_token = client.post("/console/login", {"username": "jia", "password": PASSWORD}, csrf=False)
    assert no_token.status_code == 403
    client.get("/console/login")
    foreign = client.post("/console/login", {"username": "jia", "password": PASSWORD},
                          headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "console_session" not in client.cookies


def test_posts_without_the_session_csrf_token_are_refused(console: Console) -> None:
    case = register_application(console.factory, "甲镇")
    client = console.client("jia")
    client.get(detail_path(case.number))
    form = {"to_status": ACCEPTED, "expected_version": "1"}
    path = f"{detail_path(case.number)}/transition"
    assert client.post(path, form, csrf=False).status_code == 403
    assert client.post(path, {**form, "csrf_token": "wrong"}).status_code == 403
    assert client.post(path, form, headers={"Origin": "http://evil.example"}).status_code == 403
    assert status_of(console, case.number) == REGISTERED
    # The header is accepted instead of the field (as fetch() sends it), with this site's Origin.
    accepted = client.post(path, form, csrf=False,
                           headers={"X-CSRF-Token": client.csrf, "Origin": console.url})
    assert flash(client, accepted) == ("ok", "已受理，并已通知居民。")
    assert status_of(console, case.number) == ACCEPTED


def test_intake_staff_cannot_reach_another_districts_case(console: Console) -> None:
    other = register_application(console.factory, "乙镇", name="孙丽")
    ticket = open_handoff(console.factory, "乙镇")
    jia = console.client("jia")
    for path in (detail_path(other.number), detail_path(str(other.application_id)), f"/console/tickets/{ticket.id}"):
        page = jia.get(path)
        assert page.status_code == 404, path
        assert other.number not in page.text and "孙丽" not in page.text
    transition = jia.post(f"{detail_path(other.number)}/transition",
                          {"to_status": ACCEPTED, "expected_version": "1"})
    assert transition.status_code == 404 and status_of(console, other.number) == REGISTERED
    assert jia.post(f"/console/tickets/{ticket.id}/claim", {"expected_version": "1"}).status_code == 404
    listing = jia.get(f"/console/queue/all?q={other.number}").text
    assert "共 0 件" in listing and f'href="{detail_path(other.number)}"' not in listing
    assert console.client("yi").get(detail_path(other.number)).status_code == 200
    assert console.client("boss").get(detail_path(other.number)).status_code == 200


def test_lists_mask_personal_data_and_the_detail_page_audits_the_full_view(console: Console) -> None:
    case = register_application(console.factory, "甲镇", name="周晓梅")
    applicant = registry.get_application(case.number, factory=console.factory).applicant
    jia = console.client("jia")
    listing = jia.get(f"/console/queue/all?q={case.number}").text
    assert case.number in listing and "周**" in listing
    assert mask_id_number(applicant.id_number) in listing and mask_mobile(applicant.mobile) in listing
    assert applicant.id_number not in listing and applicant.mobile not in listing and "周晓梅" not in listing
    detail = jia.get(detail_path(case.number)).text
    assert applicant.id_number in detail and applicant.mobile in detail and "周晓梅" in detail
    assert "家庭人口</dt><dd>3口人" in detail and "可能符合（还需核对家庭经济状况）" in detail
    assert "不高于城市低保标准每人每月650元" in detail and "宁政办规发〔2022〕7号 第2条" in detail
    assert "城市低保标准</td><td>" in detail  # the dated parameters the screening rested on
    views = [e for e in audit_rows(console, "view_application") if e.object_id == case.number]
    assert views and views[-1].actor_name == "甲镇王芳"


def test_the_csv_export_is_masked_and_audited(console: Console) -> None:
    case = register_application(console.factory, "乙镇", name="钱多多")
    applicant = registry.get_application(case.number, factory=console.factory).applicant
    boss = console.client("boss")
    export = boss.get("/console/export.csv?district=乙镇")
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in export.headers["Content-Disposition"]
    body = export.content.decode("utf-8")
    assert body.startswith("\ufeff受理编号")
    assert case.number in body and "钱**" in body and mask_id_number(applicant.id_number) in body
    assert applicant.id_number not in body and applicant.mobile not in body and "钱多多" not in body
    assert "甲镇" not in body  # the district filter applies
    exports = audit_rows(console, "export_csv")
    assert exports and exports[-1].actor_name == "主管张华" and "district" in exports[-1].detail


def test_two_staff_accepting_at_once_one_wins_the_other_is_told(console: Console) -> None:
    case = register_application(console.factory, "甲镇")
    first, second = console.client("jia"), console.client("jia2")
    form = {"to_status": ACCEPTED, "expected_version": "1"}
    path = f"{detail_path(case.number)}/transition"
    first.get(detail_path(case.number))
    second.get(detail_path(case.number))
    assert flash(first, first.post(path, form))[0] == "ok"
    kind, text = flash(second, second.post(path, form))
    assert kind == "error" and text == "该申请已被其他工作人员处理（当前状态：已受理），请刷新后再操作。"
    history = registry.get_application(case.number, factory=console.factory).history
    assert [change.to_status for change in history] == [REGISTERED, ACCEPTED]
    assert history[-1].actor_name == "甲镇王芳"


def test_refused_steps_are_chinese_flash_messages_not_errors(console: Console) -> None:
    case = register_application(console.factory, "甲镇")
    jia = console.client("jia")
    jia.get(detail_path(case.number))
    path = f"{detail_path(case.number)}/transition"
    illegal = flash(jia, jia.post(path, {"to_status": "已办结", "expected_version": "1", "note": "好"}))
    assert illegal == ("error", "当前状态为“已登记”，不能转为“已办结”。")
    missing = flash(jia, jia.post(path, {"to_status": "退回补充材料", "expected_version": "1"}))
    assert missing == ("error", "请写明需要居民补充哪些材料。")
    assign = flash(jia, jia.post(path, {"to_status": ASSIGNED, "expected_version": "1", "assignee_id": "1"}))
    assert assign == ("error", "分办由主管操作，请联系主管。")
    unknown = flash(jia, jia.post(path, {"to_status": "乱写", "expected_version": "1"}))
    assert unknown[0] == "error"
    assert status_of(console, case.number) == REGISTERED


def accepted_case(console: Console, client: StaffClient) -> tuple[str, str]:
    """A new 甲镇 application accepted by `client`: (受理编号, its transition path)."""
    number = register_application(console.factory, "甲镇").number
    path = f"{detail_path(number)}/transition"
    client.get(detail_path(number))
    assert flash(client, client.post(path, {"to_status": ACCEPTED, "expected_version": "1"}))[0] == "ok"
    return number, path


def test_a_supervisor_assigns_and_the_case_is_in_the_assignees_queue(console: Console) -> None:
    boss = console.client("boss")
    number, path = accepted_case(console, boss)
    page = boss.get(detail_path(number)).text
    assert 'value="分办"' in page and "甲镇赵强（jia2 · 受理人员 · 甲镇）" in page
    assert "乙镇李明" not in page  # only staff of the case's district (and supervisors) are offered
    assigned = boss.post(path, {"to_status": ASSIGNED, "expected_version": "2",
                                "assignee_id": str(console.users["jia2"].id), "note": "请入户调查"})
    assert flash(boss, assigned) == ("ok", "已分办，并已通知居民。")
    assert number in console.client("jia2").get("/console/queue/mine").text
    assert number not in console.client("jia").get("/console/queue/mine").text


def test_a_reply_about_an_application_goes_to_the_resident(console: Console) -> None:
    case = register_application(console.factory, "甲镇")
    jia = console.client("jia")
    jia.get(detail_path(case.number))
    sent = jia.post(f"{detail_path(case.number)}/reply", {"text": "请带户口簿到窗口。"})
    assert flash(jia, sent) == ("ok", "回复已发送给居民。")
    messages = registry.application_messages(case.application_id, factory=console.factory)
    assert messages[-1].text == "请带户口簿到窗口。" and messages[-1].author_name == "甲镇王芳"
    assert "请带户口簿到窗口。" in jia.get(detail_path(case.number)).text


def test_a_handoff_is_claimed_answered_and_handed_back(console: Console) -> None:
    ticket = open_handoff(console.factory, "甲镇", text="我的身份证110101199003070003丢了怎么办")
    jia = console.client("jia")
    listing = jia.get("/console/handoffs").text
    assert f"R{ticket.id}" in listing and "110101********0003" in listing
    assert "110101199003070003" not in listing
    page = jia.get(f"/console/tickets/{ticket.id}")
    # The conversation is there, its numbers masked (full numbers only on the application, audited).
    assert "110101********0003丢了怎么办" in page.text and "110101199003070003" not in page.text
    claimed = jia.post(f"/console/tickets/{ticket.id}/claim", {"expected_version": str(ticket.version)})
    assert flash(jia, claimed) == ("ok", "已接手该会话，请尽快回复居民。")
    again = console.client("jia2")
    again.get(f"/console/tickets/{ticket.id}")
    late = again.post(f"/console/tickets/{ticket.id}/claim", {"expected_version": str(ticket.version)})
    assert flash(again, late) == ("error", "该人工会话已由甲镇王芳接手，请刷新后查看。")

    reply = jia.post(f"/console/tickets/{ticket.id}/reply", {"text": "您好，请到窗口补办。"}, csrf=False,
                     headers={"X-CSRF-Token": jia.csrf, "Accept": "application/json"})
    assert reply.status_code == 200
    message = reply.json()["message"]
    assert message["text"] == "您好，请到窗口补办。" and message["direction"] == "out"
    assert any(path.endswith(f"/conversations/{ticket.conversation_id}/tracker/events")
               for path, _events in console.rasa.received)
    updates = jia.get(f"/console/api/updates?ticket={ticket.id}&after_message={message['id'] - 1}").json()
    assert [m["text"] for m in updates["messages"]] == ["您好，请到窗口补办。"]
    assert updates["ticket_status"] == "处理中"

    handed = jia.post(f"/console/tickets/{ticket.id}/hand-back")
    assert flash(jia, handed) == ("ok", "已交还智能助手，居民可以继续和助手对话。")
    assert tickets.get_ticket(ticket.id, console.users["jia"], factory=console.factory).status == TICKET_CLOSED
    assert {"event": "resume"} in console.rasa.received[-1][1]
    refused = jia.post(f"/console/tickets/{ticket.id}/reply", {"text": "还在吗"}, csrf=False,
                       headers={"X-CSRF-Token": jia.csrf, "Accept": "application/json"})
    assert refused.status_code == 409 and "已经结束" in refused.json()["error"]


def test_the_update_api_reports_counts_and_new_handoffs(console: Console) -> None:
    jia = console.client("jia")
    before = jia.get("/console/api/updates").json()
    ticket = open_handoff(console.factory, "甲镇")
    open_handoff(console.factory, "乙镇")  # not 甲镇's: never reported to jia
    register_application(console.factory, "甲镇")
    after = jia.get(f"/console/api/updates?after_ticket={before['latest_ticket']}").json()
    assert after["waiting"] == before["waiting"] + 1
    assert after["new_applications"] == before["new_applications"] + 1
    assert [row["id"] for row in after["tickets"]] == [ticket.id]
    assert after["tickets"][0]["url"] == f"/console/tickets/{ticket.id}"


def test_roles_limit_the_dashboard_and_user_administration(console: Console) -> None:
    jia = console.client("jia")
    assert jia.get("/console/dashboard").status_code == 403
    assert jia.get("/console/admin/users").status_code == 403
    assert console.client("boss").get("/console/admin/users").status_code == 403
    dashboard = console.client("boss").get("/console/dashboard")
    assert dashboard.status_code == 200 and dashboard.text.count('class="chart"') == 3
    assert 'src="/static/vendor/echarts.min.js"' in dashboard.text and "cdn" not in dashboard.text.lower()


def test_an_admin_creates_deactivates_and_resets_accounts(console: Console) -> None:
    admin = console.client("admin")
    admin.get("/console/admin/users")
    created = admin.post("/console/admin/users", {"username": "newbie", "display_name": "新同事", "role": "intake",
                                                  "district": "丙镇", "password": "xinren-mima-77"})
    assert flash(admin, created) == ("ok", "已创建账户 newbie。")
    weak = admin.post("/console/admin/users", {"username": "weak", "display_name": "弱密码", "role": "supervisor",
                                               "password": "123"})
    assert flash(admin, weak)[0] == "error"
    newbie_user = staff.find_user("newbie", factory=console.factory)
    newbie = console.client("newbie", "xinren-mima-77")
    assert newbie.get("/console/api/updates").status_code == 200
    admin.get("/console/admin/users")
    reset = admin.post(f"/console/admin/users/{newbie_user.id}/password", {"password": "second-pass-22"})
    assert flash(admin, reset)[0] == "ok"
    assert newbie.get("/console/api/updates").status_code == 401  # the old session ended
    newbie = console.client("newbie", "second-pass-22")
    admin.get("/console/admin/users")
    stopped = admin.post(f"/console/admin/users/{newbie_user.id}/active", {"active": "0"})
    assert flash(admin, stopped) == ("ok", "账户已停用，其登录已失效。")
    assert newbie.get("/console/api/updates").status_code == 401
    assert console.client("newbie", "second-pass-22").get("/console/api/updates").status_code == 401


def test_logout_ends_the_session(console: Console) -> None:
    jia = console.client("jia")
    token = jia.cookies["console_session"]
    out = jia.post("/console/logout")
    assert out.status_code == 302 and "console_session" not in jia.cookies
    stolen = StaffClient(console.url)
    stolen.cookies["console_session"] = token
    assert stolen.get("/console/api/updates").status_code == 401
    assert audit_rows(console, "logout")


def test_a_database_outage_is_a_clear_message_not_a_crash(tmp_path: Path) -> None:
    unreachable = f"postgresql://nobody@127.0.0.1:{free_port()}/intake"
    with web_app(tmp_path, DATABASE_URL=unreachable) as base:
        client = StaffClient(base)
        client.get("/console/login")
        login = client.post("/console/login", {"username": "jia", "password": PASSWORD})
        assert login.status_code == 503 and "数据库暂时无法连接" in login.text
        client.cookies["console_session"] = "some-token"
        api = client.get("/console/api/updates")
        assert api.status_code == 503 and "数据库暂时无法连接" in api.json()["error"]
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200


def test_the_all_queue_filters_searches_and_pages(console: Console) -> None:
    numbers = [register_application(console.factory, "丙镇", name="冯一").number for _ in range(51)]
    tekun = register_application(console.factory, "丙镇", name="冯二", programs=("tekun",)).number
    boss = console.client("boss")
    first = boss.get("/console/queue/all?district=丙镇").text
    assert "共 52 件" in first and "第 1 / 2 页" in first and first.count('<a href="/console/applications/') == 50
    assert 'href="?district=%E4%B8%99%E9%95%87&amp;page=2"' in first
    second = boss.get("/console/queue/all?district=丙镇&page=2").text
    assert second.count('<a href="/console/applications/') == 2 and numbers[0] in second  # the oldest last
    by_program = boss.get("/console/queue/all?district=丙镇&program=tekun").text
    assert "共 1 件" in by_program and tekun in by_program
    by_name = boss.get("/console/queue/all?q=冯二").text
    assert "共 1 件" in by_name and tekun in by_name
    by_number = boss.get(f"/console/queue/all?q={numbers[3].lower().replace('-', '')}").text
    assert "共 1 件" in by_number and numbers[3] in by_number
    future = boss.get("/console/queue/all?district=丙镇&date_from=2099-01-01").text
    assert "共 0 件" in future
    accepted = boss.get("/console/queue/all?district=丙镇&status=已受理").text
    assert "共 0 件" in accepted


def test_a_transfer_moves_the_case_to_the_other_district_with_the_link_kept(console: Console) -> None:
    jia = console.client("jia")
    number, path = accepted_case(console, jia)
    moved = jia.post(path, {"to_status": "转办", "expected_version": "2", "target_district": "乙镇",
                            "note": "户籍在乙镇"})
    assert moved.headers["Location"] == "/console/queue/new"  # no longer 甲镇's case
    assert flash(jia, moved) == ("ok", "已转办，并已通知居民。")
    assert jia.get(detail_path(number)).status_code == 404
    page = console.client("yi").get(detail_path(number)).text
    assert "由 甲镇 转来" in page and "户籍在乙镇" in page


def test_an_unreachable_assistant_is_a_message_and_the_ticket_stays_open(console: Console) -> None:
    ticket = open_handoff(console.factory, "甲镇")
    jia = console.client("jia")
    jia.get(f"/console/tickets/{ticket.id}")
    console.rasa.status = 503
    try:
        handed = jia.post(f"/console/tickets/{ticket.id}/hand-back")
    finally:
        console.rasa.status = 200
    assert flash(jia, handed) == ("error", "智能助手服务暂时无法连接，请稍后再试。")
    assert tickets.get_ticket(ticket.id, console.users["jia"], factory=console.factory).status != TICKET_CLOSED
