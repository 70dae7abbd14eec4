"""The subsidy export: every LPG 3 kg or SPHP sale (and return) of a period with the buyer's NIK and category,
as CSV to re-key into Pertamina's and Bulog's systems (they have no API we can call)."""

from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.db import db
from app.errors import ValidationFailed
from app.formatting import csv_line_writer
from app.terms import term
from inventory import queries as inventory_queries
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


def record(sale: Sale, item: Item, quantity: Decimal, unit_price: int, factor: Decimal, sale_return=None):
    """The subsidy record of one sale line (negative quantity for a return): who, which category, how much, at
    what price per base unit."""
    buyer = {
        "sale_date": sale.sale_date,
        "buyer_nik": sale.buyer_nik,
        "buyer_kk": sale.buyer_kk,
        "buyer_category": sale.buyer_category,
        "buyer_name": sale.buyer_name,
        "price_list": sale.price_list,
    }
    return SubsidyRecord(
        sale=sale,
        return_id=sale_return.id if sale_return is not None else None,
        **row(buyer, item.id, quantity, unit_price, factor),
    )


def row(sale: dict, item_id: int, quantity: Decimal, unit_price: int, factor: Decimal) -> dict:
    """A subsidy record's columns for a line of a sale (given as its row's columns)."""
    return {
        "item_id": item_id,
        "sale_date": sale["sale_date"],
        "nik": sale["buyer_nik"],
        "kk_number": sale["buyer_kk"],
        "category": sale["buyer_category"],
        "buyer_name": sale["buyer_name"],
        "is_member": sale["price_list"] == "member",
        "quantity": quantity,
        "unit_price": int((unit_price / factor).quantize(Decimal(1), ROUND_HALF_UP)),
    }


def subsidised_items() -> list[Item]:
    return db.session.scalars(select(Item).where(Item.is_subsidised).order_by(Item.sku)).all()


def check_period(item_sku: str, start: date | None, end: date | None) -> Item:
    errors = {}
    item = inventory_queries.subsidised_item(item_sku)
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
    line = csv_line_writer()
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
