"""Receiving against a purchase order: scan goods into an open receipt, then post it once, in one transaction."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import audit, settings
from app.clock import today
from app.db import db, lock, utcnow
from app.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.formatting import format_qty
from app.terms import term
from inventory import services as inventory
from inventory.ledger import Move, pick_lots, pick_under, post_moves, quantize_qty
from inventory.models import Item, Location, Lot, StockBalance, StockMove
from suppliers.models import PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine, SupplierReturn

RECEIVABLE = ("approved", "partially_received")


def get_receipt(receipt_id: int) -> Receipt:
    receipt = db.session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound(_("Receipt not found."))
    return receipt


def open_receipt(order: PurchaseOrder, user) -> Receipt:
    """The order's open receipt, resumed from wherever it was left, or a new one (one at a time: two clerks
    opening it at once get the same receipt)."""
    lock(order)
    if order.status not in RECEIVABLE:
        raise DomainError(
            _("Order %(number)s cannot be received: it is not approved.", number=order.number), code="not_receivable"
        )
    receipt = db.session.scalar(select(Receipt).where(Receipt.order_id == order.id, Receipt.status == "open"))
    if receipt is None:
        receipt = Receipt(order=order, status="open", created_by_id=user.id)
        db.session.add(receipt)
        db.session.flush()
        audit.record("create", "receipt", receipt.id, {"order": order.number})
    return receipt


def _ensure_open(receipt: Receipt) -> None:
    if receipt.status != "open":
        raise DomainError(_("Receipt %(ref)s has already been posted.", ref=receipt.reference), code="posted")


def scan_into(
    receipt: Receipt,
    code: str,
    user,
    times: Decimal = Decimal(1),
    condition: str = "good",
    lot_code: str | None = None,
    expiry: date | None = None,
    reason: str = "",
) -> ReceiptLine | None:
    """Add what was scanned: one purchase unit of the scanned packaging (× times); lot and expiry from a GS1
    code or typed. An item that is not on the order needs a manager. A bin label chooses where the goods
    scanned after it are put away (None is returned)."""
    _ensure_open(receipt)
    scanned = inventory.resolve_scan(code)
    if scanned.location is not None:
        put_away_at(receipt, scanned.location)
        return None
    if scanned.item is None:
        raise DomainError(_("Code %(code)s is not an item.", code=code))
    if times <= 0:
        raise ValidationFailed(_("Scan at least one."), fields={"times": [_("More than 0.")]})
    item = scanned.item
    on_order = any(line.item_id == item.id for line in receipt.order.lines)
    if not on_order and not user.has_role("manager"):
        raise DomainError(
            _(
                "%(item)s is not on order %(number)s: a manager must accept it.",
                item=item.name_id,
                number=receipt.order.number,
            ),
            code="unexpected_item",
        )
    return add_quantity(
        receipt,
        item,
        scanned.quantity * times,
        condition,
        lot_code or scanned.lot_code,
        expiry or scanned.expiry,
        reason,
        receipt.bin_id,
    )


def put_away_at(receipt: Receipt, location) -> Receipt:
    """The bin the goods scanned next go to: the order's destination or a place under it that keeps stock."""
    _ensure_open(receipt)
    if location.id not in inventory.descendant_ids(receipt.order.destination_id) or location.kind in (
        "quarantine",
        "in_transit",
    ):
        raise ValidationFailed(
            _(
                "%(bin)s is not a place in %(destination)s: scan a bin of it.",
                bin=location.code,
                destination=receipt.order.destination.name,
            ),
            fields={"code": [_("Not a bin here.")]},
        )
    receipt.bin_id = location.id
    db.session.flush()
    return receipt


def proposed_bin(item_id: int, destination_id: int) -> int:
    """Where goods of an item are put away when no bin was scanned: its usual bin under the destination (the
    one holding most of it now), else the last one goods of it were put in there, else the destination."""
    places = [loc_id for loc_id in inventory.descendant_ids(destination_id) if loc_id != destination_id]
    if not places:
        return destination_id
    usual = db.session.scalar(
        select(StockBalance.location_id)
        .join(Location, Location.id == StockBalance.location_id)
        .where(
            StockBalance.item_id == item_id,
            StockBalance.location_id.in_(places),
            StockBalance.quantity > 0,
            Location.kind.not_in(("quarantine", "in_transit")),
        )
        .group_by(StockBalance.location_id)
        .order_by(func.sum(StockBalance.quantity).desc(), StockBalance.location_id)
        .limit(1)
    )
    if usual is not None:
        return usual
    last = db.session.scalar(
        select(StockMove.to_location_id)
        .join(Location, Location.id == StockMove.to_location_id)
        .where(
            StockMove.item_id == item_id,
            StockMove.to_location_id.in_(places),
            Location.kind.not_in(("quarantine", "in_transit")),
        )
        .order_by(StockMove.id.desc())
        .limit(1)
    )
    return last if last is not None else destination_id


def add_quantity(
    receipt: Receipt,
    item: Item,
    quantity: Decimal,
    condition: str = "good",
    lot_code: str | None = None,
    expiry: date | None = None,
    reason: str = "",
    location_id: int | None = None,
) -> ReceiptLine:
    _ensure_open(receipt)
    if condition not in ("good", "damaged", "rejected"):  # "held" is decided here, not chosen
        raise ValidationFailed(_("Choose the condition."), fields={"condition": ["good, damaged, rejected"]})
    if item.is_lot_tracked and not lot_code:
        raise ValidationFailed(
            _("%(item)s needs its lot number and expiry date.", item=item.name_id), fields={"lot": [_("Required.")]}
        )
    if item.is_expiry_tracked and lot_code and expiry is None:
        existing = db.session.scalar(
            select(ReceiptLine.expiry_date).where(
                ReceiptLine.receipt_id == receipt.id, ReceiptLine.item_id == item.id, ReceiptLine.lot_code == lot_code
            )
        )
        if existing is None:
            raise ValidationFailed(
                _("%(item)s needs its expiry date.", item=item.name_id), fields={"expiry": [_("Required.")]}
            )
        expiry = existing
    if condition == "good" and expiry is not None and expiry < today() + timedelta(days=inventory.shelf_life(item)):
        condition = "held"  # expired or expiring too soon: quarantine, unless a manager takes it into stock
        reason = reason or _("expires %(date)s", date=expiry.strftime("%d-%m-%Y"))
    if condition in ("damaged", "rejected"):
        location_id = None  # to quarantine, or back with the driver: no bin
    quantity = quantize_qty(quantity, item.base_unit)
    line = next(
        (
            ln
            for ln in receipt.lines
            if ln.item_id == item.id
            and ln.lot_code == (lot_code or "")
            and ln.condition == condition
            and ln.location_id == location_id
            and ln.quantity > 0
        ),
        None,
    )
    if line is None:
        line = ReceiptLine(
            item=item,
            lot_code=lot_code or "",
            expiry_date=expiry,
            condition=condition,
            quantity=quantity,
            reason=reason,
            location_id=location_id,
        )
        receipt.lines.append(line)
    else:
        line.quantity += quantity
    db.session.flush()
    return line


def set_line_quantity(receipt: Receipt, line_id: int, quantity: Decimal) -> None:
    """Correct a line by typing its quantity (0 removes it)."""
    _ensure_open(receipt)
    line = next((ln for ln in receipt.lines if ln.id == line_id), None)
    if line is None:
        raise NotFound(_("That line is not on this receipt."))
    if quantity == 0:
        receipt.lines.remove(line)
    else:
        sign = -1 if line.quantity < 0 else 1
        line.quantity = sign * quantize_qty(abs(quantity), line.item.base_unit)
    db.session.flush()


def hand_back_empties(receipt: Receipt, count: Decimal) -> ReceiptLine | None:
    """Empty cylinders the agent takes back with this delivery (one line per empty-cylinder item)."""
    _ensure_open(receipt)
    empties = [ln.item.empty_item for ln in receipt.order.lines if ln.item.empty_item_id]
    if not empties:
        raise DomainError(_("This order has no cylinders to exchange."))
    empty_item = empties[0]
    line = next((ln for ln in receipt.lines if ln.item_id == empty_item.id and ln.quantity < 0), None)
    count = quantize_qty(count, empty_item.base_unit)
    if count <= 0:
        if line is not None:
            receipt.lines.remove(line)
        db.session.flush()
        return None
    if line is None:
        line = ReceiptLine(item=empty_item, condition="good", quantity=-count)
        receipt.lines.append(line)
    line.quantity = -count
    db.session.flush()
    return line


@dataclass
class Progress:
    """Expected against received for one item of the order, as the receiving screen shows it."""

    item: Item
    expected: Decimal  # still open on the order
    received: Decimal  # good and damaged in this receipt
    rejected: Decimal
    on_order: bool
    packaging: object = None  # the order's purchase unit (a sack, a carton): the clerk counts in these

    def in_packs(self, quantity: Decimal) -> Decimal | None:
        """A base quantity in the order's purchase unit (40 packs = 2 cartons of 20)."""
        if self.packaging is None or not self.packaging.factor:
            return None
        return (quantity / self.packaging.factor).normalize()

    @property
    def state(self) -> str:
        if self.received == self.expected:
            return "complete"
        return "over" if self.received > self.expected else "short"


def progress(receipt: Receipt) -> list[Progress]:
    rows: dict[int, Progress] = {}
    for line in receipt.order.lines:
        rows[line.item_id] = Progress(line.item, line.open_quantity, Decimal(0), Decimal(0), True, line.packaging)
    for line in receipt.lines:
        if line.quantity < 0:
            continue  # empties going back are shown apart
        row = rows.setdefault(line.item_id, Progress(line.item, Decimal(0), Decimal(0), Decimal(0), False))
        if line.condition == "rejected":
            row.rejected += line.quantity
        else:
            row.received += line.quantity
    return list(rows.values())


settings.register(
    settings.Spec(
        "over_receipt_tolerance_percent",
        "decimal",
        Decimal("5"),
        _l("Over-delivery allowed (%)"),
        _l("Receiving more than ordered by more than this needs a manager."),
        group="stock",
        minimum=Decimal(0),
        maximum=Decimal(100),
    )
)


def needs_manager(receipt: Receipt) -> list[str]:
    """Why posting this receipt needs a manager (empty when a clerk may post it)."""
    tolerance = settings.get("over_receipt_tolerance_percent") / 100
    reasons = []
    for row in progress(receipt):
        if not row.on_order and row.received > 0:
            reasons.append(_("%(item)s is not on the order.", item=row.item.name_id))
        elif row.received > row.expected * (1 + tolerance):
            reasons.append(
                _(
                    "%(item)s: %(received)s received, %(expected)s expected.",
                    item=row.item.name_id,
                    received=format_qty(row.received),
                    expected=format_qty(row.expected),
                )
            )
    for line in receipt.lines:
        if line.condition == "held" and line.quantity > 0:
            reasons.append(
                _(
                    "%(item)s lot %(lot)s expires on %(date)s: it goes to quarantine unless a manager takes it"
                    " into stock.",
                    item=line.item.name_id,
                    lot=line.lot_code,
                    date=line.expiry_date.strftime("%d-%m-%Y"),
                )
            )
    return reasons


def take_into_stock(receipt: Receipt, line_id: int, user) -> ReceiptLine:
    """A manager's word on a held line (a lot that expires too soon): it goes into stock with the good ones."""
    if not user.has_role("manager"):
        raise Forbidden(_("Only a manager can take short-dated goods into stock."))
    lock(receipt)
    _ensure_open(receipt)
    line = next((ln for ln in receipt.lines if ln.id == line_id and ln.condition == "held"), None)
    if line is None:
        raise NotFound(_("No such held line on this receipt."))
    good = next(
        (
            ln
            for ln in receipt.lines
            if ln.item_id == line.item_id
            and ln.lot_code == line.lot_code
            and ln.location_id == line.location_id
            and ln.condition == "good"
        ),
        None,
    )
    if good is None:
        line.condition = "good"
        line.reason = _("taken into stock by %(name)s", name=user.full_name)[:120]
    else:
        good.quantity += line.quantity
        receipt.lines.remove(line)
        line = good
    db.session.flush()
    audit.record("take_into_stock", "receipt", receipt.id, {"item_id": line.item_id, "lot": line.lot_code})
    return line


def approve(receipt: Receipt, user) -> Receipt:
    """A manager accepts what needs a manager on this receipt (over-receipt, unexpected items)."""
    if not user.has_role("manager"):
        raise Forbidden(_("Only a manager can accept this."))
    lock(receipt)
    _ensure_open(receipt)
    receipt.manager_approved_by_id = user.id
    db.session.flush()
    audit.record("approve", "receipt", receipt.id, {"reasons": needs_manager(receipt)})
    return receipt


def post(receipt_id: int, user) -> Receipt:
    """Post the receipt: one ledger batch (supplier → the order's destination, damaged → quarantine, empties →
    supplier), the order's received quantities, the moving average. Posting twice posts once."""
    receipt = db.session.execute(select(Receipt).where(Receipt.id == receipt_id).with_for_update()).scalar_one_or_none()
    if receipt is None:
        raise NotFound(_("Receipt not found."))
    db.session.refresh(receipt)  # another device may have posted it while we waited for the lock
    if receipt.status == "posted":
        return receipt
    if not receipt.lines:
        raise ValidationFailed(_("Nothing has been scanned yet."), fields={"lines": [_("Required.")]})
    reasons = needs_manager(receipt)
    if reasons and receipt.manager_approved_by_id is None and not user.has_role("manager"):
        raise DomainError(
            _("A manager must accept this receipt first: %(why)s", why=" ".join(reasons)), code="needs_manager"
        )
    order = receipt.order
    lock(order)  # after the receipt's lock, as open_receipt and the order's own steps take it
    if order.status not in RECEIVABLE:
        raise DomainError(
            _(
                "Order %(number)s is %(status)s: its goods cannot be received.",
                number=order.number,
                status=term("po_status", order.status),
            ),
            code="not_receivable",
        )
    db.session.scalars(
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.order_id == order.id)
        .execution_options(populate_existing=True)
    ).all()  # received quantities as another receipt of this order left them
    supplier = inventory.location_of_kind("supplier")
    quarantine = inventory.location_of_kind("quarantine")
    costs = {ln.item_id: Decimal(ln.unit_cost) / ln.packaging.factor for ln in order.lines}
    moves = _empties_back(receipt, order.destination_id, supplier.id)
    for line in receipt.lines:
        if line.condition == "rejected" or line.quantity < 0:
            continue  # rejected: handed straight back to the driver, never ours; empties: above
        lot_id = None
        if line.item.is_lot_tracked:
            lot_id = inventory.get_or_create_lot(line.item, line.lot_code, line.expiry_date).id
        if line.condition in ("damaged", "held"):
            target = quarantine.id
        else:
            target = line.location_id or proposed_bin(line.item_id, order.destination_id)
        moves.append(
            Move(
                line.item_id,
                supplier.id,
                target,
                line.quantity,
                "receipt",
                receipt.reference,
                lot_id=lot_id,
                unit_cost=costs.get(line.item_id),
            )
        )
    post_moves(moves, user_id=user.id)
    received = {}
    for line in receipt.lines:
        if line.quantity > 0 and line.condition != "rejected":
            received[line.item_id] = received.get(line.item_id, Decimal(0)) + line.quantity
    for order_line in order.lines:
        order_line.received_quantity += received.get(order_line.item_id, Decimal(0))
    order.status = (
        "received" if all(ln.received_quantity >= ln.quantity for ln in order.lines) else ("partially_received")
    )
    receipt.status, receipt.posted_by_id, receipt.posted_at = "posted", user.id, utcnow()
    db.session.flush()
    audit.record("post", "receipt", receipt.id, {"order": order.number, "order_status": order.status})
    return receipt


def _empties_back(receipt: Receipt, destination_id: int, supplier_id: int) -> list[Move]:
    """The empties the agent takes back, from wherever they stand at the destination or below it (the cage in
    the warehouse, the shop's LPG shelf), first the places with the lowest id; the rows are locked while they
    are chosen, with the full cylinders' rows, in the ledger's order."""
    wanted = {ln.item_id: -ln.quantity for ln in receipt.lines if ln.quantity < 0}
    if not wanted:
        return []
    fulls = {ln.item.empty_item_id: ln.item_id for ln in receipt.order.lines if ln.item.empty_item_id in wanted}
    picks = pick_under(destination_id, wanted, fulls)
    return [
        Move(item_id, location_id, supplier_id, quantity, "supplier_return", receipt.reference)
        for item_id, taken in picks.splits.items()
        for location_id, _lot, quantity in taken
    ]


def return_to_supplier(
    receipt: Receipt, item_id: int, quantity: Decimal, reason: str, location, user, lot_code: str | None = None
) -> list[SupplierReturn]:
    """Send goods of a posted receipt back to the supplier, from where they are now (stock or quarantine; the
    ledger refuses more than is there); the order's received quantity is not changed: what was delivered was
    delivered. A lot-tracked item goes back in the lot chosen or, without one, in the lots this receipt brought,
    first to expire first (expired ones included: they are the ones that go back), one return per lot. Returns
    from one receipt go one at a time (its row locked), so together they never exceed what it brought."""
    lock(receipt)
    db.session.expire(receipt, ["returns"])
    if receipt.status != "posted":
        raise DomainError(_("Post the receipt before returning goods from it."))
    brought = [ln for ln in receipt.lines if ln.item_id == item_id and ln.quantity > 0 and ln.condition != "rejected"]
    received = sum((ln.quantity for ln in brought), Decimal(0))
    returned = sum((r.quantity for r in receipt.returns if r.item_id == item_id), Decimal(0))
    if received == 0:
        raise ValidationFailed(
            _("That item did not come in on this receipt."), fields={"item_id": [_("Not received.")]}
        )
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the goods go back."), fields={"reason": [_("Required.")]})
    item = brought[0].item
    quantity = quantize_qty(quantity, item.base_unit)
    if quantity <= 0 or quantity + returned > received:
        raise ValidationFailed(
            _("At most %(n)s can go back from this receipt.", n=format_qty(received - returned)),
            fields={"quantity": [_("Too many.")]},
        )
    if not location.tracks_stock:
        raise ValidationFailed(_("Choose where the goods are now."), fields={"location_id": [_("Not ours.")]})
    lot_id = None
    if lot_code:
        lot_id = db.session.scalar(select(Lot.id).where(Lot.item_id == item_id, Lot.code == lot_code.strip()))
        if lot_id is None:
            raise ValidationFailed(_("No lot %(lot)s of this item.", lot=lot_code), fields={"lot": [_("Not found.")]})
    parts: list[tuple[int | None, Decimal]] = [(lot_id, quantity)]
    if item.is_lot_tracked and lot_id is None:
        codes = {ln.lot_code for ln in brought if ln.lot_code}
        lots = [lot for lot in db.session.scalars(select(Lot).where(Lot.item_id == item_id, Lot.code.in_(codes)))]
        parts = pick_lots(item_id, location.id, quantity, lot_ids=[lot.id for lot in lots])
    supplier = inventory.location_of_kind("supplier")
    entries = []
    for part_lot, part in parts:
        entry = SupplierReturn(
            receipt=receipt,
            item_id=item_id,
            lot_id=part_lot,
            location=location,
            quantity=part,
            reason=reason.strip(),
            created_by_id=user.id,
        )
        db.session.add(entry)
        entries.append(entry)
    db.session.flush()
    post_moves(
        [
            Move(item_id, location.id, supplier.id, e.quantity, "supplier_return", e.reference, lot_id=e.lot_id)
            for e in entries
        ],
        user_id=user.id,
    )
    for e in entries:
        audit.record(
            "create",
            "supplier_return",
            e.id,
            {"receipt": receipt.reference, "item_id": item_id, "lot_id": e.lot_id, "quantity": e.quantity},
        )
    return entries


def return_lot(balance_id: int, reason: str, user) -> list[SupplierReturn]:
    """Send a lot's whole stock at one place back to the supplier whose receipt brought it (the latest one), in
    one action: expired or short-dated goods off the expiring-soon list."""
    balance = db.session.get(StockBalance, balance_id)
    if balance is None or balance.lot_id is None or balance.quantity <= 0:
        raise NotFound(_("No stock of that lot there."))
    receipt = db.session.scalar(
        select(Receipt)
        .join(ReceiptLine)
        .where(
            Receipt.status == "posted",
            ReceiptLine.item_id == balance.item_id,
            ReceiptLine.lot_code == balance.lot.code,
            ReceiptLine.quantity > 0,
        )
        .order_by(Receipt.posted_at.desc(), Receipt.id.desc())
        .limit(1)
    )
    if receipt is None:
        raise DomainError(
            _("No receipt brought lot %(lot)s: write it off instead.", lot=balance.lot.code), code="no_receipt"
        )
    reason = (reason or "").strip() or _("Expired or expiring soon (lot %(lot)s)", lot=balance.lot.code)
    return return_to_supplier(
        receipt, balance.item_id, Decimal(balance.quantity), reason, balance.location, user, balance.lot.code
    )
