"""Selling at the shop: prices and legal ceilings (HET), purchase caps, tills and their sessions, sales with their
lines and payments, subsidy records and returns."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Money, Qty, TimestampMixin, UTCDateTime, db, utcnow
from app.models import User
from inventory.models import Item, Location, Packaging
from members.models import Member

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


PAYMENT_METHODS = ("cash", "qris")


class Till(TimestampMixin, db.Model):
    """A checkout counter: its code starts every receipt number it prints, from its own sequence."""

    __tablename__ = "till"
    __table_args__ = (CheckConstraint("receipt_seq >= 0", name="receipt_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # "K1": receipts K1-000001, K1-000002, ...
    name: Mapped[str] = mapped_column(String(60))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))  # the shop it sells from (and its shelves)
    receipt_seq: Mapped[int] = mapped_column(default=0)  # the last receipt number used
    is_active: Mapped[bool] = mapped_column(default=True)
    # The session open on it now. A sale raises the receipt sequence only where this is set, in the same UPDATE,
    # so a sale queued behind a closing (which clears it) is refused instead of slipping past the till report.
    open_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("till_session.id", use_alter=True, name="fk_till_open_session_id_till_session")
    )

    location: Mapped[Location] = relationship()


class TillSession(db.Model):
    """One cashier's shift at a till: opened with a cash float, closed with the counted money."""

    __tablename__ = "till_session"
    __table_args__ = (
        # At most one open session per till, and one open till per cashier (one drawer to answer for).
        Index(
            "uq_till_session_open",
            "till_id",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
        Index(
            "uq_till_session_open_cashier",
            "cashier_id",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
        CheckConstraint("opening_float >= 0", name="opening_float"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("till.id"), index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opening_float: Mapped[int] = mapped_column(Money)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    till: Mapped[Till] = relationship(foreign_keys=[till_id])
    cashier: Mapped[User] = relationship(foreign_keys=[cashier_id])
    counts: Mapped[list["TillCount"]] = relationship(order_by="TillCount.method")


class TillCount(db.Model):
    """At closing: what the till should hold in one payment method, what was counted, and the difference."""

    __tablename__ = "till_count"
    __table_args__ = (
        UniqueConstraint("session_id", "method"),
        CheckConstraint("method IN ('cash','qris')", name="method"),
        CheckConstraint("difference = counted - expected", name="difference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("till_session.id"))
    method: Mapped[str] = mapped_column(String(10))
    expected: Mapped[int] = mapped_column(Money)
    counted: Mapped[int] = mapped_column(Money)
    difference: Mapped[int] = mapped_column(Money)  # negative: short; positive: over


class Sale(db.Model):
    """A posted sale: written once, in one transaction with its lines, payments, stock moves and cap usage."""

    __tablename__ = "sale"
    __table_args__ = (
        CheckConstraint("price_list IN ('member','general')", name="price_list"),
        CheckConstraint("total > 0", name="total"),
        CheckConstraint("change >= 0", name="change"),
        CheckConstraint("buyer_nik IS NULL OR length(buyer_nik) = 16", name="buyer_nik"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_key: Mapped[str] = mapped_column(String(255), unique=True)  # the cart's UUID (its Idempotency-Key)
    receipt_number: Mapped[str] = mapped_column(String(20), unique=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("till.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("till_session.id"), index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sale_date: Mapped[date] = mapped_column(index=True)  # the cooperative's local date: caps and reports count by it
    price_list: Mapped[str] = mapped_column(String(10))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    buyer_name: Mapped[str] = mapped_column(String(120), default="")
    buyer_nik: Mapped[str | None] = mapped_column(String(16))
    buyer_kk: Mapped[str | None] = mapped_column(String(16))
    buyer_category: Mapped[str | None] = mapped_column(String(20))
    total: Mapped[int] = mapped_column(Money)
    change: Mapped[int] = mapped_column(Money, default=0)
    caps_taken: Mapped[list] = mapped_column(JSON, default=list)  # [[usage id, item id, quantity]] to give back
    copies_printed: Mapped[int] = mapped_column(default=0)

    till: Mapped[Till] = relationship()
    member: Mapped[Member | None] = relationship()
    cashier: Mapped[User] = relationship()
    lines: Mapped[list["SaleLine"]] = relationship(order_by="SaleLine.line_no", back_populates="sale")
    payments: Mapped[list["Payment"]] = relationship(order_by="Payment.id", back_populates="sale")  # refunds too


class SaleLine(db.Model):
    """What was sold: goods (moving stock), or the price of a cylinder a buyer took without an empty to swap."""

    __tablename__ = "sale_line"
    __table_args__ = (
        UniqueConstraint("sale_id", "line_no"),
        CheckConstraint("kind IN ('goods','cylinder')", name="kind"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("returned_quantity >= 0 AND returned_quantity <= quantity", name="returned_quantity"),
        CheckConstraint("empties_in >= 0 AND empties_in <= quantity", name="empties_in"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), index=True)
    line_no: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10), default="goods")
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    packaging_id: Mapped[int] = mapped_column(ForeignKey("packaging.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())  # in the sale packaging (kg for loose rice)
    base_quantity: Mapped[Decimal] = mapped_column(Qty())  # in the item's base unit
    unit_price: Mapped[int] = mapped_column(Money)  # per sale packaging, from the price list
    amount: Mapped[int] = mapped_column(Money)  # unit price x quantity, to the rupiah
    empties_in: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # empty cylinders taken in exchange
    returned_quantity: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))

    sale: Mapped[Sale] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    packaging: Mapped[Packaging] = relationship()


class Payment(db.Model):
    """Money in (a sale) or out (a return's refund, negative) in one method, counted in a till session."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("method IN ('cash','qris')", name="method"),
        CheckConstraint("amount <> 0", name="amount"),
        CheckConstraint("method <> 'qris' OR length(reference) > 0", name="qris_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), index=True)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("sale_return.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("till_session.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(Money)  # what this method pays of the total (cash: less the change)
    tendered: Mapped[int | None] = mapped_column(Money)  # cash handed over
    reference: Mapped[str] = mapped_column(String(64), default="")  # the QRIS transaction reference

    sale: Mapped[Sale] = relationship(back_populates="payments")


class SubsidyRecord(db.Model):
    """Who took how much of a subsidised item (LPG 3 kg, SPHP rice), for re-keying into Pertamina's and Bulog's
    systems; a return writes a negative record."""

    __tablename__ = "subsidy_record"
    __table_args__ = (
        CheckConstraint("length(nik) = 16", name="nik"),
        CheckConstraint("quantity <> 0", name="quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), index=True)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("sale_return.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    sale_date: Mapped[date] = mapped_column(index=True)
    nik: Mapped[str] = mapped_column(String(16))
    kk_number: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(20))
    buyer_name: Mapped[str] = mapped_column(String(120), default="")
    is_member: Mapped[bool]
    quantity: Mapped[Decimal] = mapped_column(Qty())  # base units; negative for a return
    unit_price: Mapped[int] = mapped_column(Money)  # per base unit

    sale: Mapped[Sale] = relationship()
    item: Mapped[Item] = relationship()


RETURN_STATUSES = ("requested", "approved", "rejected")


class SaleReturn(db.Model):
    """Goods brought back against a receipt: asked for at the till, approved by a manager, then reversed."""

    __tablename__ = "sale_return"
    __table_args__ = (
        CheckConstraint("status IN ('requested','approved','rejected')", name="status"),
        CheckConstraint("refund_method IN ('cash','qris')", name="refund_method"),
        CheckConstraint("amount > 0", name="amount"),
        # At most one return per receipt waits for a manager: what is still returnable is decided one at a time.
        Index(
            "uq_sale_return_requested",
            "sale_id",
            unique=True,
            postgresql_where=text("status = 'requested'"),
            sqlite_where=text("status = 'requested'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("till_session.id"), index=True)  # the refund leaves this till
    status: Mapped[str] = mapped_column(String(10), default="requested")
    reason: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(Money)
    refund_method: Mapped[str] = mapped_column(String(10), default="cash")
    refund_reference: Mapped[str] = mapped_column(String(64), default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(String(200), default="")
    # The cooperative's date the refund was paid (approved): reports net a return on its own day.
    return_date: Mapped[date | None] = mapped_column(index=True)

    sale: Mapped[Sale] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    lines: Mapped[list["ReturnLine"]] = relationship(order_by="ReturnLine.id", back_populates="sale_return")


class ReturnLine(db.Model):
    """How much of one sale line comes back (and how many of the empties taken for it go back to the buyer)."""

    __tablename__ = "return_line"
    __table_args__ = (
        UniqueConstraint("return_id", "sale_line_id"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("empties_out >= 0", name="empties_out"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("sale_return.id"), index=True)
    sale_line_id: Mapped[int] = mapped_column(ForeignKey("sale_line.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())  # in the sale packaging
    empties_out: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    amount: Mapped[int] = mapped_column(Money)
    damaged: Mapped[bool] = mapped_column(default=False)  # goes to quarantine, not back on the shelf

    sale_return: Mapped[SaleReturn] = relationship(back_populates="lines")
    sale_line: Mapped[SaleLine] = relationship()


class ShuYear(db.Model):
    """A book year's surplus shared with the members (SHU jasa anggota), closed: its shares are frozen."""

    __tablename__ = "shu_year"
    __table_args__ = (
        CheckConstraint("surplus >= 0", name="surplus"),
        CheckConstraint("member_percent >= 0 AND member_percent <= 100", name="member_percent"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    surplus: Mapped[int] = mapped_column(Money)  # the year's SHU, rupiah
    member_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # the share for members' purchases (the RAT's)
    amount: Mapped[int] = mapped_column(Money)  # surplus x percent, to the rupiah: what the shares add up to
    purchases: Mapped[int] = mapped_column(Money)  # the members' net purchases of the year
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    closed_by: Mapped[User] = relationship()


class ShuShare(db.Model):
    """A member's share of a closed year: their net purchases then and their rupiah."""

    __tablename__ = "shu_share"

    year: Mapped[int] = mapped_column(ForeignKey("shu_year.year"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    purchases: Mapped[int] = mapped_column(Money)
    share: Mapped[int] = mapped_column(Money)

    member: Mapped[Member] = relationship()
