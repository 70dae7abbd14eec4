"""Selling at the shop: prices per sale packaging and the legal ceilings (HET) they must stay under."""

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Money, TimestampMixin, db
from inventory.models import Item, Packaging

PRICE_LISTS = ("member", "general")


class Price(TimestampMixin, db.Model):
    """What one sale packaging costs a member or anyone else, from a date on (until the next price starts)."""

    __tablename__ = "price"
    __table_args__ = (
        UniqueConstraint("packaging_id", "price_list", "valid_from"),
        CheckConstraint("price_list IN ('member','general')", name="price_list"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    packaging_id: Mapped[int] = mapped_column(ForeignKey("packaging.id"), index=True)
    price_list: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(Money)  # rupiah per packaging
    valid_from: Mapped[date]

    packaging: Mapped[Packaging] = relationship()


class Ceiling(TimestampMixin, db.Model):
    """The legal retail ceiling (HET) of an item in a zone, per base unit, from a date on."""

    __tablename__ = "ceiling"
    __table_args__ = (
        UniqueConstraint("item_id", "zone", "valid_from"),
        CheckConstraint("amount_per_unit > 0", name="amount_per_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    zone: Mapped[str] = mapped_column(String(40))
    amount_per_unit: Mapped[int] = mapped_column(Money)  # rupiah per base unit (per kg, per pack, per cylinder)
    valid_from: Mapped[date]
    source: Mapped[str] = mapped_column(String(200), default="")  # the regulation, e.g. "Kepgub Kaltim 500/K.572/2022"

    item: Mapped[Item] = relationship()
