"""Registering, changing and finding members: every change audited, every refusal says which field."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.errors import DomainError, NotFound, ValidationFailed
from app.models import AuditEntry
from members import services
from members.models import Member
from tests.members.conftest import KK, fake_nik, member_fields


def _audit(member_id: int) -> list[AuditEntry]:
    from app.db import db

    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "member", AuditEntry.entity_id == str(member_id))
            .order_by(AuditEntry.id)
        )
    )


def test_register_numbers_tidies_and_audits(session, make_member):
    first = make_member(1, full_name="  Siti   Aminah ", nik="6499 9912 0385 0001", rt="4", rw="12")
    second = make_member(2)
    assert (first.member_number, second.member_number) == ("KKMP-000001", "KKMP-000002")
    assert (first.full_name, first.nik, first.rt, first.rw, first.status) == (
        "Siti Aminah",
        "6499991203850001",
        "004",
        "012",
        "active",
    )
    [created] = _audit(first.id)
    assert created.action == "create"
    assert created.changes["member_number"] == "KKMP-000001" and created.changes["nik"] == "6499991203850001"


def test_numbers_continue_above_an_imported_number(session, make_member):
    services.register_member(member_fields(1), member_number="KKMP-000500")
    services.register_member(member_fields(2), member_number="LAMA/17")  # an old register's number
    assert make_member(3).member_number == "KKMP-000501"


def test_a_household_shares_a_kk_but_a_nik_is_one_members(session, make_member):
    first = make_member(1)
    assert make_member(2, kk_number=KK).kk_number == first.kk_number
    with force_locale("en"), pytest.raises(ValidationFailed) as refused:
        make_member(3, nik=first.nik)
    assert refused.value.fields == {"nik": ["This NIK is already registered to member KKMP-000001."]}
    assert services.household(first) == [session.scalar(select(Member).where(Member.nik == fake_nik(2)))]


def test_every_bad_field_is_named(session):
    data = member_fields(
        1, nik="3201", kk_number="12", rt="abc", rw="0", kelurahan=" ", category="micro_business", phone="=1+1"
    )
    with force_locale("en"), pytest.raises(ValidationFailed) as refused:
        services.register_member(data)
    assert refused.value.fields == {
        "nik": ["A NIK has exactly 16 digits."],
        "kk_number": ["A family card (KK) number has 16 digits and starts with a province code from 11 to 94."],
        "rt": ["RT and RW are numbers of up to 3 digits, like 004."],
        "rw": ["RT and RW are numbers of up to 3 digits, like 004."],
        "kelurahan": ["Write the kelurahan or desa (at most 80 characters)."],
        "nib": ["A micro business needs its business ID (NIB)."],
        "phone": ["A phone number has digits only, like 0812 3456 7890."],
    }
    assert session.scalar(select(Member.id)) is None


def test_a_micro_business_with_its_nib(session, make_member):
    warung = make_member(1, category="micro_business", nib="9120-0012-34567")
    assert warung.nib == "9120001234567"


def test_a_name_cannot_be_a_spreadsheet_formula(session):
    with force_locale("en"), pytest.raises(ValidationFailed) as refused:
        services.register_member(member_fields(1, full_name="=HYPERLINK(1)"))
    assert refused.value.fields == {"full_name": ["Cannot start with =, +, - or @."]}


def test_update_audits_every_changed_field(session, make_member):
    member = make_member(1)
    services.update_member(member, {"full_name": "Siti Aminah", "rt": "7", "kelurahan": "Gunung Sari Ilir"})
    assert (member.full_name, member.rt) == ("Siti Aminah", "007")
    update = _audit(member.id)[-1]
    assert update.action == "update"
    assert update.changes == {"full_name": ["Anggota Uji 1", "Siti Aminah"], "rt": ["004", "007"]}
    services.update_member(member, {"full_name": "Siti Aminah"})
    assert len(_audit(member.id)) == 2  # nothing changed, nothing recorded


def test_changing_to_micro_business_needs_a_nib(session, make_member):
    member = make_member(1)
    with pytest.raises(ValidationFailed) as refused:
        services.update_member(member, {"category": "micro_business"})
    assert list(refused.value.fields) == ["nib"]
    services.update_member(member, {"category": "micro_business", "nib": "9120001234567"})
    assert (member.category, member.nib) == ("micro_business", "9120001234567")


def test_status_changes_are_audited_and_illegal_ones_refused(session, make_member):
    member = make_member(1)
    services.change_status(member, "suspended", "dues unpaid")
    services.change_status(member, "active")
    services.change_status(member, "left", "moved away")
    with force_locale("en"), pytest.raises(DomainError) as refused:
        services.change_status(member, "suspended")
    assert refused.value.code == "illegal_transition"
    assert refused.value.message == "Member KKMP-000001 (left) cannot be changed to suspended."
    statuses = [(e.action, e.changes) for e in _audit(member.id)[1:]]
    assert statuses == [
        ("status", {"status": ["active", "suspended"], "reason": "dues unpaid"}),
        ("status", {"status": ["suspended", "active"], "reason": ""}),
        ("status", {"status": ["active", "left"], "reason": "moved away"}),
    ]


@pytest.mark.parametrize(
    "scan", ["KKMP-000002", "kkmp-000002", " KKMP-000002\r\n", "KKMP-000002\\n", "]C0KKMP-000002", "6499991203850002"]
)
def test_find_member_by_a_scanned_card_or_a_nik(session, make_member, scan):
    make_member(1)
    second = make_member(2)
    assert services.find_member(scan) is second


def test_find_member_says_when_there_is_none(session, make_member):
    make_member(1)
    with force_locale("en"), pytest.raises(NotFound) as refused:
        services.find_member(" KKMP-999999\n")
    assert refused.value.message == "No member has the number or NIK KKMP-999999."


@pytest.mark.parametrize("scan", ["kkmp-000002", " KKMP-000002\r\n", "6499991203850002"])
def test_the_tills_scan_finds_the_same_member_in_plain_values(session, make_member, scan):
    make_member(1)
    second = make_member(2)
    brief = services.find_member_brief(scan)
    assert brief == services.MemberBrief(second.id, "KKMP-000002", second.full_name, second.category, "active")
    assert brief.can_buy_as_member
    services.change_status(second, "suspended", "test")
    assert not services.find_member_brief(scan).can_buy_as_member
    with force_locale("en"), pytest.raises(NotFound) as refused:
        services.find_member_brief(" KKMP-999999\n")
    assert refused.value.message == "No member has the number or NIK KKMP-999999."


def test_search_by_name_number_nik_and_kk(session, make_member):
    siti = make_member(1, full_name="Siti Aminah")
    budi = make_member(2, full_name="Budi Santoso", kk_number="6499990101250002", category="farmer")
    services.change_status(budi, "suspended")

    def found(*args):
        return list(session.scalars(services.search_members(*args)))

    assert found("aminah") == [siti]
    assert found("000002") == [budi]
    assert found("64999912038500") == []  # part of a NIK finds nobody but for a manager (tests/members/test_api.py)
    assert found("6499991203850001") == [siti]  # a whole NIK typed in
    assert found("6499990101250002") == [budi]
    assert found(None, "suspended") == [budi]
    assert found(None, None, "household") == [siti]
    assert found("100%") == []
