"""Prices and the legal ceiling (HET): no price may exceed the ceiling in force for the cooperative's zone on its
date; a price set under a ceiling that is later lowered is refused again at the till (check_sale_price)."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import audit, settings
from app.db import db
from app.errors import DomainError, NotFound, ValidationFailed
from app.formatting import format_rupiah
from app.terms import term
from inventory.models import Item, Location, Packaging
from orders.models import PRICE_LISTS, Ceiling, Price


class AboveCeiling(DomainError):
    code = "above_ceiling"


settings.register(
    settings.Spec(
        "het_zone",
        "text",
        "kaltim-balikpapan",
        _l("HET zone"),
        _l(
            "Which legal ceilings (HET) apply: they differ by zone and province. A shop in another zone has its "
            "own, set on the Prices screen."
        ),
        group="selling",
        required=True,
        max_length=40,
    )
)


def zone(location_id: int | None = None) -> str:
    """The HET zone a shop sells under: its own when it has one, else the cooperative's (a setting)."""
    if location_id is not None:
        own = db.session.scalar(select(Location.het_zone).where(Location.id == location_id))
        if own:
            return own
    return settings.get("het_zone")


def shops() -> list[Location]:
    return list(db.session.scalars(select(Location).where(Location.kind == "shop").order_by(Location.code)))


def set_shop_zone(location_id: int, het_zone: str | None) -> Location:
    """Let a shop sell under its own zone's ceilings (another regency's HET), or the cooperative's again (None);
    audited. Its prices must then be within that zone's ceilings (the till refuses above them)."""
    shop = db.session.get(Location, location_id)
    if shop is None or shop.kind != "shop":
        raise NotFound(_("No shop has this id."))
    het_zone = (het_zone or "").strip() or None
    if het_zone is not None and len(het_zone) > 40:
        raise ValidationFailed(_("At most 40 characters."), fields={"het_zone": [_("At most 40 characters.")]})
    if shop.het_zone != het_zone:
        audit.record("set_zone", "location", shop.id, {"het_zone": [shop.het_zone, het_zone]})
        shop.het_zone = het_zone
        db.session.flush()
    return shop


def zones_in_use() -> list[str]:
    """The cooperative's zone and every active shop's own: a price must be within the ceiling of each."""
    own = db.session.scalars(
        select(Location.het_zone).where(Location.het_zone.is_not(None), Location.is_active).distinct()
    )
    return sorted({zone(), *own})


def ceiling_on(item: Item, day: date, in_zone: str | None = None) -> Ceiling | None:
    return db.session.scalar(
        select(Ceiling)
        .where(Ceiling.item_id == item.id, Ceiling.zone == (in_zone or zone()), Ceiling.valid_from <= day)
        .order_by(Ceiling.valid_from.desc())
        .limit(1)
    )


def price_on(packaging: Packaging, price_list: str, day: date) -> Price | None:
    return db.session.scalar(
        select(Price)
        .where(Price.packaging_id == packaging.id, Price.price_list == price_list, Price.valid_from <= day)
        .order_by(Price.valid_from.desc())
        .limit(1)
    )


def _refuse_above_ceiling(packaging: Packaging, amount: int, day: date, when: str) -> None:
    """Refuse a price above the ceiling of any zone the cooperative sells in."""
    for in_zone in zones_in_use():
        ceiling = ceiling_on(packaging.item, day, in_zone)
        refuse_above_ceiling(packaging, amount, ceiling.amount_per_unit if ceiling else None, day, when, in_zone)


def refuse_above_ceiling(
    packaging: Packaging, amount: int, ceiling_per_unit: int | None, day: date, when: str, in_zone: str | None = None
):
    """Refuse a price above the ceiling (per base unit) in force on a day, or a regulated item with none set."""
    if ceiling_per_unit is None:
        if packaging.item.is_price_regulated:
            raise DomainError(
                _(
                    "%(item)s has a legal ceiling (HET) but none is set for zone %(zone)s on %(date)s: set it first.",
                    item=packaging.item.name_id,
                    zone=in_zone or zone(),
                    date=day.strftime("%d-%m-%Y"),
                ),
                code="ceiling_missing",
            )
        return
    limit = int(ceiling_per_unit * packaging.factor)
    if amount > limit:
        raise AboveCeiling(
            _(
                "%(price)s per %(packaging)s is above the legal ceiling (HET) of %(limit)s (%(per_unit)s per %(unit)s) "
                "in force on %(date)s %(when)s.",
                price=format_rupiah(amount),
                packaging=packaging.name,
                limit=format_rupiah(limit),
                per_unit=format_rupiah(ceiling_per_unit),
                unit=term("unit", packaging.item.base_unit),
                date=day.strftime("%d-%m-%Y"),
                when=when,
            ),
            fields={"amount": [_("At most %(limit)s.", limit=format_rupiah(limit))]},
            ceiling=limit,
        )


def set_price(packaging: Packaging, price_list: str, amount: int, valid_from: date) -> Price:
    """Set a sale price from a date on; refused above the ceiling in force that day (audited)."""
    if price_list not in PRICE_LISTS:
        raise ValidationFailed(_("Choose the member or the general price list."), fields={"price_list": ["?"]})
    if not packaging.for_sale:
        raise ValidationFailed(
            _("%(packaging)s is not sold at the shop.", packaging=packaging.name),
            fields={"packaging_id": [_("Not for sale.")]},
        )
    if amount <= 0:
        raise ValidationFailed(_("A price is more than zero."), fields={"amount": [_("More than 0.")]})
    _lock_item(packaging.item_id)
    _refuse_above_ceiling(packaging, amount, valid_from, _("when the price starts"))
    price = db.session.scalar(
        select(Price).where(
            Price.packaging_id == packaging.id, Price.price_list == price_list, Price.valid_from == valid_from
        )
    )
    old = price.amount if price else None
    if price is None:
        price = Price(packaging=packaging, price_list=price_list, valid_from=valid_from, amount=amount)
        db.session.add(price)
    price.amount = amount
    db.session.flush()
    audit.record(
        "set_price",
        "packaging",
        packaging.id,
        {"price_list": price_list, "valid_from": valid_from, "amount": [old, amount]},
    )
    return price


def set_ceiling(
    item: Item, amount_per_unit: int, valid_from: date, source: str = "", in_zone: str | None = None
) -> tuple[Ceiling, list[Price]]:
    """Set the legal ceiling of an item from a date on (audited); return the prices it makes too high."""
    if amount_per_unit <= 0:
        raise ValidationFailed(_("A ceiling is more than zero."), fields={"amount_per_unit": [_("More than 0.")]})
    the_zone = in_zone or zone()
    _lock_item(item.id)
    ceiling = db.session.scalar(
        select(Ceiling).where(Ceiling.item_id == item.id, Ceiling.zone == the_zone, Ceiling.valid_from == valid_from)
    )
    old = ceiling.amount_per_unit if ceiling else None
    if ceiling is None:
        ceiling = Ceiling(item=item, zone=the_zone, valid_from=valid_from, amount_per_unit=amount_per_unit)
        db.session.add(ceiling)
    ceiling.amount_per_unit, ceiling.source = amount_per_unit, source or ceiling.source or ""
    db.session.flush()
    audit.record(
        "set_ceiling",
        "item",
        item.id,
        {"zone": the_zone, "valid_from": valid_from, "amount_per_unit": [old, amount_per_unit], "source": source},
    )
    return ceiling, prices_above(ceiling)


def prices_above(ceiling: Ceiling) -> list[Price]:
    """Every price in force while this ceiling is (from its start until the zone's next ceiling) that exceeds it:
    the one in force on its first day, and every one that starts later."""
    until = db.session.scalar(
        select(func.min(Ceiling.valid_from)).where(
            Ceiling.item_id == ceiling.item_id, Ceiling.zone == ceiling.zone, Ceiling.valid_from > ceiling.valid_from
        )
    )
    too_high = []
    for packaging in ceiling.item.packagings:
        limit = ceiling.amount_per_unit * packaging.factor
        for price_list in PRICE_LISTS:
            first = price_on(packaging, price_list, ceiling.valid_from)
            later = db.session.scalars(
                select(Price)
                .where(
                    Price.packaging_id == packaging.id,
                    Price.price_list == price_list,
                    Price.valid_from > ceiling.valid_from,
                    *([Price.valid_from < until] if until else []),
                )
                .order_by(Price.valid_from)
            ).all()
            too_high += [p for p in ([first] if first else []) + later if p.amount > limit]
    return too_high


def _lock_item(item_id: int) -> None:
    """Prices and ceilings of an item change one at a time (a price checked against a ceiling being lowered at
    the same moment would slip through both checks): the item's row is the lock."""
    db.session.execute(select(Item.id).where(Item.id == item_id).with_for_update(key_share=True))


def refuse_price_above_ceilings(packaging: Packaging, amount: int, day: date) -> None:
    """What set_price checks, without setting it (an import checks every row before it writes any)."""
    _refuse_above_ceiling(packaging, amount, day, _("when the price starts"))


def check_sale_price(packaging: Packaging, amount: int, day: date) -> None:
    """At the till: refuse to sell above the ceiling in force on the sale date (it may have been lowered)."""
    _refuse_above_ceiling(packaging, amount, day, _("today"))


@dataclass
class PriceRow:
    """One sale packaging as the prices screen shows it."""

    packaging: Packaging
    member: Price | None
    general: Price | None
    ceiling: Ceiling | None

    @property
    def ceiling_per_packaging(self) -> int | None:
        return int(self.ceiling.amount_per_unit * self.packaging.factor) if self.ceiling else None


def price_table(day: date) -> list[PriceRow]:
    packagings = db.session.scalars(
        select(Packaging)
        .join(Packaging.item)
        .where(Packaging.for_sale, Item.is_active)
        .order_by(Item.sku, Packaging.id)
    ).all()
    return [
        PriceRow(p, price_on(p, "member", day), price_on(p, "general", day), ceiling_on(p.item, day))
        for p in packagings
    ]


def get_packaging(packaging_id: int) -> Packaging:
    packaging = db.session.get(Packaging, packaging_id)
    if packaging is None:
        raise NotFound(_("Packaging not found."))
    return packaging
