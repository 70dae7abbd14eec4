"""Barcode label images (SVG or PNG) rendered in memory with python-barcode."""

from __future__ import annotations

import io
import os
import re
from datetime import date
from html import escape

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
    swallows,
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
    """Render a barcode as SVG or PNG bytes; text replaces the human-readable line under the bars.

    EAN codes keep python-barcode's digits under the bars (they fit by design). Every other label gets its text
    set here, in lines that fit the label's width, the font shrunk to fit: a GS1-128 lot label shows its element
    string as (01)… / (17)… (10)… and its expiry as a date (EXP 31-05-2027); before, its one long line was cut
    at both ends."""
    if symbology not in SYMBOLOGIES:
        raise LabelError(f"unsupported symbology {symbology!r}; use one of {sorted(SYMBOLOGIES)}")
    if fmt not in FORMATS:
        raise LabelError(f"unsupported format {fmt!r}; use 'svg' or 'png'")
    if not data:
        raise LabelError("cannot render an empty barcode")

    code, lines = data, None
    if symbology in _EAN_LENGTHS:
        code = _check_ean(symbology, data)
    elif symbology == "gs1_128":
        code, human = _check_gs1_128(data)
        lines = [text] if text is not None else _gs1_lines(parse_gs1("]C1" + code).elements)
    else:
        lines = [text if text is not None else data]

    try:
        symbol = barcode.get(symbology, code, writer=_writer(fmt))
        if symbology in _EAN_LENGTHS and symbol.get_fullcode() != data:
            raise LabelError(f"python-barcode would print {symbol.get_fullcode()!r} instead of {data!r}")
        buffer = io.BytesIO()
        if lines is None:
            symbol.write(buffer, text=text)
            return buffer.getvalue()
        symbol.write(buffer, options={"write_text": False})
    except BarcodeError as exc:
        raise LabelError(f"cannot render {data!r} as {symbology}: {exc}") from exc
    return _with_text_svg(buffer.getvalue(), lines) if fmt == "svg" else _with_text_png(buffer.getvalue(), lines)


def _gs1_lines(elements: dict[str, str]) -> list[str]:
    """The human-readable lines of a GS1-128 label: the GTIN on one line, the rest on the next, and the expiry
    as people read a date."""
    first = "".join(f"({ai}){value}" for ai, value in elements.items() if ai in ("01", "02"))
    rest = "".join(f"({ai}){value}" for ai, value in elements.items() if ai not in ("01", "02"))
    lines = [line for line in (first, rest) if line]
    if "17" in elements:
        yymmdd = elements["17"]
        day = "??" if yymmdd[4:] == "00" else yymmdd[4:]  # GS1: day 00 means the end of the month
        lines.append(f"EXP {day}-{yymmdd[2:4]}-20{yymmdd[:2]}")
    return lines


# The text under the bars: a monospaced font whose advance is 0.6 em (DejaVu Sans Mono: 0.602, Liberation
# Mono and Courier: 0.6); sized so the longest line fits the label less a margin, never above MAX_TEXT_MM.
MONO_ADVANCE = 0.62
MAX_TEXT_MM = 3.0
TEXT_MARGIN_MM = 1.0
_MM = 96 / 25.4  # SVG user units (CSS px) per mm


def text_size_mm(width_mm: float, lines: list[str]) -> float:
    """The font size (mm) at which the longest line fits a label this wide."""
    longest = max((len(line) for line in lines), default=1) or 1
    return min(MAX_TEXT_MM, (width_mm - 2 * TEXT_MARGIN_MM) / (longest * MONO_ADVANCE))


def _with_text_svg(svg: bytes, lines: list[str]) -> bytes:
    """python-barcode's bars-only SVG, made taller, with the lines under the bars and a viewBox, so the label
    scales as a whole wherever it is shown (an <img> on the label sheet)."""
    source = svg.decode()
    head = re.search(r'<svg ([^>]*)width="([\d.]+)mm" height="([\d.]+)mm"([^>]*)>', source)
    if head is None:
        raise LabelError("unexpected SVG from python-barcode")
    width, height = float(head.group(2)), float(head.group(3))
    size = text_size_mm(width, lines)
    step = size * 1.2
    total = height + step * len(lines) + TEXT_MARGIN_MM
    texts = "".join(
        f'<text x="{width / 2:.3f}mm" y="{height + step * (n + 1) - size * 0.2:.3f}mm" '
        f"style=\"fill:black;font-family:'DejaVu Sans Mono','Liberation Mono',monospace;"
        f'font-size:{size:.3f}mm;text-anchor:middle;">{escape(line)}</text>'
        for n, line in enumerate(lines)
    )
    new_head = (
        f'<svg {head.group(1)}width="{width:.3f}mm" height="{total:.3f}mm"{head.group(4)} '
        f'viewBox="0 0 {width * _MM:.3f} {total * _MM:.3f}">'
    )
    body = source[: head.start()] + new_head + source[head.end() :]
    body = body.replace('<rect width="100%" height="100%" style="fill:white"/>', "", 1)
    body = body.replace("<g ", '<rect width="100%" height="100%" style="fill:white"/><g ', 1)
    return body.replace("</svg>", texts + "</svg>").encode()


def _with_text_png(png: bytes, lines: list[str]) -> bytes:
    """The bars-only PNG with the lines drawn under it, each measured so it fits the image's width."""
    from PIL import Image, ImageDraw, ImageFont

    bars = Image.open(io.BytesIO(png)).convert("RGB")
    width = bars.width
    margin = max(4, width // 60)
    font_path = os.path.join(os.path.dirname(barcode.__file__), "fonts", "DejaVuSansMono.ttf")
    size = max(8, int(bars.height * 0.22))
    while True:
        font = ImageFont.truetype(font_path, size)
        if size <= 8 or all(font.getlength(line) <= width - 2 * margin for line in lines):
            break
        size -= 1
    step = int(size * 1.25)
    image = Image.new("RGB", (width, bars.height + step * len(lines) + margin), "white")
    image.paste(bars, (0, 0))
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((width / 2, bars.height + step * n), line, fill="black", font=font, anchor="ma")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def gs1_128_data(gtin: str, lot: str | None = None, expiry: date | None = None) -> tuple[str, str]:
    """Return (python-barcode gs1_128 data, human-readable text) for a GTIN with optional expiry and lot."""
    if not is_valid_gtin(gtin):
        raise LabelError(f"not a valid GTIN (8, 12, 13 or 14 digits with a correct check digit): {gtin!r}")
    # (AI, value, variable length); fixed fields first so that the only variable one, the lot, comes last and
    # needs no FNC1 after it, which keeps the symbol short.
    fields: list[tuple[str, str, bool]] = [("01", gtin.zfill(14), False)]
    lot_first = lot is not None and swallows(lot)  # its end reads as a date: an FNC1 after it, not at the end
    if lot_first:
        fields.append(("10", lot, True))
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
        if not lot_first:
            fields.append(("10", lot, True))

    data = ""
    for index, (ai, value, variable) in enumerate(fields):
        data += ai + value
        if variable and index < len(fields) - 1:
            data += FNC1
    return data, "".join(f"({ai}){value}" for ai, value, _ in fields)
