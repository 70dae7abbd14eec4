"""The catalogue screens: items with their units and flags, packagings with their factors, barcodes (check digit
verified, a label printed from there), linked to their prices, stock card and history."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from app.auth import roles_required
from app.errors import DomainError
from app.forms import field_messages, parse_decimal
from app.views import MenuEntry
from inventory import queries, services
from inventory.models import BASE_UNITS, Item, Packaging
from inventory.schemas import ItemSchema

bp = Blueprint("catalogue", __name__, url_prefix="/stock/items", template_folder="templates")

MENU = [MenuEntry("catalogue.items_page", _l("Items"), ("manager",), _l("The catalogue: units, packagings, barcodes"))]

FLAGS = ("is_subsidised", "is_price_regulated", "is_lot_tracked", "is_expiry_tracked", "is_active")
TEXTS = ("sku", "name_id", "name_en", "category", "base_unit")


def _item_data(form, fields: tuple[str, ...] = TEXTS) -> dict:
    """An item form as the API's schema reads it: checkboxes as booleans, empty numbers as none."""
    data = {name: form.get(name, "").strip() for name in fields}
    data.update({flag: form.get(flag) == "on" for flag in FLAGS})
    for name in ("min_shelf_life_days", "empty_item_id"):
        data[name] = form.get(name, "").strip() or None
    return data


def _load(data: dict, partial: bool = False) -> tuple[dict, dict[str, str]]:
    try:
        return ItemSchema().load(data, partial=partial), {}
    except ValidationError as error:
        return {}, field_messages(error.messages)


@bp.route("", methods=["GET", "POST"])
@roles_required("manager")
def items_page():
    """Every item (or those matching the search), and a form to add one."""
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        data, errors = _load(_item_data(form))
        if not errors:
            try:
                item = services.create_item(data)
            except DomainError as error:
                errors = field_messages(error.fields) or {"sku": error.message}
            else:
                flash(_("%(item)s is in the catalogue: add its packagings and barcodes.", item=item.name_id), "success")
                return redirect(url_for("catalogue.item_page", item_id=item.id))
    query = request.args.get("q", "").strip()
    items = services.find_items(query, 500) if query else queries.items()
    return render_template(
        "inventory/items.html",
        items=items,
        query=query,
        form=form,
        errors=errors,
        units=BASE_UNITS,
        containers=_containers(),
    ), (422 if errors else 200)


def _containers() -> list[Item]:
    """Items that can be the returnable container of another (an empty cylinder)."""
    return queries.items(active_only=True)


@bp.route("/<int:item_id>", methods=["GET", "POST"])
@roles_required("manager")
def item_page(item_id: int):
    """One item: its fields, packagings and barcodes; each form changes one thing and says what went wrong."""
    item = services.get_item(item_id)
    errors: dict[str, str] = {}
    action = request.form.get("action") if request.method == "POST" else None
    try:
        if action == "item":
            given = _item_data(request.form)
            given["base_unit"] = given["base_unit"] or item.base_unit  # locked on the form once stock has moved
            data, errors = _load(given, partial=True)
            if not errors:
                services.update_item(item, data)
                flash(_("%(item)s is saved.", item=item.name_id), "success")
        elif action == "packaging":
            factor = parse_decimal(request.form.get("factor"), "factor", errors)
            name = request.form.get("name", "").strip()
            if not name or len(name) > 60:
                errors["name"] = _("1 to 60 characters.")
            if not errors:
                services.add_packaging(
                    item, name, factor, request.form.get("for_purchase") == "on", request.form.get("for_sale") == "on"
                )
                flash(_("Packaging %(name)s added.", name=name), "success")
        elif action == "packaging_flags":
            packaging = _packaging_of(item)
            services.update_packaging(
                packaging, request.form.get("for_purchase") == "on", request.form.get("for_sale") == "on"
            )
            flash(_("Packaging %(name)s saved.", name=packaging.name), "success")
        elif action == "barcode":
            packaging = _packaging_of(item)
            code = services.add_barcode(packaging, request.form.get("code", "")).code
            flash(_("Barcode %(code)s is on %(packaging)s.", code=code, packaging=packaging.name), "success")
        elif action == "barcode_remove":
            code = services.remove_barcode(request.form.get("barcode_id", type=int) or 0, item)
            flash(_("Barcode %(code)s removed.", code=code), "success")
    except DomainError as error:
        errors = field_messages(error.fields) or {"form": error.message}
        flash(error.message, "error")
    if action and not errors:
        return redirect(url_for("catalogue.item_page", item_id=item.id))
    return render_template(
        "inventory/item.html",
        item=item,
        errors=errors,
        action=action,
        form=request.form,
        units=BASE_UNITS,
        containers=[c for c in _containers() if c.id != item.id],
        has_moves=queries.has_moves(item.id),
    ), (422 if errors else 200)


def _packaging_of(item: Item) -> Packaging:
    packaging = queries.packaging(request.form.get("packaging_id", type=int))
    if packaging is None or packaging.item_id != item.id:
        raise DomainError(_("This item has no such packaging."), fields={"packaging_id": [_("Not found.")]})
    return packaging
