"""The shop's JSON API: prices and ceilings, caps, tills, sales, returns and the subsidy export."""

from flask import Response, request, stream_with_context
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user

from app import clock
from app.auth import roles_required
from app.errors import PROBLEM_JSON, NotFound, ValidationFailed
from app.extensions import ProblemSchema
from app.idempotency import HEADER, idempotent
from app.pagination import page_of
from app.safety import Blueprint
from inventory import queries as inventory_queries
from orders import caps, cart, checkout, pricing, queries, receipts, reports, returns, schemas, shu, subsidy, tills

prices_blp = Blueprint("prices", __name__, url_prefix="/api/prices", description="Prices and legal ceilings (HET)")
blueprints = [prices_blp]


@prices_blp.route("")
class Prices(MethodView):
    @roles_required("manager", "cashier")
    @prices_blp.arguments(schemas.PriceQuerySchema, location="query")
    @prices_blp.response(200, schemas.PriceRowSchema(many=True))
    def get(self, args):
        """Member and general price and the ceiling of every sale packaging on a day (today by default)."""
        return pricing.price_table(args["day"] or clock.today())

    @roles_required("manager")
    @idempotent
    @prices_blp.arguments(schemas.PriceInSchema)
    @prices_blp.response(201, schemas.PriceSchema)
    def post(self, data):
        """Set a price from a date on; refused above the legal ceiling in force that day."""
        return pricing.set_price(
            pricing.get_packaging(data["packaging_id"]), data["price_list"], data["amount"], data["valid_from"]
        )


@prices_blp.route("/ceilings")
class Ceilings(MethodView):
    @roles_required("manager")
    @idempotent
    @prices_blp.arguments(schemas.CeilingInSchema)
    @prices_blp.response(201, schemas.CeilingResultSchema)
    def post(self, data):
        """Set an item's legal ceiling per base unit in the cooperative's zone from a date on."""
        item = inventory_queries.item(data["item_id"])
        if item is None:
            raise NotFound(_("Item not found."))
        ceiling, too_high = pricing.set_ceiling(
            item, data["amount_per_unit"], data["valid_from"], data["source"], data["zone"]
        )
        return {"ceiling": ceiling, "prices_above": too_high}


@prices_blp.route("/shops")
class ShopZones(MethodView):
    @roles_required("manager")
    @prices_blp.response(200, schemas.ShopZoneSchema(many=True))
    def get(self):
        """Every shop and the HET zone it sells under when it has its own."""
        return pricing.shops()


@prices_blp.route("/shops/<int:location_id>")
class ShopZone(MethodView):
    @roles_required("manager")
    @prices_blp.arguments(schemas.ShopZoneSchema)
    @prices_blp.response(200, schemas.ShopZoneSchema)
    def put(self, data, location_id):
        """Set the shop's own HET zone (its tills sell under that zone's ceilings), or null for the cooperative's."""
        return pricing.set_shop_zone(location_id, data["het_zone"])


caps_blp = Blueprint("caps", __name__, url_prefix="/api/caps", description="Purchase caps per person, NIK or household")
blueprints.append(caps_blp)


@caps_blp.route("")
class Caps(MethodView):
    @roles_required("manager", "cashier")
    @caps_blp.response(200, schemas.CapRuleSchema(many=True))
    def get(self):
        """Every purchase cap, active or not."""
        return queries.cap_rules()

    @roles_required("manager")
    @idempotent
    @caps_blp.arguments(schemas.CapRuleSchema)
    @caps_blp.response(201, schemas.CapRuleSchema)
    def post(self, data):
        """Add a cap: an item, counted per member, NIK or household, per sale, day or month, for a buyer category."""
        item = inventory_queries.item(data["item_id"])
        if item is None:
            raise NotFound(_("Item not found."))
        return caps.add_rule(
            data["name"],
            item,
            data["scope"],
            data["period"],
            data["max_quantity"],
            data["valid_from"],
            data["buyer_category"],
        )


# --- tills --------------------------------------------------------------------------------------------------

tills_blp = Blueprint("tills", __name__, url_prefix="/api/tills", description="Tills and their sessions")
blueprints.append(tills_blp)


@tills_blp.route("")
class Tills(MethodView):
    @roles_required("manager", "cashier")
    @tills_blp.response(200, schemas.TillSchema(many=True))
    def get(self):
        """Every till."""
        return queries.tills()

    @roles_required("manager")
    @idempotent
    @tills_blp.arguments(schemas.TillInSchema)
    @tills_blp.response(201, schemas.TillSchema)
    def post(self, data):
        """Add a till selling from a shop location (its code starts every receipt number)."""
        location = inventory_queries.location(data["location_id"])
        if location is None:
            raise NotFound(_("Location not found."))
        return tills.create_till(data["code"], data["name"], location)


@tills_blp.route("/<code>/open")
class OpenTill(MethodView):
    @roles_required("cashier", "manager")
    @idempotent
    @tills_blp.arguments(schemas.OpenTillSchema)
    @tills_blp.response(201, schemas.TillSessionSchema)
    def post(self, data, code):
        """Open a till for the signed-in cashier with a cash float; 409 while it is open."""
        return tills.open_session(tills.get_till(code), current_user, data["opening_float"])


@tills_blp.route("/sessions/<int:session_id>")
class TillSessionById(MethodView):
    @roles_required("manager")
    @tills_blp.response(200, schemas.TillSessionSchema)
    def get(self, session_id):
        """One till session; once closed, with the expected, counted and difference per payment method."""
        return tills.get_session(session_id)


@tills_blp.route("/sessions/<int:session_id>/close")
class CloseTill(MethodView):
    @roles_required("cashier", "manager")
    @idempotent
    @tills_blp.arguments(schemas.CloseTillSchema)
    @tills_blp.response(200, schemas.TillSessionSchema)
    def post(self, data, session_id):
        """Close a till with the money counted per method (a blind count); 409 while the till's screen holds
        unsent sales (`unsent_sales`) or a return on it waits for a manager."""
        return tills.close_session(
            tills.get_session(session_id), current_user, data["counted"], data["unsent_sales"], data["note"]
        )


# --- sales --------------------------------------------------------------------------------------------------

sales_blp = Blueprint("sales", __name__, url_prefix="/api/sales", description="Selling at the till")
blueprints.append(sales_blp)


def _cart(data) -> cart.Cart:
    buyer = data.get("buyer")
    return cart.Cart(
        till=data["till"],
        member=data.get("member") or None,
        buyer=cart.WalkIn(**buyer) if buyer else None,
        lines=[cart.CartLine(ln["packaging_id"], ln["quantity"], ln["empties"]) for ln in data["lines"]],
    )


@sales_blp.route("/scan")
class Scan(MethodView):
    @roles_required("cashier", "manager")
    @sales_blp.arguments(schemas.TillScanQuerySchema, location="query")
    @sales_blp.response(200, schemas.TillScanSchema)
    def get(self, args):
        """What a scanned code is at the till: a member card, a product (with a weight from a scale label), or a
        receipt; 404 when nothing has it."""
        return cart.identify(args["code"])


@sales_blp.route("/quote")
class QuoteCart(MethodView):
    @roles_required("cashier", "manager")
    @sales_blp.arguments(schemas.CartSchema)
    @sales_blp.response(200, schemas.QuoteSchema)
    def post(self, data):
        """Price a cart without selling: member or general prices, total, where the buyer stands under each cap,
        and every problem that would refuse the sale, in the cashier's words. Writes nothing."""
        return cart.quote(_cart(data), current_user)


@sales_blp.route("")
class Sales(MethodView):
    @roles_required("cashier", "manager")
    @sales_blp.arguments(schemas.SaleQuerySchema, location="query")
    @sales_blp.response(200, schemas.SaleSchema(many=True))
    @sales_blp.paginate()
    def get(self, args, pagination_parameters):
        """Sales, newest first: by receipt number, or of one day."""
        return page_of(queries.sales_statement(args["receipt"], args["day"]), pagination_parameters)

    @roles_required("cashier", "manager")
    @idempotent
    @sales_blp.arguments(schemas.SaleInSchema)
    @sales_blp.response(201, schemas.PostedSaleSchema)
    @sales_blp.alt_response(
        409,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description="Refused, nothing written; `type` says why: /problems/insufficient_stock (with available,"
        " requested, expired), /problems/cap_reached, /problems/line_refused (a price, a ceiling, the buyer's NIK:"
        " `errors` names the fields), /problems/cart_paid, /problems/till_refused (the till is closed),"
        " /problems/idempotency_key_in_flight (the same key is being posted: retry in a moment)",
    )
    @sales_blp.alt_response(
        404,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description="No till in use with that code, or no such item",
    )
    @sales_blp.alt_response(
        503,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description="busy, too_slow, unavailable or outcome_unknown: retry after Retry-After with the same key",
    )
    def post(self, data):
        """Sell: one transaction writes the receipt number, cap usage, stock moves, the sale, its payments and
        subsidy records. Send the cart's UUID as the Idempotency-Key on every try: a retry returns the same sale."""
        payments = [checkout.PaymentIn(**p) for p in data["payments"]]
        key = request.headers.get(HEADER, "").strip().strip('"')
        return checkout.post_sale(_cart(data), payments, key, current_user)


@sales_blp.route("/<int:sale_id>")
class SaleById(MethodView):
    @roles_required("cashier", "manager")
    @sales_blp.response(200, schemas.SaleSchema)
    def get(self, sale_id):
        """One sale with its lines and payments (refunds included)."""
        return checkout.get_sale(sale_id)


@sales_blp.route("/<int:sale_id>/reprint")
class Reprint(MethodView):
    @roles_required("cashier", "manager")
    @idempotent
    @sales_blp.response(200, {"type": "string"}, content_type="text/plain")
    def post(self, sale_id):
        """The receipt again, 32 columns of text, marked as a copy (and counted)."""
        sale = receipts.mark_reprint(checkout.get_sale(sale_id))
        return Response(receipts.receipt_text(sale, copy=True), mimetype="text/plain")


# --- returns and the subsidy export -------------------------------------------------------------------------

returns_blp = Blueprint("returns", __name__, url_prefix="/api/returns", description="Returns against a receipt")
blueprints.append(returns_blp)


@returns_blp.route("")
class Returns(MethodView):
    @roles_required("cashier", "manager")
    @returns_blp.response(200, schemas.ReturnSchema(many=True))
    def get(self):
        """Returns waiting for a manager."""
        return returns.pending_returns()

    @roles_required("cashier", "manager")
    @idempotent
    @returns_blp.arguments(schemas.ReturnInSchema)
    @returns_blp.response(201, schemas.ReturnSchema)
    def post(self, data):
        """Ask for a return against a receipt (the refund will leave the caller's open till); a manager decides."""
        lines = [returns.ReturnLineIn(ln["sale_line_id"], ln["quantity"], ln["damaged"]) for ln in data["lines"]]
        return returns.request_return(
            checkout.find_sale(data["receipt_number"]),
            lines,
            data["reason"],
            current_user,
            data["refund_method"],
            data["refund_reference"],
        )


@returns_blp.route("/<int:return_id>/approve")
class ApproveReturn(MethodView):
    @roles_required("manager")
    @idempotent
    @returns_blp.response(200, schemas.ReturnSchema)
    def post(self, return_id):
        """Approve: stock back (damaged goods to quarantine), empties back out, caps, subsidy records and the
        refund reversed, in one transaction."""
        return returns.approve_return(returns.get_return(return_id), current_user)


@returns_blp.route("/<int:return_id>/reject")
class RejectReturn(MethodView):
    @roles_required("manager")
    @idempotent
    @returns_blp.arguments(schemas.RejectSchema)
    @returns_blp.response(200, schemas.ReturnSchema)
    def post(self, data, return_id):
        """Refuse a return, saying why."""
        return returns.reject_return(returns.get_return(return_id), current_user, data["note"])


subsidy_blp = Blueprint("subsidy", __name__, url_prefix="/api/subsidy", description="Subsidy records for re-keying")
blueprints.append(subsidy_blp)


@subsidy_blp.route("/export.csv")
class SubsidyExport(MethodView):
    @roles_required("manager")
    @subsidy_blp.arguments(schemas.SubsidyQuerySchema, location="query")
    @subsidy_blp.response(200, {"type": "string"}, content_type="text/csv")
    def get(self, args):
        """Every sale and return of a subsidised item in a period with NIK, category, quantity and price, as CSV."""
        item = subsidy.check_period(args["item"], args["start"], args["end"])
        return _csv(
            subsidy.export_rows(item, args["start"], args["end"]), subsidy.filename(item, args["start"], args["end"])
        )


def _csv(rows, name: str) -> Response:
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


reports_blp = Blueprint("reports", __name__, url_prefix="/api/reports", description="Reports (reads only)")
blueprints.append(reports_blp)


@reports_blp.route("/sales")
class SalesReport(MethodView):
    @roles_required("manager")
    @reports_blp.arguments(schemas.SalesReportQuerySchema, location="query")
    @reports_blp.response(200, schemas.SalesReportSchema)
    def get(self, args):
        """Sales of a period (local dates; this month by default) by day, week, month, item, member, till or
        cashier: receipts, sold, of which to members, returned (on the refund's own day) and net, with the totals."""
        first = args.get("since") or clock.today().replace(day=1)
        last = args.get("until") or clock.today()
        if last < first:
            raise ValidationFailed(_("On or after the first day."), fields={"to": [_("On or after the first day.")]})
        if args["by"] in reports.PERIODS and len(reports.periods(first, last, args["by"])) > reports.MAX_PERIODS:
            message = _("Too many periods: choose a shorter range or a longer period.")
            raise ValidationFailed(message, fields={"from": [message]})
        report = reports.sales_report(args["by"], first, last)
        return {"by": report.by, "first": report.first, "last": report.last, "rows": report.rows, "total": report.total}


@reports_blp.route("/margins")
class Margins(MethodView):
    @roles_required("manager")
    @reports_blp.arguments(schemas.PeriodQuerySchema, location="query")
    @reports_blp.response(200, schemas.MarginRowSchema(many=True))
    def get(self, args):
        """Per month and item: revenue (sales less refunds, each on its day) less the cost of the goods sold (their
        cost when they moved: out with a sale, back with a return, an empty cylinder taken in exchange)."""
        first = args.get("since") or clock.today().replace(day=1)
        last = args.get("until") or clock.today()
        if last < first:
            raise ValidationFailed(_("On or after the first day."), fields={"to": [_("On or after the first day.")]})
        return reports.margins(first, last)


shu_blp = Blueprint("shu", __name__, url_prefix="/api/shu", description="SHU by patronage: members' shares of a year")
blueprints.append(shu_blp)


def _shu_answer(result):
    return {
        "year": result.year,
        "surplus": result.surplus,
        "member_percent": result.member_percent,
        "amount": result.amount,
        "purchases": result.purchases,
        "closed_at": result.closed.closed_at if result.closed else None,
        "shares": result.shares,
    }


@shu_blp.route("/<int:year>")
class ShuYearView(MethodView):
    @roles_required("manager")
    @shu_blp.arguments(schemas.ShuQuerySchema, location="query")
    @shu_blp.response(200, schemas.ShuSchema)
    def get(self, args, year):
        """A closed year's frozen shares (with each member's adjustment since), or an open year's shares as they
        would be closed now (surplus and member_percent required)."""
        closed = shu.closed_year(year)
        if closed is not None:
            return _shu_answer(closed)
        if args.get("surplus") is None or args.get("member_percent") is None:
            message = _("Give the surplus and the members' percentage.")
            raise ValidationFailed(message, fields={"surplus": [message], "member_percent": [message]})
        return _shu_answer(shu.compute(year, args["surplus"], args["member_percent"]))


@shu_blp.route("/<int:year>/close")
class ShuClose(MethodView):
    @roles_required("manager")
    @idempotent
    @shu_blp.arguments(schemas.ShuCloseSchema)
    @shu_blp.response(201, schemas.ShuSchema)
    def post(self, data, year):
        """Close the year: its shares are frozen (a later return shows as an adjustment); 409 when it is closed."""
        return _shu_answer(shu.close(year, data["surplus"], data["member_percent"], current_user))
