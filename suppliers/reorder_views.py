"""The manager's reorder screens: the suggestions the workers prepared (with their reasoning, the quantity editable,
approved into the order flow) and the rules that make them."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth import roles_required
from app.errors import DomainError, keep_changes_of
from app.formatting import format_qty, format_rupiah
from app.forms import field_messages, new_key, parse_decimal
from app.idempotency import idempotent
from app.views import MenuEntry
from inventory import queries as inventory_queries
from inventory.services import stock_locations
from suppliers import queries, reorder, services
from suppliers.models import ReorderRule

bp = Blueprint("reordering", __name__, url_prefix="/purchasing/reorder", template_folder="templates")

MENU = [
    MenuEntry("reordering.suggestions", _l("Reorder"), ("manager",), _l("What the shop will need, ready to approve")),
]


def home_counts(user) -> dict:
    if not user.has_role("manager"):
        return {}
    return {"reorder_suggestions": reorder.waiting_count(), "stock_levels": reorder.levels()}


@bp.route("")
@roles_required("manager")
def suggestions():
    """The reorder drafts, a card per supplier and destination, each line with its reasoning in words."""
    return _suggestions_page({}, 200)


def _suggestions_page(errors: dict, status: int, form=None):
    return render_template(
        "suppliers/reorder.html",
        drafts=reorder.suggestions(),
        explain=reorder.explain,
        weight=services.weight_kg,
        errors=errors,
        form=form or {},
        idempotency_key=new_key(),
    ), status


@bp.route("/<int:order_id>/approve", methods=["POST"])
@roles_required("manager")
@idempotent
def approve(order_id: int):
    """Approve a suggestion with the quantities as the manager left them: the order goes to approval."""
    form, errors, packs, suggested = request.form, {}, {}, {}
    for item_id in form.getlist("item_id", type=int):
        value = parse_decimal(form.get(f"packs-{item_id}") or "0", f"packs-{item_id}", errors)
        if value is not None and value < 0:
            errors[f"packs-{item_id}"] = _("At least 0.")
        packs[item_id] = value
        if form.get(f"suggested-{item_id}") is not None:  # what the page showed
            suggested[item_id] = parse_decimal(form.get(f"suggested-{item_id}"), f"packs-{item_id}", errors)
    if errors:
        return _suggestions_page({order_id: _("Check the quantities."), **errors}, 422, form)
    seen = suggested if len(suggested) == len(packs) else None
    try:
        order = reorder.approve(services.get_order(order_id), packs, current_user, seen)
    except DomainError as exc:
        status = exc.status if exc.status != 409 else 422
        if not exc.keep_changes:
            return _suggestions_page({order_id: exc.message}, status, form)
        keep_changes_of(exc)  # the refreshed suggestion is what the page shows now, and what is saved
        if queries.purchase_order(order_id) is None:  # nothing to suggest any more: its card is gone
            flash(exc.message, "warning")
            return _suggestions_page({}, status)
        return _suggestions_page({order_id: exc.message}, status)  # the new figures, not the old ones typed over
    flash(
        _("Order %(number)s went to approval (%(total)s).", number=order.number, total=format_rupiah(order.total)),
        "success",
    )
    return redirect(url_for("reordering.suggestions"))


@bp.route("/rules", methods=["GET", "POST"])
@roles_required("manager")
def rules():
    """The reorder rules; set one (item × location) or change it."""
    if request.method == "POST":
        return _save_rule()
    chosen = queries.reorder_rule(request.args.get("rule", type=int))
    form = _rule_form(chosen) if chosen else {}
    return _rules_page(form, {}, 200)


def _rule_form(rule: ReorderRule) -> dict:
    return {
        "item_id": rule.item_id,
        "location_id": rule.location_id,
        "supplier_id": rule.supplier_id,
        "reorder_point": format_qty(rule.reorder_point),
        "order_up_to": format_qty(rule.order_up_to),
        "safety_stock": format_qty(rule.safety_stock),
        "review_period_days": rule.review_period_days,
        "demand_days": rule.demand_days or "",
    }


def _rules_page(form, errors, status):
    return render_template(
        "suppliers/reorder_rules.html",
        rules=queries.reorder_rules(),
        items=inventory_queries.active_items_by_name(),
        locations=stock_locations(),
        suppliers=queries.active_suppliers(),
        form=form,
        errors=errors,
        idempotency_key=new_key(),
    ), status


@idempotent
def _save_rule():
    form, errors = request.form, {}
    if form.get("switch"):
        rule = reorder.switch_rule(form.get("rule_id", type=int) or 0, form.get("switch") == "on")
        flash(_("Rule for %(item)s saved.", item=rule.item.name_id), "success")
        return redirect(url_for("reordering.rules"))
    data = {name: form.get(name, type=int) for name in ("item_id", "location_id", "supplier_id")}
    for name in ("reorder_point", "order_up_to", "safety_stock"):
        data[name] = parse_decimal(form.get(name) or "0", name, errors)
    data["review_period_days"] = form.get("review_period_days", 7, type=int)
    data["demand_days"] = form.get("demand_days", type=int) if form.get("demand_days", "").strip() else None
    for name in ("item_id", "location_id", "supplier_id"):
        if not data[name]:
            errors[name] = _("Choose one.")
    if errors:
        return _rules_page(form, errors, 422)
    try:
        rule = reorder.save_rule(data)
    except DomainError as exc:
        return _rules_page(form, {"rule": exc.message, **field_messages(exc.fields)}, 422)
    flash(_("Rule for %(item)s saved.", item=rule.item.name_id), "success")
    return redirect(url_for("reordering.rules"))
