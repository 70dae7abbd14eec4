"""Inventory's look-ups and lists for the screens and the API: reads only, nothing here writes or flushes (the
rules are in services.py, operations.py, counts.py; the value of the stock in valuation.py)."""

from sqlalchemy import Select, select

from app.db import db
from inventory import counts
from inventory.models import Barcode, Item, Location, Lot, Packaging, StockCount, StockCountLine, StockMove


def item(item_id: int | None) -> Item | None:
    """An item by its id; None for no id (a form left empty) or an unknown one."""
    return db.session.get(Item, item_id) if item_id else None


def items_statement(active_only: bool = False) -> Select:
    """The items by SKU (the active ones only if asked), as a statement for a page of it."""
    stmt = select(Item).order_by(Item.sku)
    return stmt.where(Item.is_active) if active_only else stmt


def items(active_only: bool = False) -> list[Item]:
    """The items by SKU, for a form's list (the active ones only if asked)."""
    return list(db.session.scalars(items_statement(active_only)))


def active_items_by_name() -> list[Item]:
    """The active items by their Indonesian name, for a form's list."""
    return list(db.session.scalars(select(Item).where(Item.is_active).order_by(Item.name_id)))


def price_regulated_items() -> list[Item]:
    """The items under a legal ceiling (HET), by SKU."""
    return list(db.session.scalars(select(Item).where(Item.is_price_regulated).order_by(Item.sku)))


def subsidised_item(sku: str) -> Item | None:
    """A subsidised item (LPG 3 kg, SPHP rice) by its SKU, in any case; None when no subsidised item has it."""
    return db.session.scalar(select(Item).where(Item.sku == (sku or "").upper(), Item.is_subsidised))


def has_moves(item_id: int) -> bool:
    """Whether any stock of the item has ever moved (its base unit is then fixed)."""
    return db.session.scalar(select(StockMove.id).where(StockMove.item_id == item_id).limit(1)) is not None


def packaging(packaging_id: int | None) -> Packaging | None:
    """A packaging by its id; None for no id or an unknown one."""
    return db.session.get(Packaging, packaging_id) if packaging_id else None


def packagings_for_sale() -> list[Packaging]:
    """Every packaging sold at the shop, by its item's SKU."""
    stmt = select(Packaging).join(Packaging.item).where(Packaging.for_sale).order_by(Item.sku, Packaging.id)
    return list(db.session.scalars(stmt))


def barcode(barcode_id: int | None) -> Barcode | None:
    """A barcode by its id; None for no id or an unknown one."""
    return db.session.get(Barcode, barcode_id) if barcode_id else None


def barcodes() -> list[Barcode]:
    """Every barcode, in the order they were added."""
    return list(db.session.scalars(select(Barcode).order_by(Barcode.id)))


def gtin_of(item_id: int) -> str | None:
    """An EAN-13 or EAN-8 of one of the item's packagings (the GTIN a lot's GS1-128 label carries), if it has one."""
    return db.session.scalar(
        select(Barcode.code)
        .join(Barcode.packaging)
        .where(Barcode.packaging.has(item_id=item_id), Barcode.symbology.in_(("ean13", "ean8")))
        .limit(1)
    )


def location(location_id: int | None) -> Location | None:
    """A location by its id; None for no id (a form left empty) or an unknown one."""
    return db.session.get(Location, location_id) if location_id else None


def locations_statement() -> Select:
    """Every location by code, as a statement for a page of it."""
    return select(Location).order_by(Location.code)


def locations_of_kinds(kinds: tuple[str, ...]) -> list[Location]:
    """The locations of the given kinds (active or not), by code."""
    return list(db.session.scalars(select(Location).where(Location.kind.in_(kinds)).order_by(Location.code)))


def lot(lot_id: int | None) -> Lot | None:
    """A lot by its id; None for no id or an unknown one."""
    return db.session.get(Lot, lot_id) if lot_id else None


def lot_of(item_id: int, code: str) -> Lot | None:
    """An item's lot by its code (exactly as given)."""
    return db.session.scalar(select(Lot).where(Lot.item_id == item_id, Lot.code == code))


def lots() -> list[Lot]:
    """Every lot, by expiry date, then as they were made."""
    return list(db.session.scalars(select(Lot).order_by(Lot.expiry_date, Lot.id)))


def count_lines(
    count: StockCount, counted_by_id: int | None = None, needs_recount: bool | None = None, newest_first: bool = False
) -> list[StockCountLine]:
    """A count's lines, as `counts.lines_query` selects and orders them."""
    return list(db.session.scalars(counts.lines_query(count, counted_by_id, needs_recount, newest_first)))
