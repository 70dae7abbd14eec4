"""Users and roles, as an administrator manages them: create with a one-time password, change a role, disable or
enable (ending sessions and tokens), reset a password, issue and revoke API tokens. Every change is audited;
the cooperative always keeps one active administrator (the admins' rows are locked to count them)."""

import re
import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

from app import audit, auth
from app.db import db, utcnow
from app.errors import DomainError, NotFound, ValidationFailed
from app.models import ROLES, ApiToken, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
_WORDS = "beras gula minyak tabung koperasi lumbung pasar padi jagung kopi teh garam sagu ikan".split()


def one_time_password() -> str:
    """Easy to read out and type once (the user must change it at once): three words and four digits."""
    words = [secrets.choice(_WORDS) for _ in range(3)]
    return "-".join(words) + f"-{secrets.randbelow(10000):04d}"


def list_users() -> list[tuple[User, int]]:
    """Every user with the number of their live API tokens, active ones first."""
    live = (
        select(ApiToken.user_id, func.count().label("n"))
        .where(ApiToken.revoked_at.is_(None))
        .group_by(ApiToken.user_id)
        .subquery()
    )
    rows = db.session.execute(
        select(User, func.coalesce(live.c.n, 0))
        .outerjoin(live, live.c.user_id == User.id)
        .order_by(User.is_active.desc(), User.username)
    )
    return [(user, n) for user, n in rows]


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No user has this id."))
    return user


def create(username: str, full_name: str, role: str) -> tuple[User, str]:
    """A new user with a one-time password they change at their first sign-in."""
    username, full_name = username.strip().lower(), full_name.strip()
    errors = {}
    if not USERNAME.match(username):
        errors["username"] = [_("3 to 64 small letters, digits, '.', '_' or '-'.")]
    if not full_name:
        errors["full_name"] = [_("Required.")]
    if role not in ROLES:
        errors["role"] = [_("One of: %(r)s", r=", ".join(ROLES))]
    if errors:
        raise ValidationFailed(_("The user cannot be created; see the fields."), fields=errors)
    password = one_time_password()
    user = auth.create_user(username, full_name, role, password)
    user.must_change_password = True
    db.session.flush()
    return user, password


def nobody_yet() -> bool:
    """A new installation: no user at all (the first one is made on the set-up screen)."""
    return db.session.scalar(select(User.id).limit(1)) is None


def nobody_yet_if_reachable() -> bool:
    """`nobody_yet()`, or False when the database cannot be reached, for the sign-in form."""
    try:
        return nobody_yet()
    except OperationalError:  # the sign-in form needs no database: it says so when the form is sent
        db.session.rollback()
        return False


def first_admin(username: str, full_name: str, password: str) -> User:
    """The installation's first user, an administrator, made on the set-up screen while there is no user at all.
    The user table is locked for it: two people setting up at once make one administrator, not two."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE user_account IN SHARE ROW EXCLUSIVE MODE"))
    if not nobody_yet():
        raise DomainError(_("Lumbung is already set up: sign in."), code="already_set_up")
    username, full_name = username.strip().lower(), full_name.strip()
    errors = {}
    if not USERNAME.match(username):
        errors["username"] = [_("3 to 64 small letters, digits, '.', '_' or '-'.")]
    if not full_name:
        errors["full_name"] = [_("Required.")]
    if errors:
        raise ValidationFailed(_("The user cannot be created; see the fields."), fields=errors)
    return auth.create_user(username, full_name, "admin", password)


def _lock_admins() -> int:
    """Lock every active administrator's row and count them: two admins disabling each other at once wait for
    each other, and the second sees the first's change."""
    ids = db.session.scalars(
        select(User.id).where(User.role == "admin", User.is_active).order_by(User.id).with_for_update()
    ).all()
    return len(ids)


def _keep_an_admin(user: User, acting: User) -> None:
    if user.id == acting.id:
        raise DomainError(_("You cannot take away your own access; ask another administrator."), code="own_account")
    if user.role == "admin" and user.is_active and _lock_admins() <= 1:
        raise DomainError(_("This is the last active administrator; make another one first."), code="last_admin")


def set_role(user_id: int, role: str, acting: User) -> User:
    if role not in ROLES:
        raise ValidationFailed(_("Unknown role."), fields={"role": [_("One of: %(r)s", r=", ".join(ROLES))]})
    user = get_user(user_id)
    if user.role == role:
        return user
    if user.role == "admin":
        _keep_an_admin(user, acting)
    db.session.refresh(user, with_for_update={"key_share": True})
    audit.record("set_role", "user", user.id, {"role": [user.role, role]})
    user.role = role
    db.session.flush()
    return user


def set_active(user_id: int, active: bool, acting: User) -> User:
    """Disable (every session and token ends at once) or enable a user again."""
    user = get_user(user_id)
    if not active:
        _keep_an_admin(user, acting)
    db.session.refresh(user, with_for_update={"key_share": True})
    auth.set_active(user, active)
    return user


def reset_password(user_id: int, acting: User) -> tuple[User, str]:
    """A one-time password for a user who forgot theirs: their sessions end and they must choose a new one at
    the next sign-in. The password is shown once and never stored."""
    user = get_user(user_id)
    if user.id == acting.id:
        raise DomainError(_("Change your own password on the password screen."), code="own_account")
    password = one_time_password()
    user.password_hash = auth.hash_password(password)
    user.must_change_password = True
    auth.end_all_sessions(user.id)
    audit.record("reset_password", "user", user.id, {"by": acting.username})
    db.session.flush()
    return user, password


def tokens(user_id: int) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())))


def issue_token(user_id: int, name: str, days: int | None) -> tuple[ApiToken, str]:
    user = get_user(user_id)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed(_("Say what the token is for."), fields={"name": [_("1 to 80 characters.")]})
    if days is not None and not 1 <= days <= 3650:
        raise ValidationFailed(_("Between 1 and 3650 days."), fields={"days": [_("Between 1 and 3650 days.")]})
    if not user.is_active:
        raise DomainError(_("The user is disabled; enable them first."), code="user_disabled")
    plain = auth.issue_api_token(user, name, days)
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == auth.token_hash(plain))), plain


def revoke_token(user_id: int, token_id: int) -> ApiToken:
    """Revoke a token at once (the next request with it is a 401); revoking twice changes nothing."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))
    if token is None:
        raise NotFound(_("No token has this id."))
    done = db.session.execute(
        update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    if done.rowcount:
        audit.record("revoke", "api_token", token.id, {"user_id": user_id, "name": token.name})
    db.session.refresh(token)
    return token
