"""Staff accounts and console sessions.

Passwords are argon2id hashes. A session is a random cookie token of which only the SHA-256 is
stored, with its own CSRF token, expiring 8 hours after the last use. Five failed logins of a
username within 15 minutes lock it for the rest of those 15 minutes. Every login, failure and
account change is written to the audit log.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import replies
from bot.core import limits
from bot.core.db import reading, transaction, utcnow
from bot.core.privacy import InvalidField
from bot.core.models import ROLES, StaffSession, StaffUser
from bot.intake.registry import audit
from bot.regions import get_region, normalize_region

SESSION_LIFETIME = dt.timedelta(hours=8)
# The sliding expiry is written at most this often, not on every request of the console's poller.
SESSION_REFRESH_INTERVAL = dt.timedelta(minutes=5)
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
# Failed logins allowed per account from one client, and per client over all accounts.
LOGIN_ACCOUNT_CLIENT = limits.Limit("login_account_client", LOCKOUT_FAILURES, LOCKOUT_WINDOW)
LOGIN_CLIENT = limits.Limit("login_client", 20, LOCKOUT_WINDOW)
MIN_PASSWORD_CHARS = 10
PASSWORD_MIN_SCORE = 3  # zxcvbn's 0–4: 3 is "safely unguessable" for an online attack
MAX_PASSWORD_CHARS = 128
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")
ROLE_LABELS = {"intake": "受理人员", "supervisor": "主管", "admin": "管理员", "operator": "话务员"}
# Audit details of a failed login; a refusal during a lockout is recorded but does not extend it.
WRONG_PASSWORD = "wrong_password"
UNKNOWN_USER = "unknown_user"
INACTIVE_USER = "inactive_user"
LOCKED = "locked"

_HASHER = PasswordHasher()  # argon2id with the library's recommended cost


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so that both cases take as long."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# zxcvbn's warnings, in Chinese for the refusal (an unknown one gets the general reason).
ZXCVBN_WARNINGS = {
    "top-10": "这是最常见的密码之一",
    "top-100": "这是最常见的密码之一",
    "very common": "这是很常见的密码",
    "similar to a commonly used": "与常见密码太相似",
    "word by itself": "单个英文单词很容易被猜到",
    "names and surnames": "姓名很容易被猜到",
    "common names": "姓名很容易被猜到",
    "straight rows": "键盘上连续的按键很容易被猜到",
    "short keyboard patterns": "键盘上的简单组合很容易被猜到",
    "repeats like": "重复的字符很容易被猜到",
    "sequences like": "“abc”“6543”这样的顺序很容易被猜到",
    "recent years": "年份很容易被猜到",
    "dates are often": "日期很容易被猜到",
}


def _weakness(warning: str) -> str:
    lowered = (warning or "").lower()
    return next((reason for clue, reason in ZXCVBN_WARNINGS.items() if clue in lowered),
                replies.text("accounts.password.weak_reason"))


def validate_password(password: str, username: str = "", display_name: str = "") -> str:
    """The password when the policy accepts it; InvalidField with the reason in Chinese."""
    password = password or ""
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidField("password", replies.text("accounts.password.length", min=MIN_PASSWORD_CHARS,
                                                    max=MAX_PASSWORD_CHARS))
    username = (username or "").strip()
    if len(username) >= 3 and username.lower() in password.lower():
        raise InvalidField("password", replies.text("accounts.password.has_username"))
    result = zxcvbn(password, user_inputs=[value for value in (username, display_name) if value])
    if result["score"] < PASSWORD_MIN_SCORE:
        reason = _weakness(result.get("feedback", {}).get("warning", ""))
        raise InvalidField("password", replies.text("accounts.password.weak", reason=reason))
    return password


def _validate_account(username: str, display_name: str, role: str, district: str | None) -> str | None:
    if not USERNAME_RE.match(username):
        raise InvalidField("username", replies.text("accounts.account.username"))
    if not 1 <= len(display_name) <= 64:
        raise InvalidField("display_name", replies.text("accounts.account.display_name"))
    if role not in ROLES:
        raise InvalidField("role", replies.text("accounts.account.role"))
    district = (district or "").strip() or None
    if role == "intake" and district is None:
        raise InvalidField("district", replies.text("accounts.account.district_needed"))
    if district is not None and len(district) > 64:
        raise InvalidField("district", replies.text("accounts.account.district_long"))
    return district


def _validate_region(role: str, region: str | None) -> str | None:
    region = (region or "").strip() or None
    if region is None:
        return None
    if role not in ("supervisor", "admin"):
        raise InvalidField("region", replies.text("accounts.account.region_roles"))
    found = get_region(region) or normalize_region(region)
    if found is None or not found.covered:
        raise InvalidField("region", replies.text("accounts.account.region_unknown", region=region))
    return found.name


def create_user(
    username: str,
    display_name: str,
    password: str,
    role: str,
    district: str | None = None,
    *,
    region: str | None = None,
    actor: StaffUser | None = None,
    factory: sessionmaker | None = None,
) -> StaffUser:
    """A new active account; InvalidField on bad input or a username already taken. `region`: the
    region whose local standards and notices a supervisor or administrator keeps."""
    username, display_name = username.strip(), display_name.strip()
    district = _validate_account(username, display_name, role, district)
    region = _validate_region(role, region)
    validate_password(password, username, display_name)
    user = StaffUser(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        district=district,
        region=region,
        active=True,
    )
    with transaction(factory) as session:
        if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
            raise InvalidField("username", replies.text("accounts.account.username_taken", username=username))
        session.add(user)
    audit(actor, "create_user", object_type="staff_user", object_id=str(user.id),
          detail=f"{username} {role} {district or ''} {region or ''}".strip(), factory=factory)
    return user


def set_region(username: str, region: str | None, *, actor: StaffUser | None = None,
               factory: sessionmaker | None = None) -> StaffUser:
    """The region whose local standards and notices a supervisor or administrator keeps (None:
    none for a supervisor, every region for an administrator); audited."""
    with transaction(factory) as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
        if user is None:
            raise InvalidField("username", replies.text("accounts.account.username_unknown", username=username))
        user.region = _validate_region(user.role, region)
    audit(actor, "set_region", object_type="staff_user", object_id=str(user.id),
          detail=f"{user.username} {user.region or '（无）'}", factory=factory)
    return user


def list_users(*, active_only: bool = False, factory: sessionmaker | None = None) -> list[StaffUser]:
    query = select(StaffUser).order_by(StaffUser.role, StaffUser.district, StaffUser.username)
    if active_only:
        query = query.where(StaffUser.active.is_(True))
    with reading(factory) as session:
        return list(session.scalars(query))


def set_active(
    user_id: int, active: bool, *, actor: StaffUser, factory: sessionmaker | None = None
) -> StaffUser:
    """Activates or deactivates an account; deactivating ends its sessions at once."""
    if user_id == actor.id and not active:
        raise InvalidField("user", replies.text("accounts.account.deactivate_self"))
    with transaction(factory) as session:
        user = _existing_user(session, user_id)
        user.active = active
        if not active:
            session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
    audit(actor, "activate_user" if active else "deactivate_user", object_type="staff_user",
          object_id=str(user_id), factory=factory)
    return user


def reset_password(
    user_id: int, password: str, *, actor: StaffUser | None, factory: sessionmaker | None = None
) -> StaffUser:
    """Sets a new password and ends the account's sessions."""
    with transaction(factory) as session:
        user = _existing_user(session, user_id)
        validate_password(password, user.username, user.display_name)
        user.password_hash = hash_password(password)
        session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
    audit(actor, "reset_password", object_type="staff_user", object_id=str(user_id), factory=factory)
    return user


def intake_districts(*, factory: sessionmaker | None = None) -> list[str]:
    """The 乡镇/街道 that have active intake staff: where a hand-off can be sent."""
    with reading(factory) as session:
        return sorted(set(session.scalars(select(StaffUser.district).where(
            StaffUser.role == "intake", StaffUser.active.is_(True), StaffUser.district.is_not(None)))))


def find_user(username: str, *, factory: sessionmaker | None = None) -> StaffUser | None:
    with reading(factory) as session:
        return session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))


def _existing_user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise InvalidField("user", replies.text("accounts.account.missing"))
    return user


def _login_failed(username: str, reason: str, ip: str | None, factory: sessionmaker | None) -> None:
    audit(None, "login_failed", object_type="username", object_id=username[:32], detail=reason,
          ip=ip, factory=factory)


def _client(ip: str | None) -> str:
    return ip or "unknown"


def _account_client(username: str, ip: str | None) -> str:
    return f"{username.lower()}\n{_client(ip)}"


def is_locked(username: str, ip: str | None = None, *, factory: sessionmaker | None = None) -> bool:
    """Whether logins to this account from this client are refused for now (too many failures of
    the account from the client, or of the client over all accounts)."""
    return (limits.used(LOGIN_ACCOUNT_CLIENT, _account_client(username.strip(), ip), factory=factory)
            >= LOCKOUT_FAILURES
            or limits.used(LOGIN_CLIENT, _client(ip), factory=factory) >= LOGIN_CLIENT.allowed)


def authenticate(
    username: str, password: str, ip: str | None = None, *, factory: sessionmaker | None = None
) -> StaffUser | None:
    """The active user with this password, or None (also when the client used up its attempts).

    The attempt is counted before the password is checked and given back when it succeeds."""
    username = username.strip()
    client, account = _client(ip), _account_client(username, ip)
    within = limits.take(LOGIN_CLIENT, client, factory=factory)
    if within:
        within = limits.take(LOGIN_ACCOUNT_CLIENT, account, factory=factory)
        if not within:
            limits.forgive(LOGIN_CLIENT, client, factory=factory)  # counted once, for the account
    if not within:
        verify_password(_dummy_hash(), password)
        _login_failed(username, LOCKED, ip, factory)
        return None
    user = find_user(username, factory=factory) if username else None
    if user is None:
        verify_password(_dummy_hash(), password)
        _login_failed(username, UNKNOWN_USER, ip, factory)
        return None
    if not verify_password(user.password_hash, password):
        _login_failed(username, WRONG_PASSWORD, ip, factory)
        return None
    if not user.active:
        _login_failed(username, INACTIVE_USER, ip, factory)
        return None
    limits.forgive(LOGIN_CLIENT, client, factory=factory)
    limits.forgive(LOGIN_ACCOUNT_CLIENT, account, reset=True, factory=factory)
    with transaction(factory) as session:
        stored = session.get(StaffUser, user.id)
        stored.last_login_at = utcnow()
        if _HASHER.check_needs_rehash(stored.password_hash):
            stored.password_hash = hash_password(password)
        user = stored
    audit(user, "login", object_type="staff_user", object_id=str(user.id), ip=ip, factory=factory)
    return user


def start_session(user: StaffUser, *, factory: sessionmaker | None = None) -> tuple[str, str]:
    """(cookie token, CSRF token) of a new session; expired sessions are removed on the way."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with transaction(factory) as session:
        session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
        session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf,
                                 created_at=now, expires_at=now + SESSION_LIFETIME))
    return token, csrf


def session_for(token: str, *, factory: sessionmaker | None = None) -> tuple[StaffUser, str] | None:
    """(user, CSRF token) of a live session of an active user; extends it by 8 hours from now."""
    now, digest = utcnow(), _token_hash(token)
    with reading(factory) as session:  # most requests only read: no write lock, nothing to commit
        row = session.get(StaffSession, digest)
        if row is None or row.expires_at <= now or not row.user.active:
            return None
        user, csrf, expires = row.user, row.csrf_token, row.expires_at
    if expires - SESSION_LIFETIME + SESSION_REFRESH_INTERVAL <= now:
        with transaction(factory) as session:  # last seen more than the interval ago: slide it
            session.execute(update(StaffSession).where(StaffSession.token_hash == digest,
                                                       StaffSession.expires_at < now + SESSION_LIFETIME)
                            .values(expires_at=now + SESSION_LIFETIME))
    return user, csrf


def end_session(token: str, *, ip: str | None = None, factory: sessionmaker | None = None) -> None:
    """Ends the session (logout) and records it."""
    with transaction(factory) as session:
        row = session.get(StaffSession, _token_hash(token))
        if row is None:
            return
        user = row.user
        session.delete(row)
    audit(user, "logout", object_type="staff_user", object_id=str(user.id), ip=ip, factory=factory)
