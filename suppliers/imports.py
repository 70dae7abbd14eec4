"""CSV imports of purchasing's data (app.csvimport reads, checks and runs them): suppliers with their catalogue and
costs, and reorder rules."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit, csvimport
from app.clock import today
from app.csvimport import (
    Column,
    Kind,
    Plan,
    RowError,
    Summary,
    choice,
    parse_date,
    parse_decimal,
    parse_rupiah,
    whole_days,
)
from app.csvimport import text as text_of
from app.db import db
from inventory.models import Item, Location, Packaging
from suppliers import reorder, services
from suppliers.models import PAYMENT_TERMS, ReorderRule, Supplier, SupplierItem

SUPPLIER_COLUMNS = ("name", "contact_person", "phone", "address", "payment_terms", "lead_time_days", "max_order_kg",
                    "min_order_value")  # fmt: skip


@dataclass
class CatalogueLine:
    item: Item
    packaging: Packaging
    supplier_code: str
    order_multiple: Decimal
    kg_per_unit: Decimal
    cost: int | None
    cost_from: date


@dataclass
class SupplierPlan:
    code: str
    fields: dict
    lines: list[CatalogueLine]


def _check_suppliers(rows: list[dict]) -> Plan:
    plan = Plan()
    items = {item.sku: item for item in db.session.scalars(select(Item))}
    planned: dict[str, tuple[int, SupplierPlan]] = {}
    for row in rows:
        line, code, errors = row["_row"], row["code"].upper(), []
        fields = {name: row.get(name) for name in SUPPLIER_COLUMNS}
        fields.update(
            contact_person=fields["contact_person"] or "",
            phone=fields["phone"] or "",
            address=fields["address"] or "",
            lead_time_days=fields["lead_time_days"] if fields["lead_time_days"] is not None else 1,
            min_order_value=fields["min_order_value"] or 0,
        )
        if fields["max_order_kg"] is not None and fields["max_order_kg"] <= 0:
            errors.append(RowError(line, "max_order_kg", _("More than 0, or empty for no limit.")))
        if code in planned:
            first_line, supplier_plan = planned[code]
            differs = [n for n in SUPPLIER_COLUMNS if fields[n] != supplier_plan.fields[n]]
            if differs:
                message = _("Differs from row %(row)d of the same supplier.", row=first_line)
                errors.append(RowError(line, differs[0], message))
        else:
            supplier_plan = SupplierPlan(code, fields, [])
        sku = row.get("sku")
        if sku:
            item = items.get(sku)
            packaging = None
            if item is None:
                errors.append(RowError(line, "sku", _("No item has this SKU: import the items first.")))
            else:
                packaging = next((p for p in item.packagings if p.name == row.get("packaging")), None)
                if packaging is None or not packaging.for_purchase:
                    names = ", ".join(p.name for p in item.packagings if p.for_purchase) or "-"
                    message = _("Name one of the item's purchase packagings: %(names)s.", names=names)
                    errors.append(RowError(line, "packaging", message))
                if any(entry.item.sku == sku for entry in supplier_plan.lines):
                    errors.append(RowError(line, "sku", _("This item is twice in the supplier's catalogue.")))
            multiple = row.get("order_multiple") or Decimal(1)
            if multiple <= 0:
                errors.append(RowError(line, "order_multiple", _("More than 0.")))
            if not errors:
                supplier_plan.lines.append(
                    CatalogueLine(
                        item,
                        packaging,
                        row.get("supplier_code") or "",
                        multiple,
                        row.get("kg_per_unit") or Decimal(0),
                        row.get("cost"),
                        row.get("cost_from") or today(),
                    )
                )
        plan.errors += errors
        if code not in planned and not errors:
            planned[code] = (line, supplier_plan)
            plan.rows.append((line, supplier_plan))
    return plan


def _apply_suppliers(plan: Plan, progress) -> Summary:
    summary, done = Summary(), 0
    for _line, supplier_plan in plan.rows:
        supplier = db.session.scalar(select(Supplier).where(Supplier.code == supplier_plan.code))
        if supplier is None:
            supplier = services.create_supplier({"code": supplier_plan.code, **supplier_plan.fields})
            state = "created"
        else:
            state = "updated" if audit.diff(supplier, list(SUPPLIER_COLUMNS), supplier_plan.fields) else "unchanged"
            services.update_supplier(supplier, supplier_plan.fields)
        for entry_line in supplier_plan.lines:
            if _catalogue(supplier, entry_line) and state == "unchanged":
                state = "updated"
            done += 1
            progress(done)
        setattr(summary, state, getattr(summary, state) + 1)
    return summary


def _catalogue(supplier: Supplier, line: CatalogueLine) -> bool:
    """Put the line in the supplier's catalogue or bring its entry up to date; whether anything changed."""
    entry = db.session.scalar(
        select(SupplierItem).where(SupplierItem.supplier_id == supplier.id, SupplierItem.item_id == line.item.id)
    )
    changed = False
    if entry is None:
        entry = services.add_catalogue_item(
            supplier, line.item.id, line.packaging.id, line.supplier_code, line.order_multiple, line.kg_per_unit
        )
        changed = True
    else:
        wanted = {
            "packaging_id": line.packaging.id,
            "supplier_code": line.supplier_code,
            "order_multiple": line.order_multiple,
            "kg_per_unit": line.kg_per_unit,
        }
        differences = audit.diff(entry, list(wanted), wanted)
        if differences:
            for name, (_old, new) in differences.items():
                setattr(entry, name, new)
            audit.record("update", "supplier_item", entry.id, differences)
            changed = True
    if line.cost is not None and services.cost_on(entry, line.cost_from) != line.cost:
        services.set_cost(entry, line.cost_from, line.cost)
        changed = True
    db.session.flush()
    return changed


csvimport.register(
    Kind(
        "suppliers",
        _l("Suppliers with their catalogue and costs"),
        (
            Column("code", text_of(20), required=True, example="BULOG-BPN"),
            Column("name", text_of(120), required=True, example="Perum Bulog Kanwil Kaltimtara"),
            Column("contact_person", text_of(120), optional_column=True, example="Pak Andi"),
            Column("phone", text_of(40), optional_column=True, example="0542 111222"),
            Column("address", text_of(500), optional_column=True, example="Jl. Jend. Sudirman, Balikpapan"),
            Column("payment_terms", choice(PAYMENT_TERMS), required=True, example="transfer"),
            Column("lead_time_days", whole_days(365), optional_column=True, example="2"),
            Column("max_order_kg", parse_decimal, optional_column=True, example="2000"),
            Column("min_order_value", parse_rupiah, optional_column=True, example="0"),
            Column("sku", text_of(32), optional_column=True, example="SPHP5"),
            Column("packaging", text_of(60), optional_column=True, example="Pak 5 kg"),
            Column("supplier_code", text_of(40), optional_column=True, example="SPHP-5"),
            Column("order_multiple", parse_decimal, optional_column=True, example="1"),
            Column("kg_per_unit", parse_decimal, optional_column=True, example="5"),
            Column("cost", parse_rupiah, optional_column=True, example="56500"),
            Column("cost_from", parse_date, optional_column=True, example="2026-12-01"),
        ),
        _check_suppliers,
        _apply_suppliers,
        help=_l("One row per item a supplier sells (the supplier's columns repeated), with its cost from a date."),
    )
)


# --- reorder rules ----------------------------------------------------------------------------------------


@dataclass
class RulePlan:
    item: Item
    location: Location
    supplier: Supplier
    reorder_point: Decimal
    order_up_to: Decimal
    safety_stock: Decimal
    review_period_days: int


def _check_rules(rows: list[dict]) -> Plan:
    plan = Plan()
    items = {item.sku: item for item in db.session.scalars(select(Item))}
    places = {loc.code: loc for loc in db.session.scalars(select(Location))}
    suppliers = {s.code: s for s in db.session.scalars(select(Supplier))}
    sells = set(db.session.execute(select(SupplierItem.supplier_id, SupplierItem.item_id)).all())
    seen: dict[tuple, int] = {}
    for row in rows:
        line, errors = row["_row"], []
        item, place = items.get(row["sku"]), places.get(row["location"].upper())
        supplier = suppliers.get(row["supplier"].upper())
        if item is None:
            errors.append(RowError(line, "sku", _("No item has this SKU: import the items first.")))
        if place is None or not place.tracks_stock:
            errors.append(RowError(line, "location", _("No stock location has this code.")))
        if supplier is None:
            errors.append(RowError(line, "supplier", _("No supplier has this code: import the suppliers first.")))
        elif item is not None and (supplier.id, item.id) not in sells:
            errors.append(RowError(line, "supplier", _("This supplier does not sell this item.")))
        point, up_to = row["reorder_point"], row["order_up_to"]
        if point < 0:
            errors.append(RowError(line, "reorder_point", _("0 or more.")))
        if up_to <= point:
            errors.append(RowError(line, "order_up_to", _("More than the reorder point.")))
        key = (row["sku"], row["location"].upper())
        if key in seen:
            errors.append(RowError(line, "sku", _("Also on row %(row)d (same place).", row=seen[key])))
        seen.setdefault(key, line)
        plan.errors += errors
        if not errors:
            safety = row.get("safety_stock") or Decimal(0)
            review = row.get("review_period_days")
            plan.rows.append(
                (line, RulePlan(item, place, supplier, point, up_to, safety, 7 if review is None else review))
            )
    return plan


def _apply_rules(plan: Plan, progress) -> Summary:
    summary = Summary()
    for done, (_line, rule) in enumerate(plan.rows, 1):
        existing = db.session.scalar(
            select(ReorderRule).where(ReorderRule.item_id == rule.item.id, ReorderRule.location_id == rule.location.id)
        )
        same = existing is not None and (
            existing.supplier_id,
            existing.reorder_point,
            existing.order_up_to,
            existing.safety_stock,
            existing.review_period_days,
            existing.is_active,
        ) == (rule.supplier.id, rule.reorder_point, rule.order_up_to, rule.safety_stock, rule.review_period_days, True)
        if same:
            summary.unchanged += 1
        else:
            reorder.set_rule(
                rule.item,
                rule.location,
                rule.supplier,
                rule.reorder_point,
                rule.order_up_to,
                rule.safety_stock,
                rule.review_period_days,
            )
            if existing is None:
                summary.created += 1
            else:
                summary.updated += 1
        progress(done)
    return summary


csvimport.register(
    Kind(
        "reorder_rules",
        _l("Reorder rules"),
        (
            Column("sku", text_of(32), required=True, example="SPHP5"),
            Column("location", text_of(32), required=True, example="GDG"),
            Column("supplier", text_of(20), required=True, example="BULOG-BPN"),
            Column("reorder_point", parse_decimal, required=True, example="20"),
            Column("order_up_to", parse_decimal, required=True, example="80"),
            Column("safety_stock", parse_decimal, optional_column=True, example="5"),
            Column("review_period_days", whole_days(365), optional_column=True, example="7"),
        ),
        _check_rules,
        _apply_rules,
        help=_l("When to reorder an item for a place, up to how much, and from whom (in the item's unit)."),
    )
)
