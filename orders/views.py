"""The shop's screens: prices and legal ceilings (the till comes next)."""

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth import roles_required
from app.db import db
from app.errors import DomainError
from app.formatting import format_rupiah
from app.idempotency import idempotent
from app.views import MenuEntry
from inventory.models import Item, Packaging
from orders import caps, pricing
from orders.models import BUYER_CATEGORIES, CAP_PERIODS, CAP_SCOPES, PRICE_LISTS, CapRule

bp = Blueprint("shop", __name__, url_prefix="/shop", template_folder="templates")

MENU = [
    MenuEntry("shop.prices", _l("Prices"), ("manager",), _l("Member and general prices under the legal ceiling")),
    MenuEntry("shop.caps_page", _l("Purchase caps"), ("manager",), _l("How much one person or household may buy")),
]


@bp.route("/prices", methods=["GET", "POST"])
@roles_required("manager")
def prices():
    """Every sale packaging with its member and general price and its legal ceiling; set new ones."""
    if request.method == "POST":
        return _change()
    return _page({}, {})


def _page(form, errors, status=200):
    today = date.today()
    packagings = db.session.scalars(
        select(Packaging).join(Packaging.item).where(Packaging.for_sale).order_by(Item.sku, Packaging.id)
    ).all()
    regulated = db.session.scalars(select(Item).where(Item.is_price_regulated).order_by(Item.sku)).all()
    return render_template(
        "orders/prices.html",
        rows=pricing.price_table(today),
        packagings=packagings,
        regulated=regulated,
        price_lists=PRICE_LISTS,
        zone=pricing.zone(),
        today=today,
        form=form,
        errors=errors,
        idempotency_key=str(uuid.uuid4()),
    ), status


@idempotent
def _change():
    form, errors = request.form, {}
    try:
        valid_from = date.fromisoformat(form.get("valid_from") or date.today().isoformat())
    except ValueError:
        errors["valid_from"] = _("Enter a date like 2026-12-31.")
        return _page(form, errors, 422)
    amount = form.get("amount", type=int)
    if amount is None:
        return _page(form, {"amount": _("Rupiah, a whole number.")}, 422)
    try:
        if form.get("what") == "ceiling":
            item = db.session.get(Item, form.get("item_id", type=int) or 0)
            if item is None:
                return _page(form, {"item_id": _("Choose an item.")}, 422)
            _ceiling, too_high = pricing.set_ceiling(item, amount, valid_from, form.get("source", ""))
            flash(
                _(
                    "The legal ceiling of %(item)s is %(amount)s per unit from %(date)s.",
                    item=item.name_id,
                    amount=format_rupiah(amount),
                    date=valid_from.strftime("%d-%m-%Y"),
                ),
                "success",
            )
            for price in too_high:
                which = _("Member price") if price.price_list == "member" else _("General price")
                flash(
                    _(
                        "%(packaging)s: %(list)s %(amount)s is now above it and will be refused at the till: lower it.",
                        packaging=price.packaging.name,
                        list=which,
                        amount=format_rupiah(price.amount),
                    ),
                    "warning",
                )
        else:
            packaging = pricing.get_packaging(form.get("packaging_id", type=int) or 0)
            pricing.set_price(packaging, form.get("price_list", ""), amount, valid_from)
            flash(
                _(
                    "%(packaging)s of %(item)s: %(amount)s from %(date)s.",
                    packaging=packaging.name,
                    item=packaging.item.name_id,
                    amount=format_rupiah(amount),
                    date=valid_from.strftime("%d-%m-%Y"),
                ),
                "success",
            )
    except DomainError as exc:
        return _page(form, {"amount": exc.message}, 422)
    return redirect(url_for("shop.prices"))


@bp.route("/caps", methods=["GET", "POST"])
@roles_required("manager")
def caps_page():
    """Purchase caps: add one, switch one off."""
    if request.method == "POST":
        return _change_caps()
    return _caps_page({}, {})


def _caps_page(form, errors, status=200):
    rules = db.session.scalars(select(CapRule).order_by(CapRule.id)).all()
    subsidised = db.session.scalars(select(Item).where(Item.is_active).order_by(Item.sku)).all()
    return render_template(
        "orders/caps.html",
        rules=rules,
        items=subsidised,
        scopes=CAP_SCOPES,
        periods=CAP_PERIODS,
        categories=BUYER_CATEGORIES,
        today=date.today(),
        form=form,
        errors=errors,
        idempotency_key=str(uuid.uuid4()),
    ), status


@idempotent
def _change_caps():
    form = request.form
    if form.get("rule_id"):
        rule = db.session.get(CapRule, form.get("rule_id", type=int))
        if rule is None:
            return _caps_page(form, {"name": _("Unknown cap.")}, 404)
        caps.set_active(rule, form.get("active") == "1")
        return redirect(url_for("shop.caps_page"))
    item = db.session.get(Item, form.get("item_id", type=int) or 0)
    try:
        maximum = Decimal((form.get("max_quantity") or "").replace(",", "."))
        valid_from = date.fromisoformat(form.get("valid_from") or date.today().isoformat())
    except (InvalidOperation, ValueError):
        return _caps_page(form, {"max_quantity": _("Enter a number, like 2 or 12,5.")}, 422)
    if item is None:
        return _caps_page(form, {"item_id": _("Choose an item.")}, 422)
    try:
        rule = caps.add_rule(
            form.get("name", "").strip() or item.name_id,
            item,
            form.get("scope", ""),
            form.get("period", ""),
            maximum,
            valid_from,
            form.get("buyer_category") or None,
        )
    except DomainError as exc:
        return _caps_page(form, {next(iter(exc.fields), "name"): exc.message}, 422)
    flash(_("Cap “%(name)s” added.", name=rule.name), "success")
    return redirect(url_for("shop.caps_page"))
