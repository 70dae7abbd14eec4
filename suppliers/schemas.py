"""What enters and leaves the suppliers and purchasing API."""

from decimal import Decimal

from marshmallow import fields, validate

from app.fields import Quantity, Schema
from suppliers.models import PAYMENT_TERMS, PO_STATUSES
from suppliers.reorder import explain as reorder_explain


class SupplierQuotaSchema(Schema):
    id = fields.Int(dump_only=True)
    item_id = fields.Int(required=True)
    monthly_quantity = Quantity(required=True, validate=validate.Range(min=0, min_inclusive=False))
    valid_from = fields.Date(required=True)


class SupplierPriceSchema(Schema):
    valid_from = fields.Date(required=True)
    cost = fields.Int(required=True, validate=validate.Range(min=0))


class SupplierItemSchema(Schema):
    id = fields.Int(dump_only=True)
    item_id = fields.Int(required=True)
    packaging_id = fields.Int(required=True)
    supplier_code = fields.Str(load_default="", validate=validate.Length(max=40))
    order_multiple = Quantity(load_default=Decimal(1), validate=validate.Range(min=0, min_inclusive=False))
    kg_per_unit = fields.Decimal(as_string=True, load_default=Decimal(0), validate=validate.Range(min=0))
    item_name = fields.Str(attribute="item.name_id", dump_only=True)
    packaging_name = fields.Str(attribute="packaging.name", dump_only=True)
    prices = fields.List(fields.Nested(SupplierPriceSchema), dump_only=True)


class SupplierSchema(Schema):
    id = fields.Int(dump_only=True)
    code = fields.Str(required=True, validate=validate.Length(1, 20))
    name = fields.Str(required=True, validate=validate.Length(1, 120))
    contact_person = fields.Str(load_default="", validate=validate.Length(max=120))
    phone = fields.Str(load_default="", validate=validate.Length(max=40))
    address = fields.Str(load_default="")
    payment_terms = fields.Str(required=True, validate=validate.OneOf(PAYMENT_TERMS))
    lead_time_days = fields.Int(load_default=1, validate=validate.Range(min=0, max=365))
    max_order_kg = Quantity(allow_none=True, load_default=None, validate=validate.Range(min=0, min_inclusive=False))
    min_order_value = fields.Int(load_default=0, validate=validate.Range(min=0))
    is_active = fields.Bool(load_default=True)
    catalogue = fields.List(fields.Nested(SupplierItemSchema), dump_only=True)
    quotas = fields.List(fields.Nested(SupplierQuotaSchema), dump_only=True)


class SupplierUpdateSchema(SupplierSchema):
    """PATCH a supplier: used with partial=True."""


class OrderInSchema(Schema):
    supplier_id = fields.Int(required=True)
    destination_id = fields.Int(required=True)
    expected_date = fields.Date(allow_none=True, load_default=None)
    note = fields.Str(load_default="", validate=validate.Length(max=500))


class OrderLineInSchema(Schema):
    item_id = fields.Int(required=True)
    packs = Quantity(required=True, validate=validate.Range(min=0))


class OrderLineSchema(Schema):
    id = fields.Int()
    item_id = fields.Int()
    item_name = fields.Str(attribute="item.name_id")
    packaging_id = fields.Int()
    packaging_name = fields.Str(attribute="packaging.name")
    packs = fields.Decimal(as_string=True, places=3)
    quantity = fields.Decimal(as_string=True, places=3)
    unit_cost = fields.Int()
    total = fields.Int()
    received_quantity = fields.Decimal(as_string=True, places=3)
    open_quantity = fields.Decimal(as_string=True, places=3)


class OrderSchema(Schema):
    id = fields.Int()
    number = fields.Str()
    supplier_id = fields.Int()
    supplier_name = fields.Str(attribute="supplier.name")
    status = fields.Str()
    order_date = fields.Date()
    expected_date = fields.Date(allow_none=True)
    destination_id = fields.Int()
    note = fields.Str()
    total = fields.Int()
    lines = fields.List(fields.Nested(OrderLineSchema))


class OrderQuerySchema(Schema):
    status = fields.Str(load_default=None, validate=validate.OneOf(PO_STATUSES))
    supplier_id = fields.Int(load_default=None)


class ReceiptOpenSchema(Schema):
    order_number = fields.Str(required=True, validate=validate.Length(1, 30))


class ReceiptScanSchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(1, 200))
    times = Quantity(load_default=Decimal(1), validate=validate.Range(min=0, min_inclusive=False))
    condition = fields.Str(load_default="good", validate=validate.OneOf(["good", "damaged", "rejected"]))
    lot = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    expiry = fields.Date(load_default=None, allow_none=True)
    reason = fields.Str(load_default="", validate=validate.Length(max=120))


class ReceiptEmptiesSchema(Schema):
    count = Quantity(required=True, validate=validate.Range(min=0))


class SupplierReturnInSchema(Schema):
    item_id = fields.Int(required=True)
    quantity = Quantity(required=True, validate=validate.Range(min=0, min_inclusive=False))
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    location_id = fields.Int(required=True, metadata={"description": "Where the goods are now (stock or quarantine)"})
    lot_code = fields.Str(
        load_default=None, validate=validate.Length(max=40), metadata={"description": "Without: first to expire"}
    )


class LotReturnSchema(Schema):
    reason = fields.Str(load_default="", validate=validate.Length(max=200))


class SupplierReturnSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    receipt_id = fields.Int()
    item_id = fields.Int()
    item_name = fields.Str(attribute="item.name_id")
    lot_code = fields.Str(attribute="lot.code", allow_none=True)
    location_code = fields.Str(attribute="location.code")
    quantity = fields.Decimal(as_string=True, places=3)
    reason = fields.Str()


class ReceiptLineSchema(Schema):
    id = fields.Int()
    item_id = fields.Int()
    item_name = fields.Str(attribute="item.name_id")
    item_name_en = fields.Str(attribute="item.name_en")
    lot_code = fields.Str()
    expiry_date = fields.Date(allow_none=True)
    condition = fields.Str()
    quantity = fields.Decimal(as_string=True, places=3)
    reason = fields.Str()
    location_code = fields.Str(
        attribute="location.code", allow_none=True, metadata={"description": "The bin; none: proposed at posting"}
    )


class ProgressSchema(Schema):
    item_id = fields.Int(attribute="item.id")
    item_name = fields.Str(attribute="item.name_id")
    expected = fields.Decimal(as_string=True, places=3)
    received = fields.Decimal(as_string=True, places=3)
    rejected = fields.Decimal(as_string=True, places=3)
    on_order = fields.Bool()
    state = fields.Str()


class ReceiptSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    order_id = fields.Int()
    order_number = fields.Str(attribute="order.number")
    order_status = fields.Str(attribute="order.status")
    status = fields.Str()
    lines = fields.List(fields.Nested(ReceiptLineSchema))
    returns = fields.List(fields.Nested(SupplierReturnSchema))
    bin_code = fields.Str(
        attribute="bin.code", allow_none=True, metadata={"description": "The bin label scanned last (put-away)"}
    )
    scanned = fields.Nested(
        ReceiptLineSchema,
        attribute="scanned_line",
        metadata={"description": "After a scan: the line it went to, with its new quantity"},
    )
    progress = fields.Method("_progress")
    needs_manager = fields.Method("_needs_manager")

    def _progress(self, receipt):
        from suppliers.receiving import progress

        return ProgressSchema(many=True).dump(progress(receipt))

    def _needs_manager(self, receipt):
        from suppliers.receiving import needs_manager

        return needs_manager(receipt)


class ReorderRuleSchema(Schema):
    id = fields.Int(dump_only=True)
    item_id = fields.Int(required=True)
    item_name = fields.Str(attribute="item.name_id", dump_only=True)
    location_id = fields.Int(required=True)
    location_code = fields.Str(attribute="location.code", dump_only=True)
    supplier_id = fields.Int(required=True)
    reorder_point = Quantity(required=True, validate=validate.Range(min=0))
    order_up_to = Quantity(required=True, validate=validate.Range(min=0, min_inclusive=False))
    safety_stock = Quantity(load_default=Decimal(0), validate=validate.Range(min=0))
    review_period_days = fields.Int(load_default=7, validate=validate.Range(min=0, max=365))
    demand_days = fields.Int(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=365),
        metadata={
            "description": (
                "Demand mode: the reorder point follows the average sales of the last N days (recomputed nightly)"
            )
        },
    )
    demand_per_day = fields.Decimal(as_string=True, dump_only=True, allow_none=True)
    is_active = fields.Bool(dump_only=True)


class ReorderRuleSwitchSchema(Schema):
    is_active = fields.Bool(required=True)


class SuggestionLineSchema(OrderLineSchema):
    reasoning = fields.Dict(metadata={"description": "The figures: on hand, on order, demand, levels, cap, result"})
    explanation = fields.Function(reorder_explain, metadata={"description": "The reasoning in sentences"})


class SuggestionSchema(OrderSchema):
    destination_code = fields.Str(attribute="destination.code")
    lines = fields.List(fields.Nested(SuggestionLineSchema))


class SuggestionLineInSchema(OrderLineInSchema):
    suggested = Quantity(
        load_default=None,
        metadata={
            "description": "The packs the suggestion showed (from GET /suggestions): if the check now asks for "
            "another quantity, the approval is refused with the new suggestion"
        },
    )


class SuggestionApproveSchema(Schema):
    lines = fields.List(
        fields.Nested(SuggestionLineInSchema),
        required=True,
        metadata={"description": "Every line of the suggestion as the manager leaves it (packs 0 drops it)"},
    )
