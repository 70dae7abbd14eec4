"""The stock count screens (stock opname): start a count of a location, scan bin by bin, close it, the manager's
review with its variances, post or cancel, the printable count sheet."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.auth import roles_required
from app.errors import DomainError
from app.forms import new_key
from app.idempotency import idempotent
from app.pagination import numbered_page
from inventory import counts, queries, services

bp = Blueprint("counting", __name__, url_prefix="/stock", template_folder="templates")

STOCK_STAFF = ("manager", "warehouse")


# --- stock counts (stock opname) -------------------------------------------------------------------------

COUNTS_PER_PAGE = 20


@bp.route("/counts", methods=["GET", "POST"])
@roles_required(*STOCK_STAFF)
def counts_page():
    """The counts, newest first, and a form to start one."""
    if request.method == "POST":
        return _start_count()
    return _counts_page({}, {})


def _counts_page(form, errors: dict, status: int = 200):
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = numbered_page(counts.counts_query(), page, COUNTS_PER_PAGE)
    return render_template(
        "inventory/counts.html",
        form=form,
        errors=errors,
        rows=rows,
        page=page,
        pages=max((total - 1) // COUNTS_PER_PAGE + 1, 1),
        locations=services.stock_locations(),
        idempotency_key=new_key(),
    ), status


@idempotent
def _start_count():
    form = request.form
    location = queries.location(form.get("location_id", type=int))
    if location is None:
        return _counts_page(form, {"location_id": _("Choose a location.")}, 422)
    try:
        count = counts.create_count(location, current_user, form.get("note", ""))
    except DomainError as exc:
        return _counts_page(form, {"location_id": exc.message}, exc.status)
    flash(_("%(ref)s started: scan the first bin label.", ref=count.reference), "success")
    return redirect(url_for("counting.count_screen", count_id=count.id))


@bp.route("/counts/<int:count_id>")
@roles_required(*STOCK_STAFF)
def count_screen(count_id: int, error: str | None = None, status: int = 200):
    """Counting, blind: scan a bin label, then its goods; in review, recount the flagged lines the same way."""
    count = counts.get_count(count_id)
    if count.status == "review":
        lines = queries.count_lines(count, needs_recount=True)
    else:
        lines = queries.count_lines(count, counted_by_id=current_user.id, newest_first=True)
    return render_template(
        "inventory/count.html",
        count=count,
        lines=lines,
        locations=counts.scope_locations(count),
        error=error,
        idempotency_key=new_key(),
    ), status


@bp.route("/counts/<int:count_id>/close", methods=["POST"])
@roles_required(*STOCK_STAFF)
@idempotent
def close_count(count_id: int):
    """Finish counting: what nobody counted goes in at zero, lines far off are flagged for a recount."""
    try:
        count = counts.close_count(counts.get_count(count_id), current_user)
    except DomainError as exc:
        return count_screen(count_id, exc.message, exc.status)
    if count.lines_to_recount:
        message = ngettext(
            "%(ref)s is closed: %(num)d line needs a recount.",
            "%(ref)s is closed: %(num)d lines need a recount.",
            count.lines_to_recount,
            ref=count.reference,
        )
        flash(message, "warning")
    else:
        flash(_("%(ref)s is closed and waits for the manager's review.", ref=count.reference), "success")
    return redirect(url_for("counting.count_screen", count_id=count.id))


@bp.route("/counts/<int:count_id>/review")
@roles_required("manager")
def count_review(count_id: int, error: str | None = None, status: int = 200):
    """The manager's review: expected, counted, variance and its value, line by line; post or cancel."""
    count = counts.get_count(count_id)
    lines = queries.count_lines(count)
    return render_template(
        "inventory/count_review.html",
        count=count,
        lines=lines,
        totals=counts.totals(lines),
        error=error,
        idempotency_key=new_key(),
    ), status


@bp.route("/counts/<int:count_id>/post", methods=["POST"])
@roles_required("manager")
@idempotent
def post_count(count_id: int):
    """Post the variances through the ledger."""
    try:
        count = counts.post_count(counts.get_count(count_id), current_user)
    except DomainError as exc:
        return count_review(count_id, exc.message, exc.status)
    flash(_("%(ref)s posted.", ref=count.reference), "success")
    return redirect(url_for("counting.count_review", count_id=count.id))


@bp.route("/counts/<int:count_id>/cancel", methods=["POST"])
@roles_required("manager")
@idempotent
def cancel_count(count_id: int):
    """Cancel a count; nothing is posted."""
    try:
        count = counts.cancel_count(counts.get_count(count_id), current_user)
    except DomainError as exc:
        return count_review(count_id, exc.message, exc.status)
    flash(_("%(ref)s cancelled.", ref=count.reference), "info")
    return redirect(url_for("counting.counts_page"))


@bp.route("/counts/<int:count_id>/sheet")
@roles_required(*STOCK_STAFF)
def count_sheet(count_id: int):
    """A printable count sheet: every location of the count and what it holds, with an empty column to write in."""
    count = counts.get_count(count_id)
    return render_template("inventory/count_sheet.html", count=count, sections=counts.sheet(count))
