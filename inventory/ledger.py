"""The stock ledger: the one way stock changes.

`post_moves` writes a batch of moves and updates the balances they touch in the caller's transaction.
Balance rows are locked in one deterministic order (item, location, lot), so two batches touching the same
rows in a different order cannot deadlock; the availability check happens under those locks, and the
`CHECK (quantity >= 0)` on stock_balance is the backstop. Balance rows a batch needs that do not exist yet are
inserted (at zero) before the lock, so they are locked in the same order as the others. A batch costs a fixed
number of statements, whatever its length: at most 8 (see tests/inventory/test_ledger.py).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import NamedTuple

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import (
    Integer,
    String,
    any_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from app.db import Rate, db, insert_ignoring_duplicates, utcnow
from app.errors import DomainError, ValidationFailed
from app.terms import term
from inventory.models import (
    BASE_UNITS,
    MOVE_REASONS,
    UNTRACKED_KINDS,
    Item,
    Location,
    Lot,
    StockBalance,
    StockMove,
    StockOutbox,
)

COST_PLACES = Decimal("0.0001")
QTY_PLACES = Decimal("0.001")
balance_t = StockBalance.__table__
item_t = Item.__table__
move_t = StockMove.__table__
outbox_t = StockOutbox.__table__
# Sent after a batch that changed stock was written (not committed): [(item id, location id)], wherever it fell or
# rose. Whoever watches stock levels (the reorder check, a floor above) subscribes; the outbox row is already in
# the transaction.
stock_changed = Namespace().signal("stock-changed")
location_t = Location.__table__


@dataclass(frozen=True)
class Move:
    """A move to post: quantity in the item's base unit, always positive, from one location to another."""

    item_id: int
    from_location_id: int
    to_location_id: int
    quantity: Decimal
    reason: str
    reference: str
    lot_id: int | None = None
    unit_cost: Decimal | None = None  # incoming from outside (a receipt); otherwise the moving average
    reverses_move_id: int | None = None


class InsufficientStock(DomainError):
    code = "insufficient_stock"

    def __init__(
        self,
        item_name: str,
        location_name: str,
        available: Decimal,
        requested: Decimal,
        item_id: int,
        location_id: int,
        expired: Decimal = Decimal(0),
    ) -> None:
        args = {
            "item": item_name,
            "location": location_name,
            "available": _plain(available),
            "requested": _plain(requested),
            "expired": _plain(expired),
        }
        if expired > 0:
            message = _(
                "Not enough %(item)s at %(location)s: %(available)s available, %(requested)s needed; %(expired)s more"
                " are past their expiry date and cannot be used: write them off or send them back to the supplier.",
                **args,
            )
        else:
            message = _("Not enough %(item)s at %(location)s: %(available)s available, %(requested)s needed.", **args)
        super().__init__(
            message,
            item_id=item_id,
            location_id=location_id,
            available=str(available.quantize(QTY_PLACES)),
            requested=str(requested.quantize(QTY_PLACES)),
            expired=str(expired.quantize(QTY_PLACES)),
        )


def _plain(q: Decimal) -> str:
    text = format(q.normalize(), "f")
    return text


def quantize_qty(quantity: Decimal, base_unit: str) -> Decimal:
    """Refuse more decimals than the unit is counted in (a pack is whole, a kg has grams)."""
    places = BASE_UNITS[base_unit]
    quantum = Decimal(1).scaleb(-places)
    if quantity != quantity.quantize(quantum):
        raise ValidationFailed(
            _("%(unit)s is counted to %(n)d decimal places.", unit=term("unit", base_unit), n=places),
            fields={"quantity": [_("At most %(n)d decimal places.", n=places)]},
        )
    return quantity.quantize(quantum)


class _Statements:
    """The ledger's statements for one dialect, built once so their compiled form is cached.

    On PostgreSQL a list goes in as one array parameter (`= ANY(:ids)`), so each statement's text is the same
    whatever the batch size and is prepared once by the server; SQLite gets expanding IN lists.
    """

    def __init__(self, dialect: str) -> None:
        self.postgresql = dialect == "postgresql"
        self.facts = union_all(  # the locations' kinds and the items' units and costs, in one round trip
            select(
                literal_column("'location'"),
                location_t.c.id,
                location_t.c.kind,
                location_t.c.name,
                cast(null(), Rate()),
                cast(null(), Integer),
            ).where(self._within(location_t.c.id, "locations")),
            select(
                literal_column("'item'"),
                item_t.c.id,
                item_t.c.base_unit,
                item_t.c.name_id,
                item_t.c.average_cost,
                item_t.c.empty_item_id,
            ).where(self._within(item_t.c.id, "items")),
            # Which balance rows exist already (item, location, lot), so missing ones are made before any lock;
            # the rows of the items' empties too (a full cylinder's empty has a row wherever the full one is).
            select(
                literal_column("'balance'"),
                balance_t.c.item_id,
                cast(balance_t.c.location_id, String(16)),
                null(),
                cast(balance_t.c.lot_id, Rate()),
                cast(null(), Integer),
            ).where(
                or_(
                    self._within(balance_t.c.item_id, "items"),
                    balance_t.c.item_id.in_(select(item_t.c.empty_item_id).where(self._within(item_t.c.id, "items"))),
                ),
                self._within(balance_t.c.location_id, "locations"),
            ),
        )
        # Receiving at a cost re-reads the average under a lock on the item row, held while on-hand is summed.
        self.lock_items = (
            select(item_t.c.id, item_t.c.average_cost)
            .where(self._within(item_t.c.id, "items"))
            .order_by(item_t.c.id)
            .with_for_update()
        )
        self.on_hand = (
            select(balance_t.c.item_id, func.sum(balance_t.c.quantity))
            .where(self._within(balance_t.c.item_id, "items"))
            .group_by(balance_t.c.item_id)
        )
        # Every balance row of these items at these locations (other lots too: harmless), locked in one order.
        self.lock_balances = (
            select(
                balance_t.c.id, balance_t.c.item_id, balance_t.c.location_id, balance_t.c.lot_id, balance_t.c.quantity
            )
            .where(self._within(balance_t.c.item_id, "items"), self._within(balance_t.c.location_id, "locations"))
            .order_by(balance_t.c.item_id, balance_t.c.location_id, balance_t.c.lot_id.nulls_first())
            .with_for_update()
        )
        # PostgreSQL: the balances' update and the moves' insert in one statement (a data-modifying WITH runs
        # to completion whether or not the INSERT reads it); row order of unnest is the input order.
        self.write_pg = text(
            "WITH changed AS (UPDATE stock_balance AS b SET quantity = b.quantity + v.delta"
            " FROM unnest(CAST(:ids AS integer[]), CAST(:deltas AS numeric[])) AS v(id, delta) WHERE b.id = v.id),"
            " touched AS (INSERT INTO stock_outbox (item_id, location_id, generation, touched_at)"
            " SELECT f.item_id, f.location_id, 1, CAST(:posted_at AS timestamptz)"
            " FROM unnest(CAST(:touched_items AS integer[]), CAST(:touched_locations AS integer[]))"
            " AS f(item_id, location_id)"
            " ON CONFLICT (item_id, location_id) DO UPDATE"
            " SET generation = stock_outbox.generation + 1, touched_at = EXCLUDED.touched_at)"
            " INSERT INTO stock_move (posted_at, user_id, item_id, lot_id, from_location_id, to_location_id,"
            " quantity, unit_cost, reason, reference, reverses_move_id)"
            " SELECT CAST(:posted_at AS timestamptz), CAST(:user_id AS integer), m.* FROM unnest("
            "CAST(:item_id AS integer[]), CAST(:lot_id AS integer[]), CAST(:from_location_id AS integer[]),"
            " CAST(:to_location_id AS integer[]), CAST(:quantity AS numeric[]), CAST(:unit_cost AS numeric[]),"
            " CAST(:reason AS varchar[]), CAST(:reference AS varchar[]), CAST(:reverses_move_id AS integer[])) AS m"
            " RETURNING id"
        )
        self.insert_moves = insert(move_t).returning(move_t.c.id)
        if not self.postgresql:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            touched = sqlite_insert(outbox_t)
            self.touched_sqlite = touched.on_conflict_do_update(
                index_elements=[outbox_t.c.item_id, outbox_t.c.location_id],
                set_={"generation": outbox_t.c.generation + 1, "touched_at": touched.excluded.touched_at},
            )

    def _within(self, column, name: str):
        if self.postgresql:
            return column == any_(bindparam(name, type_=ARRAY(Integer)))
        return column.in_(bindparam(name, expanding=True))


_statements: dict[str, _Statements] = {}


def _sql(conn) -> _Statements:
    name = conn.dialect.name
    if name not in _statements:
        _statements[name] = _Statements(name)
    return _statements[name]


def post_moves(moves: list[Move], user_id: int | None = None, held: "Held | None" = None) -> list[int]:
    """Post a batch of moves in the current transaction; return the new move ids in input order.

    `held`: the rows a `pick_under` locked, with their facts; when they cover the batch (its items, places and
    balance rows), neither the facts nor the locks are read again (a sale: 1 statement instead of 3)."""
    if not moves:
        return []
    for m in moves:
        if m.reason not in MOVE_REASONS:
            raise ValidationFailed(f"Unknown move reason {m.reason!r}")
        if m.quantity <= 0:
            raise ValidationFailed(_("A quantity must be more than zero."), fields={"quantity": [_("More than 0.")]})
        if m.from_location_id == m.to_location_id:
            raise ValidationFailed(_("Choose two different locations."), fields={"to_location_id": [_("Same.")]})

    conn = db.session.connection()
    sql = _sql(conn)
    location_ids = list({m.from_location_id for m in moves} | {m.to_location_id for m in moves})
    item_ids = sorted({m.item_id for m in moves})
    if held is not None and held.locations.keys() >= set(location_ids) and held.items.keys() >= set(item_ids):
        locations, items, existing = held.locations, held.items, set(held.rows)
    else:
        held = None
        locations, items, existing = _facts(conn, sql, location_ids, item_ids)
    if not locations.keys() >= set(location_ids):
        raise ValidationFailed(_("Unknown location."), fields={"location": [_("Not found.")]})
    if not items.keys() >= set(item_ids):
        raise ValidationFailed(_("Unknown item."), fields={"item_id": [_("Not found.")]})
    tracked = {lid for lid, facts in locations.items() if facts.kind not in UNTRACKED_KINDS}
    # Stock coming in from outside at a cost (a receipt, a return) moves the average cost.
    priced = [
        m.unit_cost is not None and m.from_location_id not in tracked and m.to_location_id in tracked for m in moves
    ]
    revalue = any(priced)
    quantities = [quantize_qty(m.quantity, items[m.item_id].base_unit) for m in moves]

    # Net change per balance row, only for locations that hold our stock.
    deltas: dict[tuple, Decimal] = defaultdict(Decimal)
    outgoing: dict[tuple, Decimal] = defaultdict(Decimal)
    for m, qty in zip(moves, quantities, strict=True):
        if m.from_location_id in tracked:
            key = (m.item_id, m.from_location_id, m.lot_id)
            deltas[key] -= qty
            outgoing[key] += qty
        if m.to_location_id in tracked:
            deltas[(m.item_id, m.to_location_id, m.lot_id)] += qty
    keys = sorted(deltas, key=lambda k: (k[0], k[1], -1 if k[2] is None else k[2]))

    # A balance row this batch needs that does not exist yet is made first, while we hold no lock: made after
    # the lock, it would be locked out of order (after rows held already) and two tills could deadlock. A row
    # another transaction is making meanwhile is waited for here, holding nothing. Only rows stock comes into.
    missing = [k for k in keys if k not in existing and deltas[k] >= 0]
    # Wherever a returnable container's full item arrives, its empty gets a row too, now, while nothing is locked:
    # the till that sells the first refill there takes the empty in without making a row under its locks.
    missing += sorted(
        {
            (items[k[0]].empty_item_id, k[1], None)
            for k in keys
            if deltas[k] > 0 and items[k[0]].empty_item_id and (items[k[0]].empty_item_id, k[1], None) not in existing
        }
        - set(keys)
    )
    if held is not None and not missing:
        balances = {k: held.rows[k] for k in keys if k in held.rows}
    else:
        if missing:
            _create_balances(conn, missing)
        balances = _lock_balances(conn, sql, keys)
    for key in keys:  # every check before any stock is written: a refused batch moves nothing
        available = balances[key][1] if key in balances else Decimal(0)
        if available + deltas[key] < 0:
            _refuse(key, available, outgoing[key], items, locations)

    costs = {iid: facts.average_cost for iid, facts in items.items()}
    if revalue:
        costs.update({iid: Decimal(cost) for iid, cost in conn.execute(sql.lock_items, {"items": item_ids})})
        on_hand = dict(conn.execute(sql.on_hand, {"items": item_ids}).all())
        on_hand = {iid: Decimal(on_hand.get(iid) or 0) for iid in item_ids}
        for m, qty, is_priced in zip(moves, quantities, priced, strict=True):  # in order: two receipts average right
            if is_priced:
                before = on_hand[m.item_id]
                costs[m.item_id] = ((before * costs[m.item_id] + qty * Decimal(m.unit_cost)) / (before + qty)).quantize(
                    COST_PLACES, ROUND_HALF_UP
                )
                on_hand[m.item_id] = before + qty

    changed = {balances[k][0]: deltas[k] for k in keys if deltas[k] != 0}
    new_costs = {iid: c for iid, c in costs.items() if c != items[iid].average_cost}
    if new_costs:
        conn.execute(
            update(item_t)
            .where(item_t.c.id.in_(list(new_costs)))
            .values(average_cost=case(new_costs, value=item_t.c.id))
        )
    unit_costs = [
        Decimal(m.unit_cost) if is_priced else costs[m.item_id] for m, is_priced in zip(moves, priced, strict=True)
    ]
    touched = sorted({(k[0], k[1]) for k in keys if deltas[k] != 0})  # fell or rose: the reorder check looks again
    ids = _write(conn, sql, changed, moves, quantities, unit_costs, user_id, touched)
    if touched:
        stock_changed.send(None, changed=touched)
    _expire_cached(list(new_costs), {balances[k][0] for k in keys})
    return ids


def _facts(conn, sql: _Statements, location_ids: list[int], item_ids: list[int]) -> tuple[dict, dict, set]:
    """The locations' kinds and names, the items' facts and which balance rows exist, in one statement."""
    locations, items, existing = {}, {}, set()
    for source, row_id, kind_or_unit, name, cost, empty_item_id in conn.execute(
        sql.facts, {"locations": location_ids, "items": item_ids}
    ):
        if source == "location":
            locations[row_id] = LocationFacts(kind_or_unit, name)
        elif source == "item":
            items[row_id] = ItemFacts(kind_or_unit, name, Decimal(cost), empty_item_id)
        else:  # a balance row: item id, location id, lot id
            existing.add((row_id, int(kind_or_unit), None if cost is None else int(cost)))
    return locations, items, existing


def _lock_balances(conn, sql: _Statements, keys: list[tuple]) -> dict[tuple, tuple[int, Decimal]]:
    """Lock the balance rows of these keys' items and locations, in one order; return {key: (id, quantity)}."""
    params = {"items": sorted({k[0] for k in keys}), "locations": sorted({k[1] for k in keys})}
    rows = conn.execute(sql.lock_balances, params)
    wanted = set(keys)
    return {
        (r.item_id, r.location_id, r.lot_id): (r.id, Decimal(r.quantity))
        for r in rows
        if (r.item_id, r.location_id, r.lot_id) in wanted
    }


def make_balances(keys: list[tuple[int, int, int | None]]) -> None:
    """Make zero balance rows for (item, location, lot) keys that have none (an empty cylinder's rows, say)."""
    if keys:
        _create_balances(db.session.connection(), sorted(set(keys), key=lambda k: (k[0], k[1], k[2] or 0)))


def _create_balances(conn, keys: list[tuple]) -> None:
    """Insert zero balances for new keys (one statement); a key another transaction inserted is left as it is."""
    values = [{"item_id": k[0], "location_id": k[1], "lot_id": k[2], "quantity": Decimal(0)} for k in keys]
    conn.execute(insert_ignoring_duplicates(balance_t, conn.dialect.name), values)


def _write(
    conn,
    sql: _Statements,
    changed: dict[int, Decimal],
    moves: list[Move],
    quantities: list[Decimal],
    unit_costs: list[Decimal],
    user_id: int | None,
    touched: list[tuple[int, int]],
) -> list[int]:
    """Add each balance's net change, insert the moves and note where stock changed (the outbox); return the move
    ids in input order."""
    now = utcnow()
    if sql.postgresql:
        ids = (
            conn.execute(
                sql.write_pg,
                {
                    "ids": list(changed),
                    "deltas": list(changed.values()),
                    "posted_at": now,
                    "user_id": user_id,
                    "item_id": [m.item_id for m in moves],
                    "lot_id": [m.lot_id for m in moves],
                    "from_location_id": [m.from_location_id for m in moves],
                    "to_location_id": [m.to_location_id for m in moves],
                    "quantity": quantities,
                    "unit_cost": unit_costs,
                    "reason": [m.reason for m in moves],
                    "reference": [m.reference for m in moves],
                    "reverses_move_id": [m.reverses_move_id for m in moves],
                    "touched_items": [item_id for item_id, _ in touched],
                    "touched_locations": [location_id for _, location_id in touched],
                },
            )
            .scalars()
            .all()
        )
        return sorted(ids)  # one INSERT numbers its rows in order, so sorted ids follow the input order
    if touched:
        conn.execute(
            sql.touched_sqlite,
            [{"item_id": i, "location_id": loc, "generation": 1, "touched_at": now} for i, loc in touched],
        )
    if changed:
        conn.execute(
            update(balance_t)
            .where(balance_t.c.id.in_(list(changed)))
            .values(quantity=balance_t.c.quantity + case(changed, value=balance_t.c.id))
        )
    rows = [
        {
            "posted_at": now,
            "item_id": m.item_id,
            "lot_id": m.lot_id,
            "from_location_id": m.from_location_id,
            "to_location_id": m.to_location_id,
            "quantity": qty,
            "reason": m.reason,
            "reference": m.reference,
            "unit_cost": cost,
            "user_id": user_id,
            "reverses_move_id": m.reverses_move_id,
        }
        for m, qty, cost in zip(moves, quantities, unit_costs, strict=True)
    ]
    return sorted(conn.execute(sql.insert_moves, rows).scalars().all())


class LocationFacts(NamedTuple):
    kind: str
    name: str


class ItemFacts(NamedTuple):
    base_unit: str
    name_id: str
    average_cost: Decimal
    empty_item_id: int | None


def _refuse(key: tuple, available: Decimal, requested: Decimal, items: dict, locations: dict) -> None:
    item_id, location_id, _lot = key
    raise InsufficientStock(
        items[item_id].name_id, locations[location_id].name, available, requested, item_id, location_id
    )


def _expire_cached(item_ids: list[int], balance_ids: set[int]) -> None:
    """Core updates bypass the ORM: expire the loaded objects they made stale (looked up by key, no load)."""
    stale = {(Item, (i,)) for i in item_ids} | {(StockBalance, (b,)) for b in balance_ids}
    for key, obj in list(db.session.identity_map.items()):
        if (key[0], key[1]) in stale:
            db.session.expire(obj)


def reverse_moves(move_ids: list[int], reference: str, user_id: int | None = None) -> list[int]:
    """Post the exact opposite of these moves; each move can be reversed once."""
    originals = db.session.scalars(select(StockMove).where(StockMove.id.in_(move_ids)).order_by(StockMove.id)).all()
    if len(originals) != len(set(move_ids)):
        raise ValidationFailed(_("Unknown move."))
    already = db.session.scalar(select(StockMove.reverses_move_id).where(StockMove.reverses_move_id.in_(move_ids)))
    if already is not None:
        raise DomainError(_("Move %(id)s has already been reversed.", id=already))
    if any(m.reason == "reversal" for m in originals):
        raise DomainError(_("A reversal cannot be reversed; post a new move instead."))
    return post_moves(
        [
            Move(
                item_id=m.item_id,
                lot_id=m.lot_id,
                from_location_id=m.to_location_id,
                to_location_id=m.from_location_id,
                quantity=Decimal(m.quantity),
                reason="reversal",
                reference=reference,
                unit_cost=Decimal(m.unit_cost),
                reverses_move_id=m.id,
            )
            for m in originals
        ],
        user_id=user_id,
    )


def pick_lots(
    item_id: int,
    location_id: int,
    quantity: Decimal,
    usable_on: date | None = None,
    lot_ids: list[int] | None = None,
) -> list[tuple[int | None, Decimal]]:
    """Split a quantity over the lots at a location, first-expiring first (FEFO); lots without expiry last. With
    `usable_on`, lots that expired before that day are not picked (and said so if they were needed); with
    `lot_ids`, only those lots."""
    statement = (
        select(StockBalance.lot_id, StockBalance.quantity, Lot.expiry_date)
        .outerjoin(Lot, Lot.id == StockBalance.lot_id)
        .where(StockBalance.item_id == item_id, StockBalance.location_id == location_id, StockBalance.quantity > 0)
        .order_by(Lot.expiry_date.is_(None), Lot.expiry_date, StockBalance.lot_id.is_(None), StockBalance.lot_id)
    )
    if lot_ids is not None:
        statement = statement.where(StockBalance.lot_id.in_(lot_ids))
    rows = db.session.execute(statement).all()
    held = [_Held(item_id, location_id, lot_id, Decimal(q), expiry) for lot_id, q, expiry in rows]
    return [(lot_id, q) for _, lot_id, q in _pick(item_id, location_id, held, quantity, usable_on)]


def _expired(row: "_Held", usable_on: date | None) -> bool:
    return usable_on is not None and row.expiry_date is not None and row.expiry_date < usable_on


def _pick(
    item_id: int, location_id: int, rows: list["_Held"], wanted: Decimal, usable_on: date | None
) -> list[tuple[int, int | None, Decimal]]:
    """Take `wanted` from rows already in FEFO order, skipping expired lots; refuse naming what is short."""
    remaining, taken = wanted, []
    for row in rows:
        if remaining <= 0:
            break
        if row.quantity <= 0 or _expired(row, usable_on):
            continue
        take = min(row.quantity, remaining)
        taken.append((row.location_id, row.lot_id, take))
        remaining -= take
    if remaining > 0:
        expired = sum((r.quantity for r in rows if r.quantity > 0 and _expired(r, usable_on)), Decimal(0))
        item, location = db.session.get(Item, item_id), db.session.get(Location, location_id)
        raise InsufficientStock(
            item.name_id, location.name, wanted - remaining, wanted, item_id, location_id, expired=expired
        )
    return taken


@cache
def _stock_under_statement(lock: bool):
    """Balance rows of some items at a location and every location below it (a shop and its shelves), in the
    ledger's lock order (item, location, lot), with what `post_moves` needs to know of their items and places;
    quarantine and in-transit stock is not for sale. With `lock`, the balance rows are locked (FOR UPDATE) in that
    order, as `post_moves` locks them. Built once per process."""
    tree = select(Location.id).where(Location.id == bindparam("location_id")).cte("tree", recursive=True)
    tree = tree.union_all(
        select(Location.id).where(
            Location.parent_id == tree.c.id, Location.kind.not_in(("quarantine", "in_transit", *UNTRACKED_KINDS))
        )
    )
    statement = (
        select(
            balance_t.c.item_id,
            balance_t.c.location_id,
            balance_t.c.lot_id,
            balance_t.c.quantity,
            Lot.expiry_date,
            balance_t.c.id,
            location_t.c.kind,
            location_t.c.name,
            item_t.c.base_unit,
            item_t.c.name_id,
            item_t.c.average_cost,
            item_t.c.empty_item_id,
        )
        .join(location_t, location_t.c.id == balance_t.c.location_id)
        .join(item_t, item_t.c.id == balance_t.c.item_id)
        .outerjoin(Lot, Lot.id == balance_t.c.lot_id)
        .where(
            balance_t.c.item_id.in_(bindparam("items", expanding=True)), balance_t.c.location_id.in_(select(tree.c.id))
        )
        .order_by(balance_t.c.item_id, balance_t.c.location_id, balance_t.c.lot_id.nulls_first())
    )
    return statement.with_for_update(of=balance_t) if lock else statement


class _Held(NamedTuple):
    item_id: int
    location_id: int
    lot_id: int | None
    quantity: Decimal
    expiry_date: object


@dataclass
class Held:
    """Balance rows a transaction has locked (FOR UPDATE, in the ledger's order) with the facts `post_moves` would
    otherwise read again: {(item, location, lot): (balance id, quantity)}, the items' and the places' facts."""

    rows: dict[tuple, tuple[int, Decimal]]
    items: dict[int, "ItemFacts"]
    locations: dict[int, "LocationFacts"]

    def add_place(self, location_id: int, kind: str, name: str = "") -> None:
        """A place the moves also reach whose kind the caller knows (the customer, a supplier: no balance)."""
        self.locations[location_id] = LocationFacts(kind, name)


@dataclass
class Pick:
    """What `pick_under` chose, {item id: [(location id, lot id, quantity)]}, and the rows it locked."""

    splits: dict[int, list[tuple[int, int | None, Decimal]]]
    held: Held


def _stock_under(location_id: int, item_ids: list[int], lock: bool = False, held: Held | None = None) -> list[_Held]:
    rows = db.session.execute(_stock_under_statement(lock), {"location_id": location_id, "items": item_ids})
    found = []
    for item_id, loc, lot, quantity, expiry, balance_id, kind, place, unit, name, cost, empty_item_id in rows:
        found.append(_Held(item_id, loc, lot, Decimal(quantity), expiry))
        if held is not None:
            held.rows[(item_id, loc, lot)] = (balance_id, Decimal(quantity))
            held.locations[loc] = LocationFacts(kind, place)
            held.items[item_id] = ItemFacts(unit, name, Decimal(cost), empty_item_id)
    return found


def _fefo(row: _Held) -> tuple:
    """First-expiring lot first; lots without expiry after, untracked stock last; then by place."""
    return (
        row.expiry_date is None,
        row.expiry_date or 0,
        row.lot_id is None,
        row.lot_id or 0,
        row.location_id,
    )


def available_under(location_id: int, item_ids: list[int], usable_on: date | None = None) -> dict[int, Decimal]:
    """How much of each item a shop (with its shelves) holds for sale (with `usable_on`: not expired by then)."""
    found: dict[int, Decimal] = dict.fromkeys(item_ids, Decimal(0))
    for row in _stock_under(location_id, item_ids):
        if row.quantity > 0 and not _expired(row, usable_on):
            found[row.item_id] += row.quantity
    return found


def pick_under(
    location_id: int,
    quantities: dict[int, Decimal],
    exchanged: dict[int, int] | None = None,
    usable_on: date | None = None,
) -> Pick:
    """Split each item's quantity over a place and the places under it (a shop's shelves, a warehouse's bins) and
    their lots, first-expiring first (FEFO), then by place, with the rows locked; with `usable_on`, lots expired
    before that day are never picked. Return the splits, {item id: [(location id, lot id, quantity)]}, and the
    rows held (pass them to `post_moves`, which then neither reads their facts nor locks them again).

    The pick is made under the locks `post_moves` would take (same rows, same order), so two tills selling the
    last units of an item kept on two shelves never refuse each other while the shop as a whole has them.
    `exchanged` maps an item to another item whose rows are locked too, in the same order (a full cylinder's
    empty, which comes in where the full one leaves), so the batch that follows takes no row lock out of order
    (`post_moves` makes the empty's row wherever a full one arrives, so the row is there before any till sells
    from it)."""
    items = sorted(set(quantities) | set((exchanged or {}).values()))
    held = Held({}, {}, {})
    rows: dict[int, list[_Held]] = defaultdict(list)
    for row in sorted(_stock_under(location_id, items, lock=True, held=held), key=_fefo):
        if row.item_id in quantities:
            rows[row.item_id].append(row)
    splits = {
        item_id: _pick(item_id, location_id, rows[item_id], wanted, usable_on) for item_id, wanted in quantities.items()
    }
    return Pick(splits, held)


def verify() -> list[dict]:
    """Recompute every balance from the ledger; return the rows that drifted (empty means all agree)."""
    tracked = select(Location.id).where(Location.kind.not_in(UNTRACKED_KINDS))
    sums: dict[tuple, Decimal] = defaultdict(Decimal)
    for item_id, loc, lot, qty in db.session.execute(
        select(move_t.c.item_id, move_t.c.to_location_id, move_t.c.lot_id, func.sum(move_t.c.quantity))
        .where(move_t.c.to_location_id.in_(tracked))
        .group_by(move_t.c.item_id, move_t.c.to_location_id, move_t.c.lot_id)
    ):
        sums[(item_id, loc, lot)] += Decimal(qty)
    for item_id, loc, lot, qty in db.session.execute(
        select(move_t.c.item_id, move_t.c.from_location_id, move_t.c.lot_id, func.sum(move_t.c.quantity))
        .where(move_t.c.from_location_id.in_(tracked))
        .group_by(move_t.c.item_id, move_t.c.from_location_id, move_t.c.lot_id)
    ):
        sums[(item_id, loc, lot)] -= Decimal(qty)
    balances = {
        (r.item_id, r.location_id, r.lot_id): Decimal(r.quantity)
        for r in db.session.execute(
            select(balance_t.c.item_id, balance_t.c.location_id, balance_t.c.lot_id, balance_t.c.quantity)
        )
    }
    drift = []
    for key in sorted(set(sums) | set(balances), key=lambda k: (k[0], k[1], k[2] or 0)):
        ledger, balance = sums.get(key, Decimal(0)), balances.get(key, Decimal(0))
        if ledger != balance:
            drift.append(
                {"item_id": key[0], "location_id": key[1], "lot_id": key[2], "ledger": ledger, "balance": balance}
            )
    return drift
