"""CSV import of the shop's prices (app.csvimport reads, checks and runs it): a price per sale packaging and price
list from a date on, refused above the legal ceiling (HET) of any zone the cooperative sells in."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import csvimport
from app.clock import today
from app.csvimport import Column, Kind, Plan, RowError, Summary, choice, parse_date, parse_rupiah, text
from app.db import db
from app.errors import DomainError
from inventory.models import Item, Packaging
from orders import pricing
from orders.models import PRICE_LISTS


@dataclass
class PriceLine:
    packaging: Packaging
    price_list: str
    amount: int
    valid_from: date


def _check_prices(rows: list[dict]) -> Plan:
    plan = Plan()
    packagings = {
        (p.item.sku, p.name): p
        for p in db.session.scalars(select(Packaging).join(Packaging.item).where(Item.is_active))
    }
    seen: dict[tuple, int] = {}
    for row in rows:
        line, errors = row["_row"], []
        packaging = packagings.get((row["sku"], row["packaging"]))
        valid_from = row.get("valid_from") or today()
        if packaging is None or not packaging.for_sale:
            errors.append(RowError(line, "packaging", _("No packaging of this name is sold for this SKU.")))
        elif row["amount"] <= 0:
            errors.append(RowError(line, "amount", _("More than 0.")))
        else:
            try:
                pricing.refuse_price_above_ceilings(packaging, row["amount"], valid_from)
            except DomainError as error:
                errors.append(RowError(line, "amount", error.message))
        key = (row["sku"], row["packaging"], row["price_list"], valid_from)
        if key in seen:
            errors.append(RowError(line, "packaging", _("Also on row %(row)d.", row=seen[key])))
        seen.setdefault(key, line)
        plan.errors += errors
        if not errors:
            plan.rows.append((line, PriceLine(packaging, row["price_list"], row["amount"], valid_from)))
    return plan


def _apply_prices(plan: Plan, progress) -> Summary:
    summary = Summary()
    for done, (_line, price) in enumerate(plan.rows, 1):
        current = pricing.price_on(price.packaging, price.price_list, price.valid_from)
        if current is not None and current.amount == price.amount:
            summary.unchanged += 1  # already the price on that day
        else:
            same_day = current is not None and current.valid_from == price.valid_from
            pricing.set_price(price.packaging, price.price_list, price.amount, price.valid_from)
            if same_day:
                summary.updated += 1
            else:
                summary.created += 1
        progress(done)
    return summary


csvimport.register(
    Kind(
        "prices",
        _l("Prices"),
        (
            Column("sku", text(32), required=True, example="GULA1"),
            Column("packaging", text(60), required=True, example="Pak 1 kg"),
            Column("price_list", choice(PRICE_LISTS), required=True, example="member"),
            Column("amount", parse_rupiah, required=True, example="17000"),
            Column("valid_from", parse_date, optional_column=True, example="2026-12-01"),
        ),
        _check_prices,
        _apply_prices,
        help=_l("A price per sale packaging and price list (member or general) from a date on; never above the HET."),
    )
)


# --- legal ceilings (HET) ----------------------------------------------------------------------------------


@dataclass
class CeilingLine:
    item: Item
    amount_per_unit: int
    valid_from: date
    zone: str | None
    source: str


def _check_ceilings(rows: list[dict]) -> Plan:
    plan = Plan()
    items = {item.sku: item for item in db.session.scalars(select(Item))}
    seen: dict[tuple, int] = {}
    for row in rows:
        line, errors = row["_row"], []
        item = items.get(row["sku"])
        valid_from = row.get("valid_from") or today()
        if item is None:
            errors.append(RowError(line, "sku", _("No item has this SKU: import the items first.")))
        if row["amount_per_unit"] <= 0:
            errors.append(RowError(line, "amount_per_unit", _("More than 0.")))
        key = (row["sku"], row.get("zone") or "", valid_from)
        if key in seen:
            errors.append(RowError(line, "sku", _("Also on row %(row)d.", row=seen[key])))
        seen.setdefault(key, line)
        plan.errors += errors
        if not errors:
            ceiling = CeilingLine(item, row["amount_per_unit"], valid_from, row.get("zone"), row.get("source") or "")
            plan.rows.append((line, ceiling))
    return plan


def _apply_ceilings(plan: Plan, progress) -> Summary:
    summary = Summary()
    for done, (_line, ceiling) in enumerate(plan.rows, 1):
        current = pricing.ceiling_on(ceiling.item, ceiling.valid_from, ceiling.zone)
        if current is not None and current.amount_per_unit == ceiling.amount_per_unit:
            summary.unchanged += 1
        else:
            same_day = current is not None and current.valid_from == ceiling.valid_from
            pricing.set_ceiling(ceiling.item, ceiling.amount_per_unit, ceiling.valid_from, ceiling.source, ceiling.zone)
            if same_day:
                summary.updated += 1
            else:
                summary.created += 1
        progress(done)
    return summary


csvimport.register(
    Kind(
        "ceilings",
        _l("Legal ceilings (HET)"),
        (
            Column("sku", text(32), required=True, example="BRS-MED"),
            Column("amount_per_unit", parse_rupiah, required=True, example="14900"),
            Column("valid_from", parse_date, optional_column=True, example="2026-12-01"),
            Column("zone", text(40), optional_column=True, example="kaltim-balikpapan"),
            Column("source", text(200), optional_column=True, example="Perbadan 5/2024"),
        ),
        _check_ceilings,
        _apply_ceilings,
        help=_l(
            "The HET per unit of the item (per kg, per pack) from a date on; the zone is the cooperative's if empty."
        ),
    )
)
