"""Staff accounts, passwords, lockout and sessions (bot/intake/staff.py) on a real SQLite database."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import sessionmaker

from bot.intake import staff
from bot.core.db import transaction, utcnow
from bot.core.errors import InvalidField
from bot.core.models import AuditEntry, RateCounter, StaffSession, StaffUser
from tests.console.console_support import PASSWORD


def audit_actions(factory: sessionmaker) -> list[tuple[str, str | None, str | None]]:
    with transaction(factory) as session:
        return [(e.action, e.object_id, e.detail) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_passwords_are_argon2id_and_verify() -> None:
    hashed = staff.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert staff.verify_password(hashed, "correct horse battery")
    assert not staff.verify_password(hashed, "correct horse batterY")
    assert not staff.verify_password("not-a-hash", "correct horse battery")


@pytest.mark.parametrize("kwargs, field", [
    ({"password": "short"}, "password"),
    ({"password": "aaaaaaaaaaaa"}, "password"),
    ({"role": "intake", "district": None}, "district"),
    ({"role": "janitor"}, "role"),
    ({"username": "王 芳"}, "username"),
    ({"display_name": " "}, "display_name"),
])
def test_create_user_refuses_bad_input(factory: sessionmaker, kwargs: dict, field: str) -> None:
    arguments = {"username": "wangfang", "display_name": "王芳", "password": PASSWORD,
                 "role": "supervisor", "district": None, **kwargs}
    with pytest.raises(InvalidField) as refused:
        staff.create_user(factory=factory, **arguments)
    assert refused.value.field == field
    assert refused.value.message  # a Chinese sentence for the form


def test_create_user_stores_a_hash_and_refuses_a_taken_username(factory: sessionmaker) -> None:
    user = staff.create_user("wangfang", "王芳", PASSWORD, "intake", " 甲镇 ", factory=factory)
    assert user.district == "甲镇" and user.active
    assert PASSWORD not in user.password_hash
    with pytest.raises(InvalidField, match="已被使用"):
        staff.create_user("wangfang", "另一个王芳", PASSWORD, "supervisor", factory=factory)
    assert ("create_user", str(user.id), "wangfang intake 甲镇") in audit_actions(factory)


def test_authenticate_audits_success_and_failure(factory: sessionmaker) -> None:
    user = staff.create_user("wangfang", "王芳", PASSWORD, "supervisor", factory=factory)
    assert staff.authenticate("wangfang", "wrong password", ip="10.0.0.8", factory=factory) is None
    assert staff.authenticate("nobody", PASSWORD, factory=factory) is None
    found = staff.authenticate(" wangfang ", PASSWORD, factory=factory)
    assert found is not None and found.id == user.id and found.last_login_at is not None
    actions = audit_actions(factory)
    assert ("login_failed", "wangfang", staff.WRONG_PASSWORD) in actions
    assert ("login_failed", "nobody", staff.UNKNOWN_USER) in actions
    assert actions[-1] == ("login", str(user.id), None)


def test_five_failures_lock_the_account_for_fifteen_minutes(factory: sessionmaker) -> None:
    staff.create_user("wangfang", "王芳", PASSWORD, "supervisor", factory=factory)
    for _ in range(staff.LOCKOUT_FAILURES):
        assert staff.authenticate("wangfang", "guess-guess-guess", factory=factory) is None
    assert staff.is_locked("wangfang", factory=factory)
    assert staff.authenticate("wangfang", PASSWORD, factory=factory) is None  # even the right password
    assert audit_actions(factory)[-1] == ("login_failed", "wangfang", staff.LOCKED)
    # Sixteen minutes later the failures are outside the window.
    with transaction(factory) as session:
        session.execute(update(RateCounter).values(
            window_start=RateCounter.window_start - dt.timedelta(minutes=16),
            expires_at=RateCounter.expires_at - dt.timedelta(minutes=16)))
    assert not staff.is_locked("wangfang", factory=factory)
    assert staff.authenticate("wangfang", PASSWORD, factory=factory) is not None


def test_a_successful_login_resets_the_failure_count(factory: sessionmaker) -> None:
    staff.create_user("wangfang", "王芳", PASSWORD, "supervisor", factory=factory)
    for _ in range(staff.LOCKOUT_FAILURES - 1):
        staff.authenticate("wangfang", "guess-guess-guess", factory=factory)
    assert staff.authenticate("wangfang", PASSWORD, factory=factory) is not None
    staff.authenticate("wangfang", "guess-guess-guess", factory=factory)
    assert not staff.is_locked("wangfang", factory=factory)


def test_an_inactive_account_cannot_log_in(factory: sessionmaker) -> None:
    admin = staff.create_user("chief", "管理员", PASSWORD, "admin", factory=factory)
    user = staff.create_user("wangfang", "王芳", PASSWORD, "supervisor", factory=factory)
    staff.set_active(user.id, False, actor=admin, factory=factory)
    assert staff.authenticate("wangfang", PASSWORD, factory=factory) is None
    assert audit_actions(factory)[-1] == ("login_failed", "wangfang", staff.INACTIVE_USER)
    with pytest.raises(InvalidField):
        staff.set_active(admin.id, False, actor=admin, factory=factory)


def test_sessions_store_only_a_hash_and_expire(factory: sessionmaker) -> None:
    user = staff.create_user("wangfang", "王芳", PASSWORD, "supervisor", factory=factory)
    token, csrf = staff.start_session(user, factory=factory)
    found = staff.session_for(token, factory=factory)
    assert found is not None and found[0].id == user.id and found[1] == csrf
    assert staff.session_for(token + "x", factory=factory) is None
    with transaction(factory) as session:
        stored = session.scalars(select(StaffSession)).one()
        assert stored.token_hash != token and token not in stored.token_hash
        stored.expires_at = utcnow() - dt.timedelta(seconds=1)
    assert staff.session_for(token, factory=factory) is None


def test_checking_a_session_writes_only_when_its_expiry_must_slide(factory: sessionmaker) -> None:
    """Every console request checks the session: a read (SQLite's plain BEGIN, no write lock), and
    a write only when the last slide is more than SESSION_REFRESH_INTERVAL old."""
    user = staff.create_user("wangfang", "王芳", PASSWORD, "supervisor", factory=factory)
    token, _csrf = staff.start_session(user, factory=factory)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.split()[0].upper() + (" IMMEDIATE" if "IMMEDIATE" in statement else ""))

    engine = factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for _ in range(10):
            assert staff.session_for(token, factory=factory) is not None
        assert "UPDATE" not in statements and "BEGIN IMMEDIATE" not in statements, statements
        with transaction(factory) as session:  # last slid 6 minutes ago
            session.execute(update(StaffSession).values(
                expires_at=utcnow() + staff.SESSION_LIFETIME - staff.SESSION_REFRESH_INTERVAL - dt.timedelta(minutes=1)))
        statements.clear()
        for _ in range(10):
            assert staff.session_for(token, factory=factory) is not None
        assert statements.count("UPDATE") == 1 and statements.count("BEGIN IMMEDIATE") == 1, statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_session_expiry_slides_with_use(factory: sessionmaker) -> None:
    user = staff.create_user("wangfang", "王芳", PASSWORD, "supervisor", factory=factory)
    token, _csrf = staff.start_session(user, factory=factory)
    with transaction(factory) as session:
        session.execute(update(StaffSession).values(expires_at=utcnow() + dt.timedelta(hours=1)))
    assert staff.session_for(token, factory=factory) is not None
    with transaction(factory) as session:
        expires = session.scalars(select(StaffSession.expires_at)).one()
    assert expires > utcnow() + staff.SESSION_LIFETIME - dt.timedelta(minutes=1)


def test_logout_deactivation_and_password_reset_end_sessions(factory: sessionmaker) -> None:
    admin = staff.create_user("chief", "管理员", PASSWORD, "admin", factory=factory)
    user = staff.create_user("wangfang", "王芳", PASSWORD, "supervisor", factory=factory)
    first, _ = staff.start_session(user, factory=factory)
    staff.end_session(first, ip="10.0.0.8", factory=factory)
    assert staff.session_for(first, factory=factory) is None
    assert audit_actions(factory)[-1] == ("logout", str(user.id), None)

    second, _ = staff.start_session(user, factory=factory)
    staff.reset_password(user.id, "a-new-password-1", actor=admin, factory=factory)
    assert staff.session_for(second, factory=factory) is None
    assert staff.authenticate("wangfang", "a-new-password-1", factory=factory) is not None

    third, _ = staff.start_session(user, factory=factory)
    staff.set_active(user.id, False, actor=admin, factory=factory)
    assert staff.session_for(third, factory=factory) is None
    with transaction(factory) as session:
        assert session.get(StaffUser, user.id).active is False
