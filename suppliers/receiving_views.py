"""The receiving screens: scan a delivery in against its order (resumable), hand back empties, return goods to
the supplier, post; and the LPG cylinders held."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app import clock
from app.auth import roles_required
from app.errors import DomainError
from app.formatting import format_qty
from app.forms import new_key, parse_date, parse_decimal
from app.idempotency import idempotent
from app.terms import term
from inventory import queries as inventory_queries
from inventory.cylinders import cylinder_report
from inventory.models import Location
from inventory.services import stock_locations
from suppliers import queries, receiving, services

bp = Blueprint("receiving", __name__, url_prefix="/purchasing", template_folder="templates", static_folder="static")

STAFF = ("manager", "warehouse")


# --- receiving -------------------------------------------------------------------------------------------


@bp.route("/receive", methods=["GET", "POST"])
@roles_required(*STAFF)
def receive():
    """Scan the order's barcode to start (or resume) receiving it."""
    if request.method == "POST":
        return _open_receipt()
    return render_template(
        "suppliers/receive.html", orders=queries.receivable_orders(), error=None, idempotency_key=new_key()
    )


@idempotent
def _open_receipt():
    try:
        found = services.order_by_number(request.form.get("code", ""))
        receipt = receiving.open_receipt(found, current_user)
    except DomainError as exc:
        return render_template(
            "suppliers/receive.html", orders=queries.receivable_orders(), error=exc.message, idempotency_key=new_key()
        ), 422
    return redirect(url_for("receiving.receipt", receipt_id=receipt.id))


@bp.route("/receipts/<int:receipt_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def receipt(receipt_id: int):
    """The receiving screen: scan the goods, see expected against received, post."""
    found = receiving.get_receipt(receipt_id)
    if request.method == "POST":
        return _change_receipt(found)
    return _receipt_page(found, {}, {})


def _receipt_page(found, form, errors, status=200):
    cylinders = any(line.item.empty_item_id for line in found.order.lines)
    empties = next((-ln.quantity for ln in found.lines if ln.quantity < 0), Decimal(0))
    returnable = {ln.item_id: ln.item for ln in found.lines if ln.quantity > 0 and ln.condition != "rejected"}
    return render_template(
        "suppliers/receipt.html",
        returnable=list(returnable.values()),
        return_lots=sorted({ln.lot_code for ln in found.lines if ln.lot_code and ln.quantity > 0}),
        proposed=_proposals(found),
        locations=stock_locations(),
        receipt=found,
        order=found.order,
        form=form,
        errors=errors,
        progress=receiving.progress(found),
        needs_manager=receiving.needs_manager(found),
        cylinders=cylinders,
        empties=empties,
        idempotency_key=new_key(),
    ), status


def _proposals(found) -> dict[int, Location]:
    """Where each good line without a scanned bin will be put away."""
    if found.status != "open":
        return {}
    return {
        ln.id: inventory_queries.location(receiving.proposed_bin(ln.item_id, found.order.destination_id))
        for ln in found.lines
        if ln.quantity > 0 and ln.condition == "good" and ln.location_id is None
    }


@idempotent
def _change_receipt(found):
    form, errors = request.form, {}
    action = form.get("action", "scan")
    try:
        if action == "scan":
            times = parse_decimal(form.get("times") or "1", "times", errors)
            expiry = parse_date(form.get("expiry"), "expiry", errors)
            if errors:
                return _receipt_page(found, form, errors, 422)
            line = receiving.scan_into(
                found,
                form.get("code", ""),
                current_user,
                times,
                form.get("condition", "good"),
                form.get("lot", "").strip() or None,
                expiry,
                form.get("reason", ""),
            )
            if line is None:
                flash(_("Goods scanned from now on go to %(bin)s.", bin=found.bin.code), "success")
                return redirect(url_for("receiving.receipt", receipt_id=found.id))
            flash(
                _(
                    "%(item)s: %(qty)s now on this receipt.",
                    item=line.item.name(str(get_locale())),
                    qty=format_qty(line.quantity),
                ),
                "success",
            )
        elif action == "line":
            quantity = parse_decimal(form.get("quantity"), "quantity", errors)
            if errors:
                return _receipt_page(found, form, errors, 422)
            receiving.set_line_quantity(found, form.get("line_id", type=int) or 0, quantity)
        elif action == "empties":
            count = parse_decimal(form.get("empties") or "0", "empties", errors)
            if errors:
                return _receipt_page(found, form, errors, 422)
            receiving.hand_back_empties(found, count)
            flash(_("%(count)s empty cylinders go back with the agent.", count=format_qty(count)), "success")
        elif action == "approve":
            receiving.approve(found, current_user)
        elif action == "take":
            receiving.take_into_stock(found, form.get("line_id", type=int) or 0, current_user)
        elif action == "return":
            quantity = parse_decimal(form.get("quantity"), "quantity", errors)
            location = inventory_queries.location(form.get("location_id", type=int))
            if location is None:
                errors["scan"] = _("Choose where the goods are now.")
            if errors:
                return _receipt_page(found, form, errors, 422)
            entries = receiving.return_to_supplier(
                found,
                form.get("item_id", type=int) or 0,
                quantity,
                form.get("reason", ""),
                location,
                current_user,
                form.get("lot", "").strip() or None,
            )
            flash(
                _(
                    "%(ref)s: %(qty)s %(item)s back to %(supplier)s.",
                    ref=", ".join(e.reference for e in entries),
                    qty=format_qty(quantity),
                    item=entries[0].item.name(str(get_locale())),
                    supplier=found.order.supplier.name,
                ),
                "success",
            )
        elif action == "post":
            receiving.post(found.id, current_user)
            flash(
                _(
                    "%(ref)s posted: order %(number)s is %(status)s.",
                    ref=found.reference,
                    number=found.order.number,
                    status=term("po_status", found.order.status),
                ),
                "success",
            )
            return redirect(url_for("purchasing.order", order_id=found.order_id))
    except DomainError as exc:
        return _receipt_page(found, form, {"scan": exc.message}, 422)
    return redirect(url_for("receiving.receipt", receipt_id=found.id))


@bp.route("/expiring/<int:balance_id>/return", methods=["POST"])
@roles_required(*STAFF)
@idempotent
def return_expiring(balance_id: int):
    """From the expiring-soon list: the lot's stock at that place back to the supplier that delivered it."""
    try:
        entries = receiving.return_lot(balance_id, request.form.get("reason", ""), current_user)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("inventory.expiring_page"))
    flash(
        _(
            "%(ref)s: %(qty)s %(item)s back to %(supplier)s.",
            ref=", ".join(e.reference for e in entries),
            qty=format_qty(sum(e.quantity for e in entries)),
            item=entries[0].item.name(str(get_locale())),
            supplier=entries[0].receipt.order.supplier.name,
        ),
        "success",
    )
    return redirect(url_for("inventory.expiring_page"))


@bp.route("/cylinders")
@roles_required(*STAFF)
def cylinders():
    """LPG cylinders held, full and empty, and how a month's deliveries, sales and losses add up."""
    today = clock.today()
    try:
        month = date.fromisoformat(request.args.get("month", "") + "-01") if request.args.get("month") else None
    except ValueError:
        month = None
    start = min(month or today, today).replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    since = datetime(start.year, start.month, 1, tzinfo=clock.zone())
    until = datetime(end.year, end.month, 1, tzinfo=clock.zone())
    reports = cylinder_report(since, until if end <= today else None)
    return render_template("suppliers/cylinders.html", reports=reports, start=start, end=end - timedelta(days=1))
