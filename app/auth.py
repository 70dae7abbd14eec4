"""Who is asking and may they: passwords, server-side sessions, API tokens, login throttling, role checks."""

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache, wraps
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, func, or_, select, update

from app import audit, settings
from app.db import db, utcnow
from app.errors import DomainError, Forbidden
from app.extensions import login_manager
from app.models import ROLES, ApiToken, LoginAttempt, User, UserSession

MIN_PASSWORD_LENGTH = 8


def _hasher() -> PasswordHasher:
    """Argon2id; argon2-cffi's defaults (m=64 MiB, t=3, p=4) exceed OWASP's minimum (m=19 MiB, t=2, p=1)."""
    return PasswordHasher(**current_app.config["ARGON2_PARAMETERS"])


class LoginRefused(DomainError):
    status = 401
    code = "login_refused"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "common-passwords.txt"
    lines = (line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problems(password: str, *names: str) -> list[str]:
    """Why a new password would be weak (ASVS 5.0 level 1): too short, one of the common ones, one character
    over and over, or the user's own name or username with some digits or signs around it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [_("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]
    lowered = password.lower()
    letters = "".join(ch for ch in lowered if ch.isalpha())
    own = {part for name in names for part in re.split(r"[^a-z]+", (name or "").lower()) if len(part) >= 3}
    if lowered in _common_passwords():
        return [_("Too common: it is among the first passwords anyone tries.")]
    if len(set(lowered)) <= 2:
        return [_("Too simple: use more different characters.")]
    if letters and letters in own:
        return [_("Do not use your own name or username.")]
    return []


def hash_password(password: str, *names: str) -> str:
    problems = password_problems(password, *names)
    if problems:
        raise DomainError(_("Choose another password: %(why)s", why=" ".join(problems)), fields={"password": problems})
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def create_user(username: str, full_name: str, role: str, password: str) -> User:
    if role not in ROLES:
        raise DomainError(_("Unknown role."), fields={"role": [_("One of: %(r)s", r=", ".join(ROLES))]})
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise DomainError(_("That username is taken."), fields={"username": [_("Already taken.")]})
    password_hash = hash_password(password, username, full_name)
    user = User(username=username, full_name=full_name, role=role, password_hash=password_hash)
    db.session.add(user)
    db.session.flush()
    audit.record("create", "user", user.id, {"username": username, "full_name": full_name, "role": role})
    return user


def _recent_failures(column, value: str | None, since: datetime) -> int:
    if value is None:
        return 0
    stmt = select(func.count()).select_from(LoginAttempt).where(column == value, LoginAttempt.attempted_at >= since)
    return db.session.scalar(stmt) or 0


def authenticate(username: str, password: str, remote_addr: str | None) -> User:
    """Check a password, refusing guessers; the same message for a bad user and a bad password."""
    cfg = current_app.config
    since = utcnow() - cfg["LOGIN_FAILURE_WINDOW"]
    if (
        _recent_failures(LoginAttempt.username, username, since) >= cfg["LOGIN_MAX_FAILURES_PER_USER"]
        or _recent_failures(LoginAttempt.remote_addr, remote_addr, since) >= cfg["LOGIN_MAX_FAILURES_PER_IP"]
    ):
        raise TooManyAttempts(_("Too many failed logins. Wait 15 minutes and try again."))
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or not check_password(user, password):
        db.session.add(LoginAttempt(username=username, remote_addr=remote_addr, attempted_at=utcnow()))
        db.session.flush()
        raise LoginRefused(_("Wrong username or password."))
    return user


def start_session(user: User, remote_addr: str | None) -> UserSession:
    """Open a new server-side session with a fresh random id (never reuse the pre-login one)."""
    now = utcnow()
    row = UserSession(
        id=secrets.token_urlsafe(32), user_id=user.id, created_at=now, last_seen_at=now, remote_addr=remote_addr
    )
    db.session.add(row)
    user.last_login_at = now
    db.session.flush()
    user.current_session_id = row.id
    return row


def end_session(session_id: str) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def end_all_sessions(user_id: int) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def change_password(user: User, current: str | None, new: str, keep_session_id: str | None = None) -> None:
    """Set a user's password: by the user (who gives the current one; their other sessions end) or by the
    command line (current None; every session ends). Audited, without the password."""
    if current is not None and not check_password(user, current):
        raise DomainError(_("The current password is wrong."), fields={"current": [_("Wrong password.")]})
    user.password_hash = hash_password(new, user.username, user.full_name)
    user.must_change_password = False
    db.session.execute(
        update(UserSession)
        .where(
            UserSession.user_id == user.id, UserSession.ended_at.is_(None), UserSession.id != (keep_session_id or "")
        )
        .values(ended_at=utcnow())
    )
    audit.record("change_password", "user", user.id, {"by": "self" if current is not None else "command line"})


def set_active(user: User, active: bool) -> None:
    """Enable or disable a user; disabling ends every session and token at once."""
    if user.is_active != active:
        audit.record("enable" if active else "disable", "user", user.id, {"username": user.username})
    user.is_active = active
    if not active:
        end_all_sessions(user.id)
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    db.session.flush()


def issue_api_token(user: User, name: str, days: int | None = None) -> str:
    """Make a token for an integration, valid until revoked or for `days`; the plain token is shown once and only
    its hash is kept."""
    token = "lmb_" + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=days) if days else None
    row = ApiToken(user_id=user.id, name=name, token_hash=_sha256(token), expires_at=expires)
    db.session.add(row)
    db.session.flush()
    audit.record("create", "api_token", row.id, {"user_id": user.id, "name": name})
    return token


def token_hash(plain: str) -> str:
    return _sha256(plain)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@login_manager.user_loader
def load_user_from_session(session_id: str) -> User | None:
    if uses_bearer_token():
        return None  # a request that brings a token is that token's alone: the cookie does not sign it in
    row = db.session.get(UserSession, session_id)
    if row is None or row.ended_at is not None or not row.user.is_active:
        return None
    now = utcnow()
    longest = timedelta(hours=settings.get("session_max_hours"))
    if now - row.created_at > longest or now - row.last_seen_at > timedelta(
        minutes=settings.get("session_idle_minutes")
    ):
        row.ended_at = now
        return None
    if (now - row.last_seen_at).total_seconds() > 60:  # one write a minute at most
        row.last_seen_at = now
    row.user.current_session_id = row.id
    return row.user


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    return bearer_user()


def bearer_user() -> User | None:
    """The user of the request's valid bearer token (None without one, or when it is unknown, revoked, expired
    or its user disabled); looked up once per request."""
    if "bearer_user" in g:
        return g.bearer_user
    user = None
    if uses_bearer_token():
        digest = _sha256(request.headers["Authorization"][7:].strip())
        user = db.session.scalar(_bearer_statement(), {"digest": digest, "now": utcnow()})
    g.bearer_user = user
    return user


@cache
def _bearer_statement():
    """The active user of a token that is neither revoked nor expired; built once per process (every API request
    asks). Not locked: a token revoked or a user disabled while a request runs stops at the next request."""
    return (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == bindparam("digest"),
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now", type_=ApiToken.expires_at.type)),
            User.is_active,
        )
    )


def uses_bearer_token() -> bool:
    return request.headers.get("Authorization", "").startswith("Bearer ")


def roles_required(*roles: str) -> Callable:
    """Let in only signed-in users with one of these roles (admin is always let in)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                current_app.logger.warning(
                    "Refused %s %s to %s (%s)", request.method, request.path, current_user.username, current_user.role
                )
                raise Forbidden(_("Your role may not do this."))
            return view(*args, **kwargs)

        wrapper.allowed_roles = roles  # read by the role-matrix test
        return wrapper

    return decorator
