"""The members screens: find a member (scan the card or type), register with the NIK check, the member's page
with status changes and the printable card, and the CSV import and export."""

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth import roles_required
from app.clock import today
from app.errors import DomainError, NotFound
from app.forms import field_messages, new_key
from app.idempotency import idempotent
from app.terms import term
from app.views import MenuEntry
from members import card, csvfile, privacy, queries, services
from members.models import MEMBER_CATEGORIES, MEMBER_STATUSES, Member

bp = Blueprint("members", __name__, url_prefix="/members", template_folder="templates")

MANAGE = ("manager",)
LOOK_UP = ("manager", "cashier")
FORM_FIELDS = ("full_name", "nik", "kk_number", "address", "rt", "rw", "kelurahan", "category", "nib", "phone")
LIST_LIMIT = 100

MENU = [
    MenuEntry("members.members", _l("Members"), LOOK_UP, _l("Find a member by card or name; register, print cards")),
]


def _form_data(form) -> tuple[dict, dict[str, str]]:
    """The member fields a form sent, and the join date read as a date."""
    data = {name: form.get(name, "") for name in FORM_FIELDS}
    errors = {}
    joined = (form.get("join_date") or "").strip()
    data["join_date"] = None
    if joined:
        try:
            data["join_date"] = date.fromisoformat(joined)
        except ValueError:
            errors["join_date"] = _("Enter a date like 2026-12-31.")
    return data, errors


# --- finding ---------------------------------------------------------------------------------------------


@bp.app_template_global("private")
def private(number: str | None, entity: str, entity_id) -> str | None:
    """A NIK or KK number on a screen: in full for a manager (audited), masked for anyone else."""
    return privacy.shown(number, entity, entity_id)


@bp.route("")
@roles_required(*LOOK_UP)
def members():
    """Members, searched by name, number or NIK; a scanned card (or a whole number) opens the member."""
    q = services.clean_code(request.args.get("q", ""))
    status = request.args.get("status") if request.args.get("status") in MEMBER_STATUSES else None
    category = request.args.get("category") if request.args.get("category") in MEMBER_CATEGORIES else None
    if q:
        try:
            found = services.find_member(q)
        except NotFound:
            found = None
        if found is not None:
            return redirect(url_for("members.member", member_id=found.id))
    rows = queries.members(q, status, category, LIST_LIMIT + 1)  # one more: whether there are more
    return render_template(
        "members/members.html",
        members=rows[:LIST_LIMIT],
        more=len(rows) > LIST_LIMIT,
        q=q,
        status=status,
        category=category,
        statuses=MEMBER_STATUSES,
        categories=MEMBER_CATEGORIES,
    )


# --- registering -----------------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGE)
def register():
    """Register a member: the NIK's format is checked and each field says what is wrong."""
    if request.method == "POST":
        return _register()
    return _register_page({"join_date": today().isoformat()}, {})


def _register_page(form, errors, status=200):
    return render_template(
        "members/register.html",
        form=form,
        errors=errors,
        categories=MEMBER_CATEGORIES,
        idempotency_key=new_key(),
    ), status


@idempotent
def _register():
    data, errors = _form_data(request.form)
    if errors:  # a bad date: still show every other field's problem at once
        _clean, field_errors = services.check_member_data(data)
        return _register_page(request.form, {**field_messages(field_errors), **errors}, 422)
    try:
        member = services.register_member(data)
    except DomainError as exc:
        return _register_page(request.form, field_messages(exc.fields) or {"full_name": exc.message}, 422)
    flash(_("%(name)s is member %(number)s.", name=member.full_name, number=member.member_number), "success")
    return redirect(url_for("members.member", member_id=member.id))


# --- one member ------------------------------------------------------------------------------------------


@bp.route("/<int:member_id>", methods=["GET", "POST"])
@roles_required(*LOOK_UP)
def member(member_id: int):
    """A member's details and household; a manager changes them, the status, and prints the card."""
    found = services.get_member(member_id)
    if request.method == "POST":
        return _change_member(found)
    return _member_page(found, {}, {})


def _member_page(found: Member, form, errors, status=200):
    return render_template(
        "members/member.html",
        member=found,
        household=services.household(found),
        next_statuses=services.STATUS_CHANGES[found.status],
        form=form or {name: getattr(found, name) or "" for name in (*FORM_FIELDS, "join_date")},
        errors=errors,
        categories=MEMBER_CATEGORIES,
        idempotency_key=new_key(),
    ), status


@roles_required(*MANAGE)
@idempotent
def _change_member(found: Member):
    form = request.form
    try:
        if form.get("action") == "status":
            services.change_status(found, form.get("status", ""), form.get("reason", ""))
            flash(
                _(
                    "Member %(number)s is now %(status)s.",
                    number=found.member_number,
                    status=term("member_status", found.status),
                ),
                "success",
            )
        else:
            data, errors = _form_data(form)
            if errors:
                return _member_page(found, form, errors, 422)
            if data["join_date"] is None:
                data.pop("join_date")
            services.update_member(found, data)
            flash(_("Member %(number)s saved.", number=found.member_number), "success")
    except DomainError as exc:
        errors = field_messages(exc.fields) or {"status": exc.message}
        return _member_page(found, form, errors, 422)
    return redirect(url_for("members.member", member_id=found.id))


@bp.route("/<int:member_id>/card")
@roles_required(*MANAGE)
def member_card(member_id: int):
    """The printable member card, credit-card size, with the member number as a barcode."""
    return render_template(
        "members/card.html", member=services.get_member(member_id), cooperative=card.cooperative_name()
    )


@bp.route("/<int:member_id>/barcode.svg")
@roles_required(*MANAGE)
def member_barcode(member_id: int):
    found = services.get_member(member_id)
    return Response(card.member_barcode_svg(found.member_number), mimetype="image/svg+xml")


# --- import and export -----------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*MANAGE)
def import_members():
    """Import members from a CSV file (all rows or none, with every bad row listed) and export them."""
    if request.method == "POST":
        return _import()
    return _import_page([], None)


def _import_page(row_errors, message, status=200):
    return render_template(
        "members/import.html",
        row_errors=row_errors,
        message=message,
        columns=csvfile.COLUMNS,
        idempotency_key=new_key(),
    ), status


@idempotent
def _import():
    try:
        result = csvfile.import_members(csvfile.read_upload(request.files.get("file")))
    except csvfile.ImportRefused as exc:
        return _import_page(exc.row_errors, exc.message, 422)
    except DomainError as exc:
        return _import_page([], exc.message, 422)
    flash(
        _(
            "Import done: %(created)d new members, %(updated)d changed, %(unchanged)d unchanged.",
            created=len(result.created),
            updated=len(result.updated),
            unchanged=result.unchanged,
        ),
        "success",
    )
    return redirect(url_for("members.import_members"))


@bp.route("/export.csv")
@roles_required(*MANAGE)
def export():
    """All members as a CSV download, in the columns the import reads."""
    return csvfile.export_response()
