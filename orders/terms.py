"""Names of the shop's codes (caps, payment methods, price lists, return statuses) in the reader's language."""

from flask_babel import lazy_gettext as _l

from app.terms import register

register(
    cap_scope={
        "member": _l("member number"),
        "nik": _l("NIK"),
        "household": _l("household card (KK) number"),
    },
    cap_period={
        "transaction": _l("sale"),
        "day": _l("day"),
        "month": _l("month"),
    },
    cap_when={
        "transaction": _l("in this sale"),
        "day": _l("today"),
        "month": _l("this month"),
    },
    payment_method={
        "cash": _l("Cash"),
        "qris": _l("QRIS"),
    },
    price_list={
        "member": _l("Member price"),
        "general": _l("General price"),
    },
    return_status={
        "requested": _l("waiting for a manager"),
        "approved": _l("approved"),
        "rejected": _l("rejected"),
    },
)
