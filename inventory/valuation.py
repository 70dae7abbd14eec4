"""Stock value: now (balances at the moving-average cost) and at the end of any past day, from the nightly
snapshots plus the moves since, never by summing the whole ledger.

Every move carries the cost it moved at (a receipt its purchase cost; anything else the moving average of that
moment), so the value held at a place is what came in at its costs less what went out at theirs, and an item's
value is the sum over our places (a transfer moves value, it does not make any). A snapshot keeps, per day, the
quantity and value of each item at each place at the end of that day and the last move it counted; the valuation
at a date starts from the latest snapshot on or before it and adds the moves after that one, up to the end of
the day."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import aliased

from app import clock
from app.db import db, utcnow
from inventory.models import UNTRACKED_KINDS, Item, Location, SnapshotDay, StockBalance, StockMove, StockSnapshot

CENT = Decimal("0.01")


@dataclass
class ValueRow:
    item: Item
    quantity: Decimal
    value: Decimal  # rupiah, to the cent

    @property
    def unit_cost(self) -> Decimal:
        return (self.value / self.quantity).quantize(CENT) if self.quantity else Decimal(0)


def end_of(day: date) -> datetime:
    """The first moment after the local day, as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time(), clock.zone())


def _moves_between(after_move_id: int, until: datetime, location_ids: set[int] | None = None):
    """(item, location, signed quantity, signed value) of the moves after a move id and before a moment, per place."""
    source, target = aliased(Location), aliased(Location)
    value = StockMove.quantity * StockMove.unit_cost
    incoming = (
        select(StockMove.item_id, StockMove.to_location_id, func.sum(StockMove.quantity), func.sum(value))
        .join(target, target.id == StockMove.to_location_id)
        .where(StockMove.id > after_move_id, StockMove.posted_at < until, target.kind.not_in(UNTRACKED_KINDS))
        .group_by(StockMove.item_id, StockMove.to_location_id)
    )
    outgoing = (
        select(StockMove.item_id, StockMove.from_location_id, func.sum(StockMove.quantity), func.sum(value))
        .join(source, source.id == StockMove.from_location_id)
        .where(StockMove.id > after_move_id, StockMove.posted_at < until, source.kind.not_in(UNTRACKED_KINDS))
        .group_by(StockMove.item_id, StockMove.from_location_id)
    )
    totals: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for sign, stmt in ((1, incoming), (-1, outgoing)):
        for item_id, location_id, quantity, amount in db.session.execute(stmt):
            if location_ids is None or location_id in location_ids:
                totals[(item_id, location_id)][0] += sign * Decimal(quantity)
                totals[(item_id, location_id)][1] += sign * Decimal(amount)
    return totals


def _last_move_before(until: datetime) -> int:
    return db.session.scalar(select(func.max(StockMove.id)).where(StockMove.posted_at < until)) or 0


def latest_snapshot(day: date) -> SnapshotDay | None:
    return db.session.scalar(
        select(SnapshotDay).where(SnapshotDay.day <= day).order_by(SnapshotDay.day.desc()).limit(1)
    )


def holdings(day: date, location_ids: set[int] | None = None) -> dict[tuple[int, int], list[Decimal]]:
    """(item, place) -> [quantity, value] at the end of a local day: the latest snapshot on or before it, plus the
    moves since."""
    base = latest_snapshot(day)
    totals: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    after = 0
    if base is not None:
        after = base.last_move_id
        rows = select(StockSnapshot).where(StockSnapshot.day == base.day)
        for row in db.session.scalars(rows):
            if location_ids is None or row.location_id in location_ids:
                totals[(row.item_id, row.location_id)] = [row.quantity, row.value]
    for key, (quantity, amount) in _moves_between(after, end_of(day), location_ids).items():
        totals[key][0] += quantity
        totals[key][1] += amount
    return totals


def valuation(day: date, location_ids: set[int] | None = None) -> list[ValueRow]:
    """Quantity and value per item at the end of a local day (at the places given, else all of ours)."""
    per_item: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for (item_id, _location_id), (quantity, amount) in holdings(day, location_ids).items():
        per_item[item_id][0] += quantity
        per_item[item_id][1] += amount
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(per_item)))}
    return [
        ValueRow(items[item_id], quantity, amount.quantize(CENT))
        for item_id, (quantity, amount) in sorted(per_item.items(), key=lambda kv: items[kv[0]].sku)
        if quantity or amount.quantize(CENT)
    ]


def on_hand_value(location_ids: set[int] | None = None) -> list[ValueRow]:
    """Now: the balances at the item's moving-average cost (one statement)."""
    stmt = (
        select(Item, func.sum(StockBalance.quantity))
        .join(StockBalance, StockBalance.item_id == Item.id)
        .join(Location, Location.id == StockBalance.location_id)
        .where(Location.kind.not_in(UNTRACKED_KINDS))
        .group_by(Item.id)
        .order_by(Item.sku)
    )
    if location_ids is not None:
        stmt = stmt.where(StockBalance.location_id.in_(location_ids))
    return [
        ValueRow(item, Decimal(quantity), (Decimal(quantity) * item.average_cost).quantize(CENT))
        for item, quantity in db.session.execute(stmt)
        if quantity
    ]


# --- snapshots -------------------------------------------------------------------------------------------------


def take_snapshot(day: date) -> SnapshotDay:
    """Keep the end of a local day (flushes; the job commits): the snapshot before it plus the moves since. Taken
    again, the day's snapshot is made again the same way (the nightly job is idempotent)."""
    db.session.execute(delete(StockSnapshot).where(StockSnapshot.day == day))
    db.session.execute(delete(SnapshotDay).where(SnapshotDay.day == day))
    base = latest_snapshot(day)
    totals = holdings(day)
    last = max(_last_move_before(end_of(day)), base.last_move_id if base else 0)
    marker = SnapshotDay(day=day, last_move_id=last, made_at=utcnow())
    db.session.add(marker)
    db.session.add_all(
        StockSnapshot(day=day, item_id=item_id, location_id=location_id, quantity=quantity, value=amount)
        for (item_id, location_id), (quantity, amount) in totals.items()
        if quantity or amount
    )
    db.session.flush()
    return marker


def rebuild(first: date, last: date) -> int:
    """Make the snapshots of a range of days again, in order (each from the one before)."""
    day, made = first, 0
    while day <= last:
        take_snapshot(day)
        day += timedelta(days=1)
        made += 1
    return made


@dataclass
class Cover:
    item: Item
    on_hand: Decimal
    sold: Decimal  # base units that left for customers in the window (returns back netted)
    days: int  # the window
    last_sale: datetime | None

    @property
    def per_day(self) -> Decimal:
        return (self.sold / self.days).quantize(Decimal("0.001")) if self.days else Decimal(0)

    @property
    def days_of_cover(self) -> Decimal | None:
        """How many days the stock lasts at the window's pace; None when nothing sold (a slow mover)."""
        return (self.on_hand / self.per_day).quantize(Decimal(1)) if self.per_day > 0 else None


def cover(days: int = 30) -> list[Cover]:
    """Every item with stock: what sold in the last `days` days, the days of cover at that pace, the last sale;
    slow movers first (nothing sold), then the fewest days of cover."""
    since = clock.now() - timedelta(days=days)
    customer = select(Location.id).where(Location.kind == "customer")
    signed = func.sum(
        case(
            (StockMove.to_location_id.in_(customer), StockMove.quantity),
            else_=-StockMove.quantity,
        )
    )
    sold = dict(
        db.session.execute(
            select(StockMove.item_id, signed)
            .where(StockMove.reason.in_(("sale", "return")), StockMove.posted_at >= since)
            .group_by(StockMove.item_id)
        ).all()
    )
    last = dict(
        db.session.execute(
            select(StockMove.item_id, func.max(StockMove.posted_at))
            .where(StockMove.reason == "sale")
            .group_by(StockMove.item_id)
        ).all()
    )
    rows = [
        Cover(row.item, row.quantity, Decimal(sold.get(row.item.id) or 0), days, last.get(row.item.id))
        for row in on_hand_value()
    ]
    return sorted(rows, key=lambda c: (c.days_of_cover is not None, c.days_of_cover or 0, c.item.sku))
