"""Items and how they are packed and labelled, where they are, and the stock ledger."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
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
        CheckConstraint("min_shelf_life_days BETWEEN 0 AND 3650", name="min_shelf_life_days"),
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
    # A delivery's lot must still have this many days before it expires, else a manager decides (None: the
    # cooperative's setting expiry_warning_days); also how early the item shows on the expiring-soon list.
    min_shelf_life_days: Mapped[int | None]
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


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An item as plain values read from its row, for what only shows it (a scan's answer, a report's 10,000
    rows): no ORM object per row. Read with ITEM_REF_COLUMNS, in this order."""

    id: int
    sku: str
    name_id: str
    name_en: str
    base_unit: str
    is_lot_tracked: bool
    is_expiry_tracked: bool

    def name(self, locale: str | None) -> str:
        return self.name_en if locale == "en" else self.name_id


ITEM_REF_COLUMNS = (
    Item.id,
    Item.sku,
    Item.name_id,
    Item.name_en,
    Item.base_unit,
    Item.is_lot_tracked,
    Item.is_expiry_tracked,
)


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
    # A shop in another pricing zone sells under that zone's legal ceilings (HET); None: the cooperative's zone.
    het_zone: Mapped[str | None] = mapped_column(String(40))

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
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # a day's moves, for valuation
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


COUNT_STATUSES = ("open", "review", "posted", "cancelled")


class StockCount(TimestampMixin, db.Model):
    """A stock count (stock opname) of a location and everything under it: counted blind, reviewed, posted."""

    __tablename__ = "stock_count"
    __table_args__ = (
        CheckConstraint("status IN ('open','review','posted','cancelled')", name="status"),
        CheckConstraint("recount_percent >= 0 AND recount_minimum >= 0", name="recount_rule"),
        CheckConstraint("status IN ('open','cancelled') OR closed_at IS NOT NULL", name="closed"),
        CheckConstraint("(status = 'posted') = (posted_at IS NOT NULL)", name="posted"),
        CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled"),
        Index("ix_stock_count_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))  # the root: its sub-locations are counted too
    status: Mapped[str] = mapped_column(String(10), default="open")
    note: Mapped[str] = mapped_column(Text, default="")
    # The recount rule, fixed when the count starts: at least the minimum units and over the percent off.
    recount_percent: Mapped[Decimal] = mapped_column(Rate())
    recount_minimum: Mapped[Decimal] = mapped_column(Qty())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    location: Mapped[Location] = relationship()
    lines: Mapped[list["StockCountLine"]] = relationship(back_populates="count", order_by="StockCountLine.id")

    @property
    def reference(self) -> str:
        return f"CNT-{self.id}"

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @property
    def lines_to_recount(self) -> int:
        return sum(1 for line in self.lines if line.needs_recount and line.recount_quantity is None)


class StockCountLine(db.Model):
    """One item (and lot) counted in one bin; expected is the balance there when the line was last counted."""

    __tablename__ = "stock_count_line"
    __table_args__ = (
        UniqueConstraint("count_id", "item_id", "location_id", "lot_id", postgresql_nulls_not_distinct=True),
        CheckConstraint("counted_quantity >= 0", name="counted_quantity"),
        CheckConstraint("expected_quantity >= 0", name="expected_quantity"),
        CheckConstraint("recount_quantity >= 0 AND recount_expected_quantity >= 0", name="recount_quantity"),
        CheckConstraint(
            "(recount_quantity IS NULL) = (recounted_at IS NULL)"
            " AND (recount_quantity IS NULL) = (recount_expected_quantity IS NULL)",
            name="recount_complete",
        ),
        CheckConstraint("needs_recount OR recount_quantity IS NULL", name="recount_only_if_needed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_count.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    counted_quantity: Mapped[Decimal] = mapped_column(Qty())
    expected_quantity: Mapped[Decimal] = mapped_column(Qty())  # never shown to the one counting
    counted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A balance nobody counted, put in at zero when the count closed so that someone looks again.
    added_at_close: Mapped[bool] = mapped_column(default=False)
    needs_recount: Mapped[bool] = mapped_column(default=False)
    recount_quantity: Mapped[Decimal | None] = mapped_column(Qty())
    recount_expected_quantity: Mapped[Decimal | None] = mapped_column(Qty())
    recounted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recounted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unit_cost: Mapped[Decimal | None] = mapped_column(Rate())  # the average cost the variance was posted at

    count: Mapped[StockCount] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    location: Mapped[Location] = relationship()
    lot: Mapped[Lot | None] = relationship()

    @property
    def final_quantity(self) -> Decimal:
        return self.counted_quantity if self.recount_quantity is None else self.recount_quantity

    @property
    def final_expected(self) -> Decimal:
        return self.expected_quantity if self.recount_expected_quantity is None else self.recount_expected_quantity

    @property
    def variance(self) -> Decimal:
        """What the count posts: the last count less the balance at that same moment."""
        return self.final_quantity - self.final_expected

    @property
    def value(self) -> int:
        """The variance in rupiah, at the posted cost, or the moving average until it is posted."""
        cost = self.item.average_cost if self.unit_cost is None else self.unit_cost
        return int((self.variance * Decimal(cost)).to_integral_value())


class StockOutbox(db.Model):
    """Stock changed at a location (fell, or rose: a receipt can make a waiting suggestion too big): work for
    whoever watches stock levels (the reorder check), written in the same transaction as the moves. One row per
    item and location while pending; every further change raises its generation, so the job that handles it
    deletes it only if nothing changed while it worked."""

    __tablename__ = "stock_outbox"
    __table_args__ = (UniqueConstraint("item_id", "location_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    generation: Mapped[int] = mapped_column(default=1)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SnapshotDay(db.Model):
    """A day whose end of stock is kept (inventory.valuation): the last move it counted."""

    __tablename__ = "snapshot_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    last_move_id: Mapped[int]
    made_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StockSnapshot(db.Model):
    """Quantity and value (at the moves' costs) of an item at one of our places at the end of a day."""

    __tablename__ = "stock_snapshot"

    day: Mapped[date] = mapped_column(ForeignKey("snapshot_day.day", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(Qty())
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
