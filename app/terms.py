"""Names for the codes kept as data (roles, reasons, units, location kinds), in the reader's language."""

from flask_babel import lazy_gettext as _l

# Keys are the codes stored in the database; tests/app/test_translations.py keeps them in step with the models.
TERMS = {
    "role": {
        "admin": _l("Administrator"),
        "manager": _l("Manager"),
        "warehouse": _l("Warehouse clerk"),
        "cashier": _l("Cashier"),
    },
    "adjustment_reason": {
        "damaged": _l("Damaged"),
        "expired": _l("Expired"),
        "count_correction": _l("Count correction"),
        "found": _l("Found"),
    },
    "move_reason": {
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
    "unit": {
        "kg": _l("kg"),
        "pack": _l("pack"),
        "cylinder": _l("cylinder"),
        "piece": _l("piece"),
    },
    "location_kind": {
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
    "status": {
        "pending": _l("waiting for approval"),
        "posted": _l("posted"),
        "rejected": _l("rejected"),
        "in_transit": _l("on the way"),
        "done": _l("done"),
        "open": _l("open"),
        "review": _l("in review"),
        "cancelled": _l("cancelled"),
    },
    "po_status": {
        "draft": _l("draft"),
        "submitted": _l("waiting for approval"),
        "approved": _l("approved"),
        "partially_received": _l("partly received"),
        "received": _l("received"),
        "closed": _l("closed"),
        "cancelled": _l("cancelled"),
    },
    "import_status": {
        "queued": _l("waiting for a worker"),
        "running": _l("importing"),
        "done": _l("done"),
        "refused": _l("refused: nothing imported"),
        "failed": _l("failed: nothing imported"),
    },
    "po_action": {
        "submit": _l("submit"),
        "approve": _l("approve"),
        "cancel": _l("cancel"),
        "close": _l("close"),
    },
    "payment_terms": {
        "cash": _l("Cash"),
        "transfer": _l("Bank transfer"),
        "cashless": _l("Cashless only"),
    },
    "member_category": {
        "household": _l("Household"),
        "micro_business": _l("Micro business"),
        "farmer": _l("Farmer"),
        "fisher": _l("Fisher"),
    },
    "member_status": {
        "active": _l("active"),
        "suspended": _l("suspended"),
        "left": _l("left"),
    },
    "member_status_action": {  # the button that moves a member to that status
        "active": _l("Reactivate"),
        "suspended": _l("Suspend"),
        "left": _l("Record leaving"),
    },
    "cap_scope": {
        "member": _l("member number"),
        "nik": _l("NIK"),
        "household": _l("household card (KK) number"),
    },
    "cap_period": {
        "transaction": _l("sale"),
        "day": _l("day"),
        "month": _l("month"),
    },
    "cap_when": {
        "transaction": _l("in this sale"),
        "day": _l("today"),
        "month": _l("this month"),
    },
    "payment_method": {
        "cash": _l("Cash"),
        "qris": _l("QRIS"),
    },
    "price_list": {
        "member": _l("Member price"),
        "general": _l("General price"),
    },
    "return_status": {
        "requested": _l("waiting for a manager"),
        "approved": _l("approved"),
        "rejected": _l("rejected"),
    },
    "health_signal": {
        "database": _l("Database"),
        "outbox": _l("Reorder checks waiting"),
        "redis": _l("Job queue (Redis)"),
        "retries_overdue": _l("Retries on time"),
        "failed_jobs": _l("Failed jobs"),
        "cron": _l("Cron"),
        "workers": _l("Workers"),
    },
}


def term(kind: str, code: str) -> str:
    """The name of a code in the current language (the code itself if it has none)."""
    return str(TERMS[kind].get(code, code))
