"""CSV import (all rows or none, every bad row named) and export, and the round trip between them."""

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.models import AuditEntry
from members import csvfile, services
from members.models import Member
from tests.members.conftest import fake_nik

HEADER = "member_number,full_name,nik,kk_number,address,rt,rw,kelurahan,category,nib,status,join_date,phone"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _row(n: int, number: str = "", **fields) -> str:
    values = {
        "member_number": number,
        "full_name": f"Anggota {n}",
        "nik": fake_nik(n),
        "kk_number": "6499990101250001",
        "address": "Jl. Contoh",
        "rt": "1",
        "rw": "2",
        "kelurahan": "Karang Rejo",
        "category": "household",
        "nib": "",
        "status": "",
        "join_date": "2025-08-01",
        "phone": "",
    }
    values.update(fields)
    return ",".join(values[c] for c in csvfile.COLUMNS)


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Member))


def test_a_good_file_imports_every_row(session):
    raw = _csv(
        _row(1),
        _row(2, category="micro_business", nib="9120001234567", phone="0812 3456 7890"),
        _row(3, number="kkmp-000100", status="suspended"),
    )
    result = csvfile.import_members(raw)
    assert [m.member_number for m in result.created] == ["KKMP-000101", "KKMP-000102", "KKMP-000100"]
    assert (len(result.updated), result.unchanged) == (0, 0)
    third = session.scalar(select(Member).where(Member.member_number == "KKMP-000100"))
    assert (third.status, third.join_date.isoformat(), third.rt) == ("suspended", "2025-08-01", "001")
    assert session.scalar(select(func.count()).where(AuditEntry.action == "import")) == 3


def test_two_bad_rows_import_nothing_and_are_both_reported(session, make_member):
    make_member(50)
    raw = _csv(_row(1), _row(2, nik="649999120385", rt="1234"), _row(3), _row(4, category="trader", join_date="1-8-25"))
    with force_locale("en"), pytest.raises(csvfile.ImportRefused) as refused:
        csvfile.import_members(raw)
    errors = [(e.row, e.field, e.message) for e in refused.value.row_errors]
    assert errors == [
        (3, "nik", "A NIK has exactly 16 digits."),
        (3, "rt", "RT and RW are numbers of up to 3 digits, like 004."),
        (5, "category", "Choose a category."),
        (5, "join_date", "Enter a date like 2026-12-31."),
    ]
    assert refused.value.message == "Nothing was imported: 2 rows have errors (rows 3, 5)."
    assert _count(session) == 1  # only the member made before


def test_duplicates_in_the_file_and_against_members_are_errors(session, make_member):
    existing = make_member(9)
    raw = _csv(
        _row(1, number="KKMP-000200"),
        _row(2, number="KKMP-000200"),
        _row(3, nik=fake_nik(1)),
        _row(4, nik=existing.nik),
    )
    with force_locale("en"), pytest.raises(csvfile.ImportRefused) as refused:
        csvfile.import_members(raw)
    assert [(e.row, e.field, e.message) for e in refused.value.row_errors] == [
        (3, "member_number", "Member number KKMP-000200 is also on row 2."),
        (4, "nik", "This NIK is also on row 2."),
        (5, "nik", "This NIK is already registered to member KKMP-000001."),
    ]
    assert _count(session) == 1


def test_a_known_member_number_updates_that_member(session, make_member):
    member = make_member(1)
    raw = _csv(_row(1, number=member.member_number, full_name="Siti Aminah", rt="9", join_date=""), _row(2))
    result = csvfile.import_members(raw)
    assert ([m.id for m in result.updated], len(result.created)) == ([member.id], 1)
    assert (member.full_name, member.rt, member.join_date.isoformat()) == ("Siti Aminah", "009", "2026-01-05")
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "import_update"))
    assert audit.entity_id == str(member.id)
    assert audit.changes == {
        "full_name": ["Anggota Uji 1", "Siti Aminah"],
        "address": ["Jl. Contoh 1", "Jl. Contoh"],
        "rt": ["004", "009"],
        "kelurahan": ["Gunung Sari Ilir", "Karang Rejo"],
    }


def test_export_then_import_changes_nothing(session, make_member):
    make_member(1)
    make_member(2, category="micro_business", nib="9120001234567", phone="0812 3456 7890")
    services.change_status(make_member(3, full_name='Ani "Bu RT", Jr.', phone="+62 812 1111 2222"), "left")
    exported = "".join(csvfile.export_rows())
    assert ",'+62 812 1111 2222" in exported  # a spreadsheet would read +62... as a formula
    lines = exported.splitlines()
    assert lines[0] == HEADER
    assert lines[2] == (
        "KKMP-000002,Anggota Uji 2,6499991203850002,6499990101250001,Jl. Contoh 1,004,002,Gunung Sari Ilir,"
        "micro_business,9120001234567,active,2026-01-05,0812 3456 7890"
    )
    result = csvfile.import_members(exported.encode())
    assert (len(result.created), len(result.updated), result.unchanged) == (0, 0, 3)


def test_a_spreadsheet_csv_with_bom_and_semicolons(session):
    raw = "\ufeff" + HEADER.replace(",", ";") + "\n" + _row(1).replace(",", ";") + "\n\n"
    result = csvfile.import_members(raw.encode())
    assert [m.full_name for m in result.created] == ["Anggota 1"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"full_name,nik\nA,1\n", "The header lacks the columns: kk_number, rt, rw, kelurahan, category."),
        (_csv(header=HEADER + ",shoe_size"), "Unknown columns: shoe_size."),
        (_csv(), "The file has no members."),
        ("full_name\n".encode("utf-16"), "Save the file as CSV in UTF-8."),
    ],
)
def test_a_file_that_is_not_a_member_list(session, raw, message):
    with force_locale("en"), pytest.raises(csvfile.ImportRefused) as refused:
        csvfile.import_members(raw)
    assert [(e.row, e.field, e.message) for e in refused.value.row_errors] == [(1, "file", message)]
