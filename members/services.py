"""Members: registering, changing (audited), suspending and leaving, numbering, and finding them at the till."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, or_, select, text

from app import audit
from app.clock import today
from app.db import db
from app.errors import DomainError, NotFound, ValidationFailed
from app.terms import term
from members.models import MEMBER_CATEGORIES, MEMBER_STATUSES, Member
from members.nik import kk_problems, nib_problems, nik_problems, only_digits
from members.privacy import sees_in_full

MEMBER_FIELDS = [
    "full_name",
    "nik",
    "kk_number",
    "address",
    "rt",
    "rw",
    "kelurahan",
    "category",
    "nib",
    "status",
    "join_date",
    "phone",
]
# status -> the statuses it may change to; someone who left may rejoin under the same number.
STATUS_CHANGES = {"active": ("suspended", "left"), "suspended": ("active", "left"), "left": ("active",)}
MEMBER_NUMBER_RE = re.compile(r"^[A-Z0-9][A-Z0-9/.-]{0,19}$")
PHONE_RE = re.compile(r"^\+?[0-9 -]{6,20}$")
FORMULA_STARTS = tuple("=+-@")
_AIM_PREFIX_RE = re.compile(r"^\][A-Za-z][0-9]")


# --- checking what a person typed ------------------------------------------------------------------------


def check_member_data(
    data: dict, member: Member | None = None, check_owner: bool = True
) -> tuple[dict, dict[str, list[str]]]:
    """Tidy and check member fields (all of them for a new member, those given for a change).

    Returns (clean values, {field: [messages]}); a NIK may belong to one member only."""
    new = member is None
    clean: dict = {}
    errors: dict[str, list[str]] = {}

    def given(field: str) -> bool:
        return new or field in data

    if given("full_name"):
        name = " ".join(str(data.get("full_name") or "").split())
        if not name or len(name) > 120:
            errors["full_name"] = [_("Write the member's full name (at most 120 characters).")]
        clean["full_name"] = name
    if given("nik"):
        clean["nik"] = only_digits(data.get("nik"))
        if problems := nik_problems(clean["nik"]):
            errors["nik"] = problems
        elif check_owner:
            owner = db.session.scalar(select(Member).where(Member.nik == clean["nik"]))
            if owner is not None and owner is not member:
                errors["nik"] = [_("This NIK is already registered to member %(number)s.", number=owner.member_number)]
    if given("kk_number"):
        clean["kk_number"] = only_digits(data.get("kk_number"))
        if problems := kk_problems(clean["kk_number"]):
            errors["kk_number"] = problems
    if given("address"):
        clean["address"] = " ".join(str(data.get("address") or "").split())
    for field in ("rt", "rw"):
        if given(field):
            value = only_digits(data.get(field))
            if not value.isdigit() or len(value) > 3 or int(value) == 0:
                errors[field] = [_("RT and RW are numbers of up to 3 digits, like 004.")]
            clean[field] = value.zfill(3)
    if given("kelurahan"):
        clean["kelurahan"] = " ".join(str(data.get("kelurahan") or "").split())
        if not clean["kelurahan"] or len(clean["kelurahan"]) > 80:
            errors["kelurahan"] = [_("Write the kelurahan or desa (at most 80 characters).")]
    if given("category"):
        clean["category"] = data.get("category")
        if clean["category"] not in MEMBER_CATEGORIES:
            errors["category"] = [_("Choose a category.")]
    if given("nib") or "category" in clean:
        nib = only_digits(data.get("nib", member.nib if member else None)) or None
        category = clean.get("category", member.category if member else None)
        if nib is None and category == "micro_business":
            errors["nib"] = [_("A micro business needs its business ID (NIB).")]
        elif nib is not None and (problems := nib_problems(nib)):
            errors["nib"] = problems
        clean["nib"] = nib
    if "status" in data:
        clean["status"] = data["status"] or "active"
        if clean["status"] not in MEMBER_STATUSES:
            errors["status"] = [_("The status is one of: %(codes)s.", codes=", ".join(MEMBER_STATUSES))]
    if given("join_date"):
        joined = data.get("join_date") or today()
        if not isinstance(joined, date):
            errors["join_date"] = [_("Enter a date like 2026-12-31.")]
        elif joined > today():
            errors["join_date"] = [_("The join date cannot be in the future.")]
        clean["join_date"] = joined
    for name in ("full_name", "address", "kelurahan"):
        if clean.get(name, "")[:1] in FORMULA_STARTS and name not in errors:
            # The export is opened in spreadsheets, which would run such a cell as a formula.
            errors[name] = [_("Cannot start with =, +, - or @.")]
    if given("phone"):
        phone = " ".join(str(data.get("phone") or "").split())
        if phone and not PHONE_RE.match(phone):
            errors["phone"] = [_("A phone number has digits only, like 0812 3456 7890.")]
        clean["phone"] = phone
    return clean, errors


def check_member_number(number: str, member: Member | None = None) -> list[str]:
    if not MEMBER_NUMBER_RE.match(number):
        return [_("A member number has up to 20 capital letters, digits, dashes or slashes.")]
    owner = db.session.scalar(select(Member.id).where(Member.member_number == number))
    if owner is not None and (member is None or owner != member.id):
        return [_("Member number %(number)s is taken.", number=number)]
    return []


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)


# --- numbers ---------------------------------------------------------------------------------------------


def next_member_numbers(count: int = 1, reserved: Iterable[str] = ()) -> list[str]:
    """The next free numbers of the PREFIX-000123 series: one above the highest in use, taken under a lock.

    Max + 1 rather than a counter row, so numbers brought in by a CSV import are never handed out again;
    reserved are numbers about to be used (the rest of an import file)."""
    prefix = current_app.config["MEMBER_NUMBER_PREFIX"] + "-"
    if db.session.get_bind().dialect.name == "postgresql":
        # Held to the end of the transaction; on SQLite, BEGIN IMMEDIATE already serialises writers.
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('lumbung:member_number', 0))"))
    taken = [*db.session.scalars(select(Member.member_number).where(Member.member_number.startswith(prefix)))]
    taken += [n for n in reserved if n.startswith(prefix)]
    highest = max((int(n[len(prefix) :]) for n in taken if n[len(prefix) :].isdigit()), default=0)
    return [f"{prefix}{highest + i:06d}" for i in range(1, count + 1)]


# --- registering and changing ----------------------------------------------------------------------------


def get_member(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound(_("Member not found."))
    return member


def register_member(data: dict, member_number: str | None = None) -> Member:
    """Register a member after the NIK, KK and NIB checks; numbered from the series unless a number is given."""
    clean, errors = check_member_data({**data, "status": data.get("status") or "active"})
    if member_number:
        if problems := check_member_number(member_number):
            errors["member_number"] = problems
    _refuse(errors)
    member = Member(member_number=member_number or next_member_numbers()[0], **clean)
    db.session.add(member)
    db.session.flush()
    audit.record("create", "member", member.id, {"member_number": member.member_number, **clean})
    return member


def update_member(member: Member, data: dict) -> Member:
    """Change a member's details; every changed field is audited with its old and new value."""
    clean, errors = check_member_data(data, member)
    _refuse(errors)
    changes = audit.diff(member, MEMBER_FIELDS, clean)
    for field, (_old, new) in changes.items():
        setattr(member, field, new)
    db.session.flush()
    if changes:
        audit.record("update", "member", member.id, changes)
    return member


def change_status(member: Member, status: str, reason: str = "") -> Member:
    """Suspend, reactivate or record that a member left (audited, with the reason)."""
    if status not in MEMBER_STATUSES:
        raise ValidationFailed(_("Choose a status."), fields={"status": list(MEMBER_STATUSES)})
    if status not in STATUS_CHANGES[member.status]:
        raise DomainError(
            _(
                "Member %(number)s (%(status)s) cannot be changed to %(new)s.",
                number=member.member_number,
                status=term("member_status", member.status),
                new=term("member_status", status),
            ),
            code="illegal_transition",
        )
    old = member.status
    member.status = status
    db.session.flush()
    audit.record("status", "member", member.id, {"status": [old, status], "reason": reason.strip()})
    return member


# --- finding ---------------------------------------------------------------------------------------------


def clean_code(raw: str) -> str:
    """A scanned or typed code without what a wedge scanner or camera adds around it (whitespace, a literal
    \\n, an AIM prefix like ]C0). Written here so members need not stand on inventory."""
    code = (raw or "").strip()
    while True:
        before = code
        for literal in ("\\n", "\\r"):
            code = code.removeprefix(literal).removesuffix(literal).strip()
        if code == before:
            break
    return _AIM_PREFIX_RE.sub("", code, count=1)


def _member_keys(code: str) -> list[tuple[str, str]]:
    """What a scanned card or a typed code is looked for by, in order: the member number, then a 16-digit NIK."""
    cleaned = clean_code(code)
    keys = [("member_number", cleaned.upper())] if cleaned else []
    if cleaned and only_digits(cleaned).isdigit() and len(only_digits(cleaned)) == 16:
        keys.append(("nik", only_digits(cleaned)))
    return keys


def _no_member(code: str) -> NotFound:
    return NotFound(_("No member has the number or NIK %(code)s.", code=clean_code(code) or "-"))


def find_member(code: str) -> Member:
    """The member on a scanned card (member number) or with a typed NIK, for the till's lookup."""
    for column, value in _member_keys(code):
        member = db.session.scalar(select(Member).where(getattr(Member, column) == value))
        if member is not None:
            return member
    raise _no_member(code)


@dataclass(frozen=True)
class MemberBrief:
    """A member as the till's scan shows them: plain values read from the row."""

    id: int
    member_number: str
    full_name: str
    category: str
    status: str

    can_buy_as_member = Member.can_buy_as_member  # the member's own rule, on these values


@cache
def _brief_statements() -> dict[str, Select]:
    """find_member's look-ups in plain columns of the table (no ORM objects, no ORM compilation): built once per
    process."""
    member = Member.__table__
    columns = (member.c.id, member.c.member_number, member.c.full_name, member.c.category, member.c.status)
    return {key: select(*columns).where(member.c[key] == bindparam("value")) for key in ("member_number", "nik")}


def find_member_brief(code: str) -> MemberBrief:
    """find_member's answer as plain values, for a look-up that only shows it (the till's scan)."""
    for column, value in _member_keys(code):
        row = db.session.execute(_brief_statements()[column], {"value": value}).first()
        if row is not None:
            return MemberBrief(*row)
    raise _no_member(code)


def search_members(q: str | None = None, status: str | None = None, category: str | None = None) -> Select:
    """Members whose name or number contains q, or whose NIK starts with it (a manager; anyone else must type a
    whole NIK or KK number), by number."""
    stmt = select(Member).order_by(Member.member_number)
    q = clean_code(q or "")
    if q:
        digits = only_digits(q)
        conditions = [
            Member.full_name.icontains(q, autoescape=True),
            Member.member_number.icontains(q, autoescape=True),
        ]
        if digits.isdigit() and len(digits) >= 4 and sees_in_full():
            conditions += [Member.nik.startswith(digits, autoescape=True), Member.kk_number == digits]
        elif digits.isdigit() and len(digits) == 16:  # anyone else: only a complete NIK or KK typed in
            conditions += [Member.nik == digits, Member.kk_number == digits]
        stmt = stmt.where(or_(*conditions))
    if status:
        stmt = stmt.where(Member.status == status)
    if category:
        stmt = stmt.where(Member.category == category)
    return stmt


def household(member: Member) -> list[Member]:
    """The members sharing a family card (KK) with this one."""
    return list(
        db.session.scalars(
            select(Member).where(Member.kk_number == member.kk_number, Member.id != member.id).order_by(Member.id)
        )
    )
