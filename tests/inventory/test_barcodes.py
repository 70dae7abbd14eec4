"""Tests for scan cleaning, GTIN check digits and the GS1 element-string parser."""

import dataclasses
import datetime
from decimal import Decimal

import pytest

from inventory.barcodes import (
    GS,
    GS1Data,
    ScanCode,
    clean_scan,
    decode_scan,
    gs1_check_digit,
    is_valid_gtin,
    missing_separator,
    normalize_gtin,
    parse_gs1,
    strip_symbology_id,
    symbology_for,
)

# GS1's own example GTIN, written as the 14 digits that follow AI 01.
GTIN14 = "09501101530003"
AI01 = "01" + GTIN14


# --- check digits -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("400638133393", "1"),  # EAN-13
        ("9638507", "4"),  # EAN-8
        ("03600029145", "2"),  # UPC-A
        ("1001234567890", "2"),  # GTIN-14
        ("10614141123456789", "7"),  # SSCC
        ("000000000000", "0"),
    ],
)
def test_gs1_check_digit(body, check):
    assert gs1_check_digit(body) == check


@pytest.mark.parametrize("body", ["", "12a4", "１２３", "12 34"])
def test_gs1_check_digit_refuses_non_digits(body):
    with pytest.raises(ValueError):
        gs1_check_digit(body)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("4006381333931", True),
        ("4006381333932", False),
        ("96385074", True),
        ("96385073", False),
        ("036000291452", True),  # UPC-A
        ("036000291453", False),
        ("10012345678902", True),  # GTIN-14
        ("10012345678903", False),
        ("09501101530003", True),
        ("400638133393", False),  # 12 digits, but not a valid UPC-A
        ("40063813339", False),  # 11 digits is no GTIN length
        ("106141411234567897", False),  # 18 digits (SSCC) is no GTIN length
        ("400638133393a", False),
        ("", False),
        ("４００６３８１３３３９３１", False),  # full-width digits are not ASCII digits
    ],
)
def test_is_valid_gtin(code, valid):
    assert is_valid_gtin(code) is valid


@pytest.mark.parametrize(
    ("code", "symbology"),
    [
        ("4006381333931", "ean13"),
        ("96385074", "ean8"),
        ("4006381333932", "code128"),  # wrong check digit: EAN would print another code
        ("96385073", "code128"),
        ("036000291452", "code128"),
        ("10012345678902", "code128"),
        ("ABC-123", "code128"),
        ("", "code128"),
    ],
)
def test_symbology_for(code, symbology):
    assert symbology_for(code) == symbology


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("09501101530003", "9501101530003"),  # GTIN-14 with indicator 0 -> EAN-13
        ("036000291452", "0036000291452"),  # UPC-A -> EAN-13
        ("4006381333931", "4006381333931"),
        ("96385074", "96385074"),
        ("00000096385074", "96385074"),  # an EAN-8 inside a GTIN-14
        ("10012345678902", "10012345678902"),  # indicator digit 1 is a different trade item
        ("ABC-123", "ABC-123"),
    ],
)
def test_normalize_gtin(code, key):
    assert normalize_gtin(code) == key


# --- scanner noise ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("  4006381333931\r\n", "4006381333931"),
        ("4006381333931\\n", "4006381333931"),  # literal backslash-n from a camera app
        ("\t]E04006381333931\n", "]E04006381333931"),
        ("\\n4006381333931 \\n\r\n\\r\\n", "4006381333931"),  # mixed and repeated terminators
        (AI01 + GS + "10AB" + GS + "\r\n", AI01 + GS + "10AB" + GS),  # GS is data, not whitespace
        (GS + AI01 + "\n", GS + AI01),
        ("ABC 123\n", "ABC 123"),  # interior space kept
        ("\r\n", ""),
    ],
)
def test_clean_scan(raw, cleaned):
    assert clean_scan(raw) == cleaned


@pytest.mark.parametrize(
    ("code", "split"),
    [
        ("]C1" + AI01, ("]C1", AI01)),
        ("]E04006381333931", ("]E0", "4006381333931")),
        ("]d2" + AI01, ("]d2", AI01)),
        ("]Q3" + AI01, ("]Q3", AI01)),
        ("4006381333931", (None, "4006381333931")),
        ("]CX123", (None, "]CX123")),
        ("]1C123", (None, "]1C123")),
        ("x]C1123", (None, "x]C1123")),
    ],
)
def test_strip_symbology_id(code, split):
    assert strip_symbology_id(code) == split


# --- GS1 parsing: accepted forms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        AI01 + "10ABC" + GS + "17261231",  # GS separator
        AI01 + "10ABC\xf117261231",  # FNC1 sent as \xf1
        "]C1" + AI01 + "10ABC" + GS + "17261231",  # GS1-128 symbology id
        "]e0" + AI01 + "10ABC" + GS + "17261231",
        "]d2" + AI01 + "10ABC" + GS + "17261231",
        "]Q3" + AI01 + "10ABC" + GS + "17261231",
        GS + AI01 + "10ABC" + GS + "17261231",  # leading FNC1 ignored
        "\xf1" + AI01 + "10ABC\xf117261231",
        "]C1" + GS + AI01 + "10ABC" + GS + "17261231",
        "(01)09501101530003(10)ABC(17)261231",  # typed with parentheses
        "(01)09501101530003(17)261231(10)ABC",
        AI01 + "17261231" + "10ABC",  # fixed fields need no separator; unbracketed plain 01 form
        AI01 + GS + "17261231" + GS + "10ABC" + GS,  # redundant separators after fixed fields and at the end
    ],
)
def test_parse_gs1_accepted_forms(code):
    data = parse_gs1(code)
    assert data is not None
    assert data.gtin == "9501101530003"
    assert data.lot == "ABC"
    assert data.expiry == datetime.date(2026, 12, 31)
    assert data.net_weight_kg is None
    assert data.elements["01"] == GTIN14
    assert data.elements["10"] == "ABC"
    assert data.elements["17"] == "261231"
    assert set(data.elements) == {"01", "10", "17"}


def test_parse_gs1_returns_frozen_hashable_data():
    data = parse_gs1(AI01 + "10ABC")
    assert data == GS1Data(gtin="9501101530003", lot="ABC", elements={"01": GTIN14, "10": "ABC"})
    assert hash(data) == hash(parse_gs1("(01)09501101530003(10)ABC"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.lot = "XYZ"


def test_lot_does_not_swallow_expiry_after_gs():
    data = parse_gs1(AI01 + "10LOT42" + GS + "17270315" + "3102001250")
    assert data is not None
    assert data.lot == "LOT42"
    assert data.expiry == datetime.date(2027, 3, 15)
    assert data.net_weight_kg == Decimal("12.50")


def test_variable_field_without_separator_runs_to_the_end_unless_it_holds_another_field():
    # GS1 semantics: without FNC1 the lot is everything that follows; but a lot holding what reads as an expiry
    # (17 + a date) is a missing separator more likely than a lot: refused rather than guessed either way.
    assert parse_gs1(AI01 + "10ABC17261231") is None
    assert parse_gs1(AI01 + "10ABC-1726").lot == "ABC-1726"
    # No whole element at its end (17 and five digits): by GS1's rule, a lot of ten characters.
    assert parse_gs1("0108991000000508101231727053").lot == "1231727053"


def test_two_variable_fields_separated_by_fnc1():
    data = parse_gs1("]C1" + AI01 + "21SER-9" + GS + "10L/7" + GS + "37" + "12" + GS + "240PART.1")
    assert data is not None
    assert data.lot == "L/7"
    assert data.elements == {"01": GTIN14, "21": "SER-9", "10": "L/7", "37": "12", "240": "PART.1"}


def test_gtin_from_ai_02_and_count_37():
    data = parse_gs1("02" + GTIN14 + "37" + "24")
    assert data is not None
    assert data.gtin == "9501101530003"
    assert data.elements == {"02": GTIN14, "37": "24"}


def test_gtin14_with_indicator_is_kept_at_14_digits():
    data = parse_gs1("0110012345678902")
    assert data is not None
    assert data.gtin == "10012345678902"


def test_sscc_needs_a_symbology_id_or_fnc1():
    assert parse_gs1("00106141411234567897") is None  # plain text must start with 01 or 02
    data = parse_gs1("]C100106141411234567897")
    assert data is not None
    assert data.gtin is None
    assert data.elements == {"00": "106141411234567897"}
    assert parse_gs1("]C100106141411234567898") is None  # wrong SSCC check digit


@pytest.mark.parametrize(
    ("value", "expiry"),
    [
        ("261231", datetime.date(2026, 12, 31)),
        ("280200", datetime.date(2028, 2, 29)),  # day 00 in February of a leap year
        ("270200", datetime.date(2027, 2, 28)),
        ("261100", datetime.date(2026, 11, 30)),
        ("260100", datetime.date(2026, 1, 31)),
        ("280229", datetime.date(2028, 2, 29)),
        ("000101", datetime.date(2000, 1, 1)),
        ("991231", datetime.date(2099, 12, 31)),
    ],
)
def test_expiry_dates(value, expiry):
    data = parse_gs1(AI01 + "17" + value)
    assert data is not None
    assert data.expiry == expiry
    assert data.elements["17"] == value


@pytest.mark.parametrize(
    ("ai", "value", "kg"),
    [
        ("3102", "001250", "12.50"),
        ("3103", "001250", "1.250"),
        ("3100", "000012", "12"),
        ("3105", "123456", "1.23456"),
    ],
)
def test_net_weight_kg(ai, value, kg):
    data = parse_gs1(AI01 + ai + value)
    assert data is not None
    assert data.net_weight_kg == Decimal(kg)
    assert str(data.net_weight_kg) == kg  # the implied decimals are kept, not just the value


def test_other_dates_are_validated_but_only_17_is_expiry():
    data = parse_gs1(AI01 + "11250101" + "13250102" + "15270300")
    assert data is not None
    assert data.expiry is None
    assert data.elements == {"01": GTIN14, "11": "250101", "13": "250102", "15": "270300"}
    assert parse_gs1(AI01 + "11250230") is None
    assert parse_gs1(AI01 + "15251301") is None


def test_maximum_lengths_are_accepted():
    assert parse_gs1(AI01 + "10" + "A" * 20).lot == "A" * 20
    assert parse_gs1(AI01 + "21" + "9" * 20).elements["21"] == "9" * 20
    assert parse_gs1(AI01 + "37" + "9" * 8).elements["37"] == "9" * 8
    assert parse_gs1(AI01 + "240" + "Z" * 30).elements["240"] == "Z" * 30


# --- GS1 parsing: refused input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "",
        "]C1",
        GS,
        "\xf1",
        "()",
        # plain codes that merely look like GS1
        "0123456789012",
        "10ABC",
        "17261231",
        "4006381333931",
        "96385074",
        "3102001250",
        "21SERIAL",
        "]E04006381333931",  # EAN-13 symbology id, not GS1
        "]C0" + AI01,  # plain Code 128 symbology id
        # bad GTIN check digit
        "0109501101530004",
        "]C10109501101530004",
        "(01)09501101530004",
        "0210012345678903",
        # invalid dates
        AI01 + "17261332",
        AI01 + "17261301",
        AI01 + "17260230",
        AI01 + "17270229",
        AI01 + "171312",
        "(01)09501101530003(17)261332",
        # unknown or unsupported AIs
        "]C1" + AI01 + "99ABC",
        "]C1" + AI01 + "3106001250",
        "]C1" + AI01 + "3202001250",
        "(01)09501101530003(99)ABC",
        "(01)09501101530003(3106)001250",
        "(1)09501101530003",
        # too long or empty variable fields
        AI01 + "10" + "A" * 21,
        AI01 + "10" + "A" * 21 + GS + "17261231",
        AI01 + "21" + "A" * 21,
        AI01 + "37" + "1" * 9,
        AI01 + "240" + "A" * 31,
        AI01 + "10" + GS + "17261231",
        "(01)09501101530003(10)",
        "(01)09501101530003(10)" + "A" * 21,
        # non-numeric values in numeric AIs, characters outside GS1's set
        AI01 + "37" + "1A",
        AI01 + "3102" + "0012.5",
        "(01)0950110153000A",
        AI01 + "10AB C",
        AI01 + "10ABÇ",
        # fixed fields of the wrong length
        "010950110153000",
        "]C1010950110153000",
        "(01)0950110153000",
        "(01)095011015300031",
        AI01 + "17" + "2612",
        # separator in the wrong place
        AI01 + GS + GS + "10ABC",
        "01095011" + GS + "01530003",
        # repeated or conflicting AIs
        AI01 + "10ABC" + GS + "10DEF",
        AI01 + "02" + GTIN14,
        AI01 + "3102001250" + "3103001250",
        # malformed parentheses
        "(01)09501101530003)",
        "(01)09501101530003 (10)ABC",
        "x(01)09501101530003",
        "(01)09501101530003(10)A(B",
    ],
)
def test_parse_gs1_refuses(code):
    assert parse_gs1(code) is None


def test_parse_gs1_never_raises_on_junk():
    for code in ["]", "]C", "(", ")", "(0", "(01", "01", "310", "3102", "\x00", "]C1\x1d\x1d", "((01))"]:
        assert parse_gs1(code) is None


# --- decode_scan --------------------------------------------------------------------------------------------


def test_decode_scan_plain_ean_with_wedge_noise():
    for raw in ["  4006381333931\r\n", "4006381333931\\n", "\t]E04006381333931\n"]:
        scan = decode_scan(raw)
        assert scan == ScanCode(raw=raw, code="4006381333931", gs1=None)


def test_decode_scan_gs1_gives_plain_code_and_gs1_data():
    raw = "]C1" + AI01 + "10ABC" + GS + "17261231\r\n"
    scan = decode_scan(raw)
    assert scan.raw == raw
    assert scan.code == AI01 + "10ABC" + "17261231"
    assert scan.gs1 is not None
    assert scan.gs1.gtin == "9501101530003"
    assert scan.gs1.lot == "ABC"
    assert scan.gs1.expiry == datetime.date(2026, 12, 31)


def test_decode_scan_removes_fnc1_in_both_spellings_from_plain_code():
    scan = decode_scan("\xf1" + AI01 + "10ABC\xf117261231")
    assert scan.code == AI01 + "10ABC17261231"
    assert scan.gs1 is not None
    assert scan.gs1.lot == "ABC"
    assert scan.gs1.expiry == datetime.date(2026, 12, 31)


def test_decode_scan_typed_parentheses():
    scan = decode_scan(" (01)09501101530003(3103)001250\n")
    assert scan.code == "(01)09501101530003(3103)001250"
    assert scan.gs1 is not None
    assert scan.gs1.net_weight_kg == Decimal("1.250")


@pytest.mark.parametrize("raw", ["0123456789012\r\n", "10ABC\n", "17261231", "SKU-0042\\n"])
def test_decode_scan_plain_codes_that_look_like_gs1(raw):
    scan = decode_scan(raw)
    assert scan.gs1 is None
    assert scan.code == clean_scan(raw)


@pytest.mark.parametrize(
    "code",
    [
        "01089910000005081012317270531",  # (10)123 then (17)270531 with no FNC1 between them
        "010899100000050810LOT3103001234",  # a weight at the end of the lot
    ],
)
def test_a_lot_that_swallows_the_next_field_is_refused_never_guessed(code):
    assert parse_gs1(code) is None
    assert missing_separator(code)


def test_the_same_with_a_separator_or_brackets_reads_fine():
    with_gs = parse_gs1("0108991000000508" + "10123" + GS + "17270531")
    assert (with_gs.lot, with_gs.expiry) == ("123", datetime.date(2027, 5, 31))
    typed = parse_gs1("(01)08991000000508(10)123(17)270531")
    assert (typed.lot, typed.expiry) == ("123", datetime.date(2027, 5, 31))
    assert parse_gs1("0108991000000508" + "10SPHP-2611A").lot == "SPHP-2611A"  # a lot at the end: fine
    assert not missing_separator("0108991000000508" + "10SPHP-2611A")
