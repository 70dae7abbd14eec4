"""Inventory rules: items, packagings and barcodes, locations and lots, scanning, stock on hand and the card."""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from app import audit, settings
from app.clock import today as clock_today
from app.db import db
from app.errors import DomainError, NotFound, ValidationFailed
from app.terms import term
from inventory import barcodes, ledger
from inventory.ledger import quantize_qty
from inventory.models import (
    BASE_UNITS,
    ITEM_REF_COLUMNS,
    LOCATION_KINDS,
    UNTRACKED_KINDS,
    Barcode,
    Item,
    ItemRef,
    Location,
    Lot,
    Packaging,
    StockBalance,
    StockMove,
)

ITEM_FIELDS = [
    "sku",
    "name_id",
    "name_en",
    "category",
    "base_unit",
    "is_subsidised",
    "is_price_regulated",
    "is_lot_tracked",
    "is_expiry_tracked",
    "min_shelf_life_days",
    "empty_item_id",
    "is_active",
]


# --- items, packagings, barcodes -------------------------------------------------------------------------


def get_item(item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None:
        raise NotFound(_("Item not found."))
    return item


def create_item(data: dict) -> Item:
    if data.get("base_unit") not in BASE_UNITS:
        raise ValidationFailed(_("Unknown unit."), fields={"base_unit": [", ".join(BASE_UNITS)]})
    if db.session.scalar(select(Item.id).where(Item.sku == data["sku"])):
        raise ValidationFailed(_("SKU %(sku)s already exists.", sku=data["sku"]), fields={"sku": [_("Taken.")]})
    item = Item(**{k: v for k, v in data.items() if k in ITEM_FIELDS})
    db.session.add(item)
    db.session.flush()
    audit.record("create", "item", item.id, {k: data[k] for k in ITEM_FIELDS if k in data})
    return item


def update_item(item: Item, data: dict) -> Item:
    if "base_unit" in data and data["base_unit"] != item.base_unit:
        moved = db.session.scalar(select(StockMove.id).where(StockMove.item_id == item.id).limit(1))
        if moved:
            raise ValidationFailed(
                _("The unit of an item with stock moves cannot change."), fields={"base_unit": [_("Has moves.")]}
            )
    changes = audit.diff(item, ITEM_FIELDS, data)
    for field, (_old, new) in changes.items():
        setattr(item, field, new)
    db.session.flush()
    if "empty_item_id" in changes and item.empty_item_id:  # the empty needs a row wherever the full one is
        places = db.session.scalars(select(StockBalance.location_id).where(StockBalance.item_id == item.id).distinct())
        ledger.make_balances([(item.empty_item_id, location_id, None) for location_id in places])
    if changes:
        audit.record("update", "item", item.id, changes)
    return item


def add_packaging(item: Item, name: str, factor: Decimal, for_purchase: bool, for_sale: bool) -> Packaging:
    if factor <= 0:
        raise ValidationFailed(_("A packaging holds more than zero."), fields={"factor": [_("More than 0.")]})
    packaging = Packaging(
        item=item, name=name, factor=quantize_qty(factor, item.base_unit), for_purchase=for_purchase, for_sale=for_sale
    )
    db.session.add(packaging)
    db.session.flush()
    audit.record("create", "packaging", packaging.id, {"item_id": item.id, "name": name, "factor": factor})
    return packaging


def add_barcode(packaging: Packaging, code: str) -> Barcode:
    """Register a barcode: EAN-13/EAN-8 must have a right check digit; anything else is Code128."""
    code = barcodes.clean_scan(code)
    if not code or not code.isprintable():
        raise ValidationFailed(_("Empty barcode."), fields={"code": [_("Required.")]})
    if code.isdigit() and len(code) in (8, 12, 13, 14):
        if not barcodes.is_valid_gtin(code):
            raise ValidationFailed(
                _("The check digit of %(code)s is wrong.", code=code), fields={"code": [_("Wrong check digit.")]}
            )
        code = barcodes.normalize_gtin(code)
    if db.session.scalar(select(Barcode.id).where(Barcode.code == code)):
        raise ValidationFailed(_("Barcode %(code)s is already in use.", code=code), fields={"code": [_("Taken.")]})
    barcode = Barcode(packaging=packaging, code=code, symbology=barcodes.symbology_for(code))
    db.session.add(barcode)
    db.session.flush()
    audit.record("create", "barcode", barcode.id, {"packaging_id": packaging.id, "code": code})
    return barcode


def update_packaging(packaging: Packaging, for_purchase: bool, for_sale: bool) -> Packaging:
    """Whether a packaging is bought and sold (its factor never changes once used: add another instead)."""
    changes = audit.diff(packaging, ["for_purchase", "for_sale"], {"for_purchase": for_purchase, "for_sale": for_sale})
    for field, (_old, new) in changes.items():
        setattr(packaging, field, new)
    if changes:
        db.session.flush()
        audit.record("update", "packaging", packaging.id, changes)
    return packaging


def remove_barcode(barcode_id: int, item: Item) -> str:
    """Take a barcode off (registered on the wrong packaging, or no longer printed); audited. Sales and labels
    already made keep their packaging: nothing refers to the barcode row itself."""
    barcode = db.session.scalar(
        select(Barcode).join(Packaging).where(Barcode.id == barcode_id, Packaging.item_id == item.id)
    )
    if barcode is None:
        raise NotFound(_("This item has no such barcode."))
    audit.record("delete", "barcode", barcode.id, {"packaging_id": barcode.packaging_id, "code": barcode.code})
    db.session.delete(barcode)
    db.session.flush()
    return barcode.code


def find_items(text: str, limit: int = 20) -> list[Item]:
    pattern = f"%{text.strip()}%"
    return list(
        db.session.scalars(
            select(Item)
            .where(or_(Item.sku.ilike(pattern), Item.name_id.ilike(pattern), Item.name_en.ilike(pattern)))
            .order_by(Item.sku)
            .limit(limit)
        )
    )


# --- locations and lots ----------------------------------------------------------------------------------


def create_location(code: str, name: str, kind: str, parent: Location | None = None) -> Location:
    if kind not in LOCATION_KINDS:
        raise ValidationFailed(_("Unknown kind of location."), fields={"kind": [", ".join(LOCATION_KINDS)]})
    location = Location(code=code, name=name, kind=kind, parent=parent)
    db.session.add(location)
    db.session.flush()
    return location


def stock_locations() -> list[Location]:
    """The active locations that hold our stock (not suppliers, customers or losses), by code: for the forms."""
    rows = db.session.scalars(select(Location).where(Location.is_active).order_by(Location.code))
    return [loc for loc in rows if loc.tracks_stock]


def location_by_code(code: str) -> Location:
    location = db.session.scalar(select(Location).where(Location.code == code))
    if location is None:
        raise NotFound(_("Location %(code)s not found.", code=code))
    return location


def location_of_kind(kind: str) -> Location:
    """The first location of a virtual kind (supplier, customer, loss, in_transit, quarantine)."""
    location = db.session.scalar(select(Location).where(Location.kind == kind).order_by(Location.id).limit(1))
    if location is None:
        raise DomainError(_("No location of kind “%(kind)s” is set up.", kind=term("location_kind", kind)))
    return location


def location_path(location: Location) -> str:
    names = [location.name]
    parent = location.parent
    while parent is not None:
        names.append(parent.name)
        parent = parent.parent
    return " › ".join(reversed(names))


def get_or_create_lot(item: Item, code: str, expiry: date | None) -> Lot:
    code = code.strip()
    if not code:
        raise ValidationFailed(_("This item needs a lot number."), fields={"lot": [_("Required.")]})
    if item.is_expiry_tracked and expiry is None:
        raise ValidationFailed(_("This item needs an expiry date."), fields={"expiry": [_("Required.")]})
    lot = db.session.scalar(select(Lot).where(Lot.item_id == item.id, Lot.code == code))
    if lot is None:
        lot = Lot(item_id=item.id, code=code, expiry_date=expiry)
        db.session.add(lot)
        db.session.flush()
    elif expiry is not None and lot.expiry_date != expiry:
        raise ValidationFailed(
            _("Lot %(lot)s has expiry %(date)s, not %(other)s.", lot=code, date=lot.expiry_date, other=expiry),
            fields={"expiry": [_("Does not match.")]},
        )
    return lot


# --- scanning --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackagingRef:
    id: int
    name: str
    factor: Decimal


@dataclass(frozen=True)
class LocationRef:
    id: int
    code: str
    name: str
    kind: str


@dataclass
class ScanResult:
    kind: str  # "item" or "location"
    code: str
    item: Item | ItemRef | None = None  # plain refs from look_up_scan, ORM objects from resolve_scan
    packaging: Packaging | PackagingRef | None = None
    location: Location | LocationRef | None = None
    lot_code: str | None = None
    expiry: date | None = None
    quantity: Decimal | None = None  # in the item's base unit
    source: str = "plain"  # "plain" or "gs1"


class UnknownCode(NotFound):
    code = "unknown_code"


@cache
def _scan_statements():
    """The packaging (with its item) behind a barcode, and the location with a code, in plain columns of the tables
    (no ORM objects, no ORM compilation: a scan is a request of its own): built once per process."""
    code = bindparam("code")
    barcode, packaging, item, location = (m.__table__ for m in (Barcode, Packaging, Item, Location))
    by_barcode = (
        select(packaging.c.id, packaging.c.name, packaging.c.factor, *ITEM_REF_COLUMNS)  # PackagingRef, ItemRef
        .select_from(barcode.join(packaging, packaging.c.id == barcode.c.packaging_id))
        .join(item, item.c.id == packaging.c.item_id)
        .where(barcode.c.code == code)
    )
    by_code = select(location.c.id, location.c.code, location.c.name, location.c.kind).where(location.c.code == code)
    return by_barcode, by_code


def _packaging_by_barcode(code: str) -> tuple[ItemRef, PackagingRef] | None:
    row = db.session.execute(_scan_statements()[0], {"code": code}).first()
    if row is None:
        return None
    return ItemRef(*row[3:]), PackagingRef(*row[:3])


def look_up_scan(raw: str) -> ScanResult:
    """Turn whatever a wedge scanner or camera sent into an item (or a location), or say it is unknown; the answer
    holds plain values (ItemRef, PackagingRef, LocationRef), for the look-ups that only show it."""
    scan = barcodes.decode_scan(raw)
    if not scan.code:
        raise UnknownCode(_("Nothing was scanned."))
    plain = scan.code
    lookup = barcodes.normalize_gtin(plain) if plain.isdigit() and len(plain) in (12, 14) else plain
    # A plain code that merely looks like GS1 is still a plain barcode: exact matches come first.
    found = _packaging_by_barcode(lookup)
    if found is not None:
        item, packaging = found
        return ScanResult("item", plain, item, packaging, quantity=packaging.factor)
    location = db.session.execute(_scan_statements()[1], {"code": plain}).first()
    if location is not None:
        return ScanResult("location", plain, location=LocationRef(*location))
    gs1 = scan.gs1
    if gs1 is not None and gs1.gtin:
        found = _packaging_by_barcode(gs1.gtin)
        if found is not None:
            item, packaging = found
            quantity = packaging.factor
            if gs1.net_weight_kg is not None and item.base_unit == "kg":
                quantity = gs1.net_weight_kg
            return ScanResult(
                "item",
                plain,
                item,
                packaging,
                lot_code=gs1.lot,
                expiry=gs1.expiry,
                quantity=quantity,
                source="gs1",
            )
    if barcodes.missing_separator(raw):
        raise UnknownCode(
            _(
                "Code %(code)s looks like a GS1 label whose lot runs into the next field (its separator is"
                " missing): scan it again, or type it with brackets, like (01)…(10)…(17)….",
                code=plain,
            ),
            code="gs1_separator_missing",
        )
    if plain.isdigit() and len(plain) in (8, 13) and not barcodes.is_valid_gtin(plain):
        raise UnknownCode(
            _("Code %(code)s has a wrong check digit: scan it again.", code=plain), code="wrong_check_digit"
        )
    raise UnknownCode(_("Unknown code %(code)s.", code=plain))


def resolve_scan(raw: str) -> ScanResult:
    """look_up_scan's answer with the ORM objects behind it (Item, Packaging, Location), for the screens and
    services that go on to use them."""
    found = look_up_scan(raw)
    if found.location is not None:
        return replace(found, location=db.session.get(Location, found.location.id))
    packaging = db.session.get(Packaging, found.packaging.id, options=[joinedload(Packaging.item)])
    return replace(found, item=packaging.item, packaging=packaging)


# --- stock on hand and the stock card --------------------------------------------------------------------


def stock_on_hand_query(location_id: int | None = None, item_id: int | None = None, include_children: bool = True):
    """Balances (not the ledger) by item, location and lot, zeros left out; a location includes its children."""
    stmt = (
        select(StockBalance)
        .join(Item)
        .join(Location)
        .where(StockBalance.quantity != 0)
        .order_by(Item.sku, Location.code, StockBalance.lot_id)
    )
    if location_id is not None:
        ids = descendant_ids(location_id) if include_children else [location_id]
        stmt = stmt.where(StockBalance.location_id.in_(ids))
    if item_id is not None:
        stmt = stmt.where(StockBalance.item_id == item_id)
    return stmt


def stock_on_hand(location_id: int | None = None, item_id: int | None = None, include_children: bool = True):
    return list(db.session.scalars(stock_on_hand_query(location_id, item_id, include_children)))


def on_hand_total(item_id: int, location_id: int) -> Decimal:
    ids = descendant_ids(location_id)
    total = db.session.scalar(
        select(func.sum(StockBalance.quantity)).where(
            StockBalance.item_id == item_id, StockBalance.location_id.in_(ids)
        )
    )
    return Decimal(total or 0)


settings.register(
    settings.Spec(
        "expiry_warning_days",
        "int",
        30,
        _l("Expiry warning (days)"),
        _l(
            "A lot expiring within this many days is on the expiring-soon list, and a delivery of it needs a manager "
            "(unless the item has its own figure)."
        ),
        group="stock",
        minimum=0,
        maximum=3650,
    ),
    settings.Spec(
        "adjustment_approval_threshold",
        "int",
        500_000,
        _l("Adjustment needing a manager (Rp)"),
        _l("A stock adjustment worth more than this waits for a manager's approval."),
        group="stock",
        minimum=0,
        maximum=10**12,
    ),
    settings.Spec(
        "count_recount_percent",
        "decimal",
        Decimal("2"),
        _l("Recount above (%)"),
        _l("A counted line off by more than this percentage of what was expected is counted again..."),
        group="stock",
        minimum=Decimal(0),
        maximum=Decimal(100),
    ),
    settings.Spec(
        "count_recount_minimum",
        "decimal",
        Decimal("1"),
        _l("Recount from (units)"),
        _l("...when it is also at least this many units off."),
        group="stock",
        minimum=Decimal(0),
        maximum=Decimal(10**6),
    ),
)


def shelf_life(item: Item) -> int:
    """How many days before its expiry a lot of this item counts as expiring soon (and a delivery of it needs a
    manager's word): the item's own figure, or the cooperative's."""
    if item.min_shelf_life_days is not None:
        return item.min_shelf_life_days
    return settings.get("expiry_warning_days")


@dataclass
class Expiring:
    """Stock of a lot that has expired or expires within its item's warning days."""

    balance: StockBalance
    days_left: int  # negative: expired that many days ago

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def expiring(location_id: int | None = None) -> list[Expiring]:
    """Every lot held (in stock or quarantine) that has expired or expires within its item's warning days, the
    soonest first."""
    on = clock_today()
    widest = db.session.scalar(select(func.max(Item.min_shelf_life_days))) or 0
    horizon = on + timedelta(days=max(settings.get("expiry_warning_days"), widest))
    statement = (
        select(StockBalance)
        .join(Lot, Lot.id == StockBalance.lot_id)
        .join(Location, Location.id == StockBalance.location_id)
        .where(StockBalance.quantity > 0, Lot.expiry_date.is_not(None), Lot.expiry_date <= horizon)
        .where(Location.kind.not_in(UNTRACKED_KINDS))
        .order_by(Lot.expiry_date, StockBalance.item_id, StockBalance.location_id)
    )
    if location_id is not None:
        statement = statement.where(StockBalance.location_id.in_(descendant_ids(location_id)))
    found = []
    for balance in db.session.scalars(statement):
        days_left = (balance.lot.expiry_date - on).days
        if days_left <= shelf_life(balance.item):
            found.append(Expiring(balance, days_left))
    return found


def descendant_ids(location_id: int) -> list[int]:
    """A location and every location under it (warehouse → zones → bins)."""
    rows = db.session.execute(select(Location.id, Location.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for lid, parent in rows:
        children.setdefault(parent, []).append(lid)
    found, todo = [], [location_id]
    while todo:
        lid = todo.pop()
        found.append(lid)
        todo.extend(children.get(lid, []))
    return found


def stock_card(item_id: int, location_id: int, page: int = 1, per_page: int = 50):
    """Every move of an item in or out of a location, newest first, with the running balance after it."""
    in_or_out = or_(StockMove.from_location_id == location_id, StockMove.to_location_id == location_id)
    base = select(StockMove).where(StockMove.item_id == item_id, in_or_out)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    moves = list(db.session.scalars(base.order_by(StockMove.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    balance_now = Decimal(
        db.session.scalar(
            select(func.sum(StockBalance.quantity)).where(
                StockBalance.item_id == item_id, StockBalance.location_id == location_id
            )
        )
        or 0
    )
    # The running balance after the newest move on this page: now, less everything newer than the page.
    if moves:
        newer = select(StockMove).where(StockMove.item_id == item_id, in_or_out, StockMove.id > moves[0].id)
        newer_sq = newer.subquery()
        newer_in = db.session.scalar(
            select(func.coalesce(func.sum(newer_sq.c.quantity), 0)).where(newer_sq.c.to_location_id == location_id)
        )
        newer_out = db.session.scalar(
            select(func.coalesce(func.sum(newer_sq.c.quantity), 0)).where(newer_sq.c.from_location_id == location_id)
        )
        running = balance_now - Decimal(newer_in) + Decimal(newer_out)
    else:
        running = balance_now
    rows = []
    for move in moves:
        change = move.quantity if move.to_location_id == location_id else -move.quantity
        rows.append({"move": move, "change": change, "balance_after": running})
        running -= change
    return {"rows": rows, "total": total, "page": page, "per_page": per_page, "balance": balance_now}
