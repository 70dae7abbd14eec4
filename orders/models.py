"""Selling at the shop: prices per sale packaging and the legal ceilings (HET) they must stay under."""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Money, Qty, TimestampMixin, db
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


CAP_SCOPES = ("member", "nik", "household")
CAP_PERIODS = ("transaction", "day", "month")
BUYER_CATEGORIES = ("household", "micro_business", "farmer", "fisher")


class CapRule(TimestampMixin, db.Model):
    """How much of an item one buyer may take per period (SPHP: 2 packs a day per NIK), from a date on."""

    __tablename__ = "cap_rule"
    __table_args__ = (
        CheckConstraint("scope IN ('member','nik','household')", name="scope"),
        CheckConstraint("period IN ('transaction','day','month')", name="period"),
        CheckConstraint(
            "buyer_category IS NULL OR buyer_category IN ('household','micro_business','farmer','fisher')",
            name="buyer_category",
        ),
        CheckConstraint("max_quantity > 0", name="max_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # what the cashier reads: "Batas SPHP"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    scope: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(12))
    buyer_category: Mapped[str | None] = mapped_column(String(20))  # None: every buyer
    max_quantity: Mapped[Decimal] = mapped_column(Qty())  # in the item's base unit
    valid_from: Mapped[date]
    is_active: Mapped[bool] = mapped_column(default=True)

    item: Mapped[Item] = relationship()


class CapUsage(db.Model):
    """What one buyer has taken under a rule in one period; raised only by a conditional update, so two tills
    can never pass the cap together."""

    __tablename__ = "cap_usage"
    __table_args__ = (
        UniqueConstraint("rule_id", "buyer_key", "period_key"),
        CheckConstraint("used >= 0", name="used"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("cap_rule.id"))
    buyer_key: Mapped[str] = mapped_column(String(40))  # member number, NIK or KK, by the rule's scope
    period_key: Mapped[str] = mapped_column(String(10))  # 2026-11-29 or 2026-11
    used: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
