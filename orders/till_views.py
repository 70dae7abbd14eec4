"""The cashier's screens: open a till, sell at it (a scan-first screen driving the sales API), close it with a
blind count; the session report; today's sales and their receipts."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth import roles_required
from app.clock import today
from app.errors import DomainError
from app.formatting import format_rupiah
from app.forms import new_key, parse_date
from app.idempotency import idempotent
from app.terms import term
from app.views import MenuEntry
from inventory import queries as inventory_queries
from orders import checkout, exports, queries, receipts, reports, tills
from orders.models import BUYER_CATEGORIES, PAYMENT_METHODS, PRICE_LISTS, TillSession

bp = Blueprint(
    "till",
    __name__,
    url_prefix="/shop",
    template_folder="templates",
    static_folder="static",
    static_url_path="/till-static",
)

MENU = [
    MenuEntry("till.till", _l("Till"), ("cashier",), _l("Scan a member card and the goods, take payment")),
    MenuEntry("till.sales", _l("Sales"), ("cashier", "manager"), _l("Today's sales and their receipts")),
    MenuEntry("till.tills_page", _l("Tills"), ("manager",), _l("Tills, sessions and cash differences")),
]


def _money(name: str, errors: dict) -> int | None:
    text = (request.form.get(name) or "").strip().replace(".", "").replace("Rp", "").replace(" ", "")
    if not text.isdigit():
        errors[name] = _("Rupiah, a whole number.")
        return None
    return int(text)


@bp.route("/till")
@roles_required("cashier")
def till():
    """The till: scan a member card and the goods, take payment, print the receipt."""
    sessions = tills.sessions_of(current_user)
    if not sessions:
        return _open_page({}, {})
    chosen = request.args.get("till")
    till_session = next((s for s in sessions if s.till.code == chosen), sessions[0])
    return render_template(
        "orders/till.html",
        till_session=till_session,
        others=[s for s in sessions if s is not till_session],
        categories=BUYER_CATEGORIES,
        texts=_till_texts(),
        paper=receipts.paper(),
    )


def _till_texts() -> dict:
    """What the till's script says, in the cashier's language ({name} placeholders are filled in the browser)."""
    return {
        "offline": _("No connection to the server: check the network and scan again."),
        "failed": _("The server refused this; try again."),
        "multiplier": _("Next scan counts {n} times."),
        "is_receipt": _("That is receipt {number}: open Returns to take goods back."),
        "cylinder": _("cylinder, no empty in exchange"),
        "not_active": _("not active: general prices"),
        "cap_line": _("{name}: {remaining} of {max} left"),
        "confirm_new": _("Empty this cart and start a new one?"),
        "waiting": _("No answer from the server yet; trying again with the same sale (it will not be sold twice)."),
        "sent_later": _("Sale {number} reached the server."),
        "refused_later": _("A sale that was waiting was refused by the server: {reason}"),
        "unsent": _("{n} sale(s) not sent yet"),
        "price_lists": {code: term("price_list", code) for code in PRICE_LISTS},
        "categories": {code: term("member_category", code) for code in BUYER_CATEGORIES},
    }


def _open_page(form, errors, status=200):
    return render_template(
        "orders/till_open.html", free=queries.free_tills(), form=form, errors=errors, idempotency_key=new_key()
    ), status


@bp.route("/till/open", methods=["POST"])
@roles_required("cashier")
@idempotent
def open_till():
    errors: dict[str, str] = {}
    opening_float = _money("opening_float", errors)
    if errors:
        return _open_page(request.form, errors, 422)
    try:
        till_session = tills.open_session(tills.get_till(request.form.get("till", "")), current_user, opening_float)
    except DomainError as error:
        return _open_page(request.form, {"till": error.message}, error.status)
    flash(
        _(
            "Till %(code)s is open with a float of %(amount)s.",
            code=till_session.till.code,
            amount=format_rupiah(opening_float),
        ),
        "success",
    )
    return redirect(url_for("till.till", till=till_session.till.code))


@bp.route("/till/<int:session_id>/close", methods=["GET", "POST"])
@roles_required("cashier", "manager")
def close_till(session_id):
    """Close a till: count the cash in the drawer and add up the QRIS notices, without seeing what is expected."""
    till_session = tills.get_session(session_id)
    if request.method == "POST":
        return _close(till_session)
    return _close_page(till_session, {}, {})


def _close_page(till_session, form, errors, status=200):
    return render_template(
        "orders/till_close.html",
        till_session=till_session,
        form=form,
        errors=errors,
        idempotency_key=new_key(),
        methods=PAYMENT_METHODS,
    ), status


@idempotent
def _close(till_session: TillSession):
    errors: dict[str, str] = {}
    counted = {method: _money(f"counted_{method}", errors) for method in PAYMENT_METHODS}
    if errors:
        return _close_page(till_session, request.form, errors, 422)
    try:
        tills.close_session(
            till_session,
            current_user,
            counted,
            request.form.get("unsent_sales", type=int) or 0,
            request.form.get("note", ""),
        )
    except DomainError as error:
        return _close_page(till_session, request.form, {"close": error.message}, error.status)
    flash(_("Till %(code)s is closed.", code=till_session.till.code), "success")
    return redirect(url_for("till.session_report", session_id=till_session.id))


@bp.route("/sessions/<int:session_id>")
@roles_required("cashier", "manager")
def session_report(session_id):
    """A till session's report: float, sales, money per method and, once closed, counted against expected."""
    till_session = tills.get_session(session_id)
    if not current_user.has_role("manager") and till_session.cashier_id != current_user.id:
        abort(403)
    closed = till_session.closed_at is not None
    return render_template(
        "orders/session_report.html",
        till_session=till_session,
        totals=tills.totals(till_session) if closed or current_user.has_role("manager") else None,
        difference=tills.difference_sentence,
    )


@bp.route("/tills", methods=["GET", "POST"])
@roles_required("manager")
def tills_page():
    """Tills and their recent sessions, with the cash differences; add a till."""
    if request.method == "POST":
        return _add_till()
    return _tills_page({}, {})


def _tills_page(form, errors, status=200):
    sessions = queries.recent_sessions(50)
    return render_template(
        "orders/tills.html",
        all_tills=queries.tills(),
        sessions=sessions,
        shops=inventory_queries.locations_of_kinds(tills.SELLING_KINDS),
        difference=tills.difference_sentence,
        form=form,
        errors=errors,
        idempotency_key=new_key(),
    ), status


@idempotent
def _add_till():
    location = inventory_queries.location(request.form.get("location_id", type=int))
    if location is None:
        return _tills_page(request.form, {"location_id": _("Choose a shop location.")}, 422)
    try:
        created = tills.create_till(request.form.get("code", ""), request.form.get("name", ""), location)
    except DomainError as error:
        return _tills_page(request.form, {next(iter(error.fields), "code"): error.message}, 422)
    flash(_("Till %(code)s added.", code=created.code), "success")
    return redirect(url_for("till.tills_page"))


@bp.route("/sales")
@roles_required("cashier", "manager")
def sales():
    """A day's sales (today by default), newest first, narrowed to a till, a session or a member; find one by
    its receipt number."""
    receipt = (request.args.get("receipt") or "").strip()
    if receipt:
        found = queries.sale_by_receipt(receipt)
        if found is not None:
            return redirect(url_for("till.receipt", sale_id=found.id))
        flash(_("No sale has the receipt number %(number)s.", number=receipt), "error")
    errors: dict[str, str] = {}
    session_id = request.args.get("session", type=int)
    # A session's sales whatever their day (a shift across midnight); otherwise a day's, today's by default.
    day = parse_date(request.args.get("day"), "day", errors) or (None if session_id else today())
    till = (request.args.get("till") or "").strip().upper() or None
    member = (request.args.get("member") or "").strip().upper() or None
    rows = reports.sales_list(day, till, session_id, member)
    return render_template(
        "orders/sales.html",
        sales=rows,
        day=day,
        till=till or "",
        member=member or "",
        session_id=session_id,
        today=today(),
        tills=queries.tills(),
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/sales-lines.csv")
@roles_required("manager")
def sales_lines_csv():
    """Every line sold in a period of local dates (this month by default), as CSV."""
    errors: dict = {}
    first = parse_date(request.args.get("from"), "from", errors) or today().replace(day=1)
    last = parse_date(request.args.get("to"), "to", errors) or today()
    if errors:
        abort(400)
    return exports.csv_response(
        exports.sales_lines_rows(first, last), f"sales-lines-{first.isoformat()}-{last.isoformat()}"
    )


@bp.route("/sales/<int:sale_id>/receipt")
@roles_required("cashier", "manager")
def receipt(sale_id):
    """A receipt printed again: marked as a copy."""
    sale = checkout.get_sale(sale_id)
    return render_template(
        "orders/receipt.html",
        sale=sale,
        text=receipts.receipt_text(sale, copy=True),
        idempotency_key=new_key(),
        autoprint=request.args.get("print") == "1",
        paper=receipts.paper(),
    )


@bp.route("/sales/<int:sale_id>/reprint", methods=["POST"])
@roles_required("cashier", "manager")
@idempotent
def reprint(sale_id):
    receipts.mark_reprint(checkout.get_sale(sale_id))
    return redirect(url_for("till.receipt", sale_id=sale_id, print=1))


@bp.route("/sales/<int:sale_id>/barcode.svg")
@roles_required("cashier", "manager")
def receipt_barcode(sale_id):
    svg = receipts.receipt_barcode_svg(checkout.get_sale(sale_id))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})
