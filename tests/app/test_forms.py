"""Numbers as people type them on the screens: accepted as typed, or a sentence, never rounded or a 500."""

from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.forms import parse_decimal


@pytest.mark.parametrize(
    ("typed", "number", "message"),
    [
        ("12,5", Decimal("12.5"), None),
        (" 2 ", Decimal(2), None),
        ("1,234", Decimal("1.234"), None),
        ("1,2345", None, "At most 3 decimal places."),  # was taken as 1.2345 and rounded later
        ("0.0005", None, "At most 3 decimal places."),
        ("1e30", None, "Too large."),
        ("99999999999999999999", None, "Too large."),
        ("NaN", None, "Enter a number, like 2 or 12,5."),
        ("Infinity", None, "Enter a number, like 2 or 12,5."),
        ("sNaN", None, "Enter a number, like 2 or 12,5."),
        ("dua", None, "Enter a number, like 2 or 12,5."),
        ("", None, "Enter a number, like 2 or 12,5."),
    ],
)
def test_a_typed_quantity(app, typed, number, message):
    errors: dict = {}
    with app.test_request_context(), force_locale("en"):
        assert parse_decimal(typed, "quantity", errors) == number
    assert errors.get("quantity") == message


def test_no_csv_cell_can_be_read_as_a_formula():
    from app.formatting import csv_line_writer

    line = csv_line_writer()
    assert line(['=HYPERLINK("http://x")', "+62 812", "-5", "-1.5", "@SUM(A1)", "Siti"]) == (
        '"\'=HYPERLINK(""http://x"")",\'+62 812,-5,-1.5,\'@SUM(A1),Siti\r\n'
    )
