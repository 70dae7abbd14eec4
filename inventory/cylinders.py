"""LPG cylinders: how many the cooperative holds, full and empty, and whether the exchanges add up."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.db import db
from inventory.models import UNTRACKED_KINDS, Item, Location, StockBalance, StockMove

END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)
EXCHANGES = ("receipt", "supplier_return", "sale", "exchange", "return")


@dataclass
class CylinderReport:
    """One kind of cylinder (the full item and its empty) over a period."""

    full: Item
    empty: Item
    full_on_hand: Decimal = Decimal(0)
    empty_on_hand: Decimal = Decimal(0)
    in_quarantine: Decimal = Decimal(0)
    opening: Decimal = Decimal(0)  # all cylinders held when the period began
    closing: Decimal = Decimal(0)  # and when it ended
    flows: dict[str, Decimal] = field(default_factory=dict)  # what moved in (+) or out (−), by what

    @property
    def held(self) -> Decimal:
        return self.full_on_hand + self.empty_on_hand + self.in_quarantine

    @property
    def exchange_balance(self) -> Decimal:
        """Cylinders in from the agent less cylinders back to it (empties, and full ones sent back): 0 when every
        delivery was a swap. Opening stock entered is not a delivery."""
        return sum((v for k, v in self.flows.items() if k.endswith("_supplier")), Decimal(0))

    @property
    def drift(self) -> Decimal:
        """Cylinders gained or lost outside deliveries and sales (adjustments, counts): should be 0."""
        return self.flows.get("adjusted", Decimal(0))


def cylinder_report(since: datetime, until: datetime | None = None) -> list[CylinderReport]:
    """For each returnable container: what is held now, and how the count changed from `since` to `until` (now
    when not given): deliveries and empties to and from the agent, sales and exchanges, the opening stock entered,
    and everything else (adjustments, counts) apart."""
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
        net, after = Decimal(0), Decimal(0)
        # One row per (item, reason, from kind, to kind, in the period or after it): summed by the database.
        source, target = aliased(Location), aliased(Location)
        later = StockMove.posted_at >= (until or END_OF_TIME)
        flows = db.session.execute(
            select(StockMove.item_id, StockMove.reason, source.kind, target.kind, later, func.sum(StockMove.quantity))
            .join(source, source.id == StockMove.from_location_id)
            .join(target, target.id == StockMove.to_location_id)
            .where(StockMove.item_id.in_([full.id, full.empty_item_id]), StockMove.posted_at >= since)
            .group_by(StockMove.item_id, StockMove.reason, source.kind, target.kind, later)
        )
        for item_id, reason, from_kind, to_kind, is_later, quantity in flows:
            if (from_kind in UNTRACKED_KINDS) == (to_kind in UNTRACKED_KINDS):
                continue  # between our own locations (or outside both): the count doesn't change
            sign = 1 if to_kind not in UNTRACKED_KINDS else -1
            qty = sign * Decimal(quantity)
            if is_later:
                after += qty
                continue
            net += qty
            key = _flow(item_id == full.id, reason, sign, from_kind if sign > 0 else to_kind)
            report.flows[key] = report.flows.get(key, Decimal(0)) + qty
        report.closing = report.held - after
        report.opening = report.closing - net
        reports.append(report)
    return reports


def _flow(is_full: bool, reason: str, sign: int, other_kind: str) -> str:
    """What a move in or out of our books was, for the report: opening stock entered is not a delivery."""
    if reason == "opening":
        return "opening_stock"
    what, way = "full" if is_full else "empty", "from" if sign > 0 else "to"
    if other_kind in ("supplier", "customer") and reason in EXCHANGES:
        return f"{what}_{way}_{other_kind}"
    return "adjusted"
