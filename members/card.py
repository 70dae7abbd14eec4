"""The member card's barcode: the member number as Code128, the symbology every wedge scanner reads."""

import io

import barcode
from barcode.writer import SVGWriter

from app import settings


def cooperative_name() -> str:
    return settings.get("cooperative_name")


def member_barcode_svg(member_number: str) -> bytes:
    """Code128 of the member number as SVG (python-barcode directly: members do not stand on inventory)."""
    symbol = barcode.get("code128", member_number, writer=SVGWriter())
    buffer = io.BytesIO()
    symbol.write(buffer, options={"module_height": 9.0, "quiet_zone": 3.0, "font_size": 8, "text_distance": 3.5})
    return buffer.getvalue()
