"""What enters and leaves the shop's API: prices and ceilings, caps, tills, sales, returns."""

from decimal import Decimal

from marshmallow import fields, validate

from app.fields import Quantity, Schema
from members.privacy import Private
from orders import receipts
from orders.models import BUYER_CATEGORIES, CAP_PERIODS, CAP_SCOPES, PAYMENT_METHODS, PRICE_LISTS


class PriceInSchema(Schema):
    packaging_id = fields.Int(required=True)
    price_list = fields.Str(required=True, validate=validate.OneOf(PRICE_LISTS))
    amount = fields.Int(required=True, validate=validate.Range(min=1))
    valid_from = fields.Date(required=True)


class PriceSchema(Schema):
    id = fields.Int()
    packaging_id = fields.Int()
    price_list = fields.Str()
    amount = fields.Int()
    valid_from = fields.Date()


class CeilingInSchema(Schema):
    item_id = fields.Int(required=True)
    amount_per_unit = fields.Int(required=True, validate=validate.Range(min=1))
    valid_from = fields.Date(required=True)
    source = fields.Str(load_default="", validate=validate.Length(max=200))
    zone = fields.Str(
        load_default=None,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "The HET zone; the cooperative's (a setting) when not given."},
    )


class ShopZoneSchema(Schema):
    id = fields.Int(dump_only=True)
    code = fields.Str(dump_only=True)
    name = fields.Str(dump_only=True)
    het_zone = fields.Str(
        required=True,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "The shop's own HET zone; null or empty: the cooperative's."},
    )


class CeilingSchema(Schema):
    id = fields.Int()
    item_id = fields.Int()
    zone = fields.Str()
    amount_per_unit = fields.Int()
    valid_from = fields.Date()
    source = fields.Str()


class CeilingResultSchema(Schema):
    ceiling = fields.Nested(CeilingSchema)
    prices_above = fields.List(fields.Nested(PriceSchema))


class PriceRowSchema(Schema):
    packaging_id = fields.Int(attribute="packaging.id")
    packaging = fields.Str(attribute="packaging.name")
    item_id = fields.Int(attribute="packaging.item_id")
    item = fields.Str(attribute="packaging.item.name_id")
    member = fields.Function(lambda row: row.member.amount if row.member else None, allow_none=True)
    general = fields.Function(lambda row: row.general.amount if row.general else None, allow_none=True)
    ceiling = fields.Int(attribute="ceiling_per_packaging", allow_none=True)


class PriceQuerySchema(Schema):
    day = fields.Date(load_default=None)


class CapRuleSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(1, 80))
    item_id = fields.Int(required=True)
    scope = fields.Str(required=True, validate=validate.OneOf(CAP_SCOPES))
    period = fields.Str(required=True, validate=validate.OneOf(CAP_PERIODS))
    buyer_category = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(BUYER_CATEGORIES))
    max_quantity = Quantity(required=True, validate=validate.Range(min=0, min_inclusive=False))
    valid_from = fields.Date(required=True)
    is_active = fields.Bool(dump_only=True)


# --- the till -----------------------------------------------------------------------------------------------


class TillInSchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(1, 10))
    name = fields.Str(load_default="", validate=validate.Length(max=60))
    location_id = fields.Int(required=True)


class TillSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    location_id = fields.Int()
    is_active = fields.Bool()
    receipt_seq = fields.Int()


class OpenTillSchema(Schema):
    opening_float = fields.Int(required=True, validate=validate.Range(min=0))


class TillCountSchema(Schema):
    method = fields.Str()
    expected = fields.Int()
    counted = fields.Int()
    difference = fields.Int()


class TillSessionSchema(Schema):
    id = fields.Int()
    till = fields.Str(attribute="till.code")
    cashier = fields.Str(attribute="cashier.full_name")
    opened_at = fields.DateTime()
    opening_float = fields.Int()
    closed_at = fields.DateTime(allow_none=True)
    note = fields.Str()
    counts = fields.List(fields.Nested(TillCountSchema))


class CountedSchema(Schema):
    cash = fields.Int(required=True, validate=validate.Range(min=0))
    qris = fields.Int(required=True, validate=validate.Range(min=0))


class CloseTillSchema(Schema):
    counted = fields.Nested(CountedSchema, required=True)
    unsent_sales = fields.Int(
        load_default=0,
        validate=validate.Range(min=0),
        metadata={"description": "Sales the till's screen still holds in its outbox (not yet acknowledged)."},
    )
    note = fields.Str(load_default="", validate=validate.Length(max=500))


class BuyerInSchema(Schema):
    nik = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=16))
    kk_number = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=16))
    category = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(BUYER_CATEGORIES))
    name = fields.Str(load_default="", validate=validate.Length(max=120))


class CartLineInSchema(Schema):
    packaging_id = fields.Int(required=True)
    quantity = Quantity(required=True, validate=validate.Range(min=0, min_inclusive=False))
    empties = Quantity(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0),
        metadata={"description": "Empty cylinders handed in (refills); omitted: one per full cylinder."},
    )


class CartSchema(Schema):
    till = fields.Str(required=True, validate=validate.Length(1, 10))
    member = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    buyer = fields.Nested(BuyerInSchema, load_default=None, allow_none=True)
    lines = fields.List(fields.Nested(CartLineInSchema), required=True, validate=validate.Length(1, 100))


class PaymentInSchema(Schema):
    method = fields.Str(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    amount = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=1))
    tendered = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=0))
    reference = fields.Str(load_default="", validate=validate.Length(max=64))


class SaleInSchema(CartSchema):
    payments = fields.List(fields.Nested(PaymentInSchema), required=True, validate=validate.Length(1, 5))


class MemberBriefSchema(Schema):
    member_number = fields.Str()
    full_name = fields.Str()
    category = fields.Str()
    status = fields.Str()
    can_buy_as_member = fields.Bool()


class PricedLineSchema(Schema):
    line_no = fields.Int()
    kind = fields.Str()
    packaging_id = fields.Int(attribute="packaging.id")
    packaging = fields.Str(attribute="packaging.name")
    sku = fields.Str(attribute="item.sku")
    name = fields.Str(attribute="item.name_id")
    unit = fields.Str(attribute="item.base_unit")
    quantity = fields.Decimal(as_string=True)
    unit_price = fields.Int(allow_none=True)
    amount = fields.Int()
    empties_in = fields.Decimal(as_string=True)
    returnable = fields.Function(lambda line: line.item.empty_item_id is not None)
    problem = fields.Str(allow_none=True)


class CapStatusSchema(Schema):
    name = fields.Str(attribute="rule.name")
    item_id = fields.Int(attribute="rule.item_id")
    max = fields.Decimal(as_string=True, attribute="rule.max_quantity")
    used = fields.Decimal(as_string=True)
    wanted = fields.Decimal(as_string=True)
    remaining = fields.Decimal(as_string=True)
    fits = fields.Bool()
    message = fields.Str()


class QuoteSchema(Schema):
    price_list = fields.Str(attribute="priced.price_list")
    member = fields.Nested(MemberBriefSchema, attribute="priced.member", allow_none=True)
    needs_nik = fields.Bool(attribute="priced.needs_nik")
    lines = fields.List(fields.Nested(PricedLineSchema), attribute="priced.lines")
    total = fields.Int(attribute="priced.total")
    caps = fields.List(fields.Nested(CapStatusSchema))
    problems = fields.List(fields.Str())


class SaleLineSchema(Schema):
    id = fields.Int()
    line_no = fields.Int()
    kind = fields.Str()
    sku = fields.Str(attribute="item.sku")
    name = fields.Str(attribute="item.name_id")
    packaging_id = fields.Int()
    packaging = fields.Str(attribute="packaging.name")
    # Three places, as stored: the sale just posted (Decimal(0) in memory) reads the same as when loaded later.
    quantity = fields.Decimal(as_string=True, places=3)
    unit_price = fields.Int()
    amount = fields.Int()
    empties_in = fields.Decimal(as_string=True, places=3)
    returned_quantity = fields.Decimal(as_string=True, places=3)


class PaymentSchema(Schema):
    method = fields.Str()
    amount = fields.Int()
    tendered = fields.Int(allow_none=True)
    reference = fields.Str()
    return_id = fields.Int(allow_none=True)


class SaleSchema(Schema):
    id = fields.Int()
    receipt_number = fields.Str()
    till = fields.Method("till_code")
    sold_at = fields.DateTime()
    sale_date = fields.Date()
    price_list = fields.Str()
    member = fields.Nested(MemberBriefSchema, allow_none=True)
    buyer_name = fields.Str()
    buyer_nik = Private(allow_none=True)
    buyer_category = fields.Str(allow_none=True)
    total = fields.Int()
    change = fields.Int()
    lines = fields.List(fields.Nested(SaleLineSchema))
    payments = fields.List(fields.Nested(PaymentSchema))

    def till_code(self, sale) -> str:
        return sale.receipt_number.rsplit("-", 1)[0]


class PostedSaleSchema(SaleSchema):
    """The answer to a sale: with the original receipt to print (any later print is marked as a copy)."""

    receipt_text = fields.Function(lambda sale: receipts.receipt_text(sale))


class SaleQuerySchema(Schema):
    receipt = fields.Str(load_default=None)
    day = fields.Date(load_default=None)


class TillScanQuerySchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(1, 200))


class TillScanSchema(Schema):
    kind = fields.Str(metadata={"description": "member, item or receipt"})
    member = fields.Nested(MemberBriefSchema, allow_none=True)
    packaging_id = fields.Int(allow_none=True)
    name = fields.Str(allow_none=True)
    packaging = fields.Str(allow_none=True)
    unit = fields.Str(allow_none=True)
    by_weight = fields.Bool()
    quantity = fields.Decimal(as_string=True, allow_none=True)
    receipt_number = fields.Str(allow_none=True)
    sale_id = fields.Int(allow_none=True)


class ReturnLineInSchema(Schema):
    sale_line_id = fields.Int(required=True)
    quantity = Quantity(required=True, validate=validate.Range(min=0))
    damaged = fields.Bool(load_default=False)


class ReturnInSchema(Schema):
    receipt_number = fields.Str(required=True, validate=validate.Length(1, 20))
    reason = fields.Str(required=True, validate=validate.Length(1, 200))
    refund_method = fields.Str(load_default="cash", validate=validate.OneOf(PAYMENT_METHODS))
    refund_reference = fields.Str(load_default="", validate=validate.Length(max=64))
    lines = fields.List(fields.Nested(ReturnLineInSchema), required=True, validate=validate.Length(1, 100))


class ReturnLineSchema(Schema):
    sale_line_id = fields.Int()
    name = fields.Str(attribute="sale_line.item.name_id")
    quantity = fields.Decimal(as_string=True)
    empties_out = fields.Decimal(as_string=True)
    amount = fields.Int()
    damaged = fields.Bool()


class ReturnSchema(Schema):
    id = fields.Int()
    receipt_number = fields.Str(attribute="sale.receipt_number")
    status = fields.Str()
    reason = fields.Str()
    amount = fields.Int()
    refund_method = fields.Str()
    refund_reference = fields.Str()
    requested_by = fields.Str(attribute="requested_by.full_name")
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.Str()
    lines = fields.List(fields.Nested(ReturnLineSchema))


class RejectSchema(Schema):
    note = fields.Str(required=True, validate=validate.Length(1, 200))


class SubsidyQuerySchema(Schema):
    item = fields.Str(required=True, metadata={"description": "The subsidised item's SKU: LPG3 or SPHP5."})
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class SalesReportQuerySchema(Schema):
    by = fields.Str(
        load_default="day", validate=validate.OneOf(["day", "week", "month", "item", "member", "till", "cashier"])
    )
    since = fields.Date(
        data_key="from", load_default=None, metadata={"description": "First local date (default: the 1st)"}
    )
    until = fields.Date(data_key="to", load_default=None, metadata={"description": "Last local date, included (today)"})


class SalesRowSchema(Schema):
    key = fields.Str(metadata={"description": "The period's first day, or the SKU, member number, till or username"})
    label = fields.Str()
    receipts = fields.Int()
    gross = fields.Int(metadata={"description": "Rupiah sold"})
    to_members = fields.Int()
    to_others = fields.Int()
    returns = fields.Int(metadata={"description": "Rupiah refunded in the period"})
    net = fields.Int()
    quantity = fields.Str(metadata={"description": "Base units sold (by item)"})


class SalesReportSchema(Schema):
    by = fields.Str()
    first = fields.Date()
    last = fields.Date()
    rows = fields.List(fields.Nested(SalesRowSchema))
    total = fields.Nested(SalesRowSchema)


class ShuQuerySchema(Schema):
    surplus = fields.Int(load_default=None, validate=validate.Range(min=0, max=10**12))
    member_percent = fields.Decimal(load_default=None, places=2, as_string=True, validate=validate.Range(0, 100))


class ShuCloseSchema(Schema):
    surplus = fields.Int(required=True, validate=validate.Range(min=0, max=10**12))
    member_percent = fields.Decimal(required=True, places=2, as_string=True, validate=validate.Range(0, 100))


class ShuShareSchema(Schema):
    member_number = fields.Function(lambda s: s.member.member_number)
    name = fields.Function(lambda s: s.member.full_name)
    purchases = fields.Int()
    share = fields.Int()
    adjustment = fields.Int()


class ShuSchema(Schema):
    year = fields.Int()
    surplus = fields.Int()
    member_percent = fields.Decimal(as_string=True)
    amount = fields.Int(metadata={"description": "What the shares add up to, exactly"})
    purchases = fields.Int()
    closed_at = fields.AwareDateTime(allow_none=True)
    shares = fields.List(fields.Nested(ShuShareSchema))


class PeriodQuerySchema(Schema):
    since = fields.Date(data_key="from", load_default=None, metadata={"description": "First local date (the 1st)"})
    until = fields.Date(data_key="to", load_default=None, metadata={"description": "Last local date, included"})


class MarginRowSchema(Schema):
    month = fields.Function(lambda r: r.month.isoformat()[:7])
    sku = fields.Function(lambda r: r.item.sku)
    name = fields.Function(lambda r: r.item.name_id)
    revenue = fields.Int()
    cost = fields.Function(lambda r: str(r.cost.quantize(Decimal("0.01"))))
    margin = fields.Function(lambda r: str(r.margin.quantize(Decimal("0.01"))))
