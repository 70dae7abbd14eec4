"""CSV imports, the same for every kind of data: a package declares a Kind (its columns and how its rows are
checked and applied); this module reads the file as a spreadsheet saves it (UTF-8 with or without a BOM, `;` or `,`,
Indonesian decimal commas where unambiguous), checks every row, and applies the file whole or not at all.

- A dry run checks and applies the file inside a savepoint and rolls it back: its counts are exactly what the
  import would do, and it writes nothing.
- The import itself is a job (an ImportBatch row holds the file, its progress and its result): a file of 10,000
  rows shows a progress bar, a request never waits for it, and a job run twice does its work once.
- Importing the same file twice changes nothing the second time: each kind matches rows to what exists by a
  natural key (an item's SKU, a supplier's code) and counts them unchanged when they say what is already there.
"""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.db import db, utcnow
from app.errors import DomainError, NotFound, ValidationFailed
from app.models import ImportBatch

MAX_BYTES = 8 * 1024 * 1024
MAX_ROWS = 50_000
PROGRESS_EVERY = 250  # rows between two progress updates


@dataclass
class RowError:
    row: int  # the line in the file, the header being line 1, as a spreadsheet numbers it
    field: str
    message: str

    def as_json(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


class ImportRefused(ValidationFailed):
    code = "import_refused"

    def __init__(self, errors: list[RowError]) -> None:
        rows = sorted({e.row for e in errors})
        shown = ", ".join(str(r) for r in rows[:10]) + (", …" if len(rows) > 10 else "")
        super().__init__(
            _("Nothing was imported: %(n)d rows have errors (rows %(rows)s).", n=len(rows), rows=shown),
            rows=[e.as_json() for e in errors],
        )
        self.row_errors = errors


# --- reading cells ----------------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"^\d{1,3}([.,])\d{3}(\1\d{3})*$")


def parse_decimal(text: str) -> Decimal:
    """A number as an Indonesian or an English spreadsheet writes it: 2,5 and 2.5; 1.234,5 and 1,234.5. A single
    separator followed by exactly three digits (1.234) could be either, and is refused."""
    value = text.strip().replace(" ", "")
    if not value:
        raise ValueError(_("Required."))
    dots, commas = value.count("."), value.count(",")
    if dots and commas:
        decimal_mark = "." if value.rfind(".") > value.rfind(",") else ","
        thousands = "," if decimal_mark == "." else "."
        value = value.replace(thousands, "").replace(decimal_mark, ".")
    elif dots > 1 or commas > 1:
        value = value.replace(".", "").replace(",", "")
    elif dots or commas:
        mark = "." if dots else ","
        if _THOUSANDS.match(value):
            raise ValueError(
                _("%(value)s could be read two ways: write it without a thousands mark (1234 or 1,5).", value=text)
            )
        value = value.replace(mark, ".")
    try:
        number = Decimal(value)
    except InvalidOperation as error:
        raise ValueError(_("Enter a number, like 2 or 12,5.")) from error
    if not number.is_finite() or abs(number) >= 10**9:
        raise ValueError(_("Enter a number, like 2 or 12,5."))
    return number


def parse_rupiah(text: str) -> int:
    """Whole rupiah: 17500, 17.500, 17,500 or Rp17.500 (a thousands mark is never a decimal here)."""
    value = re.sub(r"(?i)^rp\.?", "", text.strip()).replace(" ", "")
    if _THOUSANDS.match(value):
        value = re.sub(r"[.,]", "", value)
    if not value.isdigit():
        raise ValueError(_("Whole rupiah, like 17500."))
    amount = int(value)
    if amount > 10**12:
        raise ValueError(_("Too large."))
    return amount


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "y", "ya", "yes", "true", "x", "v"):
        return True
    if value in ("", "0", "n", "tidak", "no", "false", "t"):
        return False
    raise ValueError(_("Write ya or tidak (yes or no)."))


def parse_date(text: str) -> date:
    value = text.strip()
    for layout in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, layout).date()
        except ValueError:
            continue
    raise ValueError(_("Enter a date like 2026-12-31 or 31-12-2026."))


def choice(options) -> Callable[[str], str]:
    """One of a list of codes, in any case: `Pack` reads as `pack`."""

    def parse(value: str) -> str:
        value = value.strip().lower()
        if value not in options:
            raise ValueError(_("One of: %(r)s", r=", ".join(options)))
        return value

    return parse


def whole_days(maximum: int) -> Callable[[str], int]:
    """A whole number of days from 0 to `maximum`."""

    def parse(value: str) -> int:
        number = parse_decimal(value)
        if number != number.to_integral_value() or not 0 <= number <= maximum:
            raise ValueError(_("Whole days, 0 to %(n)d.", n=maximum))
        return int(number)

    return parse


def text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        if len(value) > max_length:
            raise ValueError(_("At most %(n)d characters.", n=max_length))
        if "\x00" in value:
            raise ValueError(_("A NUL character is not allowed."))
        return value

    return parse


# --- kinds -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = False  # must have a value (the column itself must always be in the header)
    optional_column: bool = False  # may be left out of the header altogether
    example: str = ""


@dataclass
class Plan:
    """What checking a file found: the work per row, in order, and every error."""

    rows: list[tuple[int, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_json(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass(frozen=True)
class Kind:
    key: str
    label: Any  # lazy_gettext
    columns: tuple[Column, ...]
    check: Callable[[list[dict]], Plan]  # rows as {column: parsed value, "_row": line}
    apply: Callable[[Plan, Callable[[int], None]], Summary]  # the plan, and a callback given rows done
    roles: tuple[str, ...] = ("manager",)
    help: Any = ""

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    KINDS[kind.key] = kind


def get_kind(key: str) -> Kind:
    if key not in KINDS:
        raise NotFound(_("No import of this kind."))
    return KINDS[key]


def sample(kind: Kind) -> str:
    """A file with the header and one example row: what to fill in."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.name for c in kind.columns])
    writer.writerow([c.example for c in kind.columns])
    return buffer.getvalue()


# --- reading a file ------------------------------------------------------------------------------------------


def table(raw: bytes, max_bytes: int = MAX_BYTES) -> tuple[list[str], list[tuple[int, list[str]]], RowError | None]:
    """A CSV as a spreadsheet saves it: UTF-8 with or without a BOM, `;` or `,` (whichever the header has more of).
    The header (lower case), each non-empty row with its line number, or the error that stops the file."""
    if len(raw) > max_bytes:
        return [], [], RowError(1, "file", _("The file is larger than %(n)d MB.", n=max_bytes // (1024 * 1024)))
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [], RowError(1, "file", _("Save the file as CSV in UTF-8."))
    first_line = content.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    rows = [(reader.line_num, values) for values in reader if any(v.strip() for v in values)]
    return header, rows, None


def read(kind: Kind, raw: bytes) -> tuple[list[dict], list[RowError]]:
    """Every row of the file as {column: parsed value, "_row": its line}, and every cell that could not be read."""
    header, lines, stop = table(raw)
    if stop is not None:
        return [], [stop]
    missing = [c.name for c in kind.columns if not c.optional_column and c.name not in header]
    if missing:
        return [], [RowError(1, "file", _("The header lacks the columns: %(columns)s.", columns=", ".join(missing)))]
    unknown = [h for h in header if h and kind.column(h) is None]
    if unknown:
        return [], [RowError(1, "file", _("Unknown columns: %(columns)s.", columns=", ".join(unknown)))]
    rows, errors = [], []
    for line, values in lines:
        if len(values) > len(header):
            errors.append(RowError(line, "file", _("This row has more values than the header has columns.")))
            continue
        if len(rows) >= MAX_ROWS:
            return [], [RowError(line, "file", _("At most %(n)d rows per file.", n=MAX_ROWS))]
        row: dict[str, Any] = {"_row": line}
        for name, value in zip(header, values, strict=False):
            column = kind.column(name)
            value = unguarded(value.strip())
            if not value:
                if column.required:
                    errors.append(RowError(line, name, _("Required.")))
                row[name] = None
                continue
            try:
                row[name] = column.parse(value)
            except ValueError as error:
                errors.append(RowError(line, name, str(error)))
                row[name] = None
        for column in kind.columns:
            if column.name not in header:
                row[column.name] = None
            elif column.name not in row and column.required:  # a short row
                errors.append(RowError(line, column.name, _("Required.")))
        rows.append(row)
    if not rows and not errors:
        errors.append(RowError(1, "file", _("The file has no rows.")))
    return rows, errors


def unguarded(value: str) -> str:
    """A cell an export guarded against formulas ('=...) comes back as it was."""
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]
    return value


def _plan(kind: Kind, raw: bytes) -> Plan:
    rows, errors = read(kind, raw)
    bad_rows = {e.row for e in errors}
    plan = kind.check([r for r in rows if r["_row"] not in bad_rows])
    plan.errors = sorted(errors + plan.errors, key=lambda e: (e.row, _column_order(kind, e.field)))
    return plan


def _column_order(kind: Kind, name: str) -> int:
    names = [c.name for c in kind.columns]
    return names.index(name) if name in names else -1


def dry_run(kind: Kind, raw: bytes) -> Summary:
    """What importing the file would do, exactly, without writing anything; ImportRefused with every bad row."""
    plan = _plan(kind, raw)
    if plan.errors:
        raise ImportRefused(plan.errors)
    savepoint = db.session.begin_nested()
    try:
        return kind.apply(plan, lambda done: None)
    finally:
        savepoint.rollback()


def run(kind: Kind, raw: bytes, progress: Callable[[int], None] = lambda done: None) -> Summary:
    plan = _plan(kind, raw)
    if plan.errors:
        raise ImportRefused(plan.errors)
    return kind.apply(plan, progress)


# --- the import as a job ---------------------------------------------------------------------------------------


def start(kind: Kind, raw: bytes, filename: str, user) -> ImportBatch:
    """Keep the file and queue its import (after the request commits); the batch tells its progress."""
    from app import jobs

    if not raw.strip():
        raise ValidationFailed(_("Choose a CSV file."), fields={"file": [_("Required.")]})
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(_("The file is larger than 8 MB."), fields={"file": [_("Too large.")]})
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(_("Save the file as CSV in UTF-8."), fields={"file": [_("Not UTF-8.")]}) from error
    batch = ImportBatch(
        kind=kind.key,
        filename=(filename or "import.csv")[:200],
        content=content,
        status="queued",
        progress=0,
        total=max(content.count("\n") - 1, 1),
        created_by_id=user.id,
        created_at=utcnow(),
    )
    db.session.add(batch)
    db.session.flush()
    jobs.enqueue_after_commit(run_batch, batch.id, job_id=f"import-{batch.id}", job_timeout=1800, result_ttl=3600)
    return batch


def recent_batches(limit: int = 10) -> list[ImportBatch]:
    return list(db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def get_batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(_("No import has this id."))
    return batch


def run_batch(batch_id: int) -> str:
    """The job: import a kept file whole or not at all. Run again (a retry), a batch already taken is left."""
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.status == "queued")
        .values(status="running", started_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        return "already taken"
    batch = db.session.get(ImportBatch, batch_id)
    kind = get_kind(batch.kind)
    try:
        summary = run(kind, batch.content.encode(), _progress_of(batch_id))
    except ImportRefused as refused:
        db.session.rollback()
        _finish(batch_id, "refused", errors=[e.as_json() for e in refused.row_errors], message=refused.message)
        return "refused"
    except DomainError as error:
        db.session.rollback()
        _finish(batch_id, "refused", errors=[], message=error.message)
        return "refused"
    except Exception:
        db.session.rollback()
        _finish(batch_id, "failed", errors=[], message=_("The import stopped on an error; nothing was imported."))
        raise
    batch = db.session.get(ImportBatch, batch_id)
    batch.status, batch.summary, batch.finished_at = "done", summary.as_json(), utcnow()
    batch.progress = batch.total
    db.session.commit()
    return "done"


def _progress_of(batch_id: int) -> Callable[[int], None]:
    """Tell the batch's progress on a connection of its own (the import's transaction is still open)."""

    def tell(done: int) -> None:
        if done % PROGRESS_EVERY or db.engine.dialect.name != "postgresql":
            return  # SQLite (the quick start) takes one writer at a time: the bar jumps to the end
        with db.engine.connect() as conn:
            conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(progress=done))
            conn.commit()

    return tell


def _finish(batch_id: int, status: str, errors: list[dict], message: str) -> None:
    batch = db.session.get(ImportBatch, batch_id)
    batch.status, batch.errors, batch.message, batch.finished_at = status, errors, message, utcnow()
    db.session.commit()
