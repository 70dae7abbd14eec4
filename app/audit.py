"""The audit log: who created or changed items, stock, users and prices."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from app.db import db, utcnow
from app.models import AuditEntry, User


def record(action: str, entity: str, entity_id: Any, changes: dict[str, Any] | None = None) -> AuditEntry:
    """Append an audit entry for the signed-in user (or the system, outside a request)."""
    user_id = None
    remote_addr = None
    if has_request_context():
        remote_addr = request.remote_addr
        if current_user and current_user.is_authenticated:
            user_id = current_user.id
    entry = AuditEntry(
        at=utcnow(),
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        changes=_jsonable(changes or {}),
        remote_addr=remote_addr,
    )
    db.session.add(entry)
    return entry


def diff(obj: Any, fields: list[str], new_values: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose values change, as {field: [old, new]}."""
    return {f: [getattr(obj, f), new_values[f]] for f in fields if f in new_values and getattr(obj, f) != new_values[f]}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def search(
    username: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    """The audit entries that match, newest first (a statement, for a page of it)."""
    stmt = select(AuditEntry).options(joinedload(AuditEntry.user)).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if username:
        stmt = stmt.join(User, User.id == AuditEntry.user_id).where(User.username == username.strip().lower())
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == str(entity_id))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt


def kinds() -> list[str]:
    """The kinds of record that have entries (for the filter's list)."""
    return list(db.session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity)))


PRIVATE = ("nik", "kk_number")  # shown masked in the log: the full number is on the member's page, audited there


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any
    is_pair: bool


def readable(entry: AuditEntry) -> list[Change]:
    """The entry's changes as field: old -> new (or field: value), private numbers masked."""
    out = []
    for name, value in (entry.changes or {}).items():
        pair = isinstance(value, list) and len(value) == 2 and not isinstance(value[0], list)
        old, new = (value[0], value[1]) if pair else (None, value)
        if name in PRIVATE:
            old, new = _mask(old), _mask(new)
        out.append(Change(name, old, new, pair))
    return out


def _mask(value: Any) -> Any:
    text = str(value) if value is not None else None
    return text[:4] + "*" * max(len(text) - 8, 0) + text[-4:] if text and len(text) > 8 else value
