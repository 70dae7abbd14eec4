"""Items and how they are packed and labelled, where they are, and the stock ledger."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Money, Qty, Rate, TimestampMixin, UTCDateTime, db

BASE_UNITS = {"kg": 3, "pack": 0, "cylinder": 0, "piece": 0}  # unit -> decimal places it is counted in
LOCATION_KINDS = (
    "warehouse",
    "zone",
    "bin",
    "shop",
    "shelf",  # where our stock sits
    "in_transit",
    "quarantine",  # ours too, but not for sale
    "supplier",
    "customer",
    "loss",
)  # outside: stock leaves the books there
UNTRACKED_KINDS = ("supplier", "customer", "loss")
MOVE_REASONS = (
    "receipt",
    "sale",
    "return",
    "transfer",
    "adjustment",
    "count",
    "reversal",
    "opening",
    "exchange",
    "supplier_return",
)
ADJUSTMENT_REASONS = ("damaged", "expired", "count_correction", "found")


class Item(TimestampMixin, db.Model):
    __tablename__ = "item"
    __table_args__ = (
        CheckConstraint("base_unit IN ('kg','pack','cylinder','piece')", name="base_unit"),
        CheckConstraint("average_cost >= 0", name="average_cost"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name_id: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    base_unit: Mapped[str] = mapped_column(String(16))
    is_subsidised: Mapped[bool] = mapped_column(default=False)
    is_price_regulated: Mapped[bool] = mapped_column(default=False)
    is_lot_tracked: Mapped[bool] = mapped_column(default=False)
    is_expiry_tracked: Mapped[bool] = mapped_column(default=False)
    # A returnable container: the full LPG 3 kg cylinder points at its empty cylinder item.
    empty_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Moving-average cost per base unit, in rupiah (a rate, so it keeps 4 decimals).
    average_cost: Mapped[Decimal] = mapped_column(Rate(), default=Decimal(0))

    empty_item: Mapped["Item | None"] = relationship(remote_side=[id])
    packagings: Mapped[list["Packaging"]] = relationship(back_populates="item", order_by="Packaging.id")

    @property
    def precision(self) -> int:
        return BASE_UNITS[self.base_unit]

    def name(self, locale: str | None) -> str:
        return self.name_en if locale == "en" else self.name_id


class Packaging(db.Model):
    """One way an item comes or goes: a 50 kg sack is 50 kg, an SPHP pack is 1 pack."""

    __tablename__ = "packaging"
    __table_args__ = (CheckConstraint("factor > 0", name="factor"), UniqueConstraint("item_id", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    factor: Mapped[Decimal] = mapped_column(Qty())  # base units in one of these
    for_purchase: Mapped[bool] = mapped_column(default=False)
    for_sale: Mapped[bool] = mapped_column(default=False)

    item: Mapped[Item] = relationship(back_populates="packagings")
    barcodes: Mapped[list["Barcode"]] = relationship(back_populates="packaging", order_by="Barcode.id")


class Barcode(db.Model):
    __tablename__ = "barcode"
    __table_args__ = (CheckConstraint("symbology IN ('ean13','ean8','code128')", name="symbology"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    packaging_id: Mapped[int] = mapped_column(ForeignKey("packaging.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # EAN/GTIN normalised to 13 digits
    symbology: Mapped[str] = mapped_column(String(16))

    packaging: Mapped[Packaging] = relationship(back_populates="barcodes", lazy="joined")


class Location(db.Model):
    __tablename__ = "location"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('warehouse','zone','bin','shop','shelf','in_transit','quarantine','supplier','customer','loss')",
            name="kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # printed as Code128 on the bin label
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped["Location | None"] = relationship(remote_side=[id])

    @property
    def tracks_stock(self) -> bool:
        return self.kind not in UNTRACKED_KINDS


class Lot(TimestampMixin, db.Model):
    __tablename__ = "lot"
    __table_args__ = (UniqueConstraint("item_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    expiry_date: Mapped[date | None]

    item: Mapped[Item] = relationship()


class StockMove(db.Model):
    """One line of the ledger: append-only; a correction is a reversal, never an update."""

    __tablename__ = "stock_move"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
        Index("ix_stock_move_item_from", "item_id", "from_location_id", "id"),
        Index("ix_stock_move_item_to", "item_id", "to_location_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    from_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())
    unit_cost: Mapped[Decimal] = mapped_column(Rate())
    reason: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reverses_move_id: Mapped[int | None] = mapped_column(ForeignKey("stock_move.id"), unique=True)

    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()
    from_location: Mapped[Location] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[Location] = relationship(foreign_keys=[to_location_id])


class StockBalance(db.Model):
    """Stock on hand per item, location and lot, kept in the same transaction as the moves."""

    __tablename__ = "stock_balance"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="not_negative"),
        UniqueConstraint("item_id", "location_id", "lot_id", postgresql_nulls_not_distinct=True),
        Index("ix_stock_balance_location", "location_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))

    item: Mapped[Item] = relationship()
    location: Mapped[Location] = relationship()
    lot: Mapped[Lot | None] = relationship()


class Adjustment(TimestampMixin, db.Model):
    """A correction of stock with a reason; above a value threshold it waits for a manager."""

    __tablename__ = "adjustment"
    __table_args__ = (
        CheckConstraint("status IN ('pending','posted','rejected')", name="status"),
        CheckConstraint("reason IN ('damaged','expired','count_correction','found')", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10))
    value: Mapped[int] = mapped_column(Money)  # rupiah at moving-average cost, the approval threshold's measure
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    location: Mapped[Location] = relationship()
    lines: Mapped[list["AdjustmentLine"]] = relationship(back_populates="adjustment", order_by="AdjustmentLine.id")

    @property
    def reference(self) -> str:
        return f"ADJ-{self.id}"


class AdjustmentLine(db.Model):
    __tablename__ = "adjustment_line"
    __table_args__ = (CheckConstraint("quantity <> 0", name="quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    adjustment_id: Mapped[int] = mapped_column(ForeignKey("adjustment.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())  # + found, - lost
    unit_cost: Mapped[Decimal] = mapped_column(Rate())

    adjustment: Mapped[Adjustment] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()


class Transfer(TimestampMixin, db.Model):
    """Stock sent from one place to another: in one step, or dispatched via in-transit and received."""

    __tablename__ = "transfer"
    __table_args__ = (CheckConstraint("status IN ('in_transit','done')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    status: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    from_location: Mapped[Location] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[Location] = relationship(foreign_keys=[to_location_id])
    lines: Mapped[list["TransferLine"]] = relationship(back_populates="transfer", order_by="TransferLine.id")

    @property
    def reference(self) -> str:
        return f"TRF-{self.id}"


class TransferLine(db.Model):
    __tablename__ = "transfer_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty())

    transfer: Mapped[Transfer] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()
