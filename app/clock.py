"""The cooperative's clock: "now" and "today" as its people live them (WITA in Balikpapan), whatever the
server's own time zone. Every business date (an expiry, a quota's month, a price's day) is read from here."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def now() -> datetime:
    """This moment on the cooperative's clock (aware)."""
    return datetime.now(UTC).astimezone(zone())


def today() -> date:
    """The cooperative's date, not the server's."""
    return now().date()
