"""LPG cylinders: how many the cooperative holds, full and empty, and whether the exchanges add up."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from app.db import db
from inventory.models import UNTRACKED_KINDS, Item, Location, StockBalance, StockMove


@dataclass
class CylinderReport:
    """One kind of cylinder (the full item and its empty) over a period."""

    full: Item
    empty: Item
    full_on_hand: Decimal = Decimal(0)
    empty_on_hand: Decimal = Decimal(0)
    in_quarantine: Decimal = Decimal(0)
    opening: Decimal = Decimal(0)  # all cylinders held when the period began
    flows: dict[str, Decimal] = field(default_factory=dict)  # what moved in (+) or out (−), by what

    @property
    def held(self) -> Decimal:
        return self.full_on_hand + self.empty_on_hand + self.in_quarantine

    @property
    def exchange_balance(self) -> Decimal:
        """Full cylinders in from the agent less empties back to it: 0 when every delivery was a swap."""
        return self.flows.get("full_from_supplier", Decimal(0)) + self.flows.get("empty_to_supplier", Decimal(0))

    @property
    def drift(self) -> Decimal:
        """Cylinders gained or lost outside deliveries and sales (adjustments, counts): should be 0."""
        return self.flows.get("adjusted", Decimal(0))


def cylinder_report(since: datetime) -> list[CylinderReport]:
    """For each returnable container: what is held now and how it changed since a moment."""
    tracked = select(Location.id).where(Location.kind.not_in(UNTRACKED_KINDS))
    quarantine = set(db.session.scalars(select(Location.id).where(Location.kind == "quarantine")))
    kinds = dict(db.session.execute(select(Location.id, Location.kind)).all())
    reports = []
    for full in db.session.scalars(select(Item).where(Item.empty_item_id.is_not(None)).order_by(Item.sku)):
        report = CylinderReport(full=full, empty=full.empty_item)
        for item_id, location_id, quantity in db.session.execute(
            select(StockBalance.item_id, StockBalance.location_id, func.sum(StockBalance.quantity))
            .where(StockBalance.item_id.in_([full.id, full.empty_item_id]), StockBalance.location_id.in_(tracked))
            .group_by(StockBalance.item_id, StockBalance.location_id)
        ):
            quantity = Decimal(quantity)
            if location_id in quarantine:
                report.in_quarantine += quantity
            elif item_id == full.id:
                report.full_on_hand += quantity
            else:
                report.empty_on_hand += quantity
        net = Decimal(0)
        for move in db.session.scalars(
            select(StockMove).where(StockMove.item_id.in_([full.id, full.empty_item_id]), StockMove.posted_at >= since)
        ):
            source, target = kinds[move.from_location_id], kinds[move.to_location_id]
            if (source in UNTRACKED_KINDS) == (target in UNTRACKED_KINDS):
                continue  # between our own locations (or outside both): the count doesn't change
            sign = 1 if target not in UNTRACKED_KINDS else -1
            qty = sign * move.quantity
            net += qty
            what = "empty" if move.item_id != full.id else "full"
            other = source if sign > 0 else target
            key = {
                "supplier": f"{what}_{'from' if sign > 0 else 'to'}_supplier",
                "customer": f"{what}_{'from' if sign > 0 else 'to'}_customer",
            }.get(other, "adjusted")
            report.flows[key] = report.flows.get(key, Decimal(0)) + qty
        report.opening = report.held - net
        reports.append(report)
    return reports
