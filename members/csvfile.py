"""Members in and out as CSV: an import is checked row by row and applied whole or not at all."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from flask import Response, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, csvimport
from app.clock import today
from app.db import db
from app.errors import ValidationFailed
from app.formatting import csv_line_writer
from members import services
from members.models import Member

COLUMNS = [
    "member_number",
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
REQUIRED_COLUMNS = ("full_name", "nik", "kk_number", "rt", "rw", "kelurahan", "category")
MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024
EXPORT_BATCH = 500


RowError = csvimport.RowError  # a row, a column, a sentence: the same as every import


@dataclass
class ImportResult:
    created: list[Member] = field(default_factory=list)
    updated: list[Member] = field(default_factory=list)
    unchanged: int = 0


class ImportRefused(ValidationFailed):
    code = "import_refused"

    def __init__(self, errors: list[RowError]) -> None:
        rows = sorted({e.row for e in errors})
        super().__init__(
            _("Nothing was imported: %(n)d rows have errors (rows %(rows)s).", n=len(rows), rows=_row_list(rows)),
            rows=[{"row": e.row, "field": e.field, "message": e.message} for e in errors],
        )
        self.row_errors = errors


def _row_list(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:10])
    return shown + (", …" if len(rows) > 10 else "")


def read_upload(upload) -> bytes:
    """The bytes of an uploaded CSV, refusing one too big to be a member register."""
    raw = upload.read(MAX_BYTES + 1) if upload else b""
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(_("The file is larger than 5 MB."), fields={"file": [_("Too large.")]})
    return raw


def export_response() -> Response:
    """The member register as a CSV download, streamed."""
    name = f"members-{today().isoformat()}.csv"
    return Response(
        stream_with_context(export_rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _read(raw: bytes) -> tuple[list[dict], list[RowError]]:
    """The rows of the file, keyed by column (app.csvimport reads it as a spreadsheet saves it)."""
    header, lines, stop = csvimport.table(raw, MAX_BYTES)
    if stop is not None:
        return [], [stop]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [RowError(1, "file", _("The header lacks the columns: %(columns)s.", columns=", ".join(missing)))]
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        return [], [RowError(1, "file", _("Unknown columns: %(columns)s.", columns=", ".join(unknown)))]
    rows, errors = [], []
    for line, values in lines:
        if len(values) > len(header):
            errors.append(RowError(line, "file", _("This row has more values than the header has columns.")))
            continue
        rows.append(
            {"_row": line, **{h: csvimport.unguarded(v.strip()) for h, v in zip(header, values, strict=False) if h}}
        )
        if len(rows) > MAX_ROWS:
            return [], [RowError(line, "file", _("At most %(n)d members per file.", n=MAX_ROWS))]
    if not rows and not errors:
        errors.append(RowError(1, "file", _("The file has no members.")))
    return rows, errors


def _join_date(text: str, row: int, errors: list[RowError]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(RowError(row, "join_date", _("Enter a date like 2026-12-31.")))
        return None


def _same_person(by_nik: dict[str, Member], data: dict) -> Member | None:
    found = by_nik.get(data.get("nik", "").strip())
    if found is not None and found.full_name.casefold() == data.get("full_name", "").strip().casefold():
        return found
    return None


def import_members(raw: bytes) -> ImportResult:
    """Check every row, then create or update all members (a known member_number, or without one a known NIK
    with the same name, updates that member);
    any bad row refuses the whole file with every row error. Duplicates in the file count as errors."""
    rows, errors = _read(raw)
    existing = {m.member_number: m for m in db.session.scalars(select(Member))}
    by_nik = {m.nik: m for m in existing.values()}
    seen_numbers: dict[str, int] = {}
    seen_niks: dict[str, int] = {}
    planned: list[tuple[Member | None, str | None, dict]] = []
    for data in rows:
        row = data.pop("_row")
        row_errors: list[RowError] = []
        number = data.pop("member_number", "").upper() or None
        # A row without a member number is the member with its NIK and name, if there is one: the same file
        # imported twice changes nothing. A known NIK under another name is still refused (a mistyped NIK must
        # not overwrite someone else).
        member = existing.get(number) if number else _same_person(by_nik, data)
        data["join_date"] = _join_date(data.get("join_date", ""), row, row_errors)
        if "status" in data and not data["status"]:
            data.pop("status")
        if member is None:
            data["status"] = data.get("status") or "active"
        elif data["join_date"] is None:
            data.pop("join_date")
        # Owners of NIKs are looked up once for the whole file, not with a query per row.
        clean, field_errors = services.check_member_data(data, member, check_owner=False)
        nik = clean.get("nik")
        owner = by_nik.get(nik) if nik else None
        if owner is not None and owner is not member and "nik" not in field_errors:
            field_errors["nik"] = [
                _("This NIK is already registered to member %(number)s.", number=owner.member_number)
            ]
        if number:
            if number in seen_numbers:
                field_errors.setdefault("member_number", []).append(
                    _("Member number %(number)s is also on row %(row)d.", number=number, row=seen_numbers[number])
                )
            elif member is None and (problems := services.check_member_number(number)):
                field_errors["member_number"] = problems
            seen_numbers.setdefault(number, row)
        if nik and "nik" not in field_errors:
            if nik in seen_niks:
                field_errors["nik"] = [_("This NIK is also on row %(row)d.", row=seen_niks[nik])]
            seen_niks.setdefault(nik, row)
        for name, messages in field_errors.items():
            row_errors += [RowError(row, name, message) for message in messages]
        errors += row_errors
        planned.append((member, number, clean))
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: (e.row, COLUMNS.index(e.field) if e.field in COLUMNS else 0)))

    result = ImportResult()
    blank = sum(1 for member, number, _clean in planned if member is None and not number)
    new_numbers = iter(services.next_member_numbers(blank, reserved=[n for _m, n, _c in planned if n]))
    for member, number, clean in planned:
        if member is None:
            created = Member(member_number=number or next(new_numbers), **clean)
            db.session.add(created)
            db.session.flush()
            audit.record("import", "member", created.id, {"member_number": created.member_number, **clean})
            result.created.append(created)
        else:
            changes = audit.diff(member, services.MEMBER_FIELDS, clean)
            if changes:
                for name, (_old, new) in changes.items():
                    setattr(member, name, new)
                db.session.flush()
                audit.record("import_update", "member", member.id, changes)
                result.updated.append(member)
            else:
                result.unchanged += 1
    return result


def export_rows() -> Iterator[str]:
    """The members as CSV lines (UTF-8, a header first), read in batches so a big register streams."""
    line = csv_line_writer()
    yield line(COLUMNS)
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(Member).where(Member.id > last_id).order_by(Member.id).limit(EXPORT_BATCH)
        ).all()
        if not batch:
            return
        for member in batch:
            yield line([_cell(member, column) for column in COLUMNS])
        last_id = batch[-1].id


def _cell(member: Member, column: str) -> str:
    value = getattr(member, column)
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
