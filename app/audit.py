"""The audit log: who created or changed items, stock, users and prices."""

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from app.db import db, utcnow
from app.models import AuditEntry


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
