"""Barcode label images (SVG or PNG) rendered in memory with python-barcode."""

from __future__ import annotations

import io
from datetime import date

import barcode
from barcode.errors import BarcodeError
from barcode.writer import BaseWriter, ImageWriter, SVGWriter

from inventory.barcodes import (
    FNC1,
    GS,
    GS1_CSET82,
    format_gs1_text,
    gs1_check_digit,
    is_valid_gtin,
    parse_gs1,
)

SYMBOLOGIES = frozenset({"ean13", "ean8", "code128", "gs1_128"})
FORMATS = frozenset({"svg", "png"})

_EAN_LENGTHS = {"ean13": 13, "ean8": 8}
_LOT_MAX_LENGTH = 20


class LabelError(ValueError):
    """Raised when a barcode label can't be produced from the given data."""


def _writer(fmt: str) -> BaseWriter:
    """Return a fresh python-barcode writer for 'svg' or 'png'."""
    if fmt == "png":
        return ImageWriter(format="PNG")
    return SVGWriter()


def _check_ean(symbology: str, data: str) -> str:
    """Return the body python-barcode should get for an EAN code, refusing a wrong length or check digit."""
    length = _EAN_LENGTHS[symbology]
    if len(data) != length or not data.isascii() or not data.isdigit():
        raise LabelError(f"{symbology} needs exactly {length} digits, got {data!r}")
    body = data[:-1]
    expected = gs1_check_digit(body)
    if data[-1] != expected:
        # python-barcode would silently print the corrected code, i.e. a different product.
        raise LabelError(f"{symbology} code {data!r} has check digit {data[-1]}, expected {expected}")
    return body


def _check_gs1_128(data: str) -> tuple[str, str]:
    """Return (data without leading FNC1, human text) for GS1-128 data, refusing an invalid element string."""
    # python-barcode encodes GS as a plain character, not as FNC1, so both spellings become its FNC1.
    data = data.replace(GS, FNC1)
    # Its gs1_128 class adds the leading FNC1 itself; a second one would be read as an empty field.
    data = data.removeprefix(FNC1)
    if data.startswith("("):
        # python-barcode would encode the parentheses as bars, which scanners then send as data.
        raise LabelError(f"GS1-128 data must not contain the (AI) parentheses; pass them as text: {data!r}")
    parsed = parse_gs1("]C1" + data)
    if parsed is None:
        raise LabelError(f"not a valid GS1 element string (no parentheses, FNC1 between fields): {data!r}")
    return data, format_gs1_text(parsed.elements)


def render_barcode(symbology: str, data: str, fmt: str = "svg", text: str | None = None) -> bytes:
    """Render a barcode as SVG or PNG bytes; text replaces the human-readable line under the bars."""
    if symbology not in SYMBOLOGIES:
        raise LabelError(f"unsupported symbology {symbology!r}; use one of {sorted(SYMBOLOGIES)}")
    if fmt not in FORMATS:
        raise LabelError(f"unsupported format {fmt!r}; use 'svg' or 'png'")
    if not data:
        raise LabelError("cannot render an empty barcode")

    code = data
    if symbology in _EAN_LENGTHS:
        code = _check_ean(symbology, data)
    elif symbology == "gs1_128":
        code, human = _check_gs1_128(data)
        # The default text would show the raw digits with FNC1 characters instead of "(01)...".
        text = human if text is None else text

    try:
        symbol = barcode.get(symbology, code, writer=_writer(fmt))
        if symbology in _EAN_LENGTHS and symbol.get_fullcode() != data:
            raise LabelError(f"python-barcode would print {symbol.get_fullcode()!r} instead of {data!r}")
        buffer = io.BytesIO()
        symbol.write(buffer, text=text)
    except BarcodeError as exc:
        raise LabelError(f"cannot render {data!r} as {symbology}: {exc}") from exc
    return buffer.getvalue()


def gs1_128_data(gtin: str, lot: str | None = None, expiry: date | None = None) -> tuple[str, str]:
    """Return (python-barcode gs1_128 data, human-readable text) for a GTIN with optional expiry and lot."""
    if not is_valid_gtin(gtin):
        raise LabelError(f"not a valid GTIN (8, 12, 13 or 14 digits with a correct check digit): {gtin!r}")
    # (AI, value, variable length); fixed fields first so that the only variable one, the lot, comes last and
    # needs no FNC1 after it, which keeps the symbol short.
    fields: list[tuple[str, str, bool]] = [("01", gtin.zfill(14), False)]
    if expiry is not None:
        # The parser reads YY as 20YY, so other centuries would come back wrong.
        if not 2000 <= expiry.year <= 2099:
            raise LabelError(f"expiry year must be 2000-2099, got {expiry.year}")
        fields.append(("17", expiry.strftime("%y%m%d"), False))
    if lot is not None:
        if not 1 <= len(lot) <= _LOT_MAX_LENGTH:
            raise LabelError(f"lot must be 1-{_LOT_MAX_LENGTH} characters, got {len(lot)}")
        bad = sorted(set(lot) - GS1_CSET82)
        if bad:
            raise LabelError(f"lot contains characters GS1 does not allow: {''.join(bad)!r}")
        fields.append(("10", lot, True))

    data = ""
    for index, (ai, value, variable) in enumerate(fields):
        data += ai + value
        if variable and index < len(fields) - 1:
            data += FNC1
    return data, "".join(f"({ai}){value}" for ai, value, _ in fields)
