"""Stock operations people do by hand: adjustments (with a manager above a value) and transfers (in one step or via
in-transit)."""

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, settings
from app.clock import today
from app.db import db, lock, utcnow
from app.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.terms import term
from inventory.ledger import Move, pick_lots, post_moves, quantize_qty
from inventory.models import (
    ADJUSTMENT_REASONS,
    Adjustment,
    AdjustmentLine,
    Location,
    StockBalance,
    Transfer,
    TransferLine,
)
from inventory.services import get_item, location_of_kind

# --- adjustments -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdjustmentLineInput:
    item_id: int
    quantity: Decimal  # + found, - lost
    lot_id: int | None = None


def create_adjustment(location: Location, reason: str, lines: list[AdjustmentLineInput], note: str, user) -> Adjustment:
    """Record an adjustment; post it now, or hold it for a manager when its value passes the threshold."""
    if reason not in ADJUSTMENT_REASONS:
        raise ValidationFailed(_("Choose a reason."), fields={"reason": [", ".join(ADJUSTMENT_REASONS)]})
    if not location.tracks_stock:
        raise ValidationFailed(_("Stock can only be adjusted where it is kept."), fields={"location_id": ["?"]})
    if not lines:
        raise ValidationFailed(_("Add at least one item."), fields={"lines": [_("Required.")]})
    adjustment = Adjustment(
        location=location, reason=reason, note=note or "", status="pending", value=0, requested_by_id=user.id
    )
    value = Decimal(0)
    for line in lines:
        item = get_item(line.item_id)
        if line.quantity == 0:
            raise ValidationFailed(_("A change of zero changes nothing."), fields={"quantity": [_("Not 0.")]})
        if item.is_lot_tracked and line.lot_id is None:
            raise ValidationFailed(_("%(item)s needs a lot.", item=item.name_id), fields={"lot": [_("Required.")]})
        quantity = quantize_qty(line.quantity, item.base_unit)
        cost = Decimal(item.average_cost)
        adjustment.lines.append(AdjustmentLine(item_id=item.id, lot_id=line.lot_id, quantity=quantity, unit_cost=cost))
        value += abs(quantity) * cost
    adjustment.value = int(value.to_integral_value())
    db.session.add(adjustment)
    db.session.flush()
    audit.record(
        "create",
        "adjustment",
        adjustment.id,
        {
            "location": location.code,
            "reason": reason,
            "value": adjustment.value,
            "lines": [[ln.item_id, ln.lot_id, ln.quantity] for ln in adjustment.lines],
        },
    )
    if adjustment.value <= settings.get("adjustment_approval_threshold") or user.has_role("manager"):
        _post_adjustment(adjustment, user)
    return adjustment


def write_off_lot(balance_id: int, user, note: str = "") -> Adjustment:
    """Write a lot's whole stock at one place off as expired, in one action: an adjustment of reason 'expired'
    (posted at once, or held for a manager when its value passes the threshold, as any adjustment)."""
    balance = db.session.get(StockBalance, balance_id)
    if balance is None or balance.lot_id is None or balance.quantity <= 0:
        raise NotFound(_("No stock of that lot there."))
    line = AdjustmentLineInput(balance.item_id, -Decimal(balance.quantity), balance.lot_id)
    return create_adjustment(balance.location, "expired", [line], note or balance.lot.code, user)


def approve_adjustment(adjustment: Adjustment, user) -> Adjustment:
    if not user.has_role("manager"):
        raise Forbidden(_("Only a manager can approve an adjustment."))
    lock(adjustment)  # a second manager approving at the same moment finds it posted
    if adjustment.status != "pending":
        raise DomainError(_("This adjustment is already %(status)s.", status=term("status", adjustment.status)))
    _post_adjustment(adjustment, user)
    return adjustment


def reject_adjustment(adjustment: Adjustment, user) -> Adjustment:
    if not user.has_role("manager"):
        raise Forbidden(_("Only a manager can reject an adjustment."))
    lock(adjustment)
    if adjustment.status != "pending":
        raise DomainError(_("This adjustment is already %(status)s.", status=term("status", adjustment.status)))
    adjustment.status, adjustment.decided_by_id, adjustment.decided_at = "rejected", user.id, utcnow()
    db.session.flush()
    audit.record("reject", "adjustment", adjustment.id)
    return adjustment


def _post_adjustment(adjustment: Adjustment, user) -> None:
    loss = location_of_kind("loss")
    moves = []
    for line in adjustment.lines:
        inbound = line.quantity > 0
        moves.append(
            Move(
                item_id=line.item_id,
                lot_id=line.lot_id,
                quantity=abs(line.quantity),
                reason="adjustment",
                reference=adjustment.reference,
                from_location_id=loss.id if inbound else adjustment.location_id,
                to_location_id=adjustment.location_id if inbound else loss.id,
            )
        )
    post_moves(moves, user_id=user.id)
    adjustment.status, adjustment.decided_by_id, adjustment.decided_at = "posted", user.id, utcnow()
    db.session.flush()
    audit.record("post", "adjustment", adjustment.id, {"value": adjustment.value})


def get_adjustment(adjustment_id: int) -> Adjustment:
    adjustment = db.session.get(Adjustment, adjustment_id)
    if adjustment is None:
        raise NotFound(_("Adjustment not found."))
    return adjustment


def pending_adjustments() -> list[Adjustment]:
    return list(db.session.scalars(select(Adjustment).where(Adjustment.status == "pending").order_by(Adjustment.id)))


# --- transfers -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferLineInput:
    item_id: int
    quantity: Decimal
    lot_id: int | None = None


def create_transfer(
    from_location: Location, to_location: Location, lines: list[TransferLineInput], user, two_step: bool = False
) -> Transfer:
    """Move stock between our locations: at once, or dispatched to in-transit and received later."""
    if from_location.id == to_location.id:
        raise ValidationFailed(_("Choose two different locations."), fields={"to_location_id": [_("Same.")]})
    if not (from_location.tracks_stock and to_location.tracks_stock):
        raise ValidationFailed(_("A transfer moves stock between our own locations."))
    if not lines:
        raise ValidationFailed(_("Add at least one item."), fields={"lines": [_("Required.")]})
    transfer = Transfer(
        from_location=from_location,
        to_location=to_location,
        created_by_id=user.id,
        status="in_transit" if two_step else "done",
    )
    for line in lines:
        item = get_item(line.item_id)
        quantity = quantize_qty(line.quantity, item.base_unit)
        if item.is_lot_tracked and line.lot_id is None:  # no lot scanned: first-expiring first, none expired
            for lot_id, part in pick_lots(item.id, from_location.id, quantity, usable_on=today()):
                transfer.lines.append(TransferLine(item_id=item.id, lot_id=lot_id, quantity=part))
        else:
            transfer.lines.append(TransferLine(item_id=item.id, lot_id=line.lot_id, quantity=quantity))
    db.session.add(transfer)
    db.session.flush()
    via = location_of_kind("in_transit") if two_step else to_location
    _move_lines(transfer, from_location.id, via.id, user)
    if not two_step:
        transfer.received_by_id, transfer.received_at = user.id, utcnow()
    return transfer


def _move_lines(transfer: Transfer, from_location_id: int, to_location_id: int, user) -> None:
    """Post every line of a transfer from one location to another, in one ledger batch."""
    post_moves(
        [
            Move(
                ln.item_id,
                from_location_id,
                to_location_id,
                ln.quantity,
                "transfer",
                transfer.reference,
                lot_id=ln.lot_id,
            )
            for ln in transfer.lines
        ],
        user_id=user.id,
    )


def receive_transfer(transfer: Transfer, user) -> Transfer:
    lock(transfer)  # two clerks receiving it at once: the second finds it received
    if transfer.status != "in_transit":
        raise DomainError(_("Transfer %(ref)s has already been received.", ref=transfer.reference))
    _move_lines(transfer, location_of_kind("in_transit").id, transfer.to_location_id, user)
    transfer.status, transfer.received_by_id, transfer.received_at = "done", user.id, utcnow()
    db.session.flush()
    return transfer


def get_transfer(transfer_id: int) -> Transfer:
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(_("Transfer not found."))
    return transfer


def transfers_in_transit() -> list[Transfer]:
    return list(db.session.scalars(select(Transfer).where(Transfer.status == "in_transit").order_by(Transfer.id)))
