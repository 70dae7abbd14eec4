"""The NIK, KK and NIB format checks, with made-up numbers (never a real person's)."""

from datetime import date

import pytest
from flask_babel import force_locale

from members.nik import kk_problems, nib_problems, nik_birth_date, nik_problems, only_digits

LENGTH = "A NIK has exactly 16 digits."
PROVINCE = "A NIK starts with a province code from 11 to 94."
BIRTH = "Digits 7 to 12 of a NIK are the birth date DDMMYY (women add 40 to the day)."
SERIAL = "The last 4 digits of a NIK cannot be 0000."


@pytest.fixture
def english(session):
    with force_locale("en"):
        yield


@pytest.mark.parametrize(
    "nik",
    [
        "6499991203850001",  # a man born 12-03-85
        "6499995203850001",  # a woman born 12-03-85: the day + 40
        "1199990101000001",  # the lowest province code
        "9499993112990001",  # the highest province code, 31 December
        "6499992902000001",  # 29 February 2000
        "6499997101100001",  # a woman born 31-01-10: day 71
    ],
)
def test_valid_niks_pass(english, nik):
    assert nik_problems(nik) == []


@pytest.mark.parametrize(
    ("nik", "problems"),
    [
        ("649999120385001", [LENGTH]),  # 15 digits
        ("64999912038500012", [LENGTH]),  # 17 digits
        ("64999912038500O1", [LENGTH]),  # a letter O for a zero
        ("６４９９９９１２０３８５０００１", [LENGTH]),  # full-width digits are not ASCII digits
        ("", [LENGTH]),
        ("1099991203850001", [PROVINCE]),
        ("9599991203850001", [PROVINCE]),
        ("6499990003850001", [BIRTH]),  # day 00
        ("6499993203850001", [BIRTH]),  # day 32: neither a man's day nor a woman's
        ("6499994003850001", [BIRTH]),  # day 40: a woman's day 0
        ("6499997203850001", [BIRTH]),  # day 72: a woman's day 32
        ("6499991213850001", [BIRTH]),  # month 13
        ("6499993102850001", [BIRTH]),  # 31 February
        ("6499997102850001", [BIRTH]),  # a woman's 31 February
        ("6499992902850001", [BIRTH]),  # 29 February 1985: not a leap year
        ("6499991203850000", [SERIAL]),
        ("0099990003850000", [PROVINCE, BIRTH, SERIAL]),  # every problem at once
    ],
)
def test_invalid_niks_say_what_is_wrong(english, nik, problems):
    assert nik_problems(nik) == problems


def test_the_birth_date_of_a_woman_is_the_day_less_40(session):
    assert nik_birth_date("6499995203850001") == date(1985, 3, 12)
    assert nik_birth_date("6499991203100001") == date(2010, 3, 12)
    assert nik_birth_date("6499992902000001") == date(2000, 2, 29)
    assert nik_birth_date("6499993102850001") is None


def test_messages_are_in_the_readers_language(session):
    with force_locale("id"):
        assert nik_problems("123") == ["NIK harus 16 angka."]


def test_kk_and_nib(english):
    assert kk_problems("6499990101250001") == []
    assert kk_problems("649999010125000") != []
    assert kk_problems("0099990101250001") != []
    assert nib_problems("9120001234567") == []
    assert nib_problems("912000123456") == ["A business ID (NIB) has exactly 13 digits."]


def test_people_type_spaces_and_dots(session):
    assert only_digits(" 6499 9912.0385-0001 ") == "6499991203850001"
