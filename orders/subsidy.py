"""The subsidy export: every LPG 3 kg or SPHP sale (and return) of a period with the buyer's NIK and category,
as CSV to re-key into Pertamina's and Bulog's systems (they have no API we can call)."""

import csv
import io
from collections.abc import Iterator
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.db import db
from app.errors import ValidationFailed
from app.terms import term
from inventory.models import Item
from orders.models import Sale, SubsidyRecord

COLUMNS = [
    "tanggal",
    "nomor_struk",
    "nik",
    "no_kk",
    "nama",
    "kategori",
    "anggota",
    "kode_barang",
    "barang",
    "jumlah",
    "harga_satuan",
    "jenis",
]
MAX_DAYS = 366


def subsidised_items() -> list[Item]:
    return db.session.scalars(select(Item).where(Item.is_subsidised).order_by(Item.sku)).all()


def check_period(item_sku: str, start: date | None, end: date | None) -> Item:
    errors = {}
    item = db.session.scalar(select(Item).where(Item.sku == (item_sku or "").upper(), Item.is_subsidised))
    if item is None:
        errors["item"] = [_("Choose a subsidised item.")]
    if start is None:
        errors["start"] = [_("Required.")]
    if end is None:
        errors["end"] = [_("Required.")]
    if start and end and (end < start or (end - start).days > MAX_DAYS):
        errors["end"] = [_("From the start date, at most a year.")]
    if errors:
        raise ValidationFailed(_("Choose a subsidised item and a period."), fields=errors)
    return item


def export_rows(item: Item, start: date, end: date) -> Iterator[str]:
    """CSV lines, oldest first; returns are negative quantities marked "retur"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(COLUMNS)
    rows = db.session.execute(
        select(SubsidyRecord, Sale.receipt_number)
        .join(Sale, Sale.id == SubsidyRecord.sale_id)
        .where(SubsidyRecord.item_id == item.id, SubsidyRecord.sale_date.between(start, end))
        .order_by(SubsidyRecord.sale_date, SubsidyRecord.id)
        .execution_options(yield_per=500)
    )
    with force_locale("id"):
        for record, receipt in rows:
            yield line(
                [
                    record.sale_date.isoformat(),
                    receipt,
                    record.nik,
                    record.kk_number or "",
                    _safe(record.buyer_name),
                    term("member_category", record.category),
                    "ya" if record.is_member else "tidak",
                    item.sku,
                    item.name_id,
                    f"{record.quantity.normalize():f}",
                    record.unit_price,
                    "retur" if record.return_id else "jual",
                ]
            )


def _safe(text: str) -> str:
    """A spreadsheet must not run a name as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def filename(item: Item, start: date, end: date) -> str:
    return f"subsidi-{item.sku.lower()}-{start.isoformat()}-{end.isoformat()}.csv"
