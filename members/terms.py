"""Names of the members' codes (categories, statuses) in the reader's language."""

from flask_babel import lazy_gettext as _l

from app.terms import register

register(
    member_category={
        "household": _l("Household"),
        "micro_business": _l("Micro business"),
        "farmer": _l("Farmer"),
        "fisher": _l("Fisher"),
    },
    member_status={
        "active": _l("active"),
        "suspended": _l("suspended"),
        "left": _l("left"),
    },
    member_status_action={  # the button that moves a member to that status
        "active": _l("Reactivate"),
        "suspended": _l("Suspend"),
        "left": _l("Record leaving"),
    },
)
