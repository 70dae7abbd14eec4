"""Tests for barcode label rendering and GS1-128 label data."""

import datetime
import io
import re
import string

import barcode
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.barcodes import GS, decode_scan, format_gs1_text, gs1_check_digit, normalize_gtin, parse_gs1
from inventory.labels import LabelError, gs1_128_data, render_barcode

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_svg(image: bytes) -> None:
    """Fail unless image is an SVG document."""
    assert image.startswith(b"<?xml")
    assert b"<svg" in image


# --- render_barcode -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbology", "data"),
    [
        ("ean13", "4006381333931"),
        ("ean8", "96385074"),
        ("code128", "SKU-0042"),
        ("gs1_128", "0104006381333931" + "10LOT42"),
    ],
)
def test_render_svg_and_png(symbology, data):
    _assert_svg(render_barcode(symbology, data))
    _assert_svg(render_barcode(symbology, data, fmt="svg"))
    png = render_barcode(symbology, data, fmt="png")
    assert png.startswith(PNG_SIGNATURE)


def test_ean13_svg_shows_the_full_code():
    assert b">4006381333931</text>" in render_barcode("ean13", "4006381333931")


def test_ean13_encodes_the_given_code():
    buffer = io.BytesIO()
    barcode.get("ean13", "400638133393").write(buffer)
    assert render_barcode("ean13", "4006381333931") == buffer.getvalue()


@pytest.mark.parametrize(
    ("symbology", "data"),
    [
        ("ean13", "4006381333932"),
        ("ean13", "4006381333930"),
        ("ean8", "96385073"),
    ],
)
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_wrong_check_digit_is_refused(symbology, data, fmt):
    with pytest.raises(LabelError, match="check digit"):
        render_barcode(symbology, data, fmt=fmt)


@pytest.mark.parametrize(
    ("symbology", "data"),
    [
        ("ean13", "400638133393"),  # body only: ambiguous, refused
        ("ean13", "40063813339311"),  # python-barcode would truncate silently
        ("ean13", "400638133393A"),
        ("ean8", "9638507"),
        ("ean8", "963850744"),
        ("code128", ""),
        ("code128", "café"),  # outside Code 128's character set
        ("gs1_128", "(01)04006381333931(10)LOT42"),  # parentheses would be encoded literally
        ("gs1_128", "0104006381333932"),  # wrong GTIN check digit
        ("gs1_128", "0104006381333931" + "99ABC"),  # unknown AI
        ("gs1_128", "\xf1(01)04006381333931"),
        ("gs1_128", "0104006381333931" + "10" + "A" * 21),
    ],
)
def test_invalid_data_is_refused(symbology, data):
    with pytest.raises(LabelError):
        render_barcode(symbology, data)


def test_label_error_is_a_value_error():
    with pytest.raises(ValueError, match="expected 1"):
        render_barcode("ean13", "4006381333932")


def test_unknown_symbology_and_format_are_refused():
    with pytest.raises(LabelError, match="symbology"):
        render_barcode("qr", "4006381333931")
    with pytest.raises(LabelError, match="format"):
        render_barcode("ean13", "4006381333931", fmt="jpeg")


def test_text_overrides_the_human_readable_line():
    image = render_barcode("code128", "SKU-0042", text="Beras 5 kg")
    assert b">Beras 5 kg</text>" in image
    assert b">SKU-0042</text>" not in image


def test_gs1_128_default_text_uses_parentheses_and_shows_the_expiry_as_a_date():
    image = render_barcode("gs1_128", "0104006381333931" + "10LOT42\xf1" + "17261231")
    assert b">(01)04006381333931</text>" in image
    assert b">(10)LOT42(17)261231</text>" in image
    assert b">EXP 31-12-2026</text>" in image
    assert "\xf1".encode() not in image


def test_gs1_128_encodes_fnc1_not_a_literal_gs():
    with_gs = render_barcode("gs1_128", "0104006381333931" + "10LOT42" + GS + "17261231")
    with_fnc1 = render_barcode("gs1_128", "0104006381333931" + "10LOT42\xf1" + "17261231")
    assert with_gs == with_fnc1


def test_gs1_128_leading_fnc1_is_not_doubled():
    assert render_barcode("gs1_128", "\xf10104006381333931") == render_barcode("gs1_128", "0104006381333931")


# --- gs1_128_data -------------------------------------------------------------------------------------------


def test_gs1_128_data_exact_output():
    data, text = gs1_128_data("4006381333931", lot="LOT42", expiry=datetime.date(2026, 12, 31))
    assert data == "0104006381333931" + "17261231" + "10LOT42"
    assert text == "(01)04006381333931(17)261231(10)LOT42"


@pytest.mark.parametrize(
    ("gtin", "ai01"),
    [
        ("4006381333931", "04006381333931"),
        ("036000291452", "00036000291452"),
        ("96385074", "00000096385074"),
        ("10012345678902", "10012345678902"),
    ],
)
def test_gs1_128_data_pads_gtin_to_14_digits(gtin, ai01):
    assert gs1_128_data(gtin) == ("01" + ai01, "(01)" + ai01)


def test_gs1_128_data_without_lot_or_expiry():
    assert gs1_128_data("4006381333931", expiry=datetime.date(2028, 2, 29)) == (
        "0104006381333931" + "17280229",
        "(01)04006381333931(17)280229",
    )
    assert gs1_128_data("4006381333931", lot="A") == ("0104006381333931" + "10A", "(01)04006381333931(10)A")


@pytest.mark.parametrize(
    ("gtin", "lot", "expiry", "message"),
    [
        ("4006381333932", None, None, "GTIN"),
        ("400638133393", None, None, "GTIN"),
        ("SKU-0042", None, None, "GTIN"),
        ("4006381333931", "", None, "lot"),
        ("4006381333931", "A" * 21, None, "lot"),
        ("4006381333931", "LOT 42", None, "characters"),
        ("4006381333931", "LOT#42", None, "characters"),
        ("4006381333931", None, datetime.date(1999, 12, 31), "year"),
        ("4006381333931", None, datetime.date(2100, 1, 1), "year"),
    ],
)
def test_gs1_128_data_refuses_bad_input(gtin, lot, expiry, message):
    with pytest.raises(LabelError, match=message):
        gs1_128_data(gtin, lot=lot, expiry=expiry)


def test_gs1_128_data_round_trip():
    data, text = gs1_128_data("4006381333931", lot="LOT42", expiry=datetime.date(2026, 12, 31))
    for scanned in [data, "]C1" + data, "\xf1" + data, text]:
        parsed = parse_gs1(scanned)
        assert parsed is not None
        assert parsed.gtin == "4006381333931"
        assert parsed.lot == "LOT42"
        assert parsed.expiry == datetime.date(2026, 12, 31)


def test_gs1_128_data_round_trip_through_decode_scan():
    data, _ = gs1_128_data("036000291452", lot="B-7", expiry=datetime.date(2027, 1, 5))
    scan = decode_scan("]C1" + data + "\r\n")
    assert scan.code == "0100036000291452" + "17270105" + "10B-7"
    assert scan.gs1 is not None
    assert scan.gs1.gtin == "0036000291452"
    assert scan.gs1.lot == "B-7"
    assert scan.gs1.expiry == datetime.date(2027, 1, 5)


def test_gs1_128_data_ean8_comes_back_as_ean8():
    data, _ = gs1_128_data("96385074", lot="X")
    parsed = parse_gs1(data)
    assert parsed is not None
    assert parsed.gtin == "96385074"
    assert parsed.elements["01"] == "00000096385074"


def test_gs1_128_data_renders_with_its_human_text():
    data, text = gs1_128_data("4006381333931", lot="LOT42", expiry=datetime.date(2026, 12, 31))
    image = render_barcode("gs1_128", data, text=text)
    assert f">{text}</text>".encode() in image
    assert render_barcode("gs1_128", data, fmt="png", text=text).startswith(PNG_SIGNATURE)


# --- the label's text fits, and the label reads back --------------------------------------------------------

LABELS = [  # (symbology, data): every kind of label Lumbung prints, at its longest
    ("ean13", "8991000000300"),
    ("ean8", "96385074"),
    ("code128", "GDG-A-01"),
    ("code128", "GUDANG-ZONA-B-RAK-0001"),  # a long location code
    ("code128", "LOT-ABCDEFGHIJKLMNOP"),  # a lot without a GTIN: 20 characters
    ("gs1_128", gs1_128_data("8991000000300", lot="SPHP-2611A", expiry=datetime.date(2027, 5, 31))[0]),
    ("gs1_128", gs1_128_data("8991000000300", lot="ABCDEFGHIJKLMNOPQRST", expiry=datetime.date(2027, 5, 31))[0]),
]


@pytest.mark.parametrize(("symbology", "data"), LABELS)
def test_every_label_reads_back_and_its_text_stays_inside_it(symbology, data):
    """Decoded from the PNG by ZXing; the text under the bars is inside the image (no dark pixel in the margin
    columns of the text rows), and in the SVG each line fits the width at its font size. Before, a GS1-128 lot
    label's one text line ran past both edges: '(01' and the end of the lot were cut."""
    import io

    import zxingcpp
    from PIL import Image

    from inventory.labels import MONO_ADVANCE

    image = Image.open(io.BytesIO(render_barcode(symbology, data, fmt="png"))).convert("L")
    [found] = zxingcpp.read_barcodes(image)
    expected = data if symbology != "gs1_128" else format_gs1_text(parse_gs1("]C1" + data).elements)
    assert found.text == expected
    pixels = image.load()
    rows = [y for y in range(image.height) if any(pixels[x, y] < 128 for x in range(image.width))]
    text_rows = range(max(rows) - 10, max(rows) + 1)
    edge = max(2, image.width // 100)
    for y in text_rows:
        assert all(pixels[x, y] >= 128 for x in (*range(edge), *range(image.width - edge, image.width))), y
    if symbology in ("ean13", "ean8"):
        return
    svg = render_barcode(symbology, data).decode()
    width = float(re.search(r'<svg [^>]*width="([\d.]+)mm"', svg).group(1))
    assert "viewBox" in svg
    for size, text in re.findall(r"font-size:([\d.]+)mm;[^>]*>([^<]*)</text>", svg):
        assert len(text) * float(size) * MONO_ADVANCE <= width - 1.9, text


_BODY_LENGTHS = st.sampled_from([11, 12, 13])  # UPC-A, EAN-13 and GTIN-14 bodies


@st.composite
def _gtins(draw: st.DrawFn) -> str:
    """Draw a valid 12, 13 or 14 digit GTIN."""
    length = draw(_BODY_LENGTHS)
    body = draw(st.text(alphabet=string.digits, min_size=length, max_size=length))
    return body + gs1_check_digit(body)


@settings(database=None, max_examples=200)
@given(
    gtin=_gtins(),
    lot=st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=20),
    expiry=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31)),
)
def test_gs1_128_data_round_trip_property(gtin, lot, expiry):
    data, text = gs1_128_data(gtin, lot=lot, expiry=expiry)
    for scanned in (data, "]C1" + data, text):
        parsed = parse_gs1(scanned)
        assert parsed is not None
        assert parsed.gtin == normalize_gtin(gtin)
        assert parsed.elements["01"] == gtin.zfill(14)
        assert parsed.lot == lot
        assert parsed.expiry == expiry


def test_a_lot_whose_end_reads_as_a_date_is_printed_with_a_separator_after_it():
    data, _text = gs1_128_data("8991000000300", lot="A11270531", expiry=datetime.date(2027, 5, 31))
    assert data.index("10A11270531") < data.index("17270531") and "\xf1" in data
    assert parse_gs1("]C1" + data).lot == "A11270531"
