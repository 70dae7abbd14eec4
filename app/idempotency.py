"""Idempotency-Key for every mutating POST: replay the stored response, refuse reuse and races.

Contract (draft-ietf-httpapi-idempotency-key-header): the key is claimed in the same transaction as the
effect; a replay returns the stored status and body; the same key with another payload gets 422; while the
first request is still in flight, 409. Only successful responses (2xx, and a screen's 3xx redirect) are
stored: a failed request commits nothing, so retrying it is simply a new attempt.
"""

import hashlib
import json
from collections.abc import Callable
from functools import cache, wraps

from flask import Response, make_response, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, func, insert, literal, select, true
from sqlalchemy.exc import IntegrityError

from app.db import db, utcnow
from app.errors import DomainError
from app.models import IdempotencyKey
from app.safety import loads as load_json

HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"  # screens put the key in a hidden field made when the form is shown
MAX_KEY_LENGTH = 255

OPENAPI_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": True,
    "description": "A client-made unique key (a UUID) sent unchanged on every retry of this request.",
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
}


class KeyMissing(DomainError):
    status = 400
    code = "idempotency_key_missing"


class KeyInFlight(DomainError):
    status = 409
    code = "idempotency_key_in_flight"


class KeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"


def _fingerprint() -> str:
    """A hash of what the request asks for: its JSON body, or its form fields and uploaded files."""
    if request.form or request.files:  # a form (less the per-render CSRF token and key) and any uploads
        fields = sorted((k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", FORM_FIELD))
        for name, upload in sorted(request.files.items(multi=True), key=lambda pair: pair[0]):
            fields.append((name, hashlib.sha256(upload.read()).hexdigest()))
            upload.seek(0)
        canonical = json.dumps(fields).encode()
    else:
        raw = request.get_data(cache=True)
        try:
            canonical = json.dumps(load_json(raw or b"null"), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:  # not JSON the API reads: the view refuses it
            canonical = raw
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + canonical).hexdigest()


keys_t = IdempotencyKey.__table__


@cache
def _claim_statement(dialect: str):
    """Claim the key for this transaction and read its stored answer, in one statement, built once per process
    (every mutating request asks). PostgreSQL: an advisory lock on the key (not waited for: a second request with
    it while the first works gets 409) beside the look-up. The look-up's snapshot is taken as the statement
    starts, so a first request that commits between that instant and the lock is not seen: the second then
    fails on the key's (or its sale's) unique index, gets 409, and its retry replays the answer. SQLite, with no
    advisory lock, has only the look-up and that unique index."""
    stored = select(
        keys_t.c.fingerprint, keys_t.c.status_code, keys_t.c.content_type, keys_t.c.location, keys_t.c.response_body
    ).where(keys_t.c.user_id == bindparam("user_id"), keys_t.c.key == bindparam("key"))
    if dialect != "postgresql":
        return select(literal(True).label("claimed"), *stored.subquery().c)
    found = stored.subquery()
    claimed = func.pg_try_advisory_xact_lock(func.hashtextextended(bindparam("lock"), 0)).label("claimed")
    return select(claimed, *found.c).select_from(select(literal(1)).subquery()).outerjoin(found, true())


def _claim(user_id: int, key: str):
    """Hold the key for this transaction and return its stored answer (None if none): a second request with it
    while we work gets 409."""
    statement = _claim_statement(db.session.get_bind().dialect.name)
    row = db.session.execute(statement, {"user_id": user_id, "key": key, "lock": f"idem:{user_id}:{key}"}).first()
    if row is not None and not row.claimed:
        raise KeyInFlight(_("This request is still being processed; try again in a moment."))
    return row if row is not None and row.fingerprint is not None else None


def idempotent(view: Callable) -> Callable:
    """Make a mutating endpoint safe to retry with the same Idempotency-Key."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = (request.headers.get(HEADER) or request.form.get(FORM_FIELD) or "").strip().strip('"')
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise KeyMissing(
                _("Send a unique Idempotency-Key header (a UUID) with this request."),
                fields={HEADER: [_("Required, at most %(n)d characters.", n=MAX_KEY_LENGTH)]},
            )
        fingerprint = _fingerprint()
        stored = _claim(current_user.id, key)
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise KeyReused(_("This Idempotency-Key was already used for a different request."))
            replay = Response(stored.response_body, status=stored.status_code, content_type=stored.content_type)
            if stored.location:
                replay.headers["Location"] = stored.location
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        response = view(*args, **kwargs)
        response = make_response(response)
        if 200 <= response.status_code < 400:
            db.session.flush()  # whatever the view left pending, before the key's own INSERT
            try:
                db.session.execute(
                    insert(keys_t),
                    {
                        "user_id": current_user.id,
                        "key": key,
                        "fingerprint": fingerprint,
                        "status_code": response.status_code,
                        "content_type": response.content_type,
                        "location": response.headers.get("Location"),
                        "response_body": response.get_data(as_text=True),
                        "created_at": utcnow(),
                    },
                )
            except IntegrityError as exc:  # another request won the same key (SQLite has no advisory lock)
                raise KeyInFlight(_("This request is still being processed; try again in a moment.")) from exc
        return response

    apidoc = dict(getattr(wrapper, "_apidoc", {}))
    manual = dict(apidoc.get("manual_doc", {}))
    manual["parameters"] = [*manual.get("parameters", []), OPENAPI_PARAMETER]
    apidoc["manual_doc"] = manual
    wrapper._apidoc = apidoc
    wrapper.idempotent = True
    return wrapper


def prune(older_than) -> int:
    """Forget keys older than the retention period."""
    cutoff = utcnow() - older_than
    count = db.session.scalar(select(func.count()).where(IdempotencyKey.created_at < cutoff))
    db.session.execute(IdempotencyKey.__table__.delete().where(IdempotencyKey.created_at < cutoff))
    return count or 0


def prune_keys(days: int = 30) -> int:
    """The nightly job: forget keys older than the retention period (a retry comes within minutes, not weeks)."""
    from datetime import timedelta

    count = prune(timedelta(days=days))
    db.session.commit()
    return count
