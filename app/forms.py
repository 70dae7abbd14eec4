"""What the screens' forms share: the idempotency key a form carries, numbers and dates as people type them, and
a service's field errors as one sentence per field."""

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _


def new_key() -> str:
    """The Idempotency-Key a form carries in a hidden field, made when the form is shown."""
    return str(uuid.uuid4())


def parse_decimal(text: str | None, field: str, errors: dict) -> Decimal | None:
    """A number as typed: "12,5" or "12.5"; a message in `errors[field]` (and None) when it isn't one."""
    try:
        return Decimal((text or "").strip().replace(",", "."))
    except InvalidOperation:
        errors[field] = _("Enter a number, like 2 or 12,5.")
        return None


def parse_date(text: str | None, field: str, errors: dict) -> date | None:
    """A date as the date field sends it (2026-12-31); None when empty; a message in `errors[field]` if wrong."""
    if not (text or "").strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[field] = _("Enter a date like 2026-12-31.")
        return None


def field_messages(fields: dict) -> dict[str, str]:
    """A DomainError's field errors ({field: [messages]}) as one sentence per field, for a form."""
    return {
        name: " ".join(map(str, messages)) if isinstance(messages, list | tuple) else str(messages)
        for name, messages in fields.items()
    }
