"""LPG cylinders: how many the cooperative holds, full and empty, and whether the exchanges add up."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

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
        # One row per (item, from kind, to kind) since the moment: summed by the database, not replayed here.
        source, target = aliased(Location), aliased(Location)
        flows = db.session.execute(
            select(StockMove.item_id, source.kind, target.kind, func.sum(StockMove.quantity))
            .join(source, source.id == StockMove.from_location_id)
            .join(target, target.id == StockMove.to_location_id)
            .where(StockMove.item_id.in_([full.id, full.empty_item_id]), StockMove.posted_at >= since)
            .group_by(StockMove.item_id, source.kind, target.kind)
        )
        for item_id, from_kind, to_kind, quantity in flows:
            if (from_kind in UNTRACKED_KINDS) == (to_kind in UNTRACKED_KINDS):
                continue  # between our own locations (or outside both): the count doesn't change
            sign = 1 if to_kind not in UNTRACKED_KINDS else -1
            qty = sign * Decimal(quantity)
            net += qty
            what = "full" if item_id == full.id else "empty"
            other = from_kind if sign > 0 else to_kind
            key = {
                "supplier": f"{what}_{'from' if sign > 0 else 'to'}_supplier",
                "customer": f"{what}_{'from' if sign > 0 else 'to'}_customer",
            }.get(other, "adjusted")
            report.flows[key] = report.flows.get(key, Decimal(0)) + qty
        report.opening = report.held - net
        reports.append(report)
    return reports
