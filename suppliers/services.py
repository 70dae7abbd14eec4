"""Suppliers and purchase orders: the catalogue, the supplier's limits, and the order's life."""

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from app import audit, clock
from app.db import db, lock, utcnow
from app.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.formatting import format_qty, format_rupiah
from app.terms import term
from inventory.ledger import quantize_qty
from inventory.models import Item, Location, Packaging
from suppliers.models import (
    PAYMENT_TERMS,
    NumberSequence,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierItem,
    SupplierPrice,
    SupplierQuota,
)

SUPPLIER_FIELDS = [
    "code",
    "name",
    "contact_person",
    "phone",
    "address",
    "payment_terms",
    "lead_time_days",
    "max_order_kg",
    "min_order_value",
    "is_active",
]
EDITABLE = ("draft", "submitted", "approved")  # an order can change until goods arrive
COUNTS_AGAINST_QUOTA = ("submitted", "approved", "partially_received", "received", "closed")


# --- suppliers and their catalogue -----------------------------------------------------------------------


def get_supplier(supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(_("Supplier not found."))
    return supplier


def create_supplier(data: dict) -> Supplier:
    if data.get("payment_terms") not in PAYMENT_TERMS:
        raise ValidationFailed(_("Choose the payment terms."), fields={"payment_terms": list(PAYMENT_TERMS)})
    if db.session.scalar(select(Supplier.id).where(Supplier.code == data["code"])):
        raise ValidationFailed(_("Supplier code %(code)s is taken.", code=data["code"]), fields={"code": [_("Taken.")]})
    supplier = Supplier(**{k: v for k, v in data.items() if k in SUPPLIER_FIELDS})
    db.session.add(supplier)
    db.session.flush()
    audit.record("create", "supplier", supplier.id, {k: data[k] for k in SUPPLIER_FIELDS if k in data})
    return supplier


def update_supplier(supplier: Supplier, data: dict) -> Supplier:
    changes = audit.diff(supplier, SUPPLIER_FIELDS, data)
    for field, (_old, new) in changes.items():
        setattr(supplier, field, new)
    db.session.flush()
    if changes:
        audit.record("update", "supplier", supplier.id, changes)
    return supplier


def add_catalogue_item(
    supplier: Supplier,
    item_id: int,
    packaging_id: int,
    supplier_code: str = "",
    order_multiple: Decimal = Decimal(1),
    kg_per_unit: Decimal = Decimal(0),
) -> SupplierItem:
    """Put an item in a supplier's catalogue, bought in one of its purchase packagings."""
    packaging = db.session.get(Packaging, packaging_id)
    if packaging is None or packaging.item_id != item_id:
        raise ValidationFailed(_("That packaging is not one of this item's."), fields={"packaging_id": [_("Wrong.")]})
    if not packaging.for_purchase:
        raise ValidationFailed(
            _("%(name)s is not bought in %(packaging)s.", name=packaging.item.name_id, packaging=packaging.name),
            fields={"packaging_id": [_("Not for purchase.")]},
        )
    if order_multiple <= 0:
        raise ValidationFailed(_("Order multiples are more than zero."), fields={"order_multiple": [_("More than 0.")]})
    if db.session.scalar(
        select(SupplierItem.id).where(SupplierItem.supplier_id == supplier.id, SupplierItem.item_id == item_id)
    ):
        raise ValidationFailed(_("This item is already in the catalogue."), fields={"item_id": [_("Taken.")]})
    entry = SupplierItem(
        supplier=supplier,
        item_id=item_id,
        packaging=packaging,
        supplier_code=supplier_code,
        order_multiple=order_multiple,
        kg_per_unit=kg_per_unit,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "create",
        "supplier_item",
        entry.id,
        {"supplier_id": supplier.id, "item_id": item_id, "packaging_id": packaging_id},
    )
    return entry


def get_catalogue_item(supplier: Supplier, supplier_item_id: int) -> SupplierItem:
    entry = db.session.get(SupplierItem, supplier_item_id)
    if entry is None or entry.supplier_id != supplier.id:
        raise NotFound(_("That item is not in this supplier's catalogue."))
    return entry


def set_cost(entry: SupplierItem, valid_from: date, cost: int) -> SupplierPrice:
    """Record the supplier's cost of one purchase packaging from a date on (audited)."""
    if cost < 0:
        raise ValidationFailed(_("A cost cannot be negative."), fields={"cost": [_("At least 0.")]})
    price = db.session.scalar(
        select(SupplierPrice).where(SupplierPrice.supplier_item_id == entry.id, SupplierPrice.valid_from == valid_from)
    )
    old = price.cost if price else None
    if price is None:
        price = SupplierPrice(supplier_item=entry, valid_from=valid_from, cost=cost)
        db.session.add(price)
    price.cost = cost
    db.session.flush()
    audit.record("set_cost", "supplier_item", entry.id, {"valid_from": valid_from, "cost": [old, cost]})
    return price


def cost_on(entry: SupplierItem, day: date) -> int | None:
    """The cost in force on a day: the latest price that started on or before it."""
    return costs_on([entry.id], day).get(entry.id)


def costs_on(entry_ids: list[int], day: date) -> dict[int, int]:
    """The cost in force on a day of several catalogue entries, in one statement (entries without one left out)."""
    rows = db.session.execute(
        select(SupplierPrice.supplier_item_id, SupplierPrice.cost)
        .where(SupplierPrice.supplier_item_id.in_(entry_ids), SupplierPrice.valid_from <= day)
        .order_by(SupplierPrice.valid_from)
    )
    return dict(rows.all())  # in date order: the latest price that started wins


def set_quota(supplier: Supplier, item_id: int, monthly_quantity: Decimal, valid_from: date) -> SupplierQuota:
    if monthly_quantity <= 0:
        raise ValidationFailed(_("A quota is more than zero."), fields={"monthly_quantity": [_("More than 0.")]})
    if not any(entry.item_id == item_id for entry in supplier.catalogue):
        raise ValidationFailed(
            _("Put the item in this supplier's catalogue first."), fields={"item_id": [_("Not sold.")]}
        )
    quota = db.session.scalar(
        select(SupplierQuota).where(
            SupplierQuota.supplier_id == supplier.id,
            SupplierQuota.item_id == item_id,
            SupplierQuota.valid_from == valid_from,
        )
    )
    if quota is None:
        quota = SupplierQuota(supplier=supplier, item_id=item_id, valid_from=valid_from, monthly_quantity=0)
        db.session.add(quota)
    old = quota.monthly_quantity
    quota.monthly_quantity = monthly_quantity
    db.session.flush()
    audit.record(
        "set_quota",
        "supplier",
        supplier.id,
        {"item_id": item_id, "valid_from": valid_from, "monthly_quantity": [old, monthly_quantity]},
    )
    return quota


def quota_on(supplier_id: int, item_id: int, day: date) -> Decimal | None:
    return quotas_on(supplier_id, [item_id], day).get(item_id)


def quotas_on(supplier_id: int, item_ids: list[int], day: date) -> dict[int, Decimal]:
    """The monthly quota in force on a day of several items from a supplier (items without one left out)."""
    rows = db.session.execute(
        select(SupplierQuota.item_id, SupplierQuota.monthly_quantity)
        .where(
            SupplierQuota.supplier_id == supplier_id,
            SupplierQuota.item_id.in_(item_ids),
            SupplierQuota.valid_from <= day,
        )
        .order_by(SupplierQuota.valid_from)
    )
    return dict(rows.all())  # in date order: the latest quota that started wins


# --- numbers ---------------------------------------------------------------------------------------------


def next_number(series: str) -> int:
    """Take the next number of a series under a row lock, so two orders never share one."""
    row = db.session.execute(select(NumberSequence).where(NumberSequence.name == series).with_for_update()).scalar()
    if row is None:
        row = NumberSequence(name=series, next_value=1)
        db.session.add(row)
        db.session.flush()
    value = row.next_value
    row.next_value = value + 1
    db.session.flush()
    return value


# --- purchase orders -------------------------------------------------------------------------------------


def get_order(order_id: int) -> PurchaseOrder:
    order = db.session.get(PurchaseOrder, order_id)
    if order is None:
        raise NotFound(_("Purchase order not found."))
    return order


def order_by_number(number: str) -> PurchaseOrder:
    order = db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number.strip().upper()))
    if order is None:
        raise NotFound(_("Purchase order %(number)s not found.", number=number))
    return order


def create_order(
    supplier: Supplier, destination: Location, user, expected_date: date | None = None, note: str = ""
) -> PurchaseOrder:
    """Start a draft order to a supplier, numbered PO-<year>-<n>."""
    if not supplier.is_active:
        raise DomainError(_("%(name)s is not an active supplier.", name=supplier.name))
    if not destination.tracks_stock:
        raise ValidationFailed(_("Goods must arrive at one of our locations."), fields={"destination_id": ["?"]})
    today = clock.today()
    number = f"PO-{today.year}-{next_number(f'po-{today.year}'):05d}"
    order = PurchaseOrder(
        number=number,
        supplier=supplier,
        destination=destination,
        status="draft",
        order_date=today,
        expected_date=expected_date,
        note=note or "",
        created_by_id=user.id,
    )
    db.session.add(order)
    db.session.flush()
    audit.record("create", "purchase_order", order.id, {"number": number, "supplier": supplier.code})
    return order


def is_suggestion(order: PurchaseOrder) -> bool:
    return order.origin == "reorder" and order.status == "draft"


def refuse_suggestion(order: PurchaseOrder) -> None:
    """A reorder draft belongs to the reorder checks until a manager approves it on the reorder screen (a change
    made elsewhere would be overwritten by the next check)."""
    if is_suggestion(order):
        raise DomainError(
            _(
                "Order %(number)s is a reorder suggestion: change or approve it on the Reorder screen.",
                number=order.number,
            ),
            code="reorder_suggestion",
        )


def set_line(order: PurchaseOrder, item_id: int, packs: Decimal, user) -> PurchaseOrder:
    """Order this many purchase packagings of an item (0 removes the line); a submitted or approved order
    goes back to waiting for approval."""
    if order.status not in EDITABLE:
        raise DomainError(
            _(
                "Order %(number)s is %(status)s and can no longer change.",
                number=order.number,
                status=term("po_status", order.status),
            )
        )
    entry = db.session.scalar(
        select(SupplierItem).where(SupplierItem.supplier_id == order.supplier_id, SupplierItem.item_id == item_id)
    )
    if entry is None:
        item = db.session.get(Item, item_id)
        raise ValidationFailed(
            _(
                "%(supplier)s does not sell %(item)s.",
                supplier=order.supplier.name,
                item=item.name_id if item else item_id,
            ),
            fields={"item_id": [_("Not sold.")]},
        )
    line = next((ln for ln in order.lines if ln.item_id == item_id), None)
    if packs < 0:
        raise ValidationFailed(_("A quantity cannot be negative."), fields={"packs": [_("At least 0.")]})
    if packs == 0:
        if line is not None:
            order.lines.remove(line)
    else:
        cost = cost_on(entry, order.order_date)
        if cost is None:
            raise ValidationFailed(
                _("%(supplier)s has no cost for %(item)s yet.", supplier=order.supplier.name, item=entry.item.name_id),
                fields={"item_id": [_("No cost.")]},
            )
        quantity = quantize_qty(packs * entry.packaging.factor, entry.item.base_unit)
        if line is None:
            line = PurchaseOrderLine(
                item_id=item_id, packaging_id=entry.packaging_id, packs=packs, quantity=quantity, unit_cost=cost
            )
            order.lines.append(line)
        line.packs, line.quantity, line.unit_cost = packs, quantity, cost
    db.session.flush()
    audit.record("set_line", "purchase_order", order.id, {"item_id": item_id, "packs": packs})
    if order.status in ("submitted", "approved"):
        check_limits(order)
        if order.status == "approved":
            order.status, order.approved_by_id, order.approved_at = "submitted", None, None
            audit.record("back_to_approval", "purchase_order", order.id)
        db.session.flush()
    return order


def check_limits(order: PurchaseOrder) -> None:
    """The supplier's limits, checked under a lock on the supplier so two orders can't both take the last
    of a monthly quota."""
    supplier = db.session.execute(
        select(Supplier).where(Supplier.id == order.supplier_id).with_for_update()
    ).scalar_one()
    if not order.lines:
        raise ValidationFailed(_("Add at least one item to the order."), fields={"lines": [_("Required.")]})
    catalogue = {e.item_id: e for e in supplier.catalogue}
    weight = Decimal(0)
    for line in order.lines:
        entry = catalogue[line.item_id]
        if (line.packs / entry.order_multiple) % 1 != 0:
            raise ValidationFailed(
                _(
                    "%(item)s is ordered in multiples of %(n)s %(packaging)s.",
                    item=entry.item.name_id,
                    n=format_qty(entry.order_multiple),
                    packaging=entry.packaging.name,
                ),
                fields={"packs": [_("Wrong multiple.")]},
            )
        weight += line.quantity * entry.kg_per_unit
    if supplier.max_order_kg is not None and weight > supplier.max_order_kg:
        raise DomainError(
            _(
                "%(supplier)s takes at most %(max)s kg per order; this order weighs %(weight)s kg.",
                supplier=supplier.name,
                max=format_qty(supplier.max_order_kg),
                weight=format_qty(weight),
            ),
            code="supplier_limit",
        )
    if order.total < supplier.min_order_value:
        raise DomainError(
            _(
                "%(supplier)s needs an order of at least %(min)s; this one is %(total)s.",
                supplier=supplier.name,
                min=format_rupiah(supplier.min_order_value),
                total=format_rupiah(order.total),
            )
        )
    month_start = order.order_date.replace(day=1)
    next_month = date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
    for line in order.lines:
        quota = quota_on(supplier.id, line.item_id, order.order_date)
        if quota is None:
            continue
        used = quota_used(supplier.id, line.item_id, month_start, next_month, exclude_order_id=order.id)
        if used + line.quantity > quota:
            raise DomainError(
                _(
                    "The monthly quota of %(item)s from %(supplier)s is %(quota)s; %(used)s are already ordered "
                    "this month, so at most %(left)s more.",
                    item=line.item.name_id,
                    supplier=supplier.name,
                    quota=format_qty(quota),
                    used=format_qty(used),
                    left=format_qty(max(quota - used, Decimal(0))),
                ),
                code="quota_exceeded",
            )


def quota_used(supplier_id: int, item_id: int, start: date, end: date, exclude_order_id: int | None = None) -> Decimal:
    """What a month's orders to a supplier take of an item's quota: ordered, or received once closed."""
    counted = func.sum(
        case((PurchaseOrder.status == "closed", PurchaseOrderLine.received_quantity), else_=PurchaseOrderLine.quantity)
    )
    stmt = (
        select(counted)
        .join(PurchaseOrderLine.order)
        .where(
            PurchaseOrder.supplier_id == supplier_id,
            PurchaseOrderLine.item_id == item_id,
            PurchaseOrder.status.in_(COUNTS_AGAINST_QUOTA),
            PurchaseOrder.order_date >= start,
            PurchaseOrder.order_date < end,
        )
    )
    if exclude_order_id is not None:
        stmt = stmt.where(PurchaseOrder.id != exclude_order_id)
    return Decimal(db.session.scalar(stmt) or 0)


# The order's life: action -> (from statuses, to status, roles that may do it).
TRANSITIONS = {
    "submit": (("draft",), "submitted", ("manager", "warehouse")),
    "approve": (("submitted",), "approved", ("manager",)),
    "cancel": (("draft", "submitted", "approved"), "cancelled", ("manager",)),
    "close": (("partially_received", "received"), "closed", ("manager",)),
}


def transition(order: PurchaseOrder, action: str, user) -> PurchaseOrder:
    """Move an order along its life; every illegal step is refused with a sentence saying why."""
    if action not in TRANSITIONS:
        raise NotFound(_("Unknown action."))
    sources, target, roles = TRANSITIONS[action]
    if action == "cancel" and order.status == "draft" and order.created_by_id == user.id:
        roles = (*roles, user.role)  # whoever started a draft may throw it away
    if not user.has_role(*roles):
        raise Forbidden(_("Your role may not %(action)s an order.", action=term("po_action", action)))
    if action in ("submit", "approve"):  # the supplier first (its limits), then the order: always in that order
        db.session.execute(select(Supplier.id).where(Supplier.id == order.supplier_id).with_for_update())
    lock(order)  # a concurrent step (a second approval, a cancel, a receipt posting) is seen, not overwritten
    if order.status not in sources:
        raise DomainError(
            _(
                "Order %(number)s is %(status)s: it cannot be %(done)s.",
                number=order.number,
                status=term("po_status", order.status),
                done=term("po_status", target),
            ),
            code="illegal_transition",
        )
    if action == "submit":
        order.order_date = clock.today()  # the month whose quota it takes is the month it is sent
        for line in order.lines:  # the cost in force on that day
            entry = db.session.scalar(
                select(SupplierItem).where(
                    SupplierItem.supplier_id == order.supplier_id, SupplierItem.item_id == line.item_id
                )
            )
            line.unit_cost = cost_on(entry, order.order_date) or line.unit_cost
        check_limits(order)
        order.submitted_at = utcnow()
    if action == "approve":
        check_limits(order)  # a quota may have been lowered since it was submitted
        order.approved_by_id, order.approved_at = user.id, utcnow()
    order.status = target
    db.session.flush()
    audit.record(action, "purchase_order", order.id, {"status": target})
    return order


def orders(status: str | None = None, supplier_id: int | None = None):
    stmt = select(PurchaseOrder).order_by(PurchaseOrder.id.desc())
    if status:
        stmt = stmt.where(PurchaseOrder.status == status)
    if supplier_id:
        stmt = stmt.where(PurchaseOrder.supplier_id == supplier_id)
    return stmt


def weight_kg(order: PurchaseOrder) -> Decimal:
    catalogue = {e.item_id: e for e in order.supplier.catalogue}
    return sum(
        (ln.quantity * catalogue[ln.item_id].kg_per_unit for ln in order.lines if ln.item_id in catalogue), Decimal(0)
    )
