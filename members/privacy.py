"""Who sees a member's or buyer's NIK and family card number in full, and the record of each time they do.

Managers and admins see them in full, and every such view (API or screen) is written to the audit log, once per
record and request. Everyone else (a cashier) sees them masked as on a receipt (6499********0001): enough to
recognise a card, not enough to copy it; a cashier finds a member by card, name or a complete NIK typed in."""

from flask import g, has_request_context
from flask_login import current_user
from marshmallow import fields

from app import audit

FULL_VIEW_ROLES = ("manager", "admin")


def mask(number: str | None) -> str | None:
    """6499********0001: the first four and the last four digits."""
    if not number:
        return number
    return number[:4] + "*" * max(len(number) - 8, 0) + number[-4:] if len(number) > 8 else "*" * len(number)


def sees_in_full() -> bool:
    return has_request_context() and current_user.is_authenticated and current_user.has_role(*FULL_VIEW_ROLES)


def shown(number: str | None, entity: str, entity_id) -> str | None:
    """The number as this user may see it; a full view is audited (once per record and request)."""
    if not number:
        return number
    if not sees_in_full():
        return mask(number)
    seen = g.setdefault("nik_views", set())
    if (entity, entity_id) not in seen:
        seen.add((entity, entity_id))
        audit.record("view_nik", entity, entity_id, {"path": _path()})
    return number


def _path() -> str:
    from flask import request

    return request.path


class Private(fields.Str):
    """A NIK or KK number in an answer: in full for a manager (audited), masked for anyone else."""

    def _serialize(self, value, attr, obj, **kwargs):
        return shown(value, getattr(obj, "__tablename__", type(obj).__name__.lower()), getattr(obj, "id", None))
