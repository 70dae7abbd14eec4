"""The cooperative's settings: its name and legal identity, its HET zone and time zone, what its receipts say and
the thresholds its managers may tune. Each package declares its own (a Spec: key, type, default, bounds, label);
an admin changes them on a screen or through the API, each change audited. Secrets and servers stay in the
environment (app.config); what a cooperative decides lives here, in the database.

Read with get(key): the stored value, else the default. All settings are read in one statement the first time a
request (or job) asks for one, and kept for the rest of it."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit
from app.db import db, utcnow
from app.errors import ValidationFailed
from app.models import Setting

KINDS = ("text", "multiline", "int", "decimal", "timezone")


@dataclass(frozen=True)
class Spec:
    key: str
    kind: str  # one of KINDS
    default: Any
    label: Any  # lazy_gettext
    hint: Any = ""
    group: str = "cooperative"  # the screen's section: cooperative, selling, stock, sessions
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    max_length: int = 200
    required: bool = False
    choices: tuple = ()  # when set, the value is one of these

    def parse(self, value: Any) -> Any:
        """The typed value of what a form or a JSON body gave; ValueError with a sentence when it won't do."""
        if self.kind in ("text", "multiline", "timezone"):
            if not isinstance(value, str):
                raise ValueError(_("Enter text."))
            text = value.replace("\r\n", "\n").strip()
            if "\x00" in text:
                raise ValueError(_("A NUL character is not allowed."))
            if self.required and not text:
                raise ValueError(_("Required."))
            if len(text) > self.max_length:
                raise ValueError(_("At most %(n)d characters.", n=self.max_length))
            if self.kind == "text" and "\n" in text:
                raise ValueError(_("One line only."))
            if self.kind == "timezone":
                return _time_zone(text)
            return text
        if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
            raise ValueError(_("Enter a number, like 2 or 12.5."))
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation as error:
            raise ValueError(_("Enter a number, like 2 or 12.5.")) from error
        if not number.is_finite():
            raise ValueError(_("Enter a number, like 2 or 12.5."))
        if self.kind == "int":
            if number != number.to_integral_value():
                raise ValueError(_("Enter a whole number."))
            number = int(number)
        if self.choices and number not in self.choices:
            raise ValueError(_("One of: %(r)s", r=", ".join(map(str, self.choices))))
        if self.minimum is not None and number < self.minimum:
            raise ValueError(_("At least %(n)s.", n=self.minimum))
        if self.maximum is not None and number > self.maximum:
            raise ValueError(_("At most %(n)s.", n=self.maximum))
        return number

    def dump(self, value: Any) -> Any:
        """As the API shows it: decimals as strings (never rounded by a float), the rest as they are."""
        return str(value) if isinstance(value, Decimal) else value


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(_("Not a time zone; for example Asia/Makassar (WITA) or Asia/Jakarta (WIB).")) from error
    return name


SPECS: dict[str, Spec] = {}


def register(*specs: Spec) -> None:
    """A package declares the settings it reads (at import, before the app serves)."""
    for spec in specs:
        SPECS[spec.key] = spec


def _stored() -> dict[str, str]:
    if "settings" not in g:
        g.settings = dict(db.session.execute(select(Setting.key, Setting.value)).all())
    return g.settings


def refresh() -> None:
    """Read them again at the next get (another request or process changed them)."""
    g.pop("settings", None)


def get(key: str) -> Any:
    spec = SPECS[key]
    raw = _stored().get(key)
    if raw is None:
        return spec.default
    try:
        return spec.parse(raw)
    except ValueError:
        return spec.default  # a value a later version no longer accepts: the default until an admin sets it


def all_values() -> dict[str, Any]:
    return {key: get(key) for key in SPECS}


def update(given: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the given settings (others unchanged), all or none: every bad value is named. Audited as one entry
    of the values that changed, old and new. Returns those changes."""
    errors: dict[str, list[str]] = {}
    parsed: dict[str, Any] = {}
    for key, value in given.items():
        spec = SPECS.get(key)
        if spec is None:
            errors[key] = [_("Unknown setting.")]
            continue
        try:
            parsed[key] = spec.parse(value)
        except ValueError as error:
            errors[key] = [str(error)]
    if errors:
        raise ValidationFailed(_("Some settings are not valid; nothing was changed."), fields=errors)
    changes = {}
    rows = {row.key: row for row in db.session.scalars(select(Setting).where(Setting.key.in_(parsed)))}
    for key, value in parsed.items():
        old = get(key)
        if old == value:
            continue
        row = rows.get(key) or Setting(key=key)
        row.value = str(value)
        row.updated_at = utcnow()
        db.session.add(row)
        changes[key] = [SPECS[key].dump(old), SPECS[key].dump(value)]
    if changes:
        audit.record("update", "settings", "cooperative", changes)
        db.session.flush()
    refresh()
    return changes


def time_zones() -> list[str]:
    """Indonesia's three first (WIB, WITA, WIT), then every other zone the server knows."""
    ours = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
    return ours + sorted(available_timezones() - set(ours))


GROUPS = {
    "cooperative": _l("The cooperative"),
    "selling": _l("Selling and receipts"),
    "stock": _l("Stock and receiving"),
    "sessions": _l("Sign-in sessions"),
}

register(
    Spec(
        "cooperative_name",
        "text",
        "Koperasi Merah Putih",
        _l("Name"),
        _l("Printed on receipts, member cards and purchase orders."),
        required=True,
        max_length=80,
    ),
    Spec("address", "multiline", "", _l("Address"), _l("Printed on purchase orders."), max_length=300),
    Spec(
        "legal_number",
        "text",
        "",
        _l("NIB / legal number"),
        _l("The business identity number (NIB) or the cooperative's legal entity number."),
        max_length=40,
    ),
    Spec("phone", "text", "", _l("Telephone"), max_length=40),
    Spec(
        "time_zone",
        "timezone",
        "Asia/Makassar",
        _l("Time zone"),
        _l(
            "Business dates (a day's sales, a quota's month, an expiry) follow this clock: WIB Asia/Jakarta, "
            "WITA Asia/Makassar, WIT Asia/Jayapura."
        ),
        required=True,
        max_length=64,
    ),
    Spec(
        "session_idle_minutes",
        "int",
        120,
        _l("Sign out after idle (minutes)"),
        _l("A screen left alone this long asks for the password again."),
        group="sessions",
        minimum=5,
        maximum=720,
    ),
    Spec(
        "session_max_hours",
        "int",
        12,
        _l("Longest session (hours)"),
        _l("Even in use, a sign-in ends after this many hours."),
        group="sessions",
        minimum=1,
        maximum=24,
    ),
)
