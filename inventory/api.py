"""The inventory JSON API: items, locations, scanning, stock, adjustments, transfers, counts."""

from decimal import Decimal

from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import roles_required
from app.clock import today
from app.idempotency import idempotent
from app.pagination import page_of
from app.safety import Blueprint
from inventory import counts, operations, queries, schemas, services, valuation
from inventory.models import Location

ALL = ("manager", "warehouse", "cashier")
STOCK_STAFF = ("manager", "warehouse")

items_blp = Blueprint("items", __name__, url_prefix="/api/items", description="Items, packagings and barcodes")
locations_blp = Blueprint("locations", __name__, url_prefix="/api/locations", description="Locations")
stock_blp = Blueprint(
    "stock",
    __name__,
    url_prefix="/api/stock",
    description="Scanning, stock on hand, stock card, adjustments, transfers",
)
counts_blp = Blueprint(
    "counts",
    __name__,
    url_prefix="/api/stock/counts",
    description="Stock counts (stock opname): counted blind by scanning, recounted, reviewed and posted by a manager",
)
blueprints = [items_blp, locations_blp, stock_blp, counts_blp]


@items_blp.route("")
class Items(MethodView):
    @roles_required(*ALL)
    @items_blp.response(200, schemas.ItemSchema(many=True))
    @items_blp.paginate()
    def get(self, pagination_parameters):
        """List items, by SKU."""
        return page_of(queries.items_statement(), pagination_parameters)

    @roles_required("manager")
    @idempotent
    @items_blp.arguments(schemas.ItemSchema)
    @items_blp.response(201, schemas.ItemSchema)
    def post(self, data):
        """Create an item."""
        return services.create_item(data)


@items_blp.route("/<int:item_id>")
class ItemById(MethodView):
    @roles_required(*ALL)
    @items_blp.response(200, schemas.ItemSchema)
    def get(self, item_id):
        """One item with its packagings and barcodes."""
        return services.get_item(item_id)

    @roles_required("manager")
    @items_blp.arguments(schemas.ItemUpdateSchema(partial=True))
    @items_blp.response(200, schemas.ItemSchema)
    def patch(self, data, item_id):
        """Change an item (audited)."""
        return services.update_item(services.get_item(item_id), data)


@items_blp.route("/<int:item_id>/packagings")
class Packagings(MethodView):
    @roles_required("manager")
    @idempotent
    @items_blp.arguments(schemas.PackagingSchema)
    @items_blp.response(201, schemas.PackagingSchema)
    def post(self, data, item_id):
        """Add a packaging (a sack, a pack, a cylinder) with its factor in base units."""
        return services.add_packaging(services.get_item(item_id), **data)


@items_blp.route("/<int:item_id>/packagings/<int:packaging_id>/barcodes")
class Barcodes(MethodView):
    @roles_required("manager")
    @idempotent
    @items_blp.arguments(schemas.BarcodeInSchema)
    @items_blp.response(201, schemas.PackagingSchema)
    def post(self, data, item_id, packaging_id):
        """Add a barcode to a packaging; EAN check digits are verified."""
        item = services.get_item(item_id)
        packaging = next((p for p in item.packagings if p.id == packaging_id), None)
        if packaging is None:
            raise services.NotFound(_("Packaging not found."))
        services.add_barcode(packaging, data["code"])
        return packaging


@locations_blp.route("")
class Locations(MethodView):
    @roles_required(*ALL)
    @locations_blp.response(200, schemas.LocationSchema(many=True))
    @locations_blp.paginate()
    def get(self, pagination_parameters):
        """List locations."""
        return page_of(queries.locations_statement(), pagination_parameters)

    @roles_required("manager")
    @idempotent
    @locations_blp.arguments(schemas.LocationSchema)
    @locations_blp.response(201, schemas.LocationSchema)
    def post(self, data):
        """Create a location (a bin under a zone, a shelf under the shop, ...)."""
        parent = queries.location(data.get("parent_id"))
        return services.create_location(data["code"], data["name"], data["kind"], parent)


@stock_blp.route("/scan")
class Scan(MethodView):
    @roles_required(*ALL)
    @stock_blp.arguments(schemas.ScanQuerySchema, location="query")
    @stock_blp.response(200, schemas.ScanResultSchema)
    def get(self, args):
        """Resolve what a scanner sent: an item (with packaging, lot, expiry, quantity) or a location."""
        return services.look_up_scan(args["code"])


@stock_blp.route("/on-hand")
class OnHand(MethodView):
    @roles_required(*ALL)
    @stock_blp.arguments(schemas.StockQuerySchema, location="query")
    @stock_blp.response(200, schemas.BalanceSchema(many=True))
    @stock_blp.paginate()
    def get(self, args, pagination_parameters):
        """Stock on hand by item, location and lot (a location includes the bins under it)."""
        query = services.stock_on_hand_query(args["location_id"], args["item_id"], args["include_children"])
        return page_of(query, pagination_parameters)


@stock_blp.route("/card")
class StockCard(MethodView):
    @roles_required(*STOCK_STAFF)
    @stock_blp.arguments(schemas.StockCardQuerySchema, location="query")
    @stock_blp.response(200, schemas.StockCardSchema)
    def get(self, args):
        """Every move of an item at a location, newest first, paged, with the balance after each."""
        return services.stock_card(args["item_id"], args["location_id"], args["page"], args["per_page"])


@stock_blp.route("/adjustments")
class Adjustments(MethodView):
    @roles_required(*STOCK_STAFF)
    @idempotent
    @stock_blp.arguments(schemas.AdjustmentInSchema)
    @stock_blp.response(201, schemas.AdjustmentSchema)
    def post(self, data):
        """Adjust stock with a reason; above the threshold it waits for a manager (status 'pending')."""
        location = _location(data["location_id"])
        lines = [operations.AdjustmentLineInput(**line) for line in data["lines"]]
        return operations.create_adjustment(location, data["reason"], lines, data["note"], current_user)


@stock_blp.route("/adjustments/<int:adjustment_id>/approve")
class ApproveAdjustment(MethodView):
    @roles_required("manager")
    @idempotent
    @stock_blp.response(200, schemas.AdjustmentSchema)
    def post(self, adjustment_id):
        """Approve a pending adjustment and post it."""
        return operations.approve_adjustment(operations.get_adjustment(adjustment_id), current_user)


@stock_blp.route("/adjustments/<int:adjustment_id>/reject")
class RejectAdjustment(MethodView):
    @roles_required("manager")
    @idempotent
    @stock_blp.response(200, schemas.AdjustmentSchema)
    def post(self, adjustment_id):
        """Reject a pending adjustment; nothing is posted."""
        return operations.reject_adjustment(operations.get_adjustment(adjustment_id), current_user)


@stock_blp.route("/expiring")
class Expiring(MethodView):
    @roles_required(*ALL)
    @stock_blp.arguments(schemas.ExpiringQuerySchema, location="query")
    @stock_blp.response(200, schemas.ExpiringSchema(many=True))
    def get(self, args):
        """Lots held that have expired or expire within their item's warning days, the soonest first."""
        return services.expiring(args["location_id"])


@stock_blp.route("/expiring/<int:balance_id>/write-off")
class ExpiringWriteOff(MethodView):
    @roles_required(*STOCK_STAFF)
    @idempotent
    @stock_blp.arguments(schemas.DisposeSchema)
    @stock_blp.response(201, schemas.AdjustmentSchema)
    def post(self, data, balance_id):
        """Write a lot's stock at one place off as expired, in one action (an adjustment: above the value
        threshold it waits for a manager)."""
        return operations.write_off_lot(balance_id, current_user, data["note"])


@stock_blp.route("/transfers")
class Transfers(MethodView):
    @roles_required(*STOCK_STAFF)
    @idempotent
    @stock_blp.arguments(schemas.TransferInSchema)
    @stock_blp.response(201, schemas.TransferSchema)
    def post(self, data):
        """Move stock between our locations, at once or via in-transit (two_step)."""
        source = queries.location(data["from_location_id"])
        target = queries.location(data["to_location_id"])
        if source is None or target is None:
            raise services.NotFound(_("Location not found."))
        lines = [operations.TransferLineInput(**line) for line in data["lines"]]
        return operations.create_transfer(source, target, lines, current_user, two_step=data["two_step"])


@stock_blp.route("/transfers/<int:transfer_id>/receive")
class ReceiveTransfer(MethodView):
    @roles_required(*STOCK_STAFF)
    @idempotent
    @stock_blp.response(200, schemas.TransferSchema)
    def post(self, transfer_id):
        """Receive a transfer that is in transit."""
        return operations.receive_transfer(operations.get_transfer(transfer_id), current_user)


@counts_blp.route("")
class Counts(MethodView):
    @roles_required(*STOCK_STAFF)
    @counts_blp.arguments(schemas.CountQuerySchema, location="query")
    @counts_blp.response(200, schemas.CountSchema(many=True))
    @counts_blp.paginate()
    def get(self, args, pagination_parameters):
        """List counts, newest first."""
        return page_of(counts.counts_query(args["status"]), pagination_parameters)

    @roles_required(*STOCK_STAFF)
    @idempotent
    @counts_blp.arguments(schemas.CountInSchema)
    @counts_blp.response(201, schemas.CountSchema)
    def post(self, data):
        """Start a count of a location and everything under it."""
        return counts.create_count(_location(data["location_id"]), current_user, data["note"])


@counts_blp.route("/<int:count_id>")
class CountById(MethodView):
    @roles_required(*STOCK_STAFF)
    @counts_blp.response(200, schemas.CountSchema)
    def get(self, count_id):
        """One count (blind: no expected quantities)."""
        return counts.get_count(count_id)


@counts_blp.route("/<int:count_id>/lines")
class CountLines(MethodView):
    @roles_required(*STOCK_STAFF)
    @counts_blp.arguments(schemas.CountLineQuerySchema, location="query")
    @counts_blp.response(200, schemas.CountLineSchema(many=True))
    @counts_blp.paginate()
    def get(self, args, count_id, pagination_parameters):
        """A count's lines as counted (blind); `mine` for the caller's own, `needs_recount` for the recount list."""
        count = counts.get_count(count_id)
        stmt = counts.lines_query(count, current_user.id if args["mine"] else None, args["needs_recount"])
        return page_of(stmt, pagination_parameters)

    @roles_required(*STOCK_STAFF)
    @idempotent
    @counts_blp.arguments(schemas.CountScanInSchema)
    @counts_blp.response(200, schemas.CountLineSchema)
    def post(self, data, count_id):
        """Count a scan (times `packs`) in a bin: adds to the count while open, to the recount in review."""
        count = counts.get_count(count_id)
        location = _location(data["location_id"])
        return counts.record_scan(count, location, data["code"], current_user, data["packs"], data["lot_code"])


@counts_blp.route("/<int:count_id>/lines/<int:line_id>")
class CountLine(MethodView):
    @roles_required(*STOCK_STAFF)
    @counts_blp.arguments(schemas.CountLineQuantityInSchema)
    @counts_blp.response(200, schemas.CountLineSchema)
    def put(self, data, count_id, line_id):
        """Set a line's quantity as typed: a correction while open, the recount in review."""
        count = counts.get_count(count_id)
        return counts.set_line_quantity(count, counts.get_line(count, line_id), data["quantity"], current_user)


@counts_blp.route("/<int:count_id>/review")
class CountReview(MethodView):
    @roles_required("manager")
    @counts_blp.response(200, schemas.CountReviewLineSchema(many=True))
    @counts_blp.paginate()
    def get(self, count_id, pagination_parameters):
        """The lines with expected quantity, variance and value at moving-average cost (managers only)."""
        return page_of(counts.lines_query(counts.get_count(count_id)), pagination_parameters)


@counts_blp.route("/<int:count_id>/close")
class CloseCount(MethodView):
    @roles_required(*STOCK_STAFF)
    @idempotent
    @counts_blp.response(200, schemas.CountSchema)
    def post(self, count_id):
        """Stop counting: uncounted stock goes in at zero, lines over the threshold are flagged for a recount."""
        return counts.close_count(counts.get_count(count_id), current_user)


@counts_blp.route("/<int:count_id>/post")
class PostCount(MethodView):
    @roles_required("manager")
    @idempotent
    @counts_blp.response(200, schemas.CountSchema)
    def post(self, count_id):
        """Post every line's variance through the ledger (reason count, reference CNT-<id>)."""
        return counts.post_count(counts.get_count(count_id), current_user)


@counts_blp.route("/<int:count_id>/cancel")
class CancelCount(MethodView):
    @roles_required("manager")
    @idempotent
    @counts_blp.response(200, schemas.CountSchema)
    def post(self, count_id):
        """Cancel a count; nothing is posted."""
        return counts.cancel_count(counts.get_count(count_id), current_user)


def _location(location_id: int) -> Location:
    location = queries.location(location_id)
    if location is None:
        raise services.NotFound(_("Location not found."))
    return location


@stock_blp.route("/valuation")
class Valuation(MethodView):
    @roles_required("manager")
    @stock_blp.arguments(schemas.ValuationQuerySchema, location="query")
    @stock_blp.response(200, schemas.ValuationSchema)
    def get(self, args):
        """What the stock is worth per item: now (no day, or today) at the moving-average cost, or at the end of a
        past local day from the nightly snapshot and the moves since; everywhere or at a place and those under it."""
        day, location_id = args.get("day"), args.get("location_id")
        places = set(services.descendant_ids(location_id)) if location_id else None
        rows = valuation.on_hand_value(places) if day is None or day >= today() else valuation.valuation(day, places)
        return {"day": day or today(), "rows": rows, "total": sum((r.value for r in rows), Decimal(0))}
