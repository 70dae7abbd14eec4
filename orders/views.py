"""The shop's screens beside the till: prices and legal ceilings, purchase caps, returns and the subsidy export."""

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import clock, settings
from app.auth import roles_required
from app.clock import today
from app.errors import DomainError, NotFound
from app.formatting import csv_line_writer, format_rupiah
from app.forms import field_messages, new_key, parse_date, parse_decimal
from app.idempotency import idempotent
from app.terms import term
from app.views import MenuEntry
from inventory import queries as inventory_queries
from orders import caps, checkout, pricing, programme, queries, reports, returns, shu, subsidy, tills
from orders.models import BUYER_CATEGORIES, CAP_PERIODS, CAP_SCOPES, PAYMENT_METHODS, PRICE_LISTS

bp = Blueprint("shop", __name__, url_prefix="/shop", template_folder="templates")

MENU = [
    MenuEntry("shop.prices", _l("Prices"), ("manager",), _l("Member and general prices under the legal ceiling")),
    MenuEntry("shop.caps_page", _l("Purchase caps"), ("manager",), _l("How much one person or household may buy")),
    MenuEntry("shop.returns_page", _l("Returns"), ("cashier", "manager"), _l("Goods brought back against a receipt")),
    MenuEntry(
        "shop.sales_report_page", _l("Sales report"), ("manager",), _l("By day, week, month, item, member, till")
    ),
    MenuEntry("shop.margins_page", _l("Margins"), ("manager",), _l("Sales less the goods' cost, by item and month")),
    MenuEntry("shop.shu_page", _l("SHU"), ("manager",), _l("The members' share of the year's surplus")),
    MenuEntry("shop.subsidy_page", _l("Subsidy report"), ("manager",), _l("LPG 3 kg and SPHP sales with NIK, as CSV")),
]


def home_counts(user) -> dict:
    """The manager's home: returns to approve and the month's sales so far (a chart); a cashier's: their own
    open session's sales so far (count and total only: the money expected stays blind until the close)."""
    if not user.has_role("manager"):
        if user.role == "cashier":
            return {"my_sessions": [(s, tills.totals(s)) for s in tills.sessions_of(user)]}
        return {}
    month = reports.sales_report("day", today().replace(day=1), today())
    return {
        "returns_to_approve": len(returns.pending_returns()),
        "month_sales": month.total,
        "month_chart": _chart_points(month),
    }


@bp.route("/prices", methods=["GET", "POST"])
@roles_required("manager")
def prices():
    """Every sale packaging with its member and general price and its legal ceiling; set new ones."""
    if request.method == "POST":
        return _change()
    return _page({}, {})


def _page(form, errors, status=200):
    today = clock.today()
    packagings = inventory_queries.packagings_for_sale()
    regulated = inventory_queries.price_regulated_items()
    return render_template(
        "orders/prices.html",
        rows=pricing.price_table(today),
        packagings=packagings,
        regulated=regulated,
        price_lists=PRICE_LISTS,
        zone=pricing.zone(),
        zones=pricing.zones_in_use(),
        shops=pricing.shops(),
        today=today,
        form=form,
        errors=errors,
        idempotency_key=new_key(),
    ), status


@idempotent
def _change():
    form, errors = request.form, {}
    if form.get("what") == "shop_zone":
        try:
            shop = pricing.set_shop_zone(form.get("location_id", type=int) or 0, form.get("het_zone"))
        except DomainError as exc:
            return _page(form, {"het_zone": exc.message}, 422)
        flash(
            _("%(shop)s sells under the ceilings of zone %(zone)s.", shop=shop.name, zone=pricing.zone(shop.id)),
            "success",
        )
        return redirect(url_for("shop.prices"))
    try:
        valid_from = date.fromisoformat(form.get("valid_from") or clock.today().isoformat())
    except ValueError:
        errors["valid_from"] = _("Enter a date like 2026-12-31.")
        return _page(form, errors, 422)
    amount = form.get("amount", type=int)
    if amount is None:
        return _page(form, {"amount": _("Rupiah, a whole number.")}, 422)
    try:
        if form.get("what") == "ceiling":
            item = inventory_queries.item(form.get("item_id", type=int))
            if item is None:
                return _page(form, {"item_id": _("Choose an item.")}, 422)
            in_zone = form.get("zone") or None
            _ceiling, too_high = pricing.set_ceiling(item, amount, valid_from, form.get("source", ""), in_zone)
            flash(
                _(
                    "The legal ceiling of %(item)s is %(amount)s per unit from %(date)s.",
                    item=item.name_id,
                    amount=format_rupiah(amount),
                    date=valid_from.strftime("%d-%m-%Y"),
                ),
                "success",
            )
            for price in too_high:
                which = _("Member price") if price.price_list == "member" else _("General price")
                flash(
                    _(
                        "%(packaging)s: %(list)s %(amount)s (from %(date)s) is above it and will be refused at the "
                        "till: lower it.",
                        packaging=price.packaging.name,
                        list=which,
                        amount=format_rupiah(price.amount),
                        date=price.valid_from.strftime("%d-%m-%Y"),
                    ),
                    "warning",
                )
        else:
            packaging = pricing.get_packaging(form.get("packaging_id", type=int) or 0)
            pricing.set_price(packaging, form.get("price_list", ""), amount, valid_from)
            flash(
                _(
                    "%(packaging)s of %(item)s: %(amount)s from %(date)s.",
                    packaging=packaging.name,
                    item=packaging.item.name_id,
                    amount=format_rupiah(amount),
                    date=valid_from.strftime("%d-%m-%Y"),
                ),
                "success",
            )
    except DomainError as exc:
        return _page(form, {"amount": exc.message}, 422)
    return redirect(url_for("shop.prices"))


@bp.route("/caps", methods=["GET", "POST"])
@roles_required("manager")
def caps_page():
    """Purchase caps: add one, switch one off."""
    if request.method == "POST":
        return _change_caps()
    return _caps_page({}, {})


def _caps_page(form, errors, status=200):
    return render_template(
        "orders/caps.html",
        rules=queries.cap_rules(),
        items=inventory_queries.items(active_only=True),
        scopes=CAP_SCOPES,
        periods=CAP_PERIODS,
        categories=BUYER_CATEGORIES,
        today=clock.today(),
        form=form,
        errors=errors,
        idempotency_key=new_key(),
    ), status


@idempotent
def _change_caps():
    form = request.form
    if form.get("rule_id"):
        rule = queries.cap_rule(form.get("rule_id", type=int))
        if rule is None:
            return _caps_page(form, {"name": _("Unknown cap.")}, 404)
        caps.set_active(rule, form.get("active") == "1")
        return redirect(url_for("shop.caps_page"))
    item = inventory_queries.item(form.get("item_id", type=int))
    try:
        maximum = Decimal((form.get("max_quantity") or "").replace(",", "."))
        valid_from = date.fromisoformat(form.get("valid_from") or clock.today().isoformat())
    except (InvalidOperation, ValueError):
        return _caps_page(form, {"max_quantity": _("Enter a number, like 2 or 12,5.")}, 422)
    if item is None:
        return _caps_page(form, {"item_id": _("Choose an item.")}, 422)
    try:
        rule = caps.add_rule(
            form.get("name", "").strip() or item.name_id,
            item,
            form.get("scope", ""),
            form.get("period", ""),
            maximum,
            valid_from,
            form.get("buyer_category") or None,
        )
    except DomainError as exc:
        return _caps_page(form, {next(iter(exc.fields), "name"): exc.message}, 422)
    flash(_("Cap “%(name)s” added.", name=rule.name), "success")
    return redirect(url_for("shop.caps_page"))


@bp.route("/returns", methods=["GET", "POST"])
@roles_required("cashier", "manager")
def returns_page():
    """Scan a receipt, say what comes back and why; a manager approves or rejects what waits."""
    if request.method == "POST":
        return _request_return()
    return _returns_page(request.args.get("receipt", ""), {}, {})


def _returns_page(receipt: str, form, errors, status=200):
    sale, not_found = None, None
    if receipt.strip():
        try:
            sale = checkout.find_sale(receipt)
        except NotFound as error:
            not_found, status = error.message, 404 if status == 200 else status
    recent = queries.decided_returns(20)
    return render_template(
        "orders/returns.html",
        sale=sale,
        receipt=receipt,
        not_found=not_found,
        pending=returns.pending_returns(),
        recent=recent,
        returnable=returns.returnable,
        methods=PAYMENT_METHODS,
        form=form,
        errors=errors,
        idempotency_key=new_key(),
    ), status


@idempotent
def _request_return():
    form = request.form
    if form.get("decide"):
        return _decide_return(form)
    receipt = form.get("receipt", "")
    try:
        sale = checkout.find_sale(receipt)
        lines = []
        for line in sale.lines:
            raw = (form.get(f"qty_{line.id}") or "").strip().replace(",", ".")
            if raw:
                lines.append(returns.ReturnLineIn(line.id, Decimal(raw), form.get(f"damaged_{line.id}") == "1"))
        sale_return = returns.request_return(
            sale,
            lines,
            form.get("reason", ""),
            current_user,
            form.get("refund_method", "cash"),
            form.get("refund_reference", ""),
        )
    except InvalidOperation:
        return _returns_page(receipt, form, {"lines": _("Enter a number, like 2 or 12,5.")}, 422)
    except DomainError as error:
        fields = field_messages(error.fields)
        return _returns_page(receipt, form, {"return": error.message, **fields}, error.status)
    flash(
        _(
            "Return of %(amount)s against %(number)s waits for a manager.",
            amount=format_rupiah(sale_return.amount),
            number=sale.receipt_number,
        ),
        "success",
    )
    return redirect(url_for("shop.returns_page"))


def _decide_return(form):
    if not current_user.has_role("manager"):
        return _returns_page("", form, {"return": _("Only a manager decides on returns.")}, 403)
    try:
        sale_return = returns.get_return(form.get("return_id", type=int) or 0)
        if form.get("decide") == "approve":
            returns.approve_return(sale_return, current_user)
            flash(
                _(
                    "Return approved: pay back %(amount)s (%(method)s).",
                    amount=format_rupiah(sale_return.amount),
                    method=term("payment_method", sale_return.refund_method),
                ),
                "success",
            )
        else:
            returns.reject_return(sale_return, current_user, form.get("note", ""))
            flash(_("Return rejected."), "success")
    except DomainError as error:
        return _returns_page("", form, {"return": error.message}, error.status)
    return redirect(url_for("shop.returns_page"))


@bp.route("/subsidy")
@roles_required("manager")
def subsidy_page():
    """The subsidy export: pick LPG 3 kg or SPHP and a period, download the CSV to re-key."""
    day = today()
    return render_template(
        "orders/subsidy.html",
        items=subsidy.subsidised_items(),
        start=day.replace(day=1),
        end=day,
        errors={},
    )


@bp.route("/subsidy.csv")
@roles_required("manager")
def subsidy_csv():
    errors = {}
    try:
        start = date.fromisoformat(request.args.get("start", ""))
        end = date.fromisoformat(request.args.get("end", ""))
        item = subsidy.check_period(request.args.get("item", ""), start, end)
    except ValueError:
        errors["start"] = _("Enter a date like 2026-12-31.")
    except DomainError as error:
        errors = field_messages(error.fields)
    if errors:
        return render_template(
            "orders/subsidy.html", items=subsidy.subsidised_items(), start=None, end=None, errors=errors
        ), 422
    return Response(
        stream_with_context(subsidy.export_rows(item, start, end)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{subsidy.filename(item, start, end)}"'},
    )


@bp.route("/programme/<any(logbook, recap):layout>.csv")
@roles_required("manager")
def programme_csv(layout: str):
    """The programmes' layouts for a month: the LPG base's logbook or the SPHP distribution recap (docs/manager.md
    lists their columns)."""
    errors: dict[str, str] = {}
    month = (
        parse_date((request.args.get("month") or "") + "-01", "month", errors) if request.args.get("month") else None
    )
    item = inventory_queries.subsidised_item(request.args.get("item") or "")
    if item is None:
        errors["item"] = _("Choose a subsidised item.")
    if month is None and "month" not in errors:
        errors["month"] = _("Choose a month.")
    if errors:
        return render_template(
            "orders/subsidy.html", items=subsidy.subsidised_items(), start=None, end=None, errors=errors
        ), 422
    rows = programme.logbook_rows(item, month) if layout == "logbook" else programme.recap_rows(item, month)
    name = f"{layout}-{item.sku}-{month.isoformat()[:7]}.csv"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response("".join(rows), mimetype="text/csv", headers=disposition)  # a month: small, read whole


REPORT_LABELS = {
    "day": _l("day"),
    "week": _l("week"),
    "month": _l("month"),
    "item": _l("item"),
    "member": _l("member"),
    "till": _l("till"),
    "cashier": _l("cashier"),
}


def report_args(args, errors: dict) -> tuple[str, date, date]:
    """The report's dimension and local dates from a query string (this month by default)."""
    by = args.get("by", "day")
    if by not in reports.DIMENSIONS:
        errors["by"] = _("One of: %(r)s", r=", ".join(reports.DIMENSIONS))
        by = "day"
    first = parse_date(args.get("from"), "from", errors) or today().replace(day=1)
    last = parse_date(args.get("to"), "to", errors) or today()
    if last < first:
        errors["to"] = _("On or after the first day.")
    elif by in reports.PERIODS and len(reports.periods(first, last, by)) > reports.MAX_PERIODS:
        errors["from"] = _("Too many periods: choose a shorter range or a longer period.")
    return by, first, last


@bp.route("/reports/sales")
@roles_required("manager")
def sales_report_page():
    """Sales of a period by day, week or month (with a chart), item, member, till or cashier; returns on their own
    day; CSV with format=csv."""
    errors: dict[str, str] = {}
    by, first, last = report_args(request.args, errors)
    report = reports.sales_report(by, first, last) if not errors else None
    if report is not None and request.args.get("format") == "csv":
        return _report_csv(report)
    return render_template(
        "orders/sales_report.html",
        report=report,
        by=by,
        first=first,
        last=last,
        labels=REPORT_LABELS,
        errors=errors,
        chart_points=_chart_points,
    ), (422 if errors else 200)


def _chart_points(report) -> list[tuple[str, int]]:
    """The net of each period, labelled as short as it reads: 30/11, 2026-11."""
    short = {"day": "%d/%m", "week": "%d/%m", "month": "%m/%Y"}[report.by]
    return [(date.fromisoformat(r.key).strftime(short), r.net) for r in report.rows]


def _report_csv(report) -> Response:
    line = csv_line_writer()

    def rows():
        yield "\ufeff" + line(
            [report.by, "label", "receipts", "gross", "to_members", "to_others", "returns", "net", "quantity"]
        )
        for r in report.rows:
            yield line([r.key, r.label, r.receipts, r.gross, r.to_members, r.to_others, r.returns, r.net, r.quantity])

    name = f"sales-{report.by}-{report.first.isoformat()}-{report.last.isoformat()}.csv"
    return Response(rows(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _shu_inputs(source, errors: dict) -> tuple[int, int | None, Decimal | None]:
    year = source.get("year", type=int) or today().year - 1
    surplus = percent = None
    if source.get("surplus", "").strip():
        surplus = source.get("surplus", type=int)
        if surplus is None or surplus < 0:
            errors["surplus"] = _("Whole rupiah, 0 or more.")
    if source.get("member_percent", "").strip():
        percent = parse_decimal(source.get("member_percent"), "member_percent", errors)
    return year, surplus, percent


@bp.route("/shu", methods=["GET", "POST"])
@roles_required("manager")
def shu_page():
    """The year's SHU for members' purchases: enter the surplus and the members' percentage, see each member's
    share, close the year (frozen); a closed year shows its shares and what changed since."""
    errors: dict[str, str] = {}
    source = request.form if request.method == "POST" else request.args
    year, surplus, percent = _shu_inputs(source, errors)
    result = shu.closed_year(year)
    if request.method == "POST" and not errors:
        return _close_shu(year, surplus, percent)
    if result is None and surplus is not None and percent is not None and not errors:
        try:
            result = shu.compute(year, surplus, percent)
        except DomainError as error:
            errors = field_messages(error.fields)
    if result is not None and request.args.get("format") == "csv":
        line = csv_line_writer()
        rows = ["\ufeff" + line(["member_number", "name", "purchases", "share", "adjustment"])]
        rows += [
            line([s.member.member_number, s.member.full_name, s.purchases, s.share, s.adjustment])
            for s in result.shares
        ]
        disposition = {"Content-Disposition": f'attachment; filename="shu-{year}.csv"'}
        return Response("".join(rows), mimetype="text/csv", headers=disposition)
    return render_template(
        "orders/shu.html",
        year=year,
        surplus=surplus,
        percent=percent,
        result=result,
        errors=errors,
        idempotency_key=new_key(),
    ), (422 if errors else 200)


@idempotent
def _close_shu(year: int, surplus: int | None, percent: Decimal | None):
    if surplus is None or percent is None:
        flash(_("Enter the surplus and the members' percentage first."), "error")
        return redirect(url_for("shop.shu_page", year=year))
    try:
        shu.close(year, surplus, percent, current_user)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("shop.shu_page", year=year))
    flash(_("SHU %(year)d is closed: the shares are frozen.", year=year), "success")
    return redirect(url_for("shop.shu_page", year=year))


@bp.route("/shu/<int:year>/slip/<int:member_id>")
@roles_required("manager")
def shu_slip(year: int, member_id: int):
    """A member's SHU slip for a closed year, to print and hand over."""
    result = shu.closed_year(year)
    share = next((s for s in result.shares if s.member.id == member_id), None) if result else None
    if share is None:
        abort(404)
    return render_template("orders/shu_slip.html", result=result, share=share, coop=settings.get("cooperative_name"))


@bp.route("/reports/margins")
@roles_required("manager")
def margins_page():
    """Per month and item: revenue less the cost of the goods sold (their cost when they moved); CSV too."""
    errors: dict[str, str] = {}
    first = parse_date(request.args.get("from"), "from", errors) or today().replace(day=1)
    last = parse_date(request.args.get("to"), "to", errors) or today()
    if not errors and last < first:
        errors["to"] = _("On or after the first day.")
    rows = reports.margins(first, last) if not errors else []
    if not errors and request.args.get("format") == "csv":
        line = csv_line_writer()
        body = ["\ufeff" + line(["month", "sku", "item", "revenue", "cost", "margin", "percent"])]
        for r in rows:
            cost, margin = r.cost.quantize(Decimal("0.01")), r.margin.quantize(Decimal("0.01"))
            body.append(line([r.month.isoformat()[:7], r.item.sku, r.item.name_id, r.revenue, cost, margin, r.percent]))
        disposition = {"Content-Disposition": f'attachment; filename="margins-{first}-{last}.csv"'}
        return Response("".join(body), mimetype="text/csv", headers=disposition)
    totals = (sum(r.revenue for r in rows), sum((r.cost for r in rows), Decimal(0)))
    return render_template("orders/margins.html", rows=rows, first=first, last=last, errors=errors, totals=totals), (
        422 if errors else 200
    )
