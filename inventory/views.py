"""The inventory screens: look up by scan, stock on hand, stock card, adjustment, transfer, labels (the stock
counts are in count_views.py)."""

from datetime import date
from decimal import Decimal
from itertools import repeat

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import settings
from app.auth import roles_required
from app.clock import today
from app.errors import DomainError
from app.formatting import csv_line_writer, format_rupiah
from app.forms import new_key, parse_date, parse_decimal
from app.idempotency import idempotent
from app.views import MenuEntry
from inventory import counts, exports, labels, operations, queries, services, valuation
from inventory.models import ADJUSTMENT_REASONS

bp = Blueprint("inventory", __name__, url_prefix="/stock", template_folder="templates", static_folder="static")

ALL = ("manager", "warehouse", "cashier")
STOCK_STAFF = ("manager", "warehouse")

MENU = [
    MenuEntry("inventory.lookup", _l("Scan an item"), ALL, _l("See an item and its stock by scanning it")),
    MenuEntry("inventory.on_hand", _l("Stock on hand"), ALL, _l("What is where, by location")),
    MenuEntry("inventory.transfer", _l("Transfer"), STOCK_STAFF, _l("Move stock from the warehouse to the shop")),
    MenuEntry("inventory.adjust", _l("Adjust stock"), STOCK_STAFF, _l("Damaged, expired, found, count corrections")),
    MenuEntry("inventory.valuation_page", _l("Stock value"), ("manager",), _l("Now or at the end of any past day")),
    MenuEntry("inventory.cover_page", _l("Slow movers"), ("manager",), _l("Days of cover and what does not sell")),
    MenuEntry("inventory.card", _l("Stock card"), STOCK_STAFF, _l("Every move of an item at a location")),
    MenuEntry("inventory.expiring_page", _l("Expiring soon"), STOCK_STAFF, _l("Lots past or near their expiry")),
    MenuEntry("inventory.labels_page", _l("Print labels"), STOCK_STAFF, _l("Barcode labels for goods, bins and lots")),
    MenuEntry("counting.counts_page", _l("Stock count"), STOCK_STAFF, _l("Stock opname: count by scanning")),
]


def home_counts(user) -> dict:
    waiting = {}
    if user.has_role("manager"):
        waiting["stock_value"] = valuation.total_value()
        waiting["pending_adjustments"] = len(operations.pending_adjustments())
        waiting["counts_in_review"] = sum(1 for c in counts.active_counts() if c.status == "review")
    if user.has_role(*STOCK_STAFF):
        waiting["in_transit"] = len(operations.transfers_in_transit())
        soon = services.expiring()
        waiting["expiring"] = len(soon)
        waiting["expired"] = sum(1 for e in soon if e.expired)
    return waiting


@bp.route("/lookup")
@roles_required(*ALL)
def lookup():
    """Scan or type a code: the item, its packaging and where its stock is."""
    code = request.args.get("code", "")
    result, error, balances = None, None, []
    if code.strip():
        try:
            result = services.resolve_scan(code)
            if result.item is not None:
                balances = services.stock_on_hand(item_id=result.item.id)
            elif result.location is not None:
                balances = services.stock_on_hand(location_id=result.location.id)
        except DomainError as exc:
            error = exc.message
    status = 404 if error else 200
    return render_template("inventory/lookup.html", code=code, result=result, error=error, balances=balances), status


@bp.route("/on-hand")
@roles_required(*ALL)
def on_hand():
    """Stock on hand, for a location (with the bins under it) or everywhere."""
    location_id = request.args.get("location_id", type=int)
    rows = services.stock_on_hand(location_id=location_id)
    return render_template(
        "inventory/on_hand.html", rows=rows, locations=services.stock_locations(), location_id=location_id
    )


@bp.route("/on-hand.csv")
@roles_required("manager", "warehouse")
def on_hand_csv():
    """Stock on hand with its value at the moving-average cost, as CSV (a location includes its places)."""
    return exports.csv_response(exports.on_hand_rows(request.args.get("location_id", type=int)), "stock-on-hand")


@bp.route("/card.csv")
@roles_required(*STOCK_STAFF)
def card_csv():
    """An item's stock card at a place as CSV: every move, oldest first, with the balance after it."""
    item_id, location_id = request.args.get("item_id", type=int), request.args.get("location_id", type=int)
    if not item_id or not location_id or queries.item(item_id) is None:
        abort(404)
    return exports.csv_response(exports.card_rows(item_id, location_id), "stock-card")


@bp.route("/card")
@roles_required(*STOCK_STAFF)
def card():
    """The stock card: every move of one item in or out of one location, newest first."""
    code = request.args.get("code", "").strip()
    item_id = request.args.get("item_id", type=int)
    location_id = request.args.get("location_id", type=int)
    page = max(request.args.get("page", 1, type=int), 1)
    error = None
    if code:
        try:
            found = services.resolve_scan(code)
            item_id = found.item.id if found.item else item_id
        except DomainError as exc:
            error = exc.message
    item = queries.item(item_id)
    data = services.stock_card(item.id, location_id, page) if item and location_id else None
    return render_template(
        "inventory/card.html",
        item=item,
        location_id=location_id,
        data=data,
        error=error,
        locations=services.stock_locations(),
        items=queries.items(),
    )


@bp.route("/adjust", methods=["GET", "POST"])
@roles_required(*STOCK_STAFF)
def adjust():
    """Adjust stock for a reason; big ones wait for a manager."""
    if request.method == "POST":
        return _post_adjustment()
    return _adjust_form({}, {})


def _adjust_form(form: dict, errors: dict, status: int = 200):
    return render_template(
        "inventory/adjust.html",
        form=form,
        errors=errors,
        reasons=ADJUSTMENT_REASONS,
        locations=services.stock_locations(),
        pending=operations.pending_adjustments(),
        idempotency_key=new_key(),
    ), status


@idempotent
def _post_adjustment():
    form = request.form
    errors: dict = {}
    location = queries.location(form.get("location_id", type=int))
    if location is None:
        errors["location_id"] = _("Choose a location.")
    if form.get("reason") not in ADJUSTMENT_REASONS:
        errors["reason"] = _("Choose a reason.")
    quantity = parse_decimal(form.get("quantity"), "quantity", errors)
    item, lot_id = None, None
    try:
        scanned = services.resolve_scan(form.get("code", ""))
        item = scanned.item
        if item is None:
            errors["code"] = _("That is a location, not an item.")
        elif form.get("lot", "").strip() or scanned.lot_code:
            lot_code = form.get("lot", "").strip() or scanned.lot_code
            lot = queries.lot_of(item.id, lot_code)
            if lot is None:
                errors["lot"] = _("Lot %(lot)s is not known for this item.", lot=lot_code)
            else:
                lot_id = lot.id
    except DomainError as exc:
        errors["code"] = exc.message
    if errors:
        return _adjust_form(form, errors, 422)
    try:
        adjustment = operations.create_adjustment(
            location,
            form["reason"],
            [operations.AdjustmentLineInput(item.id, quantity, lot_id)],
            form.get("note", ""),
            current_user,
        )
    except DomainError as exc:
        field = next(iter(exc.fields), "quantity")
        return _adjust_form(form, {field: exc.message}, 422)
    if adjustment.status == "posted":
        flash(_("%(ref)s posted.", ref=adjustment.reference), "success")
    else:
        flash(
            _(
                "%(ref)s is worth %(value)s and waits for a manager's approval.",
                ref=adjustment.reference,
                value=format_rupiah(adjustment.value),
            ),
            "warning",
        )
    return redirect(url_for("inventory.adjust"))


@bp.route("/adjustments/<int:adjustment_id>/<any(approve, reject):decision>", methods=["POST"])
@roles_required("manager")
def decide_adjustment(adjustment_id: int, decision: str):
    """A manager approves (posts) or rejects a pending adjustment."""
    adjustment = operations.get_adjustment(adjustment_id)
    if decision == "approve":
        operations.approve_adjustment(adjustment, current_user)
        flash(_("%(ref)s approved and posted.", ref=adjustment.reference), "success")
    else:
        operations.reject_adjustment(adjustment, current_user)
        flash(_("%(ref)s rejected.", ref=adjustment.reference), "info")
    return redirect(url_for("inventory.adjust"))


@bp.route("/transfer", methods=["GET", "POST"])
@roles_required(*STOCK_STAFF)
def transfer():
    """Move stock between locations; scan each item into the list."""
    if request.method == "POST":
        return _post_transfer()
    return _transfer_form({}, {}, [])


def _transfer_form(form, errors: dict, lines: list, status: int = 200):
    return render_template(
        "inventory/transfer.html",
        form=form,
        errors=errors,
        lines=lines,
        locations=services.stock_locations(),
        in_transit=operations.transfers_in_transit(),
        idempotency_key=new_key(),
    ), status


@idempotent
def _post_transfer():
    form = request.form
    errors: dict = {}
    source = queries.location(form.get("from_location_id", type=int))
    target = queries.location(form.get("to_location_id", type=int))
    if source is None:
        errors["from_location_id"] = _("Choose where the stock comes from.")
    if target is None:
        errors["to_location_id"] = _("Choose where the stock goes.")
    lines, shown = [], []
    rows = zip(form.getlist("code"), form.getlist("quantity"), form.getlist("lot") or repeat(""), strict=False)
    for code, qty_text, lot_text in rows:
        if not code.strip():
            continue
        row = {"code": code, "quantity": qty_text, "lot": lot_text.strip(), "name": "", "lots": []}
        shown.append(row)
        quantity = parse_decimal(qty_text, "lines", errors)
        try:
            scanned = services.resolve_scan(code)
        except DomainError as exc:
            errors["lines"] = exc.message
            continue
        if scanned.item is None or quantity is None:
            errors.setdefault("lines", _("Code %(code)s is not an item.", code=code))
            continue
        row["name"] = f"{scanned.item.name(str(get_locale()))} · {scanned.packaging.name}"
        lot_code = row["lot"] or scanned.lot_code
        if scanned.item.is_lot_tracked and source is not None:
            held = services.stock_on_hand(source.id, scanned.item.id, include_children=False)
            row["lots"] = sorted((b for b in held if b.lot), key=lambda b: (b.lot.expiry_date or date.max, b.lot.code))
        lot_id = None
        if lot_code:
            lot = queries.lot_of(scanned.item.id, lot_code)
            if lot is None:
                errors["lines"] = _("%(item)s has no lot %(lot)s.", item=scanned.item.name_id, lot=lot_code)
                continue
            lot_id = lot.id
        lines.append(operations.TransferLineInput(scanned.item.id, quantity, lot_id))
    if not lines and "lines" not in errors:
        errors["lines"] = _("Scan at least one item.")
    if errors:
        return _transfer_form(form, errors, shown, 422)
    try:
        done = operations.create_transfer(source, target, lines, current_user, two_step=bool(form.get("two_step")))
    except DomainError as exc:
        return _transfer_form(form, {"lines": exc.message}, shown, 422)
    if done.status == "done":
        flash(_("%(ref)s done: the stock is at %(to)s.", ref=done.reference, to=target.name), "success")
    else:
        flash(_("%(ref)s is on its way; receive it at %(to)s.", ref=done.reference, to=target.name), "info")
    return redirect(url_for("inventory.transfer"))


@bp.route("/transfers/<int:transfer_id>/receive", methods=["POST"])
@roles_required(*STOCK_STAFF)
def receive_transfer(transfer_id: int):
    """Receive a transfer that was sent via in-transit."""
    done = operations.receive_transfer(operations.get_transfer(transfer_id), current_user)
    flash(_("%(ref)s received.", ref=done.reference), "success")
    return redirect(url_for("inventory.transfer"))


@bp.route("/expiring")
@roles_required(*STOCK_STAFF)
def expiring_page():
    """Lots that have expired or expire soon, where they are, and one action each: write off or send back."""
    return render_template(
        "inventory/expiring.html",
        rows=services.expiring(),
        idempotency_key=new_key(),
        warning_days=settings.get("expiry_warning_days"),
    )


@bp.route("/expiring/<int:balance_id>/write-off", methods=["POST"])
@roles_required(*STOCK_STAFF)
@idempotent
def write_off_expiring(balance_id: int):
    done = operations.write_off_lot(balance_id, current_user)
    if done.status == "posted":
        flash(_("%(ref)s: written off as expired.", ref=done.reference), "success")
    else:
        flash(_("%(ref)s waits for a manager's approval (its value is above the limit).", ref=done.reference), "info")
    return redirect(url_for("inventory.expiring_page"))


@bp.route("/labels")
@roles_required(*STOCK_STAFF)
def labels_page():
    """Choose labels to print: goods barcodes, locations, lots."""
    return render_template(
        "inventory/labels.html",
        barcodes=queries.barcodes(),
        locations=services.stock_locations(),
        lots=queries.lots(),
    )


@bp.route("/labels/sheet")
@roles_required(*STOCK_STAFF)
def labels_sheet():
    """A printable A4 sheet of the chosen labels."""
    copies = min(max(request.args.get("copies", 1, type=int), 1), 99)
    chosen = []
    for kind in ("barcode", "location", "lot"):
        for obj_id in request.args.getlist(kind, type=int):
            label = _label_for(kind, obj_id)
            chosen.extend([{"kind": kind, "id": obj_id, **label}] * copies)
    return render_template("inventory/labels_sheet.html", labels=chosen)


@bp.route("/labels/<any(barcode, location, lot):kind>/<int:obj_id>.<any(svg, png):fmt>")
@roles_required(*STOCK_STAFF)
def label_image(kind: str, obj_id: int, fmt: str):
    """One label as SVG or PNG."""
    label = _label_for(kind, obj_id)
    image = labels.render_barcode(label["symbology"], label["data"], fmt, text=label["text"])
    return Response(image, mimetype="image/svg+xml" if fmt == "svg" else "image/png")


def _label_for(kind: str, obj_id: int) -> dict:
    """What a label encodes and shows, for a packaging barcode, a location or a lot."""
    if kind == "barcode":
        barcode = queries.barcode(obj_id) or abort(404)
        item = barcode.packaging.item
        return {
            "symbology": barcode.symbology,
            "data": barcode.code,
            "text": None,
            "title": f"{item.name_id} · {barcode.packaging.name}",
        }
    if kind == "location":
        location = queries.location(obj_id) or abort(404)
        return {"symbology": "code128", "data": location.code, "text": None, "title": location.name}
    lot = queries.lot(obj_id) or abort(404)
    gtin = queries.gtin_of(lot.item_id)
    title = f"{lot.item.name_id} · {lot.code}"
    if lot.expiry_date:
        title += f" · EXP {lot.expiry_date.strftime('%d-%m-%Y')}"
    if gtin:
        data, text = labels.gs1_128_data(gtin, lot=lot.code, expiry=lot.expiry_date)
        return {"symbology": "gs1_128", "data": data, "text": text, "title": title}
    return {"symbology": "code128", "data": lot.code, "text": None, "title": title}


@bp.route("/valuation")
@roles_required("manager")
def valuation_page():
    """What the stock is worth: now (balances at the moving-average cost), or at the end of a past day (the
    nightly snapshots plus the moves since), everywhere or at a place and the places under it; CSV too."""
    errors: dict[str, str] = {}
    day = parse_date(request.args.get("day"), "day", errors)
    location_id = request.args.get("location_id", type=int)
    places = set(services.descendant_ids(location_id)) if location_id else None
    if errors:
        rows = []
    elif day is None or day >= today():
        rows = valuation.on_hand_value(places)
    else:
        rows = valuation.valuation(day, places)
    if not errors and request.args.get("format") == "csv":
        line = csv_line_writer()
        body = ["\ufeff" + line(["sku", "item", "quantity", "unit", "unit_cost", "value"])]
        body += [line([r.item.sku, r.item.name_id, r.quantity, r.item.base_unit, r.unit_cost, r.value]) for r in rows]
        name = f"stock-value-{(day or today()).isoformat()}.csv"
        return Response(
            "".join(body), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
    return render_template(
        "inventory/valuation.html",
        rows=rows,
        total=sum((r.value for r in rows), Decimal(0)),
        day=day,
        location_id=location_id,
        locations=services.stock_locations(),
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/cover")
@roles_required("manager")
def cover_page():
    """Days of cover at the pace of the last days (30 by default) and the slow movers (stock, no sale)."""
    days = min(max(request.args.get("days", 30, type=int) or 30, 1), 365)
    return render_template("inventory/cover.html", rows=valuation.cover(days), days=days)
