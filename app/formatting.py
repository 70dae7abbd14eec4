"""How money and quantities look on screens and receipts."""

import csv
import io
from collections.abc import Callable
from decimal import Decimal

from app import clock


def format_rupiah(value) -> str:
    """Rp12.500: a dot for thousands, no decimals (rupiah are whole)."""
    if value is None:
        return ""
    amount = int(round(value))
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def format_qty(value) -> str:
    """A quantity without trailing zeros, with a decimal comma as Indonesians write it."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")


def format_local_time(value) -> str:
    """A moment as the cooperative's clock shows it (WITA in Balikpapan): 29-11-2026 14:05."""
    if value is None:
        return ""
    return value.astimezone(clock.zone()).strftime("%d-%m-%Y %H:%M")


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """A text a spreadsheet would run as a formula (=HYPERLINK(...) typed as a member's name) gets a leading
    apostrophe; numbers, negative ones included, stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def csv_line_writer() -> Callable[[list], str]:
    """A function turning one row into one CSV line (CRLF, quoted as needed), for streamed exports; no cell
    can be read as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: list) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(v) for v in values])
        return buffer.getvalue()

    return line
