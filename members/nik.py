"""Format checks of Indonesian ID numbers: NIK (16 digits), KK (16 digits), NIB (13 digits).

A NIK reads PP KK CC DDMMYY NNNN: province (11-94), regency, district, birth date (women add 40 to the
day), then a serial that is never 0000.
The check catches typing and spreadsheet mistakes; it cannot tell whether a NIK was really issued.
"""

from datetime import date

from flask_babel import gettext as _

from app import clock

NIK_LENGTH = 16
KK_LENGTH = 16
NIB_LENGTH = 13
PROVINCE_CODES = range(11, 95)


def only_digits(text: str | None) -> str:
    """The number as people type it, less spaces, dots and dashes."""
    return "".join(ch for ch in (text or "") if ch not in " .-\t")


def _is_digits(text: str, length: int) -> bool:
    return len(text) == length and text.isascii() and text.isdigit()


def nik_birth_date(nik: str) -> date | None:
    """The birth date a NIK carries (the day less 40 for women), or None if it is not a date.

    Two-digit years are ambiguous: 20YY unless that is still to come, else 19YY (29-02-00 is 2000's)."""
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    found = None
    for century in (1900, 2000):
        try:
            candidate = date(century + year, month, day)
        except ValueError:
            continue
        if found is None or candidate <= clock.today():
            found = candidate
    return found


def nik_problems(nik: str) -> list[str]:
    """What is wrong with a NIK, in the reader's language; empty when it passes the format check."""
    if not _is_digits(nik, NIK_LENGTH):
        return [_("A NIK has exactly 16 digits.")]
    problems = []
    if int(nik[:2]) not in PROVINCE_CODES:
        problems.append(_("A NIK starts with a province code from 11 to 94."))
    if nik_birth_date(nik) is None:
        problems.append(_("Digits 7 to 12 of a NIK are the birth date DDMMYY (women add 40 to the day)."))
    if nik[12:] == "0000":
        problems.append(_("The last 4 digits of a NIK cannot be 0000."))
    return problems


def kk_problems(kk_number: str) -> list[str]:
    if not _is_digits(kk_number, KK_LENGTH) or int(kk_number[:2]) not in PROVINCE_CODES:
        return [_("A family card (KK) number has 16 digits and starts with a province code from 11 to 94.")]
    return []


def nib_problems(nib: str) -> list[str]:
    if not _is_digits(nib, NIB_LENGTH):
        return [_("A business ID (NIB) has exactly 13 digits.")]
    return []
