"""What enters and leaves the prices and ceilings API."""

from marshmallow import Schema, fields, validate

from orders.models import BUYER_CATEGORIES, CAP_PERIODS, CAP_SCOPES, PRICE_LISTS


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
    max_quantity = fields.Decimal(as_string=True, required=True, validate=validate.Range(min=0, min_inclusive=False))
    valid_from = fields.Date(required=True)
    is_active = fields.Bool(dump_only=True)
