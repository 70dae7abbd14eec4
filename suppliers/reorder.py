"""Reorder rules and the check that turns them into a line on the supplier's reorder draft.

A check is idempotent by construction: it computes what the supplier's draft for a destination *should* be from
the positions (on hand + on order, the draft itself left out) of all its rules and sets it, under a lock on the
supplier's row, so running it twice, or two at once, leaves the same draft. Every line keeps its reasoning (on
hand, on order, demand, levels, lead time, the cap applied, the result) for the manager to read. Lines of one
draft share the supplier's weight limit: the rule made first is sized first, a later one gets what room is left
(and says so).

In demand mode (`demand_days` set) the reorder point follows the sales: the average a day over the last N days
× (lead time + review period) + safety stock; the order-up-to level keeps its distance above it. It is
recomputed when the rule is set and by the nightly sweep, before the check.
"""

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from app import audit, clock
from app.db import db, lock, utcnow
from app.errors import DomainError, NotFound, ValidationFailed
from app.formatting import format_qty
from app.terms import term
from inventory import ledger
from inventory.models import BASE_UNITS, Item, Location, StockMove
from inventory.services import descendant_ids
from suppliers.models import PurchaseOrder, PurchaseOrderLine, ReorderRule, Supplier, SupplierItem
from suppliers.services import costs_on, next_number, quota_used, quotas_on, set_line, transition

OPEN_STATUSES = ("draft", "submitted", "approved", "partially_received")  # still to arrive: "on order"


def set_rule(
    item: Item,
    location: Location,
    supplier: Supplier,
    reorder_point: Decimal,
    order_up_to: Decimal,
    safety_stock: Decimal = Decimal(0),
    review_period_days: int = 7,
    demand_days: int | None = None,
) -> ReorderRule:
    """Create or change the rule of an item at a location (audited)."""
    errors: dict[str, list[str]] = {}
    if not location.tracks_stock:
        errors["location_id"] = [_("Goods must arrive at one of our locations.")]
    if _catalogue_entry(supplier.id, item.id) is None:
        errors["supplier_id"] = [_("%(supplier)s does not sell %(item)s.", supplier=supplier.name, item=item.name_id)]
    if reorder_point < 0 or safety_stock < 0:
        errors["reorder_point"] = [_("0 or more.")]
    if order_up_to <= reorder_point:
        errors["order_up_to"] = [_("More than the reorder point.")]
    if review_period_days < 0 or (demand_days is not None and demand_days <= 0):
        errors["review_period_days"] = [_("0 or more.")]
    if errors:
        raise ValidationFailed(_("Check the reorder rule."), fields=errors)
    lock(item)  # one rule per item and place: two managers setting it at once change one rule, one after the other
    rule = db.session.scalar(
        select(ReorderRule).where(ReorderRule.item_id == item.id, ReorderRule.location_id == location.id)
    )
    if rule is None:
        rule = ReorderRule(item=item, location=location)
        db.session.add(rule)
    rule.supplier = supplier
    rule.reorder_point, rule.order_up_to, rule.safety_stock = reorder_point, order_up_to, safety_stock
    rule.review_period_days, rule.demand_days, rule.is_active = review_period_days, demand_days, True
    db.session.flush()
    if demand_days is None:
        rule.demand_per_day = rule.demand_updated_at = None
    else:
        recompute_demand(rule)
    audit.record(
        "set_reorder_rule",
        "reorder_rule",
        rule.id,
        {"supplier": supplier.code, "reorder_point": reorder_point, "order_up_to": order_up_to},
    )
    return rule


def save_rule(data: dict) -> ReorderRule:
    """Set a rule from ids (the API and the screen), then check it at once so its suggestion shows now."""
    found = {
        "item_id": db.session.get(Item, data["item_id"]),
        "location_id": db.session.get(Location, data["location_id"]),
        "supplier_id": db.session.get(Supplier, data["supplier_id"]),
    }
    missing = {name: [_("Not found.")] for name, row in found.items() if row is None}
    if missing:
        raise ValidationFailed(_("Check the reorder rule."), fields=missing)
    before = db.session.execute(
        select(ReorderRule.supplier_id, ReorderRule.location_id).where(
            ReorderRule.item_id == data["item_id"], ReorderRule.location_id == data["location_id"]
        )
    ).first()
    rule = set_rule(
        found["item_id"],
        found["location_id"],
        found["supplier_id"],
        data["reorder_point"],
        data["order_up_to"],
        data.get("safety_stock", Decimal(0)),
        data.get("review_period_days", 7),
        data.get("demand_days"),
    )
    if before is not None and tuple(before) != (rule.supplier_id, rule.location_id):
        check_group(*before)  # its line leaves the old supplier's draft
    check(rule.id)
    return rule


def switch_rule(rule_id: int, active: bool) -> ReorderRule:
    """Turn a rule off (its suggested line goes) or on again (checked at once)."""
    rule = db.session.get(ReorderRule, rule_id)
    if rule is None:
        raise NotFound(_("Reorder rule not found."))
    rule.is_active = active
    db.session.flush()
    audit.record("switch_reorder_rule", "reorder_rule", rule.id, {"is_active": active})
    check(rule.id)
    return rule


def rules_query():
    return select(ReorderRule).join(ReorderRule.item).order_by(*STAPLES_FIRST)


def _catalogue_entry(supplier_id: int, item_id: int) -> SupplierItem | None:
    return db.session.scalar(
        select(SupplierItem).where(SupplierItem.supplier_id == supplier_id, SupplierItem.item_id == item_id)
    )


DEMAND_OUT = ("sale", "transfer")  # what leaves a location to be used: sold, or sent on (the warehouse to the shop)


def demand_per_day(item_id: int, location_id: int, days: int, now: datetime | None = None) -> Decimal:
    """The average a day that left a location and everything below it over the last `days` days: sold or sent
    elsewhere, less what customers brought back; moves inside it (shelf to shelf) don't count."""
    now = now or utcnow()
    inside = descendant_ids(location_id)
    going = StockMove.from_location_id.in_(inside) & StockMove.to_location_id.not_in(inside)
    coming = StockMove.to_location_id.in_(inside) & StockMove.from_location_id.not_in(inside)
    coming_back = coming & (StockMove.reason == "return")
    net = db.session.scalar(
        select(
            func.sum(
                case(
                    (going & StockMove.reason.in_(DEMAND_OUT), StockMove.quantity),
                    (coming_back, -StockMove.quantity),
                    else_=0,
                )
            )
        ).where(StockMove.item_id == item_id, StockMove.posted_at >= now - timedelta(days=days))
    )
    return (max(Decimal(net or 0), Decimal(0)) / days).quantize(Decimal("0.0001"))


def recompute_demand(rule: ReorderRule, now: datetime | None = None) -> None:
    """Demand mode: set the reorder point from the average sales (rounded up to what the item is counted in) and
    move the order-up-to level with it, keeping the distance the manager chose."""
    if rule.demand_days is None:
        return
    now = now or utcnow()
    per_day = demand_per_day(rule.item_id, rule.location_id, rule.demand_days, now)
    cover_days = rule.supplier.lead_time_days + rule.review_period_days
    quantum = Decimal(1).scaleb(-BASE_UNITS[rule.item.base_unit])
    point = (per_day * cover_days + rule.safety_stock).quantize(quantum, ROUND_CEILING)
    gap = rule.order_up_to - rule.reorder_point
    rule.reorder_point, rule.order_up_to = point, point + gap
    rule.demand_per_day, rule.demand_updated_at = per_day, now


@dataclass
class Reasoning:
    """Why a suggestion is what it is, in figures (base units; packs of the purchase packaging)."""

    on_hand: Decimal
    on_order: Decimal
    position: Decimal
    reorder_point: Decimal
    order_up_to: Decimal
    safety_stock: Decimal
    lead_time_days: int
    review_period_days: int
    demand_days: int | None  # demand mode: the days the average was taken over
    demand_per_day: Decimal | None  # and the average a day (base units)
    needed: Decimal  # order-up-to minus position, when at or below the reorder point
    pack_size: Decimal  # base units in one purchase packaging
    multiple: Decimal  # packs ordered in multiples of this
    packs: Decimal  # what the rounding gives
    cap: str | None  # "max_order_kg" or "quota" when a supplier's limit cut the order
    cap_limit: Decimal | None  # the limit's room left, in packs
    result: Decimal  # packs on the draft line

    def as_json(self) -> dict:
        return {k: (format(v.normalize(), "f") if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def on_order(item_ids: list[int], location_id: int, exclude_order_id: int | None = None) -> dict[int, Decimal]:
    """What open orders (drafts included) still bring of some items to a location, in one statement."""
    stmt = (
        select(PurchaseOrderLine.item_id, func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received_quantity))
        .join(PurchaseOrderLine.order)
        .where(
            PurchaseOrderLine.item_id.in_(item_ids),
            PurchaseOrder.destination_id == location_id,
            PurchaseOrder.status.in_(OPEN_STATUSES),
        )
        .group_by(PurchaseOrderLine.item_id)
    )
    if exclude_order_id is not None:
        stmt = stmt.where(PurchaseOrder.id != exclude_order_id)
    found = dict.fromkeys(item_ids, Decimal(0))
    found.update({item_id: Decimal(quantity or 0) for item_id, quantity in db.session.execute(stmt)})
    return found


def _round_up(quantity: Decimal, step: Decimal) -> Decimal:
    return (quantity / step).to_integral_value(ROUND_CEILING) * step


def _round_down(quantity: Decimal, step: Decimal) -> Decimal:
    return (quantity / step).to_integral_value(ROUND_FLOOR) * step


def check(rule_id: int, day: date | None = None) -> PurchaseOrderLine | None:
    """Check a rule: its supplier's reorder draft for its location is brought up to date (check_group); return
    the rule's line, or None when nothing is needed."""
    rule = db.session.get(ReorderRule, rule_id)
    if rule is None:
        raise NotFound(_("Reorder rule not found."))
    draft = check_group(rule.supplier_id, rule.location_id, day)
    return next((ln for ln in draft.lines if ln.item_id == rule.item_id), None) if draft else None


def check_group(
    supplier_id: int, location_id: int, day: date | None = None, with_demand: bool = False
) -> PurchaseOrder | None:
    """Make the supplier's reorder draft for a destination what its active rules ask for now, and return it.

    A line per rule at or below its reorder point; the rules, in the order they were made, share the supplier's
    weight limit (an earlier rule's line is sized first, a later one gets the room left and says so); a line no
    rule asks for goes, and an empty draft is deleted. The facts are read in a few statements whatever the number
    of rules, under a lock on the supplier, so the draft depends only on the stock, the orders and the rules:
    checking twice, or twice at once, gives the same draft. `with_demand` first recomputes the reorder point of
    the rules in demand mode (the nightly sweep).
    """
    day = day or clock.today()
    fresh = {"populate_existing": True}  # as they are now, under the lock (the session keeps objects over commits)
    supplier = db.session.execute(
        select(Supplier).where(Supplier.id == supplier_id).with_for_update().execution_options(**fresh)
    ).scalar_one()
    rules = db.session.scalars(
        select(ReorderRule)
        .where(ReorderRule.supplier_id == supplier_id, ReorderRule.location_id == location_id, ReorderRule.is_active)
        .options(joinedload(ReorderRule.item))
        .order_by(ReorderRule.id)
        .execution_options(**fresh)
    ).all()
    if with_demand:
        for rule in rules:
            recompute_demand(rule)
    draft = db.session.scalar(
        select(PurchaseOrder)
        .where(
            PurchaseOrder.supplier_id == supplier_id,
            PurchaseOrder.destination_id == location_id,
            PurchaseOrder.status == "draft",
            PurchaseOrder.origin == "reorder",
        )
        .options(selectinload(PurchaseOrder.lines))
        .execution_options(**fresh)
    )
    item_ids = [rule.item_id for rule in rules]
    entries = {
        entry.item_id: entry
        for entry in db.session.scalars(
            select(SupplierItem)
            .where(SupplierItem.supplier_id == supplier_id, SupplierItem.item_id.in_(item_ids))
            .options(joinedload(SupplierItem.packaging))
        )
    }
    on_hand = ledger.available_under(location_id, item_ids) if item_ids else {}
    coming = on_order(item_ids, location_id, exclude_order_id=draft.id if draft else None)
    quota_left = _quota_left(supplier_id, location_id, quotas_on(supplier_id, item_ids, day), day)
    wanted: dict[int, tuple[ReorderRule, SupplierItem, Reasoning]] = {}
    weight = Decimal(0)  # of the lines sized so far
    for rule in rules:
        entry = entries.get(rule.item_id)
        if entry is None or not supplier.is_active:
            continue
        facts = (on_hand[rule.item_id], coming[rule.item_id], weight, quota_left.get(rule.item_id))
        reasoning = _reason(rule, supplier, entry, *facts)
        if reasoning.result > 0:
            wanted[rule.item_id] = (rule, entry, reasoning)
            weight += reasoning.result * entry.packaging.factor * entry.kg_per_unit
    if not wanted:
        if draft is not None:  # nothing left to suggest: no empty order lingers in the lists
            db.session.delete(draft)
            audit.record("delete", "purchase_order", draft.id, {"number": draft.number, "origin": "reorder"})
            db.session.flush()
        return None
    if draft is None:
        draft = _new_draft(supplier, location_id, day)
    for line in [ln for ln in draft.lines if ln.item_id not in wanted]:
        draft.lines.remove(line)
    lines = {line.item_id: line for line in draft.lines}
    costs = costs_on([entry.id for _rule, entry, _reasoning in wanted.values()], day)
    for item_id, (rule, entry, reasoning) in wanted.items():
        values = {
            "packs": reasoning.result,
            "quantity": ledger.quantize_qty(reasoning.result * entry.packaging.factor, rule.item.base_unit),
            "unit_cost": costs.get(entry.id, 0),
            "reasoning": reasoning.as_json(),
        }
        line = lines.get(item_id)
        if line is None:
            draft.lines.append(PurchaseOrderLine(item_id=item_id, packaging_id=entry.packaging_id, **values))
        else:
            for name, value in values.items():
                setattr(line, name, value)
    db.session.flush()
    return draft


def _quota_left(supplier_id: int, location_id: int, quotas: dict[int, Decimal], day: date) -> dict[int, Decimal]:
    """What is left of each item's monthly quota for this draft: the quota less what this month's orders take and
    what the supplier's reorder drafts for other destinations already suggest (they will be sent this month too;
    all of them are checked under the same lock)."""
    if not quotas:
        return {}
    month = day.replace(day=1)
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    elsewhere = dict(
        db.session.execute(
            select(PurchaseOrderLine.item_id, func.sum(PurchaseOrderLine.quantity))
            .join(PurchaseOrderLine.order)
            .where(
                PurchaseOrder.supplier_id == supplier_id,
                PurchaseOrder.origin == "reorder",
                PurchaseOrder.status == "draft",
                PurchaseOrder.destination_id != location_id,
                PurchaseOrderLine.item_id.in_(list(quotas)),
            )
            .group_by(PurchaseOrderLine.item_id)
        ).all()
    )
    return {
        item_id: max(
            quota - quota_used(supplier_id, item_id, month, next_month) - Decimal(elsewhere.get(item_id, 0)),
            Decimal(0),
        )
        for item_id, quota in quotas.items()
    }


def _reason(
    rule: ReorderRule,
    supplier: Supplier,
    entry: SupplierItem,
    on_hand: Decimal,
    coming: Decimal,
    weight_before: Decimal,
    quota_left: Decimal | None,
) -> Reasoning:
    """The suggestion for one rule from its facts: the position against the levels, rounded to the multiple, cut
    to the room the earlier lines leave under the weight limit, and to what is left of the month's quota."""
    position = on_hand + coming
    pack_size = entry.packaging.factor
    needed = rule.order_up_to - position if position <= rule.reorder_point else Decimal(0)
    rounded = _round_up(needed / pack_size, entry.order_multiple) if needed > 0 else Decimal(0)
    packs, cap, room = rounded, None, None
    if packs > 0 and supplier.max_order_kg is not None and entry.kg_per_unit > 0:
        room_kg = max(supplier.max_order_kg - weight_before, Decimal(0))
        room = _round_down(room_kg / (entry.kg_per_unit * pack_size), entry.order_multiple)
        if packs > room:
            cap, packs = "max_order_kg", room
    if packs > 0 and quota_left is not None:
        quota_room = _round_down(quota_left / pack_size, entry.order_multiple)
        if packs > quota_room:
            cap, room, packs = "quota", quota_room, quota_room
    return Reasoning(
        on_hand=on_hand,
        on_order=coming,
        position=position,
        reorder_point=rule.reorder_point,
        order_up_to=rule.order_up_to,
        safety_stock=rule.safety_stock,
        lead_time_days=supplier.lead_time_days,
        review_period_days=rule.review_period_days,
        demand_days=rule.demand_days,
        demand_per_day=rule.demand_per_day,
        needed=max(needed, Decimal(0)),
        pack_size=pack_size,
        multiple=entry.order_multiple,
        packs=rounded,
        cap=cap,
        cap_limit=room if cap else None,
        result=packs,
    )


def _new_draft(supplier: Supplier, location_id: int, day: date) -> PurchaseOrder:
    draft = PurchaseOrder(
        number=f"PO-{day.year}-{next_number(f'po-{day.year}'):05d}",
        supplier=supplier,
        destination_id=location_id,
        status="draft",
        origin="reorder",
        order_date=day,
        note="",
    )
    db.session.add(draft)
    db.session.flush()
    audit.record("create", "purchase_order", draft.id, {"number": draft.number, "origin": "reorder"})
    return draft


# --- the manager's side --------------------------------------------------------------------------------------


def suggestions() -> list[PurchaseOrder]:
    """The reorder drafts waiting for a manager's word, oldest first."""
    return db.session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.origin == "reorder", PurchaseOrder.status == "draft")
        .order_by(PurchaseOrder.id)
    ).all()


def waiting_count() -> int:
    """How many suggested lines wait (the manager's home page)."""
    return db.session.scalar(
        select(func.count(PurchaseOrderLine.id))
        .join(PurchaseOrderLine.order)
        .where(PurchaseOrder.origin == "reorder", PurchaseOrder.status == "draft")
    )


class SuggestionChanged(DomainError):
    """The suggestion is not what the manager saw: the refreshed one is kept (and sent back) for him to look at."""

    code = "suggestion_changed"
    keep_changes = True


def approve(
    order: PurchaseOrder, packs: dict[int, Decimal], user, suggested: dict[int, Decimal] | None = None
) -> PurchaseOrder:
    """The manager's word on a reorder draft: the quantities as he leaves them (0 drops a line), then the order is
    submitted for approval like any other.

    Under the supplier's lock the draft is checked again first, from the stock and orders as they are now (a
    receipt may have filled the shelf since the suggestion was made): when the rules now ask for other lines or
    quantities than the manager saw (`suggested`, or the draft as it was stored), he is refused with the new
    suggestion (409 `suggestion_changed`, the refreshed draft kept) instead of ordering the old one."""
    db.session.execute(select(Supplier.id).where(Supplier.id == order.supplier_id).with_for_update())
    db.session.refresh(order)  # the order as it is now that no check (nor another manager) can change it
    if order.origin != "reorder" or order.status != "draft":
        raise DomainError(
            _("Order %(number)s is no longer a suggestion; it may have been approved already.", number=order.number),
            code="not_a_suggestion",
        )
    stored = {line.item_id: line.packs for line in order.lines}
    draft = check_group(order.supplier_id, order.destination_id)
    now = {line.item_id: line.packs for line in draft.lines} if draft is not None else {}
    seen = suggested if suggested is not None else stored
    if draft is None:
        raise SuggestionChanged(
            _("Nothing needs ordering any more: stock came in since this suggestion was made."), suggestion=[]
        )
    if now != seen or set(packs) != set(now):
        raise SuggestionChanged(
            _("The suggestion changed while you were looking at it (stock or orders moved); check it again."),
            suggestion=[
                {"item_id": line.item_id, "sku": line.item.sku, "packs": format(line.packs.normalize(), "f")}
                for line in draft.lines
            ],
        )
    for line in list(draft.lines):
        if packs[line.item_id] != line.packs:
            set_line(draft, line.item_id, packs[line.item_id], user)
    return transition(draft, "submit", user)


def _words(value) -> str:
    return format_qty(Decimal(value)) if value is not None else ""


def explain(line: PurchaseOrderLine) -> list[str]:
    """A suggestion's reasoning in sentences, in the screen's language."""
    r = line.reasoning
    if not r:
        return []
    unit, pack = term("unit", line.item.base_unit), line.packaging.name
    n = {key: _words(r[key]) for key in r if key not in ("cap", "lead_time_days", "review_period_days", "demand_days")}
    said = [
        _(
            "On hand %(on_hand)s %(unit)s and %(on_order)s on order: %(position)s in all.",
            on_hand=n["on_hand"],
            on_order=n["on_order"],
            position=n["position"],
            unit=unit,
        )
    ]
    if r.get("demand_days"):
        said.append(
            _(
                "Sold on average %(per_day)s %(unit)s a day over the last %(days)d days; to cover %(lead)d days of "
                "lead time and %(review)d days until the next review, plus %(safety)s of safety stock, the reorder "
                "point is %(point)s.",
                per_day=format_qty(Decimal(r["demand_per_day"]).quantize(Decimal("0.01"))),
                unit=unit,
                days=r["demand_days"],
                lead=r["lead_time_days"],
                review=r["review_period_days"],
                safety=n["safety_stock"],
                point=n["reorder_point"],
            )
        )
    else:
        said.append(
            _(
                "The reorder point is %(point)s %(unit)s (with %(safety)s of safety stock; the supplier needs "
                "%(lead)d days).",
                point=n["reorder_point"],
                unit=unit,
                safety=n["safety_stock"],
                lead=r["lead_time_days"],
            )
        )
    said.append(
        _(
            "%(needed)s %(unit)s bring it up to %(up_to)s: %(packs)s × %(pack)s, ordered in multiples of %(multiple)s.",
            needed=n["needed"],
            unit=unit,
            up_to=n["order_up_to"],
            packs=n["packs"],
            pack=pack,
            multiple=n["multiple"],
        )
    )
    if r.get("cap") == "max_order_kg":
        said.append(
            _(
                "Cut to %(result)s × %(pack)s: %(supplier)s takes at most %(max)s kg per order, other lines included.",
                result=n["result"],
                pack=pack,
                supplier=line.order.supplier.name,
                max=_words(line.order.supplier.max_order_kg),
            )
        )
    elif r.get("cap") == "quota":
        said.append(
            _(
                "Cut to %(result)s × %(pack)s: what is left of this month's quota from %(supplier)s.",
                result=n["result"],
                pack=pack,
                supplier=line.order.supplier.name,
            )
        )
    return said


@dataclass
class Level:
    """An item's stock at a location against its rule, for the manager's chart."""

    rule: ReorderRule
    on_hand: Decimal

    @property
    def low(self) -> bool:
        return self.on_hand <= self.rule.reorder_point

    def percent(self, value: Decimal) -> int:
        """Where a value sits on the bar, whose end is the order-up-to level (or the stock, if above it)."""
        end = max(self.rule.order_up_to, self.on_hand)
        return int(value * 100 / end) if end > 0 else 0


STAPLES_FIRST = (Item.is_subsidised.desc(), Item.is_price_regulated.desc(), ReorderRule.id)


def levels(limit: int = 8) -> list[Level]:
    """Stock against the reorder point for the items that matter most: the subsidised and price-regulated staples
    (rice, LPG, cooking oil) first."""
    rules = db.session.scalars(
        select(ReorderRule).join(ReorderRule.item).where(ReorderRule.is_active).order_by(*STAPLES_FIRST).limit(limit)
    ).all()
    return [Level(rule, ledger.available_under(rule.location_id, [rule.item_id])[rule.item_id]) for rule in rules]
