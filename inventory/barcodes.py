"""Decoding of what a keyboard-wedge scanner or phone camera sends: plain barcodes, GTINs and GS1 strings."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

GS = "\x1d"
"""The GS1 FNC1 separator as scanners transmit it (ASCII 29, "group separator")."""

FNC1 = "\xf1"
"""FNC1 as some scanners (and python-barcode's gs1_128 class) spell it."""

_SEPARATORS = (GS, FNC1)

# AIM symbology identifiers that announce GS1 data: GS1-128, GS1 DataBar, GS1 DataMatrix, GS1 QR Code.
GS1_SYMBOLOGY_IDS = frozenset({"]C1", "]e0", "]d2", "]Q3"})

_SYMBOLOGY_ID_RE = re.compile(r"\][A-Za-z][0-9]")
_DIGITS_RE = re.compile(r"[0-9]+")
# The human-readable form "(01)09501101530003(10)ABC": an AI in parentheses, then its value.
_BRACKETED_RE = re.compile(r"\(([0-9]{2,4})\)([^()]*)")

# Characters a scanner or camera app may add around the code; GS is deliberately absent because a
# leading or trailing FNC1 is GS1 data, and str.strip() would remove it (Python counts GS as whitespace).
_EDGE_CHARS = " \t\r\n\v\f"
# Some camera apps send the escape sequence as two literal characters instead of a line break.
_EDGE_LITERALS = ("\\n", "\\r")

# GS1 "character set 82", the only characters allowed in alphanumeric AIs such as a lot number.
GS1_CSET82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")

_GTIN_LENGTHS = frozenset({8, 12, 13, 14})


def _is_digits(text: str) -> bool:
    """Return True when text is a non-empty string of ASCII digits."""
    # str.isdigit() would also accept superscripts and other Unicode digits.
    return _DIGITS_RE.fullmatch(text) is not None


def clean_scan(raw: str) -> str:
    """Strip whitespace, CR, LF, TAB and literal backslash-n/backslash-r from both ends, repeatedly."""
    text = raw
    while True:
        before = text
        text = text.strip(_EDGE_CHARS)
        for literal in _EDGE_LITERALS:
            text = text.removeprefix(literal).removesuffix(literal)
        if text == before:
            return text


def strip_symbology_id(code: str) -> tuple[str | None, str]:
    """Split a leading AIM symbology identifier (']' + letter + digit, e.g. ']C1') off the code."""
    if _SYMBOLOGY_ID_RE.match(code):
        return code[:3], code[3:]
    return None, code


def gs1_check_digit(body: str) -> str:
    """Return the GS1 mod-10 check digit for a digit string without its check digit."""
    if not _is_digits(body):
        raise ValueError(f"GS1 check digit needs a non-empty string of digits, got {body!r}")
    # Weights alternate 3, 1, 3, ... starting from the rightmost digit of the body, whatever its length.
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def is_valid_gtin(code: str) -> bool:
    """Return True for an 8, 12, 13 or 14 digit code whose last digit is its GS1 check digit."""
    if len(code) not in _GTIN_LENGTHS or not _is_digits(code):
        return False
    return gs1_check_digit(code[:-1]) == code[-1]


def symbology_for(code: str) -> str:
    """Return the python-barcode symbology to print a code with: 'ean13', 'ean8' or 'code128'."""
    # A 13 or 8 digit code with a wrong check digit can't be printed as EAN (render_barcode refuses it), but
    # Code 128 reproduces it exactly, so such codes fall back to Code 128.
    if len(code) == 13 and is_valid_gtin(code):
        return "ean13"
    if len(code) == 8 and is_valid_gtin(code):
        return "ean8"
    return "code128"


def normalize_gtin(code: str) -> str:
    """Return the canonical lookup key of a GTIN: the EAN-8 or EAN-13 it stands for, else the GTIN-14.

    Every GTIN pads to 14 digits with leading zeros; six leading zeros mean an EAN-8, one an EAN-13 (so a
    UPC-A gains a leading 0). A GTIN-14 with a non-zero indicator digit and non-GTIN codes stay as they are.
    """
    if not _is_digits(code) or len(code) not in (8, 12, 13, 14):
        return code
    padded = code.zfill(14)
    if padded.startswith("000000"):
        return padded[6:]
    if padded.startswith("0"):
        return padded[1:]
    return padded


@dataclass(frozen=True)
class GS1Data:
    """The application identifiers read from a GS1 element string, with the ones we use decoded."""

    gtin: str | None = None
    lot: str | None = None
    expiry: datetime.date | None = None
    net_weight_kg: Decimal | None = None
    # Excluded from the hash because a dict is unhashable; equal objects still hash equally.
    elements: dict[str, str] = field(default_factory=dict, hash=False)


_Kind = Literal["gtin", "sscc", "date", "digits", "text"]


@dataclass(frozen=True)
class _AISpec:
    """How one application identifier's value is delimited and checked."""

    length: int
    variable: bool
    kind: _Kind


# Supported AIs; for a variable AI, length is the maximum. No key is a prefix of another, which makes the
# AI at a position unambiguous.
_AIS: dict[str, _AISpec] = {
    "00": _AISpec(18, False, "sscc"),
    "01": _AISpec(14, False, "gtin"),
    "02": _AISpec(14, False, "gtin"),
    "10": _AISpec(20, True, "text"),
    "11": _AISpec(6, False, "date"),
    "13": _AISpec(6, False, "date"),
    "15": _AISpec(6, False, "date"),
    "17": _AISpec(6, False, "date"),
    "21": _AISpec(20, True, "text"),
    "37": _AISpec(8, True, "digits"),
    "240": _AISpec(30, True, "text"),
    **{f"310{decimals}": _AISpec(6, False, "digits") for decimals in range(6)},
}
_AI_LENGTHS = sorted({len(ai) for ai in _AIS})


def _parse_date(value: str) -> datetime.date | None:
    """Return the date for a GS1 YYMMDD value (century 20YY, day 00 = last day of the month), or None."""
    year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    if not 1 <= month <= 12:
        return None
    if day == 0:
        day = calendar.monthrange(year, month)[1]
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _value_ok(spec: _AISpec, value: str) -> bool:
    """Return True when value has an allowed length and content for the AI described by spec."""
    if spec.variable:
        if not 1 <= len(value) <= spec.length:
            return False
    elif len(value) != spec.length:
        return False
    if spec.kind == "text":
        return all(char in GS1_CSET82 for char in value)
    if not _is_digits(value):
        return False
    if spec.kind in ("gtin", "sscc"):
        return gs1_check_digit(value[:-1]) == value[-1]
    if spec.kind == "date":
        return _parse_date(value) is not None
    return True


def _split_bracketed(text: str) -> list[tuple[str, str]] | None:
    """Split the human-readable '(AI)value(AI)value' form into pairs, or return None if it is malformed."""
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _BRACKETED_RE.match(text, position)
        if match is None:
            return None
        pairs.append((match.group(1), match.group(2)))
        position = match.end()
    return pairs


def _split_raw(text: str) -> list[tuple[str, str]] | None:
    """Split an FNC1-separated element string into (AI, value) pairs, or return None if it is malformed."""
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        candidates = (text[position : position + n] for n in _AI_LENGTHS)
        ai = next((candidate for candidate in candidates if candidate in _AIS), None)
        if ai is None:
            return None
        spec = _AIS[ai]
        start = position + len(ai)
        if spec.variable:
            # A variable field ends at the next FNC1, never later, so it can't swallow the following fields.
            ends = [index for index in (text.find(sep, start) for sep in _SEPARATORS) if index != -1]
            end = min(ends, default=len(text))
        else:
            end = start + spec.length
            if end > len(text):
                return None
        pairs.append((ai, text[start:end]))
        position = end
        # One FNC1 may follow any field; after a fixed-length field it is redundant but some printers add it.
        if position < len(text) and text[position] in _SEPARATORS:
            position += 1
    return pairs


# The end of a lot read without a separator after it that is a whole date (11, 13, 15, 16, 17 + YYMMDD) or weight
# (310n + 6 digits): what a label whose printer left out the FNC1 after the lot looks like.
_SWALLOWED = re.compile(r"(1[13567]|310[0-5])(\d{6})$")


def swallows(value: str, elements: dict[str, str] | None = None) -> bool:
    """Whether a variable field's value ends with a complete element of another AI (one not read already)."""
    found = _SWALLOWED.search(value)
    if found is None or len(value) == len(found.group(0)):
        return False
    ai, digits = found.group(1), found.group(2)
    return ai not in (elements or {}) and ai in _AIS and _value_ok(_AIS[ai], digits)


def _swallowed(text: str, pairs: list[tuple[str, str]]) -> bool:
    """GS1 says a variable field (a lot) runs to the next FNC1 or the end. Without any FNC1 in the code, a lot
    that ends with what reads as another element (0108991000000508 10 123 17270531, read as lot '12317270531')
    is more likely a missing separator than a lot: refused, never guessed."""
    if any(sep in text for sep in _SEPARATORS):
        return False
    elements = dict(pairs)
    return any(_AIS[ai].variable and swallows(value, elements) for ai, value in pairs)


def missing_separator(code: str) -> bool:
    """A scan that would be GS1 but for a lot that seems to swallow the elements after it."""
    _, text = strip_symbology_id(clean_scan(code))
    if text[:1] in _SEPARATORS:
        text = text[1:]
    if text.startswith("(") or not text.startswith(("01", "02")):
        return False
    pairs = _split_raw(text)
    return bool(pairs) and _swallowed(text, pairs)


def parse_gs1(code: str) -> GS1Data | None:
    """Parse a GS1 element string into GS1Data, or return None if it isn't a complete, valid one.

    Accepted forms: an optional GS1 symbology identifier (]C1, ]e0, ]d2, ]Q3); fields separated by FNC1 sent
    as GS (ASCII 29) or as "\\xf1", with a leading FNC1 ignored; or the typed form "(01)...(10)...(17)...".
    Every AI must be supported, every value must have the right length and characters, GTIN and SSCC check
    digits must be right and dates must exist; the same AI twice, or both 01 and 02, is refused.

    Plain-code rule: text with no symbology identifier, no FNC1/GS and no parentheses is accepted only when
    it starts with AI 01 or 02 and the whole string parses, check digit included. This keeps ordinary
    barcodes such as "10ABC" or "17261231" from being misread as GS1; a plain EAN-13 can never match because
    AI 01 alone needs 16 characters.
    """
    if not isinstance(code, str):
        return None
    symbology_id, text = strip_symbology_id(code)
    if symbology_id is not None and symbology_id not in GS1_SYMBOLOGY_IDS:
        return None
    if text.startswith("("):
        pairs = _split_bracketed(text)
    else:
        has_fnc1 = any(sep in text for sep in _SEPARATORS)
        if symbology_id is None and not has_fnc1 and not text.startswith(("01", "02")):
            return None
        if text[:1] in _SEPARATORS:
            # A leading FNC1 only marks the data as GS1; it doesn't separate anything.
            text = text[1:]
        pairs = _split_raw(text)
    if not pairs:
        return None

    elements: dict[str, str] = {}
    for ai, value in pairs:
        spec = _AIS.get(ai)
        if spec is None or ai in elements or not _value_ok(spec, value):
            return None
        elements[ai] = value
    if not text.startswith("(") and _swallowed(text, pairs):
        return None

    weights = [ai for ai in elements if ai.startswith("310")]
    if ("01" in elements and "02" in elements) or len(weights) > 1:
        return None
    gtin = elements.get("01") or elements.get("02")
    net_weight = None
    if weights:
        net_weight = Decimal(elements[weights[0]]).scaleb(-int(weights[0][3]))
    return GS1Data(
        gtin=normalize_gtin(gtin) if gtin is not None else None,
        lot=elements.get("10"),
        expiry=_parse_date(elements["17"]) if "17" in elements else None,
        net_weight_kg=net_weight,
        elements=elements,
    )


def format_gs1_text(elements: dict[str, str]) -> str:
    """Return the human-readable '(AI)value...' text for GS1 elements, in their given order."""
    return "".join(f"({ai}){value}" for ai, value in elements.items())


@dataclass(frozen=True)
class ScanCode:
    """One decoded scan: the raw input, the plain code to look up first, and GS1 data if it is GS1."""

    raw: str
    code: str
    gs1: GS1Data | None


def decode_scan(raw: str) -> ScanCode:
    """Clean a scan and return both its plain lookup code and its GS1 data (None when it isn't GS1)."""
    cleaned = clean_scan(raw)
    _, plain = strip_symbology_id(cleaned)
    # FNC1 is a control signal, not part of any code we store, in either of its spellings.
    for separator in _SEPARATORS:
        plain = plain.replace(separator, "")
    return ScanCode(raw=raw, code=plain, gs1=parse_gs1(cleaned))
