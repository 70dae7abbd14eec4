"""Names of the warehouse's codes (reasons, units, kinds of place, statuses) in the reader's language."""

from flask_babel import lazy_gettext as _l

from app.terms import register

register(
    adjustment_reason={
        "damaged": _l("Damaged"),
        "expired": _l("Expired"),
        "count_correction": _l("Count correction"),
        "found": _l("Found"),
    },
    move_reason={
        "receipt": _l("Receipt"),
        "sale": _l("Sale"),
        "return": _l("Customer return"),
        "transfer": _l("Transfer"),
        "adjustment": _l("Adjustment"),
        "count": _l("Stock count"),
        "reversal": _l("Reversal"),
        "opening": _l("Opening stock"),
        "exchange": _l("Cylinder exchange"),
        "supplier_return": _l("Return to supplier"),
    },
    unit={
        "kg": _l("kg"),
        "pack": _l("pack"),
        "cylinder": _l("cylinder"),
        "piece": _l("piece"),
    },
    location_kind={
        "warehouse": _l("Warehouse"),
        "zone": _l("Zone"),
        "bin": _l("Bin"),
        "shop": _l("Shop"),
        "shelf": _l("Shelf"),
        "in_transit": _l("In transit"),
        "quarantine": _l("Quarantine"),
        "supplier": _l("Supplier"),
        "customer": _l("Customer"),
        "loss": _l("Loss and adjustment"),
    },
    status={
        "pending": _l("waiting for approval"),
        "posted": _l("posted"),
        "rejected": _l("rejected"),
        "in_transit": _l("on the way"),
        "done": _l("done"),
        "open": _l("open"),
        "review": _l("in review"),
        "cancelled": _l("cancelled"),
    },
)
