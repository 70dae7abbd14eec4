"""The cooperative's clock: "now" and "today" as its people live them (WITA in Balikpapan), whatever the
server's own time zone. Every business date (an expiry, a quota's month, a price's day) is read from here."""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from app import settings


def zone() -> ZoneInfo:
    return _zone(settings.get("time_zone"))


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def now() -> datetime:
    """This moment on the cooperative's clock (aware)."""
    return datetime.now(UTC).astimezone(zone())


def local(moment: datetime) -> datetime:
    """A stored moment (UTC) on the cooperative's clock: a receipt's time, a sale's business date."""
    return moment.astimezone(zone())


def today() -> date:
    """The cooperative's date, not the server's."""
    return now().date()


def day_window(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """From the start of the first local day to the end of the last (both included), as aware moments; None
    where a side is open (or past what a datetime holds)."""
    start = datetime.combine(first, time(), zone()) if first else None
    end = datetime.combine(last, time(), zone()) + timedelta(days=1) if last and last < date.max else None
    return start, end
