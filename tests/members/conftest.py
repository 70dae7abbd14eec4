"""Member fixtures: made-up NIKs that pass the format check ("99 99" is no real regency and district)."""

from datetime import date

import pytest


def fake_nik(n: int, day: int = 12, female: bool = False) -> str:
    """A valid-looking NIK: province 64, regency and district 9999, born day-03-1985, serial n."""
    return f"649999{day + (40 if female else 0):02d}0385{n:04d}"


KK = "6499990101250001"


def member_fields(n: int = 1, **overrides) -> dict:
    data = {
        "full_name": f"Anggota Uji {n}",
        "nik": fake_nik(n),
        "kk_number": KK,
        "address": "Jl. Contoh 1",
        "rt": "4",
        "rw": "2",
        "kelurahan": "Gunung Sari Ilir",
        "category": "household",
        "nib": None,
        "join_date": date(2026, 1, 5),
        "phone": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_member(session):
    """make_member(n, **fields) -> a registered member."""
    from members import services

    def make(n: int = 1, **overrides):
        return services.register_member(member_fields(n, **overrides))

    return make
