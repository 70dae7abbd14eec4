"""Stock counts (stock opname): count blind by scanning, recount what is far off, post the variances.

A line's expected quantity is the balance of its item, bin and lot at the moment the line was last counted
(snapshotted then, never shown to the one counting), so stock that moves after a line is counted is not
counted twice: posting writes exactly counted − expected of each line through the ledger. When the count
closes, a line is flagged for a recount when its variance is at least the settings' *recount from* base units and
more than the *recount above* percentage of its expected quantity (1 unit and 2 %: a pack off of 20 is recounted, 2 off
of 100 are not, half a kg never is); a balance in the counted locations that nobody counted is
put in at zero and flagged too, so nothing is written off unseen. A manager posts once every flagged line has
been recounted (blind again; the recount replaces the count and is final).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app import audit, settings
from app.db import db, utcnow
from app.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.terms import term
from inventory import services
from inventory.ledger import Move, post_moves, quantize_qty
from inventory.models import (
    UNTRACKED_KINDS,
    Item,
    Location,
    Lot,
    StockBalance,
    StockCount,
    StockCountLine,
    StockMove,
)

ACTIVE = ("open", "review")


# --- starting, finding, listing --------------------------------------------------------------------------


def create_count(location: Location, user, note: str = "") -> StockCount:
    """Start a count of a location and everything under it; two counts may not cover the same place at once."""
    if not location.tracks_stock:
        raise ValidationFailed(
            _("Stock can only be counted where it is kept."), fields={"location_id": [_("Not a stock location.")]}
        )
    scope = set(services.descendant_ids(location.id))
    for other in active_counts():
        if other.location_id in scope or location.id in services.descendant_ids(other.location_id):
            raise DomainError(
                _(
                    "%(ref)s is still counting %(location)s: finish or cancel it first.",
                    ref=other.reference,
                    location=other.location.name,
                ),
                fields={"location_id": [_("Already being counted.")]},
            )
    count = StockCount(
        location=location,
        status="open",
        note=note or "",
        recount_percent=settings.get("count_recount_percent"),
        recount_minimum=settings.get("count_recount_minimum"),
        created_by_id=user.id,
    )
    db.session.add(count)
    db.session.flush()
    audit.record(
        "create",
        "stock_count",
        count.id,
        {"location": location.code, "recount_percent": count.recount_percent, "recount_minimum": count.recount_minimum},
    )
    return count


def get_count(count_id: int) -> StockCount:
    count = db.session.get(StockCount, count_id)
    if count is None:
        raise NotFound(_("Stock count not found."))
    return count


def get_line(count: StockCount, line_id: int) -> StockCountLine:
    line = db.session.get(StockCountLine, line_id)
    if line is None or line.count_id != count.id:
        raise NotFound(_("Count line not found."))
    return line


def counts_query(status: str | None = None):
    stmt = select(StockCount).order_by(StockCount.id.desc())
    return stmt if status is None else stmt.where(StockCount.status == status)


def active_counts() -> list[StockCount]:
    """The counts still open or in review."""
    return list(db.session.scalars(select(StockCount).where(StockCount.status.in_(ACTIVE)).order_by(StockCount.id)))


def lines_query(
    count: StockCount, counted_by_id: int | None = None, needs_recount: bool | None = None, newest_first: bool = False
):
    """A count's lines by bin and item (or last counted first); optionally one person's, or those to recount."""
    stmt = (
        select(StockCountLine)
        .join(Location, Location.id == StockCountLine.location_id)
        .join(Item, Item.id == StockCountLine.item_id)
        .where(StockCountLine.count_id == count.id)
    )
    if newest_first:
        stmt = stmt.order_by(StockCountLine.counted_at.desc(), StockCountLine.id.desc())
    else:
        stmt = stmt.order_by(Location.code, Item.sku, StockCountLine.lot_id, StockCountLine.id)
    if counted_by_id is not None:
        stmt = stmt.where(StockCountLine.counted_by_id == counted_by_id)
    if needs_recount is not None:
        stmt = stmt.where(StockCountLine.needs_recount == needs_recount)
    return stmt


def scope_locations(count: StockCount) -> list[Location]:
    """The locations a count covers: its root and everything under it that holds stock, by code."""
    ids = services.descendant_ids(count.location_id)
    rows = db.session.scalars(select(Location).where(Location.id.in_(ids)).order_by(Location.code))
    return [loc for loc in rows if loc.tracks_stock]


# --- counting --------------------------------------------------------------------------------------------


def record_scan(
    count: StockCount, location: Location, code: str, user, packs: Decimal = Decimal(1), lot_code: str | None = None
) -> StockCountLine:
    """Count what one scan shows, `packs` times: the count while open, the recount of a flagged line in review."""
    _lock(count)
    _require_status(count, ACTIVE)
    _require_in_scope(count, location)
    scan = services.resolve_scan(code)
    if scan.item is None:
        if scan.location is not None and scan.location.id in _scope_ids(count):
            raise ValidationFailed(
                _("%(code)s is a location: choose it as the bin, then scan the items.", code=scan.code),
                fields={"code": [_("Not an item.")]},
            )
        raise ValidationFailed(
            _("Location %(code)s is not part of this count.", code=scan.code), fields={"code": [_("Not an item.")]}
        )
    if packs <= 0:
        raise ValidationFailed(_("A quantity must be more than zero."), fields={"packs": [_("More than 0.")]})
    item = scan.item
    quantity = quantize_qty(scan.quantity * packs, item.base_unit)
    lot = _lot(item, scan.lot_code or (lot_code or "").strip(), scan.expiry)  # the label's lot over a typed one
    line = _find_line(count, item.id, location.id, lot.id if lot else None)
    if count.status == "open":
        if line is None:
            line = _new_line(count, item, location, lot, user)
        _count(line, line.counted_quantity + quantity, user)
    else:
        _require_recount(line, item, location)
        _recount(line, (line.recount_quantity or Decimal(0)) + quantity, user)
    db.session.flush()
    return line


def set_line_quantity(count: StockCount, line: StockCountLine, quantity: Decimal, user) -> StockCountLine:
    """Type a line's quantity instead of adding to it: a correction while open, the recount in review."""
    _lock(count)
    _require_status(count, ACTIVE)
    if quantity < 0:
        raise ValidationFailed(_("A count cannot be below zero."), fields={"quantity": [_("0 or more.")]})
    quantity = quantize_qty(quantity, line.item.base_unit)
    if count.status == "open":
        _count(line, quantity, user)
    else:
        _require_recount(line, line.item, line.location)
        _recount(line, quantity, user)
    db.session.flush()
    return line


def _count(line: StockCountLine, quantity: Decimal, user) -> None:
    expected = _balance(line.item_id, line.location_id, line.lot_id)
    line.counted_quantity, line.expected_quantity = quantity, expected
    line.counted_by_id, line.counted_at = user.id, utcnow()


def _recount(line: StockCountLine, quantity: Decimal, user) -> None:
    expected = _balance(line.item_id, line.location_id, line.lot_id)
    line.recount_quantity, line.recount_expected_quantity = quantity, expected
    line.recounted_by_id, line.recounted_at = user.id, utcnow()


def _new_line(count: StockCount, item: Item, location: Location, lot: Lot | None, user) -> StockCountLine:
    line = StockCountLine(
        count=count,
        item_id=item.id,
        location_id=location.id,
        lot_id=lot.id if lot else None,
        counted_quantity=Decimal(0),
        expected_quantity=Decimal(0),
        counted_by_id=user.id,
        counted_at=utcnow(),
    )
    db.session.add(line)
    return line


def _require_recount(line: StockCountLine | None, item: Item, location: Location) -> None:
    if line is None or not line.needs_recount:
        raise DomainError(
            _("%(item)s at %(location)s does not need a recount.", item=item.name_id, location=location.code),
            fields={"code": [_("No recount needed.")]},
        )


def _lot(item: Item, code: str | None, expiry: date | None) -> Lot | None:
    """The lot counted: from a GS1 label, else typed; an unknown lot only from a label that gives its expiry."""
    if not item.is_lot_tracked:
        return None
    if not code:
        raise ValidationFailed(
            _("%(item)s needs a lot: type the lot number, then scan again.", item=item.name_id),
            fields={"lot_code": [_("Required.")]},
        )
    lot = db.session.scalar(select(Lot).where(Lot.item_id == item.id, Lot.code == code))
    if lot is None:
        if expiry is None:
            raise ValidationFailed(
                _("Lot %(lot)s is not known for this item.", lot=code), fields={"lot_code": [_("Not found.")]}
            )
        lot = services.get_or_create_lot(item, code, expiry)
    return lot


def _find_line(count: StockCount, item_id: int, location_id: int, lot_id: int | None) -> StockCountLine | None:
    stmt = select(StockCountLine).where(
        StockCountLine.count_id == count.id,
        StockCountLine.item_id == item_id,
        StockCountLine.location_id == location_id,
        StockCountLine.lot_id.is_(None) if lot_id is None else StockCountLine.lot_id == lot_id,
    )
    return db.session.scalar(stmt)


def _balance(item_id: int, location_id: int, lot_id: int | None) -> Decimal:
    stmt = select(StockBalance.quantity).where(
        StockBalance.item_id == item_id,
        StockBalance.location_id == location_id,
        StockBalance.lot_id.is_(None) if lot_id is None else StockBalance.lot_id == lot_id,
    )
    return Decimal(db.session.scalar(stmt) or 0)


# --- closing, posting, cancelling ------------------------------------------------------------------------


def needs_recount(count: StockCount, expected: Decimal, counted: Decimal) -> bool:
    """A variance of at least the count's minimum units and more than its percentage of what was expected."""
    variance = abs(Decimal(counted) - Decimal(expected))
    return variance >= count.recount_minimum and variance > Decimal(expected) * Decimal(count.recount_percent) / 100


def close_count(count: StockCount, user) -> StockCount:
    """Stop counting: add what nobody counted at zero, flag the lines to recount, hand over for review."""
    _lock(count)
    _require_status(count, ("open",))
    counted = {(ln.item_id, ln.location_id, ln.lot_id) for ln in count.lines}
    uncounted = db.session.scalars(
        select(StockBalance)
        .join(Location, Location.id == StockBalance.location_id)
        .join(Item, Item.id == StockBalance.item_id)
        .where(StockBalance.location_id.in_(_scope_ids(count)), StockBalance.quantity > 0)
        .order_by(Location.code, Item.sku, StockBalance.lot_id)
    ).all()
    now = utcnow()
    added = 0
    for balance in uncounted:
        if (balance.item_id, balance.location_id, balance.lot_id) in counted:
            continue
        line = StockCountLine(
            count=count,
            item_id=balance.item_id,
            location_id=balance.location_id,
            lot_id=balance.lot_id,
            counted_quantity=Decimal(0),
            expected_quantity=Decimal(balance.quantity),
            counted_by_id=user.id,
            counted_at=now,
            added_at_close=True,
        )
        db.session.add(line)
        added += 1
    for line in count.lines:
        far_off = needs_recount(count, line.expected_quantity, line.counted_quantity)
        line.needs_recount = line.added_at_close or far_off
    count.status, count.closed_by_id, count.closed_at = "review", user.id, now
    db.session.flush()
    audit.record(
        "close",
        "stock_count",
        count.id,
        {"lines": count.line_count, "added_at_close": added, "to_recount": count.lines_to_recount},
    )
    return count


def post_count(count: StockCount, user) -> StockCount:
    """Post every line's variance in one ledger batch against the loss location (reason count, CNT-<id>)."""
    if not user.has_role("manager"):
        raise Forbidden(_("Only a manager can post a count."))
    _lock(count)
    _require_status(count, ("review",))
    if count.lines_to_recount:
        raise DomainError(
            ngettext(
                "%(num)d line still needs a recount.", "%(num)d lines still need a recount.", count.lines_to_recount
            )
        )
    loss = services.location_of_kind("loss")
    posted = [line for line in count.lines if line.variance != 0]
    move_ids = post_moves(
        [
            Move(
                item_id=line.item_id,
                lot_id=line.lot_id,
                quantity=abs(line.variance),
                reason="count",
                reference=count.reference,
                from_location_id=loss.id if line.variance > 0 else line.location_id,
                to_location_id=line.location_id if line.variance > 0 else loss.id,
            )
            for line in posted
        ],
        user_id=user.id,
    )
    costs = dict(db.session.execute(select(StockMove.id, StockMove.unit_cost).where(StockMove.id.in_(move_ids))).all())
    for line, move_id in zip(posted, move_ids, strict=True):
        line.unit_cost = Decimal(costs[move_id])
    count.status, count.posted_by_id, count.posted_at = "posted", user.id, utcnow()
    db.session.flush()
    audit.record(
        "post",
        "stock_count",
        count.id,
        {
            "value": sum(line.value for line in posted),
            "lines": [[ln.item_id, ln.location_id, ln.lot_id, ln.variance] for ln in posted],
        },
    )
    return count


def cancel_count(count: StockCount, user) -> StockCount:
    """Drop a count that will not be posted; nothing in the ledger changes."""
    if not user.has_role("manager"):
        raise Forbidden(_("Only a manager can cancel a count."))
    _lock(count)
    _require_status(count, ACTIVE)
    count.status, count.cancelled_by_id, count.cancelled_at = "cancelled", user.id, utcnow()
    db.session.flush()
    audit.record("cancel", "stock_count", count.id)
    return count


@dataclass(frozen=True)
class Totals:
    gained: int  # rupiah
    lost: int
    net: int


def totals(lines: list[StockCountLine]) -> Totals:
    gained = sum(line.value for line in lines if line.value > 0)
    lost = sum(line.value for line in lines if line.value < 0)
    return Totals(gained, lost, gained + lost)


def sheet(count: StockCount) -> list[tuple[Location, list[StockBalance]]]:
    """A count sheet's sections: each bin of the count with what it holds now (a zone holding nothing is left out)."""
    locations = scope_locations(count)
    parents = {loc.parent_id for loc in locations}
    by_location: dict[int, list[StockBalance]] = {loc.id: [] for loc in locations}
    for balance in db.session.scalars(services.stock_on_hand_query(count.location_id)):
        by_location.setdefault(balance.location_id, []).append(balance)
    return [(loc, by_location[loc.id]) for loc in locations if by_location[loc.id] or loc.id not in parents]


# --- guards ----------------------------------------------------------------------------------------------


def _lock(count: StockCount) -> None:
    """Hold the count's row for this transaction and re-read it and its lines: changes go one at a time."""
    db.session.refresh(count, with_for_update=True)
    for obj in list(db.session.identity_map.values()):  # lines read before the lock may be stale
        if isinstance(obj, StockCountLine) and obj.count_id == count.id:
            db.session.expire(obj)


def _require_status(count: StockCount, allowed: tuple[str, ...]) -> None:
    if count.status not in allowed:
        raise DomainError(
            _("This cannot be done: %(ref)s is %(status)s.", ref=count.reference, status=term("status", count.status)),
            fields={"status": [count.status]},
        )


def _scope_ids(count: StockCount) -> list[int]:
    ids = services.descendant_ids(count.location_id)
    return list(
        db.session.scalars(select(Location.id).where(Location.id.in_(ids), Location.kind.not_in(UNTRACKED_KINDS)))
    )


def _require_in_scope(count: StockCount, location: Location) -> None:
    if location.id not in _scope_ids(count):
        raise ValidationFailed(
            _("Location %(code)s is not part of this count.", code=location.code),
            fields={"location_id": [_("Not in this count.")]},
        )
