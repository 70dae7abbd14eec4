"""CSV imports of the warehouse's data (app.csvimport does the reading, the dry run and the job): locations, items
with their packagings and barcodes, and the opening stock with its cost, posted through the ledger as one batch."""

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
    parse_bool,
    parse_date,
    parse_decimal,
    text,
    whole_days,
)
from app.db import db, lock
from inventory import barcodes, ledger, services
from inventory.models import BASE_UNITS, LOCATION_KINDS, Barcode, Item, Location, Packaging, StockMove

# The places outside the books every cooperative needs (what location_of_kind finds): made with the first import.
VIRTUAL = [
    ("V-TRANSIT", "Dalam perjalanan", "in_transit"),
    ("V-KARANTINA", "Karantina", "quarantine"),
    ("V-PEMASOK", "Pemasok", "supplier"),
    ("V-PELANGGAN", "Pelanggan", "customer"),
    ("V-SUSUT", "Susut / penyesuaian", "loss"),
]


def ensure_virtual_locations() -> int:
    """Make the virtual location of each kind that has none yet; how many were made."""
    have = set(db.session.scalars(select(Location.kind).distinct()))
    codes = set(db.session.scalars(select(Location.code)))
    made = 0
    for code, name, kind in VIRTUAL:
        if kind not in have and code not in codes:
            services.create_location(code, name, kind)
            made += 1
    return made


# --- locations ---------------------------------------------------------------------------------------------------


def _check_locations(rows: list[dict]) -> Plan:
    plan = Plan()
    existing = {loc.code: loc for loc in db.session.scalars(select(Location))}
    in_file: dict[str, int] = {}
    for row in rows:
        line, code = row["_row"], row["code"].upper()
        if code in in_file:
            plan.errors.append(RowError(line, "code", _("Also on row %(row)d.", row=in_file[code])))
            continue
        in_file[code] = line
        parent = (row.get("parent") or "").upper() or None
        if parent and parent not in existing and parent not in in_file:
            plan.errors.append(RowError(line, "parent", _("No location %(code)s above this row.", code=parent)))
            continue
        known = existing.get(code)
        if known is not None and known.kind != row["kind"]:
            plan.errors.append(RowError(line, "kind", _("%(code)s is a %(kind)s.", code=code, kind=known.kind)))
            continue
        plan.rows.append((line, (code, row["name"], row["kind"], parent)))
    return plan


def _apply_locations(plan: Plan, progress) -> Summary:
    summary = Summary()
    by_code = {loc.code: loc for loc in db.session.scalars(select(Location))}
    for done, (_line, (code, name, kind, parent)) in enumerate(plan.rows, 1):
        known = by_code.get(code)
        parent_location = by_code.get(parent) if parent else None
        if known is None:
            by_code[code] = services.create_location(code, name, kind, parent_location)
            summary.created += 1
        elif known.name != name or known.parent_id != (parent_location.id if parent_location else None):
            known.name, known.parent = name, parent_location
            summary.updated += 1
        else:
            summary.unchanged += 1
        progress(done)
    ensure_virtual_locations()
    db.session.flush()
    return summary


csvimport.register(
    Kind(
        "locations",
        _l("Locations"),
        (
            Column("code", text(32), required=True, example="GDG-A-01"),
            Column("name", text(80), required=True, example="Rak A-01"),
            Column("kind", choice(LOCATION_KINDS[:7]), required=True, example="bin"),
            Column("parent", text(32), example="GDG-A"),
        ),
        _check_locations,
        _apply_locations,
        help=_l("The warehouse, its zones and bins, the shop and its shelves; a parent before its children."),
    )
)


# --- items, packagings, barcodes --------------------------------------------------------------------------------

ITEM_COLUMNS = ("name_id", "name_en", "category", "base_unit", "is_subsidised", "is_price_regulated",
                "is_lot_tracked", "is_expiry_tracked", "min_shelf_life_days")  # fmt: skip


@dataclass
class ItemPlan:
    sku: str
    fields: dict
    packagings: list[tuple[str, Decimal, bool, bool, str | None]]  # name, factor, bought, sold, barcode


def _check_items(rows: list[dict]) -> Plan:
    plan = Plan()
    items = {item.sku: item for item in db.session.scalars(select(Item))}
    has_moves = set(db.session.scalars(select(StockMove.item_id).distinct()))
    packagings = {(p.item_id, p.name): p for p in db.session.scalars(select(Packaging))}
    owners = {b.code: b.packaging for b in db.session.scalars(select(Barcode))}
    planned: dict[str, tuple[int, ItemPlan]] = {}
    codes_in_file: dict[str, int] = {}
    for row in rows:
        line, sku = row["_row"], row["sku"]
        fields = {name: row.get(name) for name in ITEM_COLUMNS}
        fields["name_en"] = fields["name_en"] or fields["name_id"]
        for flag in ("is_subsidised", "is_price_regulated", "is_lot_tracked", "is_expiry_tracked"):
            fields[flag] = bool(fields[flag])
        errors = []
        if sku in planned:
            first_line, item_plan = planned[sku]
            differs = [n for n in ITEM_COLUMNS if fields[n] != item_plan.fields[n]]
            if differs:
                errors.append(
                    RowError(line, differs[0], _("Differs from row %(row)d of the same SKU.", row=first_line))
                )
        else:
            item_plan = ItemPlan(sku, fields, [])
            known = items.get(sku)
            if known is not None and known.base_unit != fields["base_unit"] and known.id in has_moves:
                errors.append(RowError(line, "base_unit", _("The unit of an item with stock moves cannot change.")))
        name = row.get("packaging")
        if name:
            factor = row.get("factor")
            if factor is None or factor <= 0:
                errors.append(RowError(line, "factor", _("How many units one packaging holds (more than 0).")))
            elif factor != factor.quantize(Decimal(1).scaleb(-BASE_UNITS[fields["base_unit"]])):
                errors.append(
                    RowError(line, "factor", _("At most %(n)d decimal places.", n=BASE_UNITS[fields["base_unit"]]))
                )
            known = items.get(sku)
            existing = packagings.get((known.id, name)) if known else None
            if existing is not None and factor is not None and existing.factor != factor:
                errors.append(
                    RowError(
                        line,
                        "factor",
                        _(
                            "Packaging %(name)s holds %(n)s: add another packaging instead.",
                            name=name,
                            n=existing.factor,
                        ),
                    )
                )
            if any(p[0] == name for p in item_plan.packagings):
                errors.append(RowError(line, "packaging", _("This packaging is twice in the file.")))
            code = _barcode(row.get("barcode"), line, errors)
            if code:
                owner = owners.get(code)
                if code in codes_in_file:
                    errors.append(RowError(line, "barcode", _("Also on row %(row)d.", row=codes_in_file[code])))
                elif owner is not None and (owner.item.sku != sku or owner.name != name):
                    errors.append(
                        RowError(
                            line,
                            "barcode",
                            _("Already on %(item)s (%(packaging)s).", item=owner.item.sku, packaging=owner.name),
                        )
                    )
                codes_in_file.setdefault(code, line)
            if not errors:
                item_plan.packagings.append(
                    (name, factor, bool(row.get("for_purchase")), bool(row.get("for_sale")), code)
                )
        elif row.get("barcode"):
            errors.append(RowError(line, "packaging", _("A barcode belongs to a packaging: name it.")))
        plan.errors += errors
        if sku not in planned and not errors:
            planned[sku] = (line, item_plan)
            plan.rows.append((line, item_plan))
    return plan


def _barcode(value: str | None, line: int, errors: list[RowError]) -> str | None:
    if not value:
        return None
    code = barcodes.clean_scan(value)
    if code.isdigit() and len(code) in (8, 12, 13, 14):
        if not barcodes.is_valid_gtin(code):
            errors.append(RowError(line, "barcode", _("The check digit of %(code)s is wrong.", code=code)))
            return None
        return barcodes.normalize_gtin(code)
    return code


def _apply_items(plan: Plan, progress) -> Summary:
    summary = Summary()
    done = 0
    for _line, item_plan in plan.rows:
        item = db.session.scalar(select(Item).where(Item.sku == item_plan.sku))
        if item is None:
            item = services.create_item({"sku": item_plan.sku, **item_plan.fields})
            state = "created"
        else:
            state = "updated" if audit.diff(item, list(ITEM_COLUMNS), item_plan.fields) else "unchanged"
            services.update_item(item, item_plan.fields)
        existing = {p.name: p for p in item.packagings}
        for name, factor, bought, sold, code in item_plan.packagings:
            packaging = existing.get(name)
            touched = False
            if packaging is None:
                packaging = services.add_packaging(item, name, factor, bought, sold)
                touched = True
            elif (packaging.for_purchase, packaging.for_sale) != (bought, sold):
                services.update_packaging(packaging, bought, sold)
                touched = True
            if code and code not in {b.code for b in packaging.barcodes}:
                services.add_barcode(packaging, code)
                touched = True
            if touched and state == "unchanged":
                state = "updated"
            done += 1
            progress(done)
        setattr(summary, state, getattr(summary, state) + 1)
    return summary


csvimport.register(
    Kind(
        "items",
        _l("Items with packagings and barcodes"),
        (
            Column("sku", text(32), required=True, example="GULA1"),
            Column("name_id", text(120), required=True, example="Gula pasir 1 kg"),
            Column("name_en", text(120), optional_column=True, example="Sugar 1 kg"),
            Column("category", text(40), required=True, example="sembako"),
            Column("base_unit", choice(tuple(BASE_UNITS)), required=True, example="pack"),
            Column("is_subsidised", parse_bool, optional_column=True, example="tidak"),
            Column("is_price_regulated", parse_bool, optional_column=True, example="ya"),
            Column("is_lot_tracked", parse_bool, optional_column=True, example="tidak"),
            Column("is_expiry_tracked", parse_bool, optional_column=True, example="ya"),
            Column("min_shelf_life_days", whole_days(3650), optional_column=True, example="30"),
            Column("packaging", text(60), optional_column=True, example="Pak"),
            Column("factor", parse_decimal, optional_column=True, example="1"),
            Column("for_purchase", parse_bool, optional_column=True, example="ya"),
            Column("for_sale", parse_bool, optional_column=True, example="ya"),
            Column("barcode", text(64), optional_column=True, example="8991000000508"),
        ),
        _check_items,
        _apply_items,
        help=_l("One row per packaging (the item's columns repeated); a barcode's check digit is verified."),
    )
)


# --- opening stock -------------------------------------------------------------------------------------------------


@dataclass
class OpeningLine:
    item: Item
    location: Location
    lot_code: str | None
    expiry: date | None
    quantity: Decimal
    unit_cost: Decimal


def _check_opening(rows: list[dict]) -> Plan:
    plan = Plan()
    items = {item.sku: item for item in db.session.scalars(select(Item))}
    places = {loc.code: loc for loc in db.session.scalars(select(Location))}
    seen: dict[tuple, int] = {}
    for row in rows:
        line, errors = row["_row"], []
        item, location = items.get(row["sku"]), places.get(row["location"].upper())
        if item is None:
            errors.append(RowError(line, "sku", _("No item has this SKU: import the items first.")))
        if location is None or not location.tracks_stock:
            errors.append(RowError(line, "location", _("No stock location has this code.")))
        lot, expiry, quantity, cost = row.get("lot"), row.get("expiry"), row["quantity"], row["unit_cost"]
        if item is not None:
            if item.is_lot_tracked and not lot:
                errors.append(RowError(line, "lot", _("This item needs a lot number.")))
            if item.is_expiry_tracked and lot and expiry is None:
                errors.append(RowError(line, "expiry", _("This item needs an expiry date.")))
            places_n = BASE_UNITS[item.base_unit]
            if quantity <= 0:
                errors.append(RowError(line, "quantity", _("More than 0.")))
            elif quantity != quantity.quantize(Decimal(1).scaleb(-places_n)):
                errors.append(RowError(line, "quantity", _("At most %(n)d decimal places.", n=places_n)))
        if cost < 0:
            errors.append(RowError(line, "unit_cost", _("0 or more.")))
        key = (row["sku"], row["location"].upper(), lot or "")
        if key in seen:
            errors.append(RowError(line, "sku", _("Also on row %(row)d (same place and lot).", row=seen[key])))
        seen.setdefault(key, line)
        plan.errors += errors
        if not errors:
            plan.rows.append((line, OpeningLine(item, location, lot, expiry, quantity, cost)))
    return plan


def _apply_opening(plan: Plan, progress) -> Summary:
    """One batch of moves from the supplier side into each place, at the cost given: an item, place and lot that
    already has its opening stock is left as it is (the same file imported twice posts once)."""
    ensure_virtual_locations()
    source = services.location_of_kind("supplier")
    # Opening stock goes in one import at a time: a second import of the same file (a double click, two managers)
    # waits here for the first to commit, then finds its opening moves and posts nothing twice.
    lock(source)
    opened = set(
        db.session.execute(
            select(StockMove.item_id, StockMove.to_location_id, StockMove.lot_id).where(StockMove.reason == "opening")
        ).all()
    )
    summary, moves = Summary(), []
    reference = f"OPENING-{today().isoformat()}"
    for done, (_line, opening) in enumerate(plan.rows, 1):
        lot = services.get_or_create_lot(opening.item, opening.lot_code, opening.expiry) if opening.lot_code else None
        if (opening.item.id, opening.location.id, lot.id if lot else None) in opened:
            summary.unchanged += 1
        else:
            moves.append(
                ledger.Move(
                    item_id=opening.item.id,
                    lot_id=lot.id if lot else None,
                    from_location_id=source.id,
                    to_location_id=opening.location.id,
                    quantity=opening.quantity,
                    reason="opening",
                    reference=reference,
                    unit_cost=opening.unit_cost,
                )
            )
            summary.created += 1
        progress(done)
    ledger.post_moves(moves)
    return summary


csvimport.register(
    Kind(
        "opening_stock",
        _l("Opening stock with cost"),
        (
            Column("location", text(32), required=True, example="GDG-A-01"),
            Column("sku", text(32), required=True, example="GULA1"),
            Column("lot", text(64), optional_column=True, example=""),
            Column("expiry", parse_date, optional_column=True, example=""),
            Column("quantity", parse_decimal, required=True, example="120"),
            Column("unit_cost", parse_decimal, required=True, example="15500"),
        ),
        _check_opening,
        _apply_opening,
        help=_l("What is where on the first day, in the item's unit, with its cost per unit (rupiah)."),
    )
)
