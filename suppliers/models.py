"""Suppliers, what they sell us and on what terms, and the purchase orders we send them."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Money, Qty, Rate, TimestampMixin, UTCDateTime, db
from app.models import User
from inventory.models import Item, Location, Lot, Packaging

PAYMENT_TERMS = ("cash", "transfer", "cashless")
PO_STATUSES = ("draft", "submitted", "approved", "partially_received", "received", "closed", "cancelled")


class Supplier(TimestampMixin, db.Model):
    __tablename__ = "supplier"
    __table_args__ = (
        CheckConstraint("payment_terms IN ('cash','transfer','cashless')", name="payment_terms"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_days"),
        CheckConstraint("max_order_kg IS NULL OR max_order_kg > 0", name="max_order_kg"),
        CheckConstraint("min_order_value >= 0", name="min_order_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    contact_person: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    payment_terms: Mapped[str] = mapped_column(String(10))
    lead_time_days: Mapped[int] = mapped_column(default=1)
    # Limits checked whenever an order is submitted (Bulog: 2 tonnes per pickup).
    max_order_kg: Mapped[Decimal | None] = mapped_column(Qty())
    min_order_value: Mapped[int] = mapped_column(Money, default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    catalogue: Mapped[list["SupplierItem"]] = relationship(back_populates="supplier", order_by="SupplierItem.id")
    quotas: Mapped[list["SupplierQuota"]] = relationship(back_populates="supplier", order_by="SupplierQuota.id")


class SupplierItem(db.Model):
    """An item in a supplier's catalogue: their code, the packaging we buy it in, and how it must be ordered."""

    __tablename__ = "supplier_item"
    __table_args__ = (
        UniqueConstraint("supplier_id", "item_id"),
        CheckConstraint("order_multiple > 0", name="order_multiple"),
        CheckConstraint("kg_per_unit >= 0", name="kg_per_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    packaging_id: Mapped[int] = mapped_column(ForeignKey("packaging.id"))
    supplier_code: Mapped[str] = mapped_column(String(40), default="")
    order_multiple: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(1))  # in purchase packagings
    kg_per_unit: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # weight of one base unit

    supplier: Mapped[Supplier] = relationship(back_populates="catalogue")
    item: Mapped[Item] = relationship()
    packaging: Mapped[Packaging] = relationship()
    prices: Mapped[list["SupplierPrice"]] = relationship(
        back_populates="supplier_item", order_by="SupplierPrice.valid_from"
    )


class SupplierPrice(TimestampMixin, db.Model):
    """The cost of one purchase packaging from a date on (until the next price starts)."""

    __tablename__ = "supplier_price"
    __table_args__ = (UniqueConstraint("supplier_item_id", "valid_from"), CheckConstraint("cost >= 0", name="cost"))

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_item_id: Mapped[int] = mapped_column(ForeignKey("supplier_item.id"), index=True)
    valid_from: Mapped[date]
    cost: Mapped[int] = mapped_column(Money)

    supplier_item: Mapped[SupplierItem] = relationship(back_populates="prices")


class SupplierQuota(db.Model):
    """How much of an item a supplier lets us order per calendar month (the LPG agent: ~250 cylinders)."""

    __tablename__ = "supplier_quota"
    __table_args__ = (
        UniqueConstraint("supplier_id", "item_id", "valid_from"),
        CheckConstraint("monthly_quantity > 0", name="monthly_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    monthly_quantity: Mapped[Decimal] = mapped_column(Qty())  # in base units
    valid_from: Mapped[date]

    supplier: Mapped[Supplier] = relationship(back_populates="quotas")
    item: Mapped[Item] = relationship()


class NumberSequence(db.Model):
    """The next number of a document series (PO-2026-00001, ...), taken under a row lock."""

    __tablename__ = "number_sequence"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_value: Mapped[int] = mapped_column(default=1)


class PurchaseOrder(TimestampMixin, db.Model):
    __tablename__ = "purchase_order"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft','submitted','approved','partially_received','received','closed','cancelled')",
            name="status",
        ),
        Index("ix_purchase_order_supplier_status", "supplier_id", "status"),
        CheckConstraint("origin IN ('manual','reorder')", name="origin"),
        # The reorder checks' single open draft per supplier and destination: two checks can't make two.
        Index(
            "uq_purchase_order_reorder_draft",
            "supplier_id",
            "destination_id",
            unique=True,
            postgresql_where=text("status = 'draft' AND origin = 'reorder'"),
            sqlite_where=text("status = 'draft' AND origin = 'reorder'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    order_date: Mapped[date]
    expected_date: Mapped[date | None]
    destination_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10), default="manual", server_default="manual")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    supplier: Mapped[Supplier] = relationship()
    destination: Mapped[Location] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    lines: Mapped[list["PurchaseOrderLine"]] = relationship(
        back_populates="order", order_by="PurchaseOrderLine.id", cascade="all, delete-orphan"
    )

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)


class PurchaseOrderLine(db.Model):
    """What we order: packs of a purchase packaging, and the same in the item's base unit."""

    __tablename__ = "purchase_order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "item_id"),
        CheckConstraint("packs > 0", name="packs"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("received_quantity >= 0", name="received_quantity"),
        CheckConstraint("unit_cost >= 0", name="unit_cost"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    packaging_id: Mapped[int] = mapped_column(ForeignKey("packaging.id"))
    packs: Mapped[Decimal] = mapped_column(Qty())  # purchase packagings ordered
    quantity: Mapped[Decimal] = mapped_column(Qty())  # the same in base units
    unit_cost: Mapped[int] = mapped_column(Money)  # rupiah per purchase packaging
    received_quantity: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # base units
    reasoning: Mapped[dict | None] = mapped_column(JSON)  # a reorder suggestion's figures, shown in words

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    packaging: Mapped[Packaging] = relationship()

    @property
    def total(self) -> int:
        return int((self.packs * self.unit_cost).to_integral_value())

    @property
    def open_quantity(self) -> Decimal:
        return max(self.quantity - self.received_quantity, Decimal(0))


RECEIPT_STATUSES = ("open", "posted")
LINE_CONDITIONS = ("good", "held", "damaged", "rejected")  # held: a lot that expires too soon, for a manager


class Receipt(TimestampMixin, db.Model):
    """Goods arriving against an order: scanned into an open receipt (resumable anywhere), then posted once."""

    __tablename__ = "receipt"
    __table_args__ = (CheckConstraint("status IN ('open','posted')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Over-receipt past the tolerance, and items not on the order, need a manager's word.
    manager_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    # The bin label scanned last: the goods scanned after it are put away there.
    bin_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))

    order: Mapped[PurchaseOrder] = relationship()
    bin: Mapped[Location | None] = relationship()
    lines: Mapped[list["ReceiptLine"]] = relationship(
        back_populates="receipt", order_by="ReceiptLine.id", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        return f"GR-{self.id}"


class ReceiptLine(db.Model):
    """One item (and lot, and condition) of a receipt; each scan adds to it. Empties going back to the LPG agent
    are lines with a negative quantity."""

    __tablename__ = "receipt_line"
    __table_args__ = (
        UniqueConstraint(
            "receipt_id", "item_id", "lot_code", "condition", "location_id", postgresql_nulls_not_distinct=True
        ),
        CheckConstraint("quantity <> 0", name="quantity"),
        CheckConstraint("condition IN ('good','held','damaged','rejected')", name="condition"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_code: Mapped[str] = mapped_column(String(40), default="")
    expiry_date: Mapped[date | None]
    condition: Mapped[str] = mapped_column(String(10), default="good")
    quantity: Mapped[Decimal] = mapped_column(Qty())  # base units; negative: empties handed back
    reason: Mapped[str] = mapped_column(String(120), default="")
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))  # the bin; None: proposed at posting

    receipt: Mapped[Receipt] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    location: Mapped[Location | None] = relationship()


class SupplierReturn(TimestampMixin, db.Model):
    """Goods sent back to the supplier after they were received, with the reason, referencing the receipt."""

    __tablename__ = "supplier_return"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())
    reason: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    receipt: Mapped[Receipt] = relationship(backref="returns")
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()
    location: Mapped[Location] = relationship()

    @property
    def reference(self) -> str:
        return f"RET-{self.id}"


class ReorderRule(TimestampMixin, db.Model):
    """When to reorder an item for a location and how much: below the reorder point, up to the order-up-to
    level, from the preferred supplier (lead time and pack multiple come from its catalogue)."""

    __tablename__ = "reorder_rule"
    __table_args__ = (
        UniqueConstraint("item_id", "location_id"),
        CheckConstraint("reorder_point >= 0 AND safety_stock >= 0", name="levels"),
        CheckConstraint("order_up_to > reorder_point", name="order_up_to"),
        CheckConstraint("review_period_days >= 0", name="review_period_days"),
        CheckConstraint("demand_days IS NULL OR demand_days > 0", name="demand_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    reorder_point: Mapped[Decimal] = mapped_column(Qty())  # base units
    order_up_to: Mapped[Decimal] = mapped_column(Qty())
    safety_stock: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    review_period_days: Mapped[int] = mapped_column(default=7)
    demand_days: Mapped[int | None]  # set: the reorder point follows the average sales of the last N days
    # Demand mode: the average a day found by the last recomputation (nightly, or when the rule was set), and when.
    demand_per_day: Mapped[Decimal | None] = mapped_column(Rate())
    demand_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_active: Mapped[bool] = mapped_column(default=True)

    item: Mapped[Item] = relationship()
    location: Mapped[Location] = relationship()
    supplier: Mapped[Supplier] = relationship()
