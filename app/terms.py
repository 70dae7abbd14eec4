"""Codes kept as data (roles, reasons, units, location kinds) that templates show with _(code), marked for pybabel."""

from flask_babel import lazy_gettext as _l

# Keys are the codes stored in the database; keep them in step with app.models.ROLES and inventory.models
# (tests/app/test_translations.py checks). "warehouse" is both a role and a location kind, and one msgid has
# one translation: it is translated as the role, the only place it is shown today.

ROLES = {
    "admin": _l("admin"),
    "manager": _l("manager"),
    "warehouse": _l("warehouse"),
    "cashier": _l("cashier"),
}

ADJUSTMENT_REASONS = {
    "damaged": _l("damaged"),
    "expired": _l("expired"),
    "count_correction": _l("count_correction"),
    "found": _l("found"),
}

MOVE_REASONS = {
    "receipt": _l("receipt"),
    "sale": _l("sale"),
    "return": _l("return"),
    "transfer": _l("transfer"),
    "adjustment": _l("adjustment"),
    "count": _l("count"),
    "reversal": _l("reversal"),
    "opening": _l("opening"),
    "exchange": _l("exchange"),
    "supplier_return": _l("supplier_return"),
}

BASE_UNITS = {
    "kg": _l("kg"),
    "pack": _l("pack"),
    "cylinder": _l("cylinder"),
    "piece": _l("piece"),
}

LOCATION_KINDS = {
    "warehouse": _l("warehouse"),
    "zone": _l("zone"),
    "bin": _l("bin"),
    "shop": _l("shop"),
    "shelf": _l("shelf"),
    "in_transit": _l("in_transit"),
    "quarantine": _l("quarantine"),
    "supplier": _l("supplier"),
    "customer": _l("customer"),
    "loss": _l("loss"),
}
