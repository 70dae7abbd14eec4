"""Names of the purchasing codes (order statuses and actions, payment terms) in the reader's language."""

from flask_babel import lazy_gettext as _l

from app.terms import register

register(
    po_status={
        "draft": _l("draft"),
        "submitted": _l("waiting for approval"),
        "approved": _l("approved"),
        "partially_received": _l("partly received"),
        "received": _l("received"),
        "closed": _l("closed"),
        "cancelled": _l("cancelled"),
    },
    po_action={
        "submit": _l("submit"),
        "approve": _l("approve"),
        "cancel": _l("cancel"),
        "close": _l("close"),
    },
    payment_terms={
        "cash": _l("Cash"),
        "transfer": _l("Bank transfer"),
        "cashless": _l("Cashless only"),
    },
)
