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

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import aliased

from app import clock
from app.db import db, utcnow
from inventory.models import (
    ITEM_REF_COLUMNS,
    UNTRACKED_KINDS,
    Item,
    ItemRef,
    Location,
    SnapshotDay,
    StockBalance,
    StockMove,
    StockSnapshot,
)

CENT = Decimal("0.01")


KEEP_DAILY_DAYS = 62  # daily snapshots kept this long; the last day of every month is kept for ever
LATE_MOVE_SLACK = timedelta(days=1)  # a move committed after its day's snapshot is looked for this far back


def _item_ref(row) -> ItemRef:
    return ItemRef(*row[: len(ITEM_REF_COLUMNS)])


@dataclass
class ValueRow:
    item: ItemRef
    quantity: Decimal
    value: Decimal  # rupiah, to the cent

    @property
    def unit_cost(self) -> Decimal:
        return (self.value / self.quantity).quantize(CENT) if self.quantity else Decimal(0)


def end_of(day: date) -> datetime:
    """The first moment after the local day, as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time(), clock.zone())


def _moves_between(after_move_id: int, since: datetime | None, until: datetime, location_ids: set[int] | None = None):
    """(item, place) -> [signed quantity, signed value] of the moves after a move id, posted before a moment (and
    not before `since`: the moves are found by their time, through its index)."""
    source, target = aliased(Location), aliased(Location)
    value = StockMove.quantity * StockMove.unit_cost
    window = [StockMove.id > after_move_id, StockMove.posted_at < until]
    if since is not None:
        window.append(StockMove.posted_at >= since)
    incoming = (
        select(StockMove.item_id, StockMove.to_location_id, func.sum(StockMove.quantity), func.sum(value))
        .join(target, target.id == StockMove.to_location_id)
        .where(*window, target.kind.not_in(UNTRACKED_KINDS))
        .group_by(StockMove.item_id, StockMove.to_location_id)
    )
    outgoing = (
        select(StockMove.item_id, StockMove.from_location_id, func.sum(StockMove.quantity), func.sum(value))
        .join(source, source.id == StockMove.from_location_id)
        .where(*window, source.kind.not_in(UNTRACKED_KINDS))
        .group_by(StockMove.item_id, StockMove.from_location_id)
    )
    totals: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for sign, stmt in ((1, incoming), (-1, outgoing)):
        for item_id, location_id, quantity, amount in db.session.execute(stmt):
            if location_ids is None or location_id in location_ids:
                totals[(item_id, location_id)][0] += sign * Decimal(quantity)
                totals[(item_id, location_id)][1] += sign * Decimal(amount)
    return totals


def _last_move_before(since: datetime | None, until: datetime) -> int:
    stmt = select(func.max(StockMove.id)).where(StockMove.posted_at < until)
    if since is not None:
        stmt = stmt.where(StockMove.posted_at >= since)
    return db.session.scalar(stmt) or 0


def latest_snapshot(day: date) -> SnapshotDay | None:
    return db.session.scalar(
        select(SnapshotDay).where(SnapshotDay.day <= day).order_by(SnapshotDay.day.desc()).limit(1)
    )


def holdings(day: date, location_ids: set[int] | None = None) -> dict[tuple[int, int], list[Decimal]]:
    """(item, place) -> [quantity, value] at the end of a local day: the latest snapshot on or before it, plus the
    moves since (those posted after its day, or on its last day and counted late)."""
    base = latest_snapshot(day)
    totals: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    after, since = 0, None
    if base is not None:
        after, since = base.last_move_id, end_of(base.day) - LATE_MOVE_SLACK
        rows = select(StockSnapshot.item_id, StockSnapshot.location_id, StockSnapshot.quantity, StockSnapshot.value)
        for item_id, location_id, quantity, amount in db.session.execute(rows.where(StockSnapshot.day == base.day)):
            if location_ids is None or location_id in location_ids:
                totals[(item_id, location_id)] = [quantity, amount]
    for key, (quantity, amount) in _moves_between(after, since, end_of(day), location_ids).items():
        totals[key][0] += quantity
        totals[key][1] += amount
    return totals


def _item_refs(ids) -> dict[int, ItemRef]:
    return {row[0]: _item_ref(row) for row in db.session.execute(select(*ITEM_REF_COLUMNS).where(Item.id.in_(ids)))}


def valuation(day: date, location_ids: set[int] | None = None) -> list[ValueRow]:
    """Quantity and value per item at the end of a local day (at the places given, else all of ours)."""
    per_item: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for (item_id, _location_id), (quantity, amount) in holdings(day, location_ids).items():
        per_item[item_id][0] += quantity
        per_item[item_id][1] += amount
    rows = [(item_id, quantity, amount.quantize(CENT)) for item_id, (quantity, amount) in per_item.items()]
    rows = [row for row in rows if row[1] or row[2]]
    items = _item_refs([row[0] for row in rows])
    return sorted((ValueRow(items[i], q, v) for i, q, v in rows), key=lambda r: r.item.sku)


def _on_hand(location_ids: set[int] | None):
    quantity = func.sum(StockBalance.quantity)
    stmt = (
        select(*ITEM_REF_COLUMNS, quantity, func.round(quantity * Item.average_cost, 2).label("value"))
        .join(StockBalance, StockBalance.item_id == Item.id)
        .join(Location, Location.id == StockBalance.location_id)
        .where(Location.kind.not_in(UNTRACKED_KINDS))
        .group_by(*ITEM_REF_COLUMNS, Item.average_cost)
        .having(quantity != 0)
    )
    if location_ids is not None:
        stmt = stmt.where(StockBalance.location_id.in_(location_ids))
    return stmt


def on_hand_value(location_ids: set[int] | None = None) -> list[ValueRow]:
    """Now: the balances at the item's moving-average cost, by SKU (one statement)."""
    return [
        ValueRow(_item_ref(row), Decimal(row[-2]), Decimal(row[-1]))
        for row in db.session.execute(_on_hand(location_ids).order_by(Item.sku))
    ]


def total_value() -> Decimal:
    """What all the stock is worth now (one statement, for the manager's home)."""
    per_item = _on_hand(None).subquery()
    return Decimal(db.session.scalar(select(func.coalesce(func.sum(per_item.c.value), 0))))


# --- snapshots -------------------------------------------------------------------------------------------------


def kept(day: date, today: date) -> bool:
    """Whether a day's snapshot is kept: the last day of a month for ever, any day for KEEP_DAILY_DAYS."""
    return (day + timedelta(days=1)).day == 1 or day >= today - timedelta(days=KEEP_DAILY_DAYS)


def take_snapshot(day: date) -> SnapshotDay:
    """Keep the end of a local day (flushes; the job commits): the snapshot before it plus the moves since. Taken
    again, the day's snapshot is made again the same way (the nightly job is idempotent)."""
    db.session.execute(delete(StockSnapshot).where(StockSnapshot.day == day))
    db.session.execute(delete(SnapshotDay).where(SnapshotDay.day == day))
    base = latest_snapshot(day)
    totals = holdings(day)
    since = end_of(base.day) - LATE_MOVE_SLACK if base else None
    last = max(_last_move_before(since, end_of(day)), base.last_move_id if base else 0)
    marker = SnapshotDay(day=day, last_move_id=last, made_at=utcnow())
    db.session.add(marker)
    db.session.flush()
    rows = [
        {"day": day, "item_id": item_id, "location_id": location_id, "quantity": quantity, "value": amount}
        for (item_id, location_id), (quantity, amount) in totals.items()
        if quantity or amount
    ]
    if rows:
        db.session.execute(insert(StockSnapshot), rows)
    return marker


def prune(today: date) -> int:
    """Drop the daily snapshots no longer kept (older than KEEP_DAILY_DAYS and not a month's last day)."""
    gone = [d for d in db.session.scalars(select(SnapshotDay.day)) if not kept(d, today)]
    if gone:
        db.session.execute(delete(StockSnapshot).where(StockSnapshot.day.in_(gone)))
        db.session.execute(delete(SnapshotDay).where(SnapshotDay.day.in_(gone)))
    return len(gone)


def rebuild(first: date, last: date) -> int:
    """Make again, in order (each from the one before), the snapshots kept in a range of days: every month's last
    day and the last KEEP_DAILY_DAYS days. Return how many were made."""
    today, day, made = clock.today(), first, 0
    while day <= last:
        if kept(day, today):
            take_snapshot(day)
            made += 1
        day += timedelta(days=1)
    return made


@dataclass
class Cover:
    item: ItemRef
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
