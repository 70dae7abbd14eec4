"""What enters and leaves the inventory API."""

from decimal import Decimal

from marshmallow import fields, validate

from app.fields import Quantity, Schema
from inventory.models import ADJUSTMENT_REASONS, BASE_UNITS, COUNT_STATUSES, LOCATION_KINDS

Qty = Quantity(required=True)


class PackagingSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(1, 60))
    factor = fields.Decimal(as_string=True, required=True, validate=validate.Range(min=0, min_inclusive=False))
    for_purchase = fields.Bool(load_default=False)
    for_sale = fields.Bool(load_default=False)
    barcodes = fields.Method("_codes", dump_only=True)

    def _codes(self, packaging) -> list[str]:
        return [b.code for b in packaging.barcodes]


class ItemSchema(Schema):
    id = fields.Int(dump_only=True)
    sku = fields.Str(required=True, validate=validate.Length(1, 32))
    name_id = fields.Str(required=True, validate=validate.Length(1, 120))
    name_en = fields.Str(required=True, validate=validate.Length(1, 120))
    category = fields.Str(required=True, validate=validate.Length(1, 40))
    base_unit = fields.Str(required=True, validate=validate.OneOf(list(BASE_UNITS)))
    is_subsidised = fields.Bool(load_default=False)
    is_price_regulated = fields.Bool(load_default=False)
    is_lot_tracked = fields.Bool(load_default=False)
    is_expiry_tracked = fields.Bool(load_default=False)
    min_shelf_life_days = fields.Int(
        allow_none=True,
        load_default=None,
        validate=validate.Range(0, 3650),
        metadata={"description": "Days of shelf life a delivery must still have (none: the cooperative's figure)"},
    )
    empty_item_id = fields.Int(allow_none=True, load_default=None)
    is_active = fields.Bool(load_default=True)
    average_cost = fields.Decimal(as_string=True, dump_only=True)
    packagings = fields.List(fields.Nested(PackagingSchema), dump_only=True)


class ItemUpdateSchema(ItemSchema):
    """PATCH an item: used with partial=True, so only the fields sent change (no defaults filled in)."""


class BarcodeInSchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(1, 64))


class LocationSchema(Schema):
    id = fields.Int(dump_only=True)
    code = fields.Str(required=True, validate=validate.Length(1, 32))
    name = fields.Str(required=True, validate=validate.Length(1, 80))
    kind = fields.Str(required=True, validate=validate.OneOf(LOCATION_KINDS))
    parent_id = fields.Int(allow_none=True, load_default=None)
    tracks_stock = fields.Bool(dump_only=True)


class ScanQuerySchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(1, 200))


class ItemRefSchema(Schema):
    id = fields.Int()
    sku = fields.Str()
    name_id = fields.Str()
    name_en = fields.Str()
    base_unit = fields.Str()
    is_lot_tracked = fields.Bool()
    is_expiry_tracked = fields.Bool()


class PackagingRefSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    factor = fields.Decimal(as_string=True)


class LocationRefSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    kind = fields.Str()


class ScanResultSchema(Schema):
    kind = fields.Str()
    code = fields.Str()
    source = fields.Str()
    item = fields.Nested(ItemRefSchema, allow_none=True)
    packaging = fields.Nested(PackagingRefSchema, allow_none=True)
    location = fields.Nested(LocationRefSchema, allow_none=True)
    lot_code = fields.Str(allow_none=True)
    expiry = fields.Date(allow_none=True)
    quantity = fields.Decimal(as_string=True, allow_none=True)


class StockQuerySchema(Schema):
    location_id = fields.Int(load_default=None)
    item_id = fields.Int(load_default=None)
    include_children = fields.Bool(
        load_default=True, metadata={"description": "Count the places under the location too (default: yes)"}
    )


class BalanceSchema(Schema):
    item_id = fields.Int()
    sku = fields.Str(attribute="item.sku")
    item_name = fields.Str(attribute="item.name_id")
    base_unit = fields.Str(attribute="item.base_unit")
    location_id = fields.Int()
    location_code = fields.Str(attribute="location.code")
    lot_id = fields.Int(allow_none=True)
    lot_code = fields.Str(attribute="lot.code", allow_none=True)
    expiry = fields.Date(attribute="lot.expiry_date", allow_none=True)
    quantity = fields.Decimal(as_string=True)


class MoveSchema(Schema):
    id = fields.Int()
    posted_at = fields.DateTime()
    item_id = fields.Int()
    lot_id = fields.Int(allow_none=True)
    from_location_id = fields.Int()
    to_location_id = fields.Int()
    quantity = fields.Decimal(as_string=True)
    unit_cost = fields.Decimal(as_string=True)
    reason = fields.Str()
    reference = fields.Str()
    user_id = fields.Int(allow_none=True)
    reverses_move_id = fields.Int(allow_none=True)


class StockCardRowSchema(Schema):
    move = fields.Nested(MoveSchema)
    change = fields.Decimal(as_string=True)
    balance_after = fields.Decimal(as_string=True)


class StockCardQuerySchema(Schema):
    item_id = fields.Int(required=True)
    location_id = fields.Int(required=True)
    page = fields.Int(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


class StockCardSchema(Schema):
    rows = fields.List(fields.Nested(StockCardRowSchema))
    total = fields.Int()
    page = fields.Int()
    per_page = fields.Int()
    balance = fields.Decimal(as_string=True)


class LineInSchema(Schema):
    item_id = fields.Int(required=True)
    lot_id = fields.Int(allow_none=True, load_default=None)
    quantity = Qty


class AdjustmentInSchema(Schema):
    location_id = fields.Int(required=True)
    reason = fields.Str(required=True, validate=validate.OneOf(ADJUSTMENT_REASONS))
    note = fields.Str(load_default="", validate=validate.Length(max=500))
    lines = fields.List(fields.Nested(LineInSchema), required=True, validate=validate.Length(min=1, max=200))


class AdjustmentLineSchema(Schema):
    item_id = fields.Int()
    lot_id = fields.Int(allow_none=True)
    quantity = fields.Decimal(as_string=True)
    unit_cost = fields.Decimal(as_string=True)


class ExpiringSchema(Schema):
    balance_id = fields.Int(attribute="balance.id")
    item_id = fields.Int(attribute="balance.item_id")
    sku = fields.Str(attribute="balance.item.sku")
    item_name = fields.Str(attribute="balance.item.name_id")
    location_id = fields.Int(attribute="balance.location_id")
    location_code = fields.Str(attribute="balance.location.code")
    lot_code = fields.Str(attribute="balance.lot.code")
    expiry = fields.Date(attribute="balance.lot.expiry_date")
    quantity = fields.Decimal(as_string=True, attribute="balance.quantity")
    days_left = fields.Int(metadata={"description": "Days until it expires; negative: expired that long ago"})
    expired = fields.Bool()


class ExpiringQuerySchema(Schema):
    location_id = fields.Int(load_default=None, metadata={"description": "This place and the places under it"})


class DisposeSchema(Schema):
    note = fields.Str(load_default="", validate=validate.Length(max=200))


class AdjustmentSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    location_id = fields.Int()
    reason = fields.Str()
    note = fields.Str()
    status = fields.Str()
    value = fields.Int()
    requested_by_id = fields.Int(allow_none=True)
    decided_by_id = fields.Int(allow_none=True)
    lines = fields.List(fields.Nested(AdjustmentLineSchema))


class TransferInSchema(Schema):
    from_location_id = fields.Int(required=True)
    to_location_id = fields.Int(required=True)
    two_step = fields.Bool(load_default=False)
    lines = fields.List(fields.Nested(LineInSchema), required=True, validate=validate.Length(min=1, max=200))


class TransferSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    from_location_id = fields.Int()
    to_location_id = fields.Int()
    status = fields.Str()
    lines = fields.List(fields.Nested(LineInSchema))


def _qty(**kwargs) -> fields.Decimal:
    """A quantity as it goes out: a string with the 3 places it is stored with, even before it is stored."""
    return Quantity(**kwargs)


class CountInSchema(Schema):
    location_id = fields.Int(required=True)
    note = fields.Str(load_default="", validate=validate.Length(max=500))


class CountQuerySchema(Schema):
    status = fields.Str(load_default=None, validate=validate.OneOf(COUNT_STATUSES))


class CountSchema(Schema):
    """A count as anyone counting may see it: nothing about expected quantities."""

    id = fields.Int()
    reference = fields.Str()
    location = fields.Nested(LocationRefSchema)
    status = fields.Str()
    note = fields.Str()
    recount_percent = fields.Decimal(as_string=True)
    recount_minimum = _qty()
    line_count = fields.Int()
    lines_to_recount = fields.Int()
    created_by_id = fields.Int()
    created_at = fields.DateTime()
    closed_by_id = fields.Int(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    posted_by_id = fields.Int(allow_none=True)
    posted_at = fields.DateTime(allow_none=True)
    cancelled_by_id = fields.Int(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)


class CountScanInSchema(Schema):
    location_id = fields.Int(required=True)  # the bin whose label was scanned
    code = fields.Str(required=True, validate=validate.Length(1, 200))  # what the scanner sent
    packs = Quantity(  # how many of the scanned packaging: a typed number, 1 for a plain scan
        load_default=Decimal(1), validate=validate.Range(min=0, max=100_000, min_inclusive=False)
    )
    lot_code = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))


class CountLineQuantityInSchema(Schema):
    quantity = Quantity(required=True, validate=validate.Range(min=0, max=10_000_000))  # in base units


class CountLineQuerySchema(Schema):
    mine = fields.Bool(load_default=False)
    needs_recount = fields.Bool(load_default=None, allow_none=True)


class CountLineSchema(Schema):
    """A counted line, blind: what was counted, never what was expected."""

    id = fields.Int()
    count_id = fields.Int()
    item = fields.Nested(ItemRefSchema)
    location = fields.Nested(LocationRefSchema)
    lot_id = fields.Int(allow_none=True)
    lot_code = fields.Str(attribute="lot.code", allow_none=True)
    counted_quantity = _qty()
    counted_by_id = fields.Int()
    counted_at = fields.DateTime()
    added_at_close = fields.Bool()
    needs_recount = fields.Bool()
    recount_quantity = _qty(allow_none=True)
    recounted_by_id = fields.Int(allow_none=True)
    recounted_at = fields.DateTime(allow_none=True)


class CountReviewLineSchema(CountLineSchema):
    """A line as the manager reviews it: expected at the moment of counting, the variance and its value."""

    expected_quantity = _qty()
    recount_expected_quantity = _qty(allow_none=True)
    variance = _qty()
    unit_cost = fields.Decimal(as_string=True, allow_none=True)
    value = fields.Int()


class ValuationQuerySchema(Schema):
    day = fields.Date(load_default=None, metadata={"description": "The end of this local day; none: now"})
    location_id = fields.Int(load_default=None, metadata={"description": "A place and the places under it"})


class ValuationRowSchema(Schema):
    sku = fields.Function(lambda row: row.item.sku)
    name = fields.Function(lambda row: row.item.name_id)
    unit = fields.Function(lambda row: row.item.base_unit)
    quantity = fields.Decimal(as_string=True)
    unit_cost = fields.Decimal(as_string=True)
    value = fields.Decimal(places=2, as_string=True, metadata={"description": "Rupiah, to the cent"})


class ValuationSchema(Schema):
    day = fields.Date()
    rows = fields.List(fields.Nested(ValuationRowSchema))
    total = fields.Decimal(places=2, as_string=True, metadata={"description": "Rupiah, to the cent"})
