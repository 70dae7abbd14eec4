"""The purchasing screens: suppliers and their catalogue, purchase orders, approval, the printable PO (receiving
is in receiving_views.py, reordering in reorder_views.py)."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import clock, settings
from app.auth import roles_required
from app.errors import DomainError
from app.forms import new_key, parse_date, parse_decimal
from app.idempotency import idempotent
from app.terms import term
from app.views import MenuEntry
from inventory import labels
from inventory import queries as inventory_queries
from inventory import services as inventory
from suppliers import queries, reports, services
from suppliers.models import PAYMENT_TERMS, PO_STATUSES, PurchaseOrder, Supplier

bp = Blueprint("purchasing", __name__, url_prefix="/purchasing", template_folder="templates")

STAFF = ("manager", "warehouse")

MENU = [
    MenuEntry("receiving.receive", _l("Receive goods"), STAFF, _l("Scan a delivery in against its order")),
    MenuEntry("purchasing.orders", _l("Purchase orders"), STAFF, _l("Order from Bulog and the LPG agent")),
    MenuEntry("purchasing.suppliers", _l("Suppliers"), STAFF, _l("Suppliers, what they sell and their limits")),
    MenuEntry("purchasing.purchasing_report", _l("Purchasing report"), ("manager",), _l("Ordered, received, owed")),
    MenuEntry("receiving.cylinders", _l("LPG cylinders"), STAFF, _l("Full, empty and rejected cylinders held")),
]


def home_counts(user) -> dict:
    if not user.has_role("manager"):
        return {}
    return {"orders_to_approve": queries.orders_to_approve()}


# --- suppliers -------------------------------------------------------------------------------------------


@bp.route("/suppliers", methods=["GET", "POST"])
@roles_required(*STAFF)
def suppliers():
    """The suppliers; a manager adds new ones here."""
    if request.method == "POST":
        return _create_supplier()
    return _suppliers_page({}, {})


def _suppliers_page(form, errors, status=200):
    return render_template(
        "suppliers/suppliers.html",
        suppliers=queries.suppliers(),
        form=form,
        errors=errors,
        payment_terms=PAYMENT_TERMS,
        idempotency_key=new_key(),
    ), status


@roles_required("manager")
@idempotent
def _create_supplier():
    form, errors = request.form, {}
    max_kg = parse_decimal(form.get("max_order_kg"), "max_order_kg", errors) if form.get("max_order_kg") else None
    lead = form.get("lead_time_days", type=int)
    if lead is None or lead < 0:
        errors["lead_time_days"] = _("Days, 0 or more.")
    if errors:
        return _suppliers_page(form, errors, 422)
    try:
        supplier = services.create_supplier(
            {
                "code": form.get("code", "").strip().upper(),
                "name": form.get("name", "").strip(),
                "contact_person": form.get("contact_person", ""),
                "phone": form.get("phone", ""),
                "address": form.get("address", ""),
                "payment_terms": form.get("payment_terms"),
                "lead_time_days": lead,
                "max_order_kg": max_kg,
                "min_order_value": form.get("min_order_value", 0, type=int),
            }
        )
    except DomainError as exc:
        return _suppliers_page(form, {next(iter(exc.fields), "code"): exc.message}, 422)
    flash(_("Supplier %(name)s added.", name=supplier.name), "success")
    return redirect(url_for("purchasing.supplier", supplier_id=supplier.id))


@bp.route("/suppliers/<int:supplier_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def supplier(supplier_id: int):
    """One supplier: its catalogue with costs, its quotas, its limits."""
    found = services.get_supplier(supplier_id)
    if request.method == "POST":
        return _change_supplier(found)
    return _supplier_page(found, {})


def _supplier_page(found: Supplier, errors: dict, status=200):
    items = inventory_queries.items(active_only=True)
    today = clock.today()
    costs = {e.id: services.cost_on(e, today) for e in found.catalogue}
    return render_template(
        "suppliers/supplier.html",
        supplier=found,
        items=items,
        costs=costs,
        errors=errors,
        today=today,
        idempotency_key=new_key(),
    ), status


@roles_required("manager")
@idempotent
def _change_supplier(found: Supplier):
    form, errors = request.form, {}
    what = form.get("what")
    try:
        if what == "catalogue":
            packaging = inventory_queries.packaging(form.get("packaging_id", type=int))
            if packaging is None:
                errors["packaging_id"] = _("Choose the packaging you buy it in.")
                return _supplier_page(found, errors, 422)
            multiple = parse_decimal(form.get("order_multiple") or "1", "order_multiple", errors)
            kg = parse_decimal(form.get("kg_per_unit") or "0", "kg_per_unit", errors)
            cost = form.get("cost", type=int)
            if cost is None or cost < 0:
                errors["cost"] = _("Rupiah, a whole number.")
            if errors:
                return _supplier_page(found, errors, 422)
            entry = services.add_catalogue_item(
                found, packaging.item_id, packaging.id, form.get("supplier_code", ""), multiple, kg
            )
            services.set_cost(entry, clock.today(), cost)
            flash(_("%(item)s added to the catalogue.", item=packaging.item.name_id), "success")
        elif what == "cost":
            entry = services.get_catalogue_item(found, form.get("supplier_item_id", type=int) or 0)
            valid_from = parse_date(form.get("valid_from"), "valid_from", errors) or clock.today()
            cost = form.get("cost", type=int)
            if cost is None or cost < 0:
                errors["cost"] = _("Rupiah, a whole number.")
            if errors:
                return _supplier_page(found, errors, 422)
            services.set_cost(entry, valid_from, cost)
            flash(_("New cost of %(item)s saved.", item=entry.item.name_id), "success")
        elif what == "quota":
            quantity = parse_decimal(form.get("monthly_quantity"), "monthly_quantity", errors)
            valid_from = parse_date(form.get("valid_from"), "valid_from", errors) or clock.today().replace(day=1)
            if errors:
                return _supplier_page(found, errors, 422)
            services.set_quota(found, form.get("item_id", type=int) or 0, quantity, valid_from)
            flash(_("Quota saved."), "success")
        else:
            max_kg = (
                parse_decimal(form.get("max_order_kg"), "max_order_kg", errors) if form.get("max_order_kg") else None
            )
            if errors:
                return _supplier_page(found, errors, 422)
            services.update_supplier(
                found,
                {
                    "name": form.get("name", found.name),
                    "contact_person": form.get("contact_person", ""),
                    "phone": form.get("phone", ""),
                    "address": form.get("address", ""),
                    "payment_terms": form.get("payment_terms", found.payment_terms),
                    "lead_time_days": form.get("lead_time_days", found.lead_time_days, type=int),
                    "max_order_kg": max_kg,
                    "min_order_value": form.get("min_order_value", 0, type=int),
                },
            )
            flash(_("Supplier saved."), "success")
    except DomainError as exc:
        return _supplier_page(found, {next(iter(exc.fields), what or "name"): exc.message}, 422)
    return redirect(url_for("purchasing.supplier", supplier_id=found.id))


# --- purchase orders -------------------------------------------------------------------------------------


@bp.route("/orders", methods=["GET", "POST"])
@roles_required(*STAFF)
def orders():
    """Purchase orders, newest first; start a new one."""
    if request.method == "POST":
        return _create_order()
    return _orders_page({}, {})


def _orders_page(form, errors, status=200):
    chosen = request.args.get("status") if request.args.get("status") in PO_STATUSES else None
    rows = queries.latest_orders(chosen, 200)
    return render_template(
        "suppliers/orders.html",
        orders=rows,
        suppliers=queries.active_suppliers(),
        statuses=PO_STATUSES,
        chosen=chosen,
        locations=inventory.stock_locations(),
        form=form,
        errors=errors,
        idempotency_key=new_key(),
    ), status


@idempotent
def _create_order():
    form, errors = request.form, {}
    found = queries.supplier(form.get("supplier_id", type=int))
    destination = inventory_queries.location(form.get("destination_id", type=int))
    if found is None:
        errors["supplier_id"] = _("Choose a supplier.")
    if destination is None:
        errors["destination_id"] = _("Choose where the goods arrive.")
    expected = parse_date(form.get("expected_date"), "expected_date", errors)
    if errors:
        return _orders_page(form, errors, 422)
    try:
        order = services.create_order(found, destination, current_user, expected, form.get("note", ""))
    except DomainError as exc:
        return _orders_page(form, {next(iter(exc.fields), "supplier_id"): exc.message}, 422)
    return redirect(url_for("purchasing.order", order_id=order.id))


@bp.route("/orders/<int:order_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def order(order_id: int):
    """One order: its lines, adding an item by scan or from the catalogue, and the next step."""
    found = services.get_order(order_id)
    if request.method == "POST":
        return _change_order(found)
    return _order_page(found, {})


def _order_page(found: PurchaseOrder, errors: dict, status=200):
    actions = [a for a, (sources, _target, _roles) in services.TRANSITIONS.items() if found.status in sources]
    if services.is_suggestion(found):
        actions = []  # changed and approved on the reorder screen
    return render_template(
        "suppliers/order.html",
        order=found,
        errors=errors,
        actions=actions,
        receipts=queries.receipts_of(found),
        weight=services.weight_kg(found),
        idempotency_key=new_key(),
    ), status


@idempotent
def _change_order(found: PurchaseOrder):
    form, errors = request.form, {}
    action = form.get("action")
    try:
        services.refuse_suggestion(found)
        if action in services.TRANSITIONS:
            services.transition(found, action, current_user)
            flash(
                _(
                    "Order %(number)s: %(status)s.",
                    number=found.number,
                    status=term("po_status", found.status),
                ),
                "success",
            )
        else:
            item_id = form.get("item_id", type=int)
            code = form.get("code", "").strip()
            if code:
                scanned = inventory.resolve_scan(code)
                if scanned.item is None:
                    raise DomainError(_("Code %(code)s is not an item.", code=code))
                item_id = scanned.item.id
            packs = parse_decimal(form.get("packs") or "1", "packs", errors)
            if not item_id:
                errors["item_id"] = _("Scan or choose an item.")
            if errors:
                return _order_page(found, errors, 422)
            services.set_line(found, item_id, packs, current_user)
    except DomainError as exc:
        return _order_page(found, {"order": exc.message}, exc.status if exc.status != 409 else 422)
    return redirect(url_for("purchasing.order", order_id=found.id))


@bp.route("/orders/<int:order_id>/print")
@roles_required(*STAFF)
def print_order(order_id: int):
    """The printable order, with its number as a Code128 barcode the warehouse scans to receive it."""
    return render_template(
        "suppliers/order_print.html",
        order=services.get_order(order_id),
        weight=services.weight_kg(services.get_order(order_id)),
        coop={key: settings.get(key) for key in ("cooperative_name", "address", "legal_number", "phone")},
    )


@bp.route("/orders/<int:order_id>/barcode.svg")
@roles_required(*STAFF)
def order_barcode(order_id: int):
    found = services.get_order(order_id)
    return Response(labels.render_barcode("code128", found.number, "svg"), mimetype="image/svg+xml")


@bp.route("/report")
@roles_required("manager")
def purchasing_report():
    """Per supplier and month: ordered, received and still owed; the quotas' use; pickups against weight limits."""
    errors: dict[str, str] = {}
    first = parse_date(request.args.get("from"), "from", errors) or clock.today().replace(day=1)
    last = parse_date(request.args.get("to"), "to", errors) or clock.today()
    report = reports.purchasing(first, last) if not errors else None
    return render_template("suppliers/report.html", report=report, first=first, last=last, errors=errors), (
        422 if errors else 200
    )
