"""Returns: the cashier scans the receipt and says what comes back; a manager approves; then stock, cap usage,
payments and subsidy records are reversed in one transaction (nothing of the sale itself is edited but the
returned quantity on its lines)."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit, clock
from app.db import db, utcnow
from app.errors import DomainError, NotFound, ValidationFailed
from app.formatting import format_qty
from app.models import User
from app.terms import term
from inventory import ledger
from inventory.models import Location, StockMove
from orders import caps, subsidy
from orders.models import PAYMENT_METHODS, Payment, ReturnLine, Sale, SaleLine, SaleReturn, TillSession


class ReturnRefused(DomainError):
    status = 409
    code = "return_refused"


@dataclass(frozen=True)
class ReturnLineIn:
    sale_line_id: int
    quantity: Decimal
    damaged: bool = False


def get_return(return_id: int) -> SaleReturn:
    sale_return = db.session.get(SaleReturn, return_id)
    if sale_return is None:
        raise NotFound(_("Return not found."))
    return sale_return


def returnable(line: SaleLine) -> Decimal:
    return line.quantity - line.returned_quantity


def request_return(
    sale,
    lines: list[ReturnLineIn],
    reason: str,
    user: User,
    refund_method: str = "cash",
    refund_reference: str = "",
) -> SaleReturn:
    """Ask for a return against a receipt; the refund will leave the till this cashier has open.

    The sale's row is locked first, so returns of one receipt are asked for one at a time: a second cashier waits,
    then finds the first one's return waiting (at most one per receipt, also a unique index)."""
    sale = _lock_sale(sale.id)
    till_session = _open_session_of(user)
    pending = db.session.scalar(
        select(SaleReturn.id).where(SaleReturn.sale_id == sale.id, SaleReturn.status == "requested")
    )
    if pending:
        raise ReturnRefused(_("A return for this receipt already waits for a manager."))
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the goods come back.")]
    if refund_method not in PAYMENT_METHODS:
        errors["refund_method"] = [_("Cash or QRIS.")]
    elif refund_method == "qris" and not (refund_reference or "").strip():
        errors["refund_reference"] = [_("Enter the QRIS refund reference.")]
    by_id = {line.id: line for line in sale.lines}
    wanted = [entry for entry in lines if entry.quantity]
    if not wanted:
        errors["lines"] = [_("Choose at least one line and how many come back.")]
    for entry in wanted:
        line = by_id.get(entry.sale_line_id)
        key = f"line_{entry.sale_line_id}"
        if line is None:
            errors[key] = [_("Not on this receipt.")]
        elif entry.quantity < 0 or entry.quantity > returnable(line):
            errors[key] = [_("Between 0 and %(n)s.", n=format_qty(returnable(line)))]
        elif entry.quantity != entry.quantity.to_integral_value() and (
            line.packaging.factor != 1 or line.item.precision == 0  # packs and cylinders come back whole
        ):
            errors[key] = [_("Whole %(packaging)s only.", packaging=line.packaging.name)]
    if errors:
        raise ValidationFailed(_("Check the return."), fields=errors)

    sale_return = SaleReturn(
        sale=sale,
        session_id=till_session.id,
        reason=reason[:200],
        refund_method=refund_method,
        refund_reference=(refund_reference or "").strip()[:64],
        requested_by_id=user.id,
        requested_at=utcnow(),
        amount=0,
    )
    given_back = _empties_given_back([e.sale_line_id for e in wanted])
    for entry in wanted:
        line = by_id[entry.sale_line_id]
        amount = line.amount if entry.quantity == returnable(line) and not line.returned_quantity else None
        if amount is None:
            amount = int((Decimal(line.amount) * entry.quantity / line.quantity).quantize(Decimal(1), ROUND_HALF_UP))
        empties_out = min(entry.quantity, line.empties_in - given_back.get(line.id, Decimal(0)))
        sale_return.lines.append(
            ReturnLine(
                sale_line=line,
                quantity=entry.quantity,
                empties_out=max(empties_out, Decimal(0)),
                amount=amount,
                damaged=entry.damaged,
            )
        )
        sale_return.amount += amount
    if sale_return.amount <= 0:
        raise ValidationFailed(_("Nothing to refund."), fields={"lines": [_("Choose a line.")]})
    db.session.add(sale_return)
    db.session.flush()
    audit.record("request", "sale_return", sale_return.id, {"sale": sale.receipt_number, "amount": sale_return.amount})
    return sale_return


def _empties_given_back(line_ids: list[int]) -> dict[int, Decimal]:
    rows = db.session.execute(
        select(ReturnLine.sale_line_id, func.sum(ReturnLine.empties_out))
        .join(SaleReturn)
        .where(ReturnLine.sale_line_id.in_(line_ids), SaleReturn.status == "approved")
        .group_by(ReturnLine.sale_line_id)
    )
    return {line_id: Decimal(total or 0) for line_id, total in rows}


def _lock_sale(sale_id: int) -> Sale:
    """The sale's row, locked for its returns (NO KEY UPDATE: payments may still point at it), and its lines as
    they are now."""
    sale = db.session.execute(
        select(Sale).where(Sale.id == sale_id).with_for_update(key_share=True).execution_options(populate_existing=True)
    ).scalar_one()
    db.session.scalars(
        select(SaleLine).where(SaleLine.sale_id == sale_id).execution_options(populate_existing=True)
    ).all()
    return sale


def _open_session_of(user: User) -> TillSession:
    """This cashier's open till session, held (FOR SHARE) so that it cannot close until this transaction ends."""
    till_session = db.session.scalar(
        select(TillSession)
        .where(TillSession.cashier_id == user.id, TillSession.closed_at.is_(None))
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if till_session is None:
        raise ReturnRefused(_("Open your till first: the refund is paid from it."))
    return till_session


def _decide(sale_return: SaleReturn, user: User) -> None:
    """Lock the return's sale (every decision on a receipt's returns goes one at a time) and re-read the return:
    a second manager deciding the same return at the same moment finds it decided."""
    _lock_sale(sale_return.sale_id)
    db.session.refresh(sale_return)
    if sale_return.status != "requested":
        raise ReturnRefused(_("This return was already decided (%(status)s).", status=_status_word(sale_return.status)))
    sale_return.decided_by_id = user.id
    sale_return.decided_at = utcnow()


def _status_word(status: str) -> str:
    return term("return_status", status)


def reject_return(sale_return: SaleReturn, user: User, note: str) -> SaleReturn:
    _decide(sale_return, user)
    sale_return.status = "rejected"
    sale_return.decision_note = (note or "").strip()[:200]
    db.session.flush()
    audit.record("reject", "sale_return", sale_return.id, {"note": sale_return.decision_note})
    return sale_return


def approve_return(sale_return: SaleReturn, user: User) -> SaleReturn:
    """Post an approved return: goods back in (damaged ones to quarantine) at the cost they left at, empties
    back to the buyer, caps and subsidy records given back, the refund paid from the till it was asked at."""
    _decide(sale_return, user)
    sale = sale_return.sale
    till_session = db.session.scalar(
        select(TillSession)
        .where(TillSession.id == sale_return.session_id)
        .with_for_update(read=True)  # the till cannot close while its refund is being paid
        .execution_options(populate_existing=True)
    )
    for rl in sale_return.lines:  # what another return took back meanwhile cannot be refunded twice
        if rl.quantity > returnable(rl.sale_line):
            raise ReturnRefused(
                _(
                    "%(item)s on this receipt was already returned (%(n)s left to return); reject this return.",
                    item=rl.sale_line.item.name_id,
                    n=format_qty(returnable(rl.sale_line)),
                ),
                code="already_returned",
            )
    if till_session.closed_at is not None:
        raise ReturnRefused(_("The till this return was asked at is closed; ask for it again at an open till."))
    quarantine = None
    if any(rl.damaged for rl in sale_return.lines):
        quarantine = db.session.scalar(select(Location).where(Location.kind == "quarantine").order_by(Location.id))
        if quarantine is None:
            raise ReturnRefused(_("There is no quarantine location for damaged goods: create one first."))
    sold = _sale_moves(sale.receipt_number)
    moves: list[ledger.Move] = []
    returned_base: dict[int, Decimal] = defaultdict(Decimal)
    earlier: dict[int, Decimal] = defaultdict(Decimal)  # what earlier returns brought back, per item
    for line in sale.lines:
        if line.kind == "goods":
            earlier[line.item_id] += line.returned_quantity * line.packaging.factor
    reference = f"{sale.receipt_number}/R{sale_return.id}"
    for rl in sale_return.lines:
        line = rl.sale_line
        line.returned_quantity += rl.quantity
        if line.kind != "goods":
            continue
        base = rl.quantity * line.packaging.factor
        returned_base[line.item_id] += base
        for move in _take_back(sold[line.item_id], earlier[line.item_id] + returned_base[line.item_id] - base, base):
            to = quarantine.id if rl.damaged else move.from_location_id
            moves.append(
                ledger.Move(
                    line.item_id,
                    move.to_location_id,
                    to,
                    move.quantity,
                    "return",
                    reference,
                    lot_id=move.lot_id,
                    unit_cost=move.unit_cost,
                )
            )
        if rl.empties_out:
            customer = sold[line.item_id][0].to_location_id
            moves.append(
                ledger.Move(
                    line.item.empty_item_id,
                    line.from_location_id,
                    customer,
                    rl.empties_out,
                    "exchange",
                    reference,
                )
            )
        if line.item.is_subsidised and sale.buyer_nik:
            db.session.add(subsidy.record(sale, line.item, -base, line.unit_price, line.packaging.factor, sale_return))
    ledger.post_moves(moves, user.id)
    caps.give_back(
        [
            caps.Taken(usage_id, min(Decimal(quantity), returned_base[item_id]), item_id)
            for usage_id, item_id, quantity in sale.caps_taken
            if returned_base.get(item_id)
        ]
    )
    db.session.add(
        Payment(
            sale_id=sale.id,
            return_id=sale_return.id,
            session_id=sale_return.session_id,
            method=sale_return.refund_method,
            amount=-sale_return.amount,
            reference=sale_return.refund_reference,
        )
    )
    sale_return.status = "approved"
    sale_return.return_date = clock.today()  # reports count the refund on the day it was paid, not the sale's
    db.session.flush()
    audit.record("approve", "sale_return", sale_return.id, {"sale": sale.receipt_number, "amount": sale_return.amount})
    return sale_return


def _sale_moves(receipt_number: str) -> dict[int, list[StockMove]]:
    moves = db.session.scalars(
        select(StockMove)
        .where(StockMove.reference == receipt_number, StockMove.reason == "sale")
        .order_by(StockMove.id)
    )
    by_item: dict[int, list[StockMove]] = defaultdict(list)
    for move in moves:
        by_item[move.item_id].append(move)
    return by_item


@dataclass
class _Back:
    from_location_id: int
    to_location_id: int
    lot_id: int | None
    quantity: Decimal
    unit_cost: Decimal


def _take_back(sold: list[StockMove], skip: Decimal, quantity: Decimal) -> list[_Back]:
    """Bring a quantity back along the moves it left by (their shelves, lots and costs), last one first, past
    what earlier returns already brought back."""
    backs, remaining = [], quantity
    for move in reversed(sold):
        if remaining <= 0:
            break
        left = move.quantity - min(skip, move.quantity)
        skip -= move.quantity - left
        take = min(left, remaining)
        if take <= 0:
            continue
        backs.append(_Back(move.from_location_id, move.to_location_id, move.lot_id, take, move.unit_cost))
        remaining -= take
    return backs


def pending_returns() -> list[SaleReturn]:
    return db.session.scalars(
        select(SaleReturn).where(SaleReturn.status == "requested").order_by(SaleReturn.requested_at)
    ).all()
