"""The administrator's screens: the cooperative's settings (its users and the audit log follow)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import audit, clock, settings, users
from app.auth import roles_required
from app.errors import DomainError
from app.forms import parse_date
from app.models import ROLES
from app.pagination import numbered_page
from app.terms import term
from app.views import MenuEntry

bp = Blueprint("admin", __name__, template_folder="templates")

MENU = [
    MenuEntry("admin.settings_page", _l("Settings"), ("admin",), _l("The cooperative's name, zones, receipts")),
    MenuEntry("admin.users_page", _l("Users"), ("admin",), _l("People, their roles, passwords and API tokens")),
    MenuEntry("admin.audit_page", _l("Audit log"), ("manager",), _l("Who changed what, when: old and new values")),
]

AUDIT_PAGE_SIZE = 50


@bp.route("/admin/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings_page():
    """The cooperative's settings by section; a save changes all or none, and each refusal is said by its field."""
    values = {key: settings.SPECS[key].dump(value) for key, value in settings.all_values().items()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        given = {key: request.form[key] for key in settings.SPECS if key in request.form}
        try:
            changes = settings.update(given)
        except DomainError as error:
            errors = {name: " ".join(map(str, messages)) for name, messages in error.fields.items()}
            flash(error.message, "error")
            values.update(given)
        else:
            flash(
                _("Settings saved (%(n)d changed).", n=len(changes)) if changes else _("Nothing was changed."),
                "success",
            )
            return redirect(url_for("admin.settings_page"))
    sections = [
        (label, [spec for spec in settings.SPECS.values() if spec.group == group])
        for group, label in settings.GROUPS.items()
    ]
    return render_template(
        "admin/settings.html", sections=sections, values=values, errors=errors, time_zones=settings.time_zones()
    ), (422 if errors else 200)


def _field_errors(error: DomainError) -> dict[str, str]:
    return {name: " ".join(map(str, messages)) for name, messages in error.fields.items()}


@bp.route("/admin/users", methods=["GET", "POST"])
@roles_required("admin")
def users_page():
    """Everyone who signs in, with their role, last sign-in and live tokens; a form to add someone."""
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        try:
            user, password = users.create(form.get("username", ""), form.get("full_name", ""), form.get("role", ""))
        except DomainError as error:
            errors = _field_errors(error) or {"username": error.message}
        else:
            # Shown once, on this answer only (not in a flash: the session cookie is readable by the browser).
            return _user_page(user, secret=password, secret_kind="password")
    return render_template("admin/users.html", rows=users.list_users(), roles=ROLES, form=form, errors=errors), (
        422 if errors else 200
    )


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_page(user_id: int):
    """One user: role, enable/disable, password reset, API tokens."""
    user = users.get_user(user_id)
    if request.method == "GET":
        return _user_page(user)
    action, form = request.form.get("action"), request.form
    try:
        if action == "role":
            users.set_role(user.id, form.get("role", ""), current_user)
            flash(_("%(name)s is now %(role)s.", name=user.full_name, role=_role(user.role)), "success")
        elif action in ("disable", "enable"):
            users.set_active(user.id, action == "enable", current_user)
            flash(
                _("%(name)s is enabled.", name=user.full_name)
                if user.is_active
                else _("%(name)s is disabled; their sessions and tokens have ended.", name=user.full_name),
                "success",
            )
        elif action == "reset":
            _user, password = users.reset_password(user.id, current_user)
            return _user_page(user, secret=password, secret_kind="password")
        elif action == "token":
            days = form.get("days", type=int) if form.get("days", "").strip() else None
            token, plain = users.issue_token(user.id, form.get("name", ""), days)
            return _user_page(user, secret=plain, secret_kind="token")
        elif action == "revoke":
            token = users.revoke_token(user.id, form.get("token_id", type=int) or 0)
            flash(_("Token %(name)s is revoked.", name=token.name), "success")
        else:
            flash(_("Unknown action."), "error")
    except DomainError as error:
        return _user_page(user, errors=_field_errors(error), message=error.message, status=422)
    return redirect(url_for("admin.user_page", user_id=user.id))


def _role(code: str) -> str:
    return term("role", code)


def _user_page(user, secret=None, secret_kind=None, errors=None, message=None, status=200):
    if message:
        flash(message, "error")
    return render_template(
        "admin/user.html",
        user=user,
        roles=ROLES,
        tokens=users.tokens(user.id),
        secret=secret,
        secret_kind=secret_kind,
        errors=errors or {},
    ), status


def audit_filters(args, errors: dict) -> dict:
    """The audit log's filters from a query string: who, what kind of record, which one, what action, from and
    until a local date (both days included)."""
    since, until = clock.day_window(
        parse_date(args.get("from"), "from", errors), parse_date(args.get("to"), "to", errors)
    )
    return {
        "username": args.get("user", "").strip() or None,
        "entity": args.get("entity", "").strip() or None,
        "entity_id": args.get("entity_id", "").strip() or None,
        "action": args.get("action", "").strip() or None,
        "since": since,
        "until": until,
    }


@bp.route("/admin/audit")
@roles_required("manager")
def audit_page():
    """The audit log, newest first, filtered; each entry's changes as old → new."""
    errors: dict[str, str] = {}
    filters = audit_filters(request.args, errors)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    entries, total = numbered_page(audit.search(**filters), page, AUDIT_PAGE_SIZE)
    return render_template(
        "admin/audit.html",
        entries=[(entry, audit.readable(entry)) for entry in entries],
        kinds=audit.kinds(),
        args=request.args,
        errors=errors,
        page=page,
        pages=max((total + AUDIT_PAGE_SIZE - 1) // AUDIT_PAGE_SIZE, 1),
        total=total,
    ), (422 if errors else 200)
