"""Marshmallow fields the packages share."""

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from marshmallow import ValidationError, fields

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
