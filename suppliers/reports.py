"""Purchasing's reads for reports (no writes here): what was ordered, received and is still owed per supplier and
month, the supplier quotas' use (LPG's monthly allocation) and each pickup against a supplier's weight limit
(Bulog: 2 tonnes)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from app.db import db
from inventory.models import Item
from suppliers import services
from suppliers.models import PurchaseOrder, PurchaseOrderLine, Supplier, SupplierQuota

COUNTED = ("submitted", "approved", "partially_received", "received", "closed")
STILL_COMING = ("submitted", "approved", "partially_received")


@dataclass
class PurchaseRow:
    month: date
    supplier: Supplier
    orders: int = 0
    ordered: int = 0  # rupiah of the orders placed that month
    received: int = 0  # rupiah of what arrived against them
    owed: int = 0  # rupiah still to come (orders not closed)


@dataclass
class QuotaUse:
    month: date
    supplier: Supplier
    item: Item
    quota: Decimal  # the month's quota, base units
    used: Decimal

    @property
    def left(self) -> Decimal:
        return self.quota - self.used


@dataclass
class Pickup:
    order: PurchaseOrder
    weight_kg: Decimal
    limit_kg: Decimal


@dataclass
class PurchasingReport:
    rows: list[PurchaseRow] = field(default_factory=list)
    quotas: list[QuotaUse] = field(default_factory=list)
    pickups: list[Pickup] = field(default_factory=list)


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def purchasing(first: date, last: date) -> PurchasingReport:
    report = PurchasingReport()
    value = PurchaseOrderLine.packs * PurchaseOrderLine.unit_cost
    arrived = func.least(PurchaseOrderLine.received_quantity, PurchaseOrderLine.quantity)
    if db.session.get_bind().dialect.name == "sqlite":
        arrived = func.min(PurchaseOrderLine.received_quantity, PurchaseOrderLine.quantity)
    received = arrived * PurchaseOrderLine.unit_cost * PurchaseOrderLine.packs / PurchaseOrderLine.quantity
    open_value = case((PurchaseOrder.status.in_(STILL_COMING), value - received), else_=0)
    stmt = (
        select(
            PurchaseOrder.order_date,
            PurchaseOrder.supplier_id,
            func.count(func.distinct(PurchaseOrder.id)),
            func.sum(value),
            func.sum(received),
            func.sum(open_value),
        )
        .join(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .where(PurchaseOrder.status.in_(COUNTED), PurchaseOrder.order_date.between(first, last))
        .group_by(PurchaseOrder.order_date, PurchaseOrder.supplier_id)
    )
    suppliers = {s.id: s for s in db.session.scalars(select(Supplier))}
    rows: dict[tuple[date, int], PurchaseRow] = {}
    for day, supplier_id, orders, ordered, got, owed in db.session.execute(stmt):
        row = rows.setdefault((_month(day), supplier_id), PurchaseRow(_month(day), suppliers[supplier_id]))
        row.orders += orders
        row.ordered += int(round(ordered or 0))
        row.received += int(round(got or 0))
        row.owed += int(round(owed or 0))
    report.rows = sorted(rows.values(), key=lambda r: (r.month, r.supplier.code))
    pairs = db.session.execute(select(SupplierQuota.supplier_id, SupplierQuota.item_id).distinct()).all()
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_({item for _s, item in pairs})))}
    month = _month(first)
    while month <= last:
        for supplier_id, item_id in sorted(pairs):
            quota = services.quota_on(supplier_id, item_id, month)
            if quota is not None:
                used = services.quota_used(supplier_id, item_id, month, _next_month(month))
                report.quotas.append(QuotaUse(month, suppliers[supplier_id], items[item_id], quota, used))
        month = _next_month(month)
    limited = (
        select(PurchaseOrder)
        .join(Supplier)
        .where(
            Supplier.max_order_kg.is_not(None),
            PurchaseOrder.status.in_(COUNTED),
            PurchaseOrder.order_date.between(first, last),
        )
    )
    for order in db.session.scalars(limited.order_by(PurchaseOrder.order_date, PurchaseOrder.id)):
        report.pickups.append(Pickup(order, services.weight_kg(order), order.supplier.max_order_kg))
    return report
