"""Marshmallow fields the packages share."""

from decimal import Decimal, InvalidOperation

import marshmallow
from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate

QTY_PLACES = 3  # a quantity is stored with 3 decimals (grams of a kg); a unit may allow fewer
QTY_QUANTUM = Decimal(1).scaleb(-QTY_PLACES)
QTY_LIMIT = Decimal(10) ** 9  # NUMERIC(14,3) holds less than 10^11; no real quantity comes near this


class Quantity(fields.Decimal):
    """A quantity: a finite number with at most 3 decimals, never rounded to fit (12.3456 kg is refused, not
    sold as 12.346), under a billion; read from a JSON number or string, written as a string ("12.500"). The
    item's own unit may allow fewer decimals (a pack is whole): the services check that."""

    def __init__(self, **kwargs):
        kwargs.setdefault("as_string", True)
        super().__init__(places=QTY_PLACES, allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        not_a_number = ValidationError(_("Enter a number, like 2 or 12.5."))
        if value is True or value is False or not isinstance(value, int | float | str | Decimal):
            raise not_a_number
        try:
            given = Decimal(str(value).strip())
        except InvalidOperation as error:
            raise not_a_number from error
        if not given.is_finite():  # NaN, Infinity
            raise not_a_number
        if abs(given) >= QTY_LIMIT:
            raise ValidationError(_("Too large."))
        if given != given.quantize(QTY_QUANTUM):
            raise ValidationError(_("At most %(n)d decimal places.", n=QTY_PLACES))
        return given.quantize(QTY_QUANTUM)


INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # an INTEGER column; ids and counts
MONEY_MAX = 10**12  # rupiah: a BIGINT column holds far more; no till takes a trillion
TEXT_MAX = 2000  # a text field with no length of its own (an address, a note)


class Schema(marshmallow.Schema):
    """The API's schemas: every integer it reads is whole (65500.5 and 1.5 are refused, not truncated) and
    within what its column holds; every text it reads has a length limit and no NUL character."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.load_fields.values():
            if isinstance(field, fields.Integer):
                field._deserialize = _whole(field._deserialize)
                if not any(isinstance(v, validate.Range) and v.max is not None for v in field.validators):
                    field.validators.append(validate.Range(INT_MIN, INT_MAX))
            elif isinstance(field, fields.String) and not isinstance(field, fields.Email):
                if not any(isinstance(v, validate.Length) and v.max is not None for v in field.validators):
                    field.validators.append(validate.Length(max=TEXT_MAX))
                field.validators.append(_no_nul)


def _whole(deserialize):
    """An integer field that refuses 65500.5 instead of truncating it (a query string's "5" stays fine)."""

    def exact(value, attr, data, **kwargs):
        if isinstance(value, float) and not value.is_integer():
            raise ValidationError(_("Enter a whole number."))
        return deserialize(value, attr, data, **kwargs)

    return exact


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError(_("A NUL character is not allowed."))
