"""What the screens' forms share: the idempotency key a form carries, numbers and dates as people type them, and
a service's field errors as one sentence per field."""

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from app.fields import QTY_LIMIT, QTY_PLACES, QTY_QUANTUM


def new_key() -> str:
    """The Idempotency-Key a form carries in a hidden field, made when the form is shown."""
    return str(uuid.uuid4())


def parse_decimal(text: str | None, field: str, errors: dict) -> Decimal | None:
    """A quantity as typed: "12,5" or "12.5", at most 3 decimals (never rounded), finite and under a billion; a
    message in `errors[field]` (and None) when it isn't one."""
    try:
        number = Decimal((text or "").strip().replace(",", "."))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors[field] = _("Enter a number, like 2 or 12,5.")
        return None
    if abs(number) >= QTY_LIMIT:
        errors[field] = _("Too large.")
        return None
    if number != number.quantize(QTY_QUANTUM):
        errors[field] = _("At most %(n)d decimal places.", n=QTY_PLACES)
        return None
    return number


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
