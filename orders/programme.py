"""The programmes' own reports, beside the subsidy CSV: the LPG base's monthly logbook (each sale and return of the
subsidised cylinder with the buyer's NIK and category, each delivery with the full cylinders received and the empties
handed back) and the SPHP distribution recap (per day and buyer category: buyers, packs, returns). Each starts with
the outlet's identity from the settings and the HET in force. A return is dated on the day its refund was paid,
never on its sale's day, so a month once exported does not change."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from app import clock, settings
from app.db import db
from app.formatting import csv_line_writer, format_local_time
from inventory.models import Item, Location, StockMove
from orders import pricing
from orders.models import Sale, SaleReturn, SubsidyRecord

LOGBOOK_COLUMNS = ["tanggal", "jam", "jenis", "referensi", "nik", "kategori", "tabung_isi", "tabung_kosong"]
RECAP_COLUMNS = ["tanggal", "kategori", "pembeli", "jumlah", "retur", "bersih"]


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _identity(line, item: Item, first: date, last: date) -> Iterator[str]:
    ceiling = pricing.ceiling_on(item, last)
    yield line(["koperasi", settings.get("cooperative_name")])
    yield line(["nib", settings.get("legal_number")])
    yield line(["alamat", settings.get("address").replace("\n", ", ")])
    yield line(["barang", f"{item.sku} {item.name_id}"])
    yield line(["het_per_satuan", ceiling.amount_per_unit if ceiling else ""])
    yield line(["zona_het", pricing.zone()])
    yield line(["periode", f"{first.isoformat()} s.d. {last.isoformat()}"])
    yield line([])


def _records(item: Item, first: date, last: date):
    """(date, moment, kind, reference, nik, category, quantity) of every sale and return of the item: a sale on its
    date, a return on the day its refund was paid."""
    sales = db.session.execute(
        select(
            Sale.sale_date,
            Sale.sold_at,
            Sale.receipt_number,
            SubsidyRecord.nik,
            SubsidyRecord.category,
            SubsidyRecord.quantity,
        )  # fmt: skip
        .join(Sale, Sale.id == SubsidyRecord.sale_id)
        .where(SubsidyRecord.item_id == item.id, SubsidyRecord.return_id.is_(None))
        .where(Sale.sale_date.between(first, last))
    ).all()
    refunds = db.session.execute(
        select(
            SaleReturn.return_date,
            SaleReturn.decided_at,
            Sale.receipt_number,
            SubsidyRecord.nik,
            SubsidyRecord.category,
            SubsidyRecord.quantity,
        )  # fmt: skip
        .join(SaleReturn, SaleReturn.id == SubsidyRecord.return_id)
        .join(Sale, Sale.id == SubsidyRecord.sale_id)
        .where(SubsidyRecord.item_id == item.id, SaleReturn.return_date.between(first, last))
    ).all()
    rows = [(d, m, "penjualan", r, n, c, q) for d, m, r, n, c, q in sales]
    rows += [(d, m, "retur", r, n, c, q) for d, m, r, n, c, q in refunds]
    return sorted(rows, key=lambda row: row[1])


def logbook_rows(item: Item, month: date) -> Iterator[str]:
    first, last = month_bounds(month)
    line = csv_line_writer()
    yield "\ufeff"
    yield from _identity(line, item, first, last)
    yield line(LOGBOOK_COLUMNS)
    for day, moment, kind, reference, nik, category, quantity in _records(item, first, last):
        yield line([day.isoformat(), format_local_time(moment)[-5:], kind, reference, nik, category, quantity, ""])
    for day, reference, full, empties in _deliveries(item, first, last):
        yield line([day.isoformat(), "", "penerimaan", reference, "", "", full, empties])


def _deliveries(item: Item, first: date, last: date):
    """Per delivery (a receipt's reference): the full cylinders received and the empties handed back to the agent."""
    start = datetime.combine(first, time(), clock.zone())
    end = datetime.combine(last + timedelta(days=1), time(), clock.zone())
    supplier_side = select(Location.id).where(Location.kind == "supplier")
    found: dict[str, list] = {}
    full_in = (
        (StockMove.item_id == item.id) & (StockMove.reason == "receipt") & StockMove.from_location_id.in_(supplier_side)
    )
    empties_back = (
        (StockMove.item_id == item.empty_item_id)
        & (StockMove.reason == "supplier_return")
        & StockMove.to_location_id.in_(supplier_side)
    )
    moved = db.session.execute(
        select(StockMove.reference, StockMove.item_id, func.min(StockMove.posted_at), func.sum(StockMove.quantity))
        .where(StockMove.posted_at >= start, StockMove.posted_at < end, full_in | empties_back)
        .group_by(StockMove.reference, StockMove.item_id)
    )
    for reference, item_id, moment, quantity in moved:
        row = found.setdefault(reference, [clock.local(moment).date(), reference, 0, 0])
        row[2 if item_id == item.id else 3] += quantity
    return sorted((tuple(r) for r in found.values()), key=lambda r: (r[0], r[1]))


def recap_rows(item: Item, month: date) -> Iterator[str]:
    """Per day and buyer category: distinct buyers (NIK), quantity sold, returned, net."""
    first, last = month_bounds(month)
    line = csv_line_writer()
    yield "\ufeff"
    yield from _identity(line, item, first, last)
    yield line(RECAP_COLUMNS)
    days: dict[tuple[date, str], list] = {}
    for day, _moment, kind, _reference, nik, category, quantity in _records(item, first, last):
        row = days.setdefault((day, category), [set(), 0, 0])
        if kind == "penjualan":
            row[0].add(nik)
            row[1] += quantity
        else:
            row[2] -= quantity  # a return's quantity is negative
    for (day, category), (buyers, sold, returned) in sorted(days.items()):
        yield line([day.isoformat(), category, len(buyers), sold, returned, sold - returned])
