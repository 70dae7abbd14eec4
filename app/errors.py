"""Errors as values a person can act on: application/problem+json for the API, a page for screens."""

import re
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A business rule said no; the message is shown to the user as is."""

    status = 409
    code = "conflict"
    # A refusal that still saves what the request learned (a reorder suggestion brought up to date, shown to the
    # manager instead of the stale one): the request commits although it answers 4xx.
    keep_changes = False

    def __init__(
        self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra
        if code is not None:
            self.code = code  # a more precise problem type than the class's


class NotFound(DomainError):
    status = 404
    code = "not_found"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def problem(status: int, title: str, detail: str | None = None, **members: Any):
    """Build an RFC 9457 problem response."""
    body = {"type": f"/problems/{members.pop('code', status)}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in members.items() if v not in (None, {}, [])})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def _field_errors(error: HTTPException) -> dict[str, list[str]]:
    """Flatten webargs' {location: {field: [messages]}} to {field: [messages]}."""
    messages = (getattr(error, "data", None) or {}).get("messages", {})
    flat: dict[str, list[str]] = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            for field, msgs in location_messages.items():
                flat[field] = msgs if isinstance(msgs, list) else [msgs]
    return flat


def _roll_back() -> None:
    from app.db import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - a connection already gone: the page still renders
        from flask import current_app

        current_app.logger.warning("rollback before an error page failed", exc_info=True)


def handle_http_exception(error: HTTPException):
    _roll_back()  # nothing of a refused request is kept; the error page reads the user's language
    if wants_json():
        fields = _field_errors(error)
        detail = (getattr(error, "data", None) or {}).get("message") or error.description
        if fields:
            detail = _("Some fields are not valid.")
        response = problem(error.code or 500, error.name, detail, errors=fields, code=error.code)
        if "Allow" in dict(error.get_headers()):  # a 405 says which methods the URL has (RFC 9110)
            response.headers["Allow"] = dict(error.get_headers())["Allow"]
        return response
    title, detail = _page_text(error.code)
    return render_template("error.html", status=error.code, title=title, detail=detail), (error.code or 500)


def _page_text(status: int | None) -> tuple[str, str]:
    """What a person reads on an error page, in their language."""
    texts = {
        400: (_("That request could not be used"), _("Reload the page and try again.")),
        401: (_("Sign in first"), _("Your session has ended.")),
        403: (_("Not allowed"), _("Your role may not do this.")),
        404: (_("Not found"), _("The page or the thing you looked for does not exist.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        429: (_("Too many tries"), _("Wait a moment and try again.")),
    }
    return texts.get(status or 500, (_("Something went wrong"), _("Nothing was saved. Please try again.")))


def keep_changes_of(error: DomainError) -> None:
    """Let the request commit what it did before the refusal, when the refusal asks for it."""
    if error.keep_changes:
        g.keep_changes = True


def handle_domain_error(error: DomainError):
    keep_changes_of(error)
    if wants_json():
        return problem(error.status, error.message, error.message, errors=error.fields, code=error.code, **error.extra)
    page = render_template("error.html", status=error.status, title=error.message, detail="", fields=error.fields)
    return page, error.status


def unavailable(error: Exception | None = None, *, committing: bool = False):
    """503 with Retry-After when the database or Redis cannot serve the request now: a lock held too long by
    another task, a statement past its time, a server restarting. Nothing of the request is kept (rolled back)
    unless the commit itself was cut off, when its outcome is unknown: the client is told to send the same
    request again, with the same Idempotency-Key, which either replays the answer or does it once."""
    from flask import current_app

    from app.db import db
    from app.extensions import login_manager

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone already; the pool replaces it
        db.session.close()
    if "_login_user" not in g:  # who is asking could not be read: answer as to anyone, without the database
        g._login_user = login_manager.anonymous_user()
    orig = getattr(error, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate == "55P03":  # lock_not_available: lock_timeout
        code, detail = "busy", _("Another person or task is working on this right now; try again in a moment.")
    elif sqlstate == "57014":  # query_canceled: statement_timeout
        code, detail = "too_slow", _("This took too long and was stopped; nothing was saved. Try again in a moment.")
    elif committing:
        code = "outcome_unknown"
        detail = _(
            "The connection to the database broke while saving: it may or may not have been saved. Send the same "
            "request again in a moment (the same Idempotency-Key): it will not be done twice."
        )
    else:
        code = "unavailable"
        detail = _(
            "The server cannot reach its database or job queue right now; nothing was saved. Try again in a moment "
            "with the same request (the same Idempotency-Key)."
        )
    current_app.logger.warning("503 %s on %s %s: %s", code, request.method, request.path, error)
    retry_after = str(current_app.config.get("RETRY_AFTER_SECONDS", 3))
    if wants_json():
        response = problem(503, _("Try again in a moment"), detail, code=code)
    else:
        response = current_app.make_response(
            (render_template("error.html", status=503, title=_("Try again in a moment"), detail=detail), 503)
        )
    response.headers["Retry-After"] = retry_after
    return response


def _constraint_fields(error: Exception) -> tuple[str, dict[str, list[str]]]:
    """What a constraint failure says about the request's fields: ('unique', {'sku': [...]}) for one value already
    taken, ('foreign_key', {'item_id': [...]}) for a row that does not exist, else (kind, {}): a constraint over
    several columns (one open session per till) is a race, not a field."""
    orig = getattr(error, "orig", error)
    text, sqlstate = str(orig), getattr(orig, "sqlstate", None)
    found = re.match(r"Key \(([^)]*)\)", getattr(getattr(orig, "diag", None), "message_detail", None) or "")
    columns = [c.strip() for c in found.group(1).split(",")] if found else []
    if sqlstate == "23505" or "UNIQUE constraint failed:" in text:
        if not columns and "UNIQUE constraint failed:" in text:  # SQLite: "... failed: item.sku"
            columns = [c.strip().split(".")[-1] for c in text.split("failed:", 1)[1].split(",")]
        return "unique", ({columns[0]: [_("Already taken.")]} if len(columns) == 1 else {})
    if sqlstate == "23503" or "FOREIGN KEY constraint failed" in text:
        return "foreign_key", ({columns[0]: [_("Not found.")]} if len(columns) == 1 else {})
    return "check", {}


def handle_integrity_error(error: Exception):
    """A constraint the database keeps refused the write: a value already taken (a SKU, a supplier code: 409
    naming the field), a row that does not exist (422 naming it), or two people saving the same thing at the same
    moment (a second till with the same code, a second open session: 409). Nothing saved, never a 500."""
    from flask import current_app

    from app.db import db

    db.session.rollback()
    current_app.logger.warning("409 conflict on %s %s: %s", request.method, request.path, getattr(error, "orig", error))
    kind, fields = _constraint_fields(error)
    if kind == "foreign_key":
        title = detail = _("Something this refers to does not exist; nothing was saved.")
        status = 422
    elif kind == "unique" and fields:
        title = detail = _("That is already taken; nothing was saved.")
        status = 409
    else:
        title = _("Saved elsewhere at the same moment")
        detail = _(
            "Someone else saved the same thing at the same moment; nothing was saved. Reload and check, then try again."
        )
        status = 409
    if wants_json():
        return problem(status, title, detail, errors=fields, code="conflict" if status == 409 else "not_found")
    return render_template("error.html", status=status, title=title, detail=detail), status


def handle_data_error(error: Exception):
    """The database refused a value (a number past its column's range, a malformed value the schemas let
    through): 422, nothing saved, never a 500."""
    from flask import current_app

    from app.db import db

    db.session.rollback()
    orig = getattr(error, "orig", error)
    current_app.logger.warning("422 data error on %s %s: %s", request.method, request.path, orig)
    detail = _("A value is out of range or not valid for its field; nothing was saved.")
    if wants_json():
        return problem(422, _("A value cannot be stored"), detail, code="value_out_of_range")
    return render_template("error.html", status=422, title=_("A value cannot be stored"), detail=detail), 422


def handle_unexpected(error: Exception):
    # Never leak a stack trace; the log has it.
    from flask import current_app

    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    _roll_back()  # a failed write leaves the session unusable: the page needs it for the user's language
    if wants_json():
        return problem(500, "Internal Server Error", _("Something went wrong; nothing was saved."))
    return render_template(
        "error.html", status=500, title=_("Something went wrong"), detail=_("Nothing was saved. Please try again.")
    ), 500


def init_app(app: Flask) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(OverflowError, handle_data_error)  # SQLite's words for a number past INTEGER
    for unreachable in (OperationalError, RedisConnectionError, RedisTimeoutError):
        app.register_error_handler(unreachable, unavailable)
    app.register_error_handler(Exception, handle_unexpected)
