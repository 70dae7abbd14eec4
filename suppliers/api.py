"""The suppliers and purchasing JSON API."""

from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import roles_required
from app.errors import NotFound, ValidationFailed
from app.idempotency import idempotent
from app.pagination import page_of
from app.safety import Blueprint
from inventory import queries as inventory_queries
from suppliers import queries, receiving, reorder, schemas, services

STAFF = ("manager", "warehouse")

suppliers_blp = Blueprint("suppliers", __name__, url_prefix="/api/suppliers", description="Suppliers and catalogue")
orders_blp = Blueprint("purchase_orders", __name__, url_prefix="/api/purchase-orders", description="Purchase orders")
blueprints = [suppliers_blp, orders_blp]


@suppliers_blp.route("")
class Suppliers(MethodView):
    @roles_required(*STAFF)
    @suppliers_blp.response(200, schemas.SupplierSchema(many=True))
    @suppliers_blp.paginate()
    def get(self, pagination_parameters):
        """List suppliers with their catalogue and quotas."""
        return page_of(queries.suppliers_statement(), pagination_parameters)

    @roles_required("manager")
    @idempotent
    @suppliers_blp.arguments(schemas.SupplierSchema)
    @suppliers_blp.response(201, schemas.SupplierSchema)
    def post(self, data):
        """Add a supplier (Bulog branch, the LPG agent, ...)."""
        return services.create_supplier(data)


@suppliers_blp.route("/<int:supplier_id>")
class SupplierById(MethodView):
    @roles_required(*STAFF)
    @suppliers_blp.response(200, schemas.SupplierSchema)
    def get(self, supplier_id):
        """One supplier."""
        return services.get_supplier(supplier_id)

    @roles_required("manager")
    @suppliers_blp.arguments(schemas.SupplierUpdateSchema(partial=True))
    @suppliers_blp.response(200, schemas.SupplierSchema)
    def patch(self, data, supplier_id):
        """Change a supplier's details or limits (audited)."""
        return services.update_supplier(services.get_supplier(supplier_id), data)


@suppliers_blp.route("/<int:supplier_id>/catalogue")
class Catalogue(MethodView):
    @roles_required("manager")
    @idempotent
    @suppliers_blp.arguments(schemas.SupplierItemSchema)
    @suppliers_blp.response(201, schemas.SupplierItemSchema)
    def post(self, data, supplier_id):
        """Put an item in the supplier's catalogue, with its purchase packaging."""
        return services.add_catalogue_item(services.get_supplier(supplier_id), **data)


@suppliers_blp.route("/<int:supplier_id>/catalogue/<int:supplier_item_id>/costs")
class Costs(MethodView):
    @roles_required("manager")
    @idempotent
    @suppliers_blp.arguments(schemas.SupplierPriceSchema)
    @suppliers_blp.response(201, schemas.SupplierItemSchema)
    def post(self, data, supplier_id, supplier_item_id):
        """Set the cost of one purchase packaging from a date on."""
        entry = services.get_catalogue_item(services.get_supplier(supplier_id), supplier_item_id)
        services.set_cost(entry, data["valid_from"], data["cost"])
        return entry


@suppliers_blp.route("/<int:supplier_id>/quotas")
class Quotas(MethodView):
    @roles_required("manager")
    @idempotent
    @suppliers_blp.arguments(schemas.SupplierQuotaSchema)
    @suppliers_blp.response(201, schemas.SupplierQuotaSchema)
    def post(self, data, supplier_id):
        """Set a monthly quota of an item from a date on (the LPG agent's cylinders)."""
        return services.set_quota(
            services.get_supplier(supplier_id), data["item_id"], data["monthly_quantity"], data["valid_from"]
        )


@orders_blp.route("")
class Orders(MethodView):
    @roles_required(*STAFF)
    @orders_blp.arguments(schemas.OrderQuerySchema, location="query")
    @orders_blp.response(200, schemas.OrderSchema(many=True))
    @orders_blp.paginate()
    def get(self, args, pagination_parameters):
        """Purchase orders, newest first."""
        return page_of(services.orders(args["status"], args["supplier_id"]), pagination_parameters)

    @roles_required(*STAFF)
    @idempotent
    @orders_blp.arguments(schemas.OrderInSchema)
    @orders_blp.response(201, schemas.OrderSchema)
    def post(self, data):
        """Start a draft order."""
        destination = inventory_queries.location(data["destination_id"])
        if destination is None:
            raise NotFound(_("Location not found."))
        return services.create_order(
            services.get_supplier(data["supplier_id"]), destination, current_user, data["expected_date"], data["note"]
        )


@orders_blp.route("/<int:order_id>")
class OrderById(MethodView):
    @roles_required(*STAFF)
    @orders_blp.response(200, schemas.OrderSchema)
    def get(self, order_id):
        """One order with its lines."""
        return services.get_order(order_id)


@orders_blp.route("/<int:order_id>/lines")
class OrderLines(MethodView):
    @roles_required(*STAFF)
    @idempotent
    @orders_blp.arguments(schemas.OrderLineInSchema)
    @orders_blp.response(200, schemas.OrderSchema)
    def post(self, data, order_id):
        """Order a number of purchase packagings of an item (0 removes it); an approved order goes back to
        approval. A reorder suggestion is refused (409 `reorder_suggestion`): it is approved under /api/reorder."""
        order = services.get_order(order_id)
        services.refuse_suggestion(order)
        return services.set_line(order, data["item_id"], data["packs"], current_user)


@orders_blp.route("/<int:order_id>/<any(submit, approve, cancel, close):action>")
class OrderAction(MethodView):
    @roles_required(*STAFF)
    @idempotent
    @orders_blp.response(200, schemas.OrderSchema)
    def post(self, order_id, action):
        """Submit, approve (manager), cancel or close an order; illegal steps are refused."""
        order = services.get_order(order_id)
        services.refuse_suggestion(order)
        return services.transition(order, action, current_user)


receipts_blp = Blueprint("receipts", __name__, url_prefix="/api/receipts", description="Receiving against orders")
blueprints.append(receipts_blp)


@receipts_blp.route("")
class Receipts(MethodView):
    @roles_required(*STAFF)
    @idempotent
    @receipts_blp.arguments(schemas.ReceiptOpenSchema)
    @receipts_blp.response(201, schemas.ReceiptSchema)
    def post(self, data):
        """Open (or resume) the receipt of an approved order, by its number."""
        return receiving.open_receipt(services.order_by_number(data["order_number"]), current_user)


@receipts_blp.route("/<int:receipt_id>")
class ReceiptById(MethodView):
    @roles_required(*STAFF)
    @receipts_blp.response(200, schemas.ReceiptSchema)
    def get(self, receipt_id):
        """A receipt with expected against received per item."""
        return receiving.get_receipt(receipt_id)


@receipts_blp.route("/<int:receipt_id>/scan")
class ReceiptScan(MethodView):
    @roles_required(*STAFF)
    @idempotent
    @receipts_blp.arguments(schemas.ReceiptScanSchema)
    @receipts_blp.response(200, schemas.ReceiptSchema)
    def post(self, data, receipt_id):
        """Add what a scanner read: one purchase unit × times; lot and expiry from GS1 or given."""
        found = receiving.get_receipt(receipt_id)
        found.scanned_line = receiving.scan_into(
            found,
            data["code"],
            current_user,
            data["times"],
            data["condition"],
            data["lot"],
            data["expiry"],
            data["reason"],
        )
        return found


@receipts_blp.route("/<int:receipt_id>/empties")
class ReceiptEmpties(MethodView):
    @roles_required(*STAFF)
    @idempotent
    @receipts_blp.arguments(schemas.ReceiptEmptiesSchema)
    @receipts_blp.response(200, schemas.ReceiptSchema)
    def post(self, data, receipt_id):
        """How many empty cylinders the LPG agent takes back with this delivery."""
        found = receiving.get_receipt(receipt_id)
        receiving.hand_back_empties(found, data["count"])
        return found


@receipts_blp.route("/<int:receipt_id>/lines/<int:line_id>/take-into-stock")
class ReceiptLineTake(MethodView):
    @roles_required("manager")
    @idempotent
    @receipts_blp.response(200, schemas.ReceiptSchema)
    def post(self, receipt_id, line_id):
        """A manager's word on a held line (a lot expired or expiring within its warning days): into stock
        instead of quarantine."""
        found = receiving.get_receipt(receipt_id)
        receiving.take_into_stock(found, line_id, current_user)
        return found


@receipts_blp.route("/<int:receipt_id>/returns")
class ReceiptReturns(MethodView):
    @roles_required(*STAFF)
    @idempotent
    @receipts_blp.arguments(schemas.SupplierReturnInSchema)
    @receipts_blp.response(201, schemas.SupplierReturnSchema(many=True))
    def post(self, data, receipt_id):
        """Send goods of a posted receipt back to the supplier from where they are now (stock or quarantine): in
        the lot given or, without one, the receipt's lots first to expire first (one return per lot)."""
        found = receiving.get_receipt(receipt_id)
        location = inventory_queries.location(data["location_id"])
        if location is None:
            raise ValidationFailed(_("Choose where the goods are now."), fields={"location_id": [_("Not found.")]})
        return receiving.return_to_supplier(
            found, data["item_id"], data["quantity"], data["reason"], location, current_user, data["lot_code"]
        )


@receipts_blp.route("/<int:receipt_id>/<any(approve, post):action>")
class ReceiptAction(MethodView):
    @roles_required(*STAFF)
    @idempotent
    @receipts_blp.response(200, schemas.ReceiptSchema)
    def post(self, receipt_id, action):
        """Approve (manager: over-receipt, unexpected items) or post the receipt; posting twice posts once."""
        if action == "approve":
            return receiving.approve(receiving.get_receipt(receipt_id), current_user)
        return receiving.post(receipt_id, current_user)


lot_returns_blp = Blueprint(
    "lot_returns", __name__, url_prefix="/api/stock/expiring", description="Expired lots back to the supplier"
)
blueprints.append(lot_returns_blp)


@lot_returns_blp.route("/<int:balance_id>/return")
class LotReturn(MethodView):
    @roles_required(*STAFF)
    @idempotent
    @lot_returns_blp.arguments(schemas.LotReturnSchema)
    @lot_returns_blp.response(201, schemas.SupplierReturnSchema(many=True))
    def post(self, data, balance_id):
        """Send a lot's stock at one place back to the supplier whose receipt brought it, in one action."""
        return receiving.return_lot(balance_id, data["reason"], current_user)


reorder_blp = Blueprint(
    "reorder", __name__, url_prefix="/api/reorder", description="Reorder rules and the suggestions they make"
)
blueprints.append(reorder_blp)


@reorder_blp.route("/rules")
class ReorderRules(MethodView):
    @roles_required(*STAFF)
    @reorder_blp.response(200, schemas.ReorderRuleSchema(many=True))
    @reorder_blp.paginate()
    def get(self, pagination_parameters):
        """The reorder rules, staples first."""
        return page_of(reorder.rules_query(), pagination_parameters)

    @roles_required("manager")
    @idempotent
    @reorder_blp.arguments(schemas.ReorderRuleSchema)
    @reorder_blp.response(200, schemas.ReorderRuleSchema)
    def post(self, data):
        """Set the rule of an item at a location (one per pair; setting it again changes it) and check it at
        once."""
        return reorder.save_rule(data)


@reorder_blp.route("/rules/<int:rule_id>")
class ReorderRuleById(MethodView):
    @roles_required("manager")
    @reorder_blp.arguments(schemas.ReorderRuleSwitchSchema)
    @reorder_blp.response(200, schemas.ReorderRuleSchema)
    def patch(self, data, rule_id):
        """Turn a rule off (its suggested line goes) or on."""
        return reorder.switch_rule(rule_id, data["is_active"])


@reorder_blp.route("/suggestions")
class Suggestions(MethodView):
    @roles_required(*STAFF)
    @reorder_blp.response(200, schemas.SuggestionSchema(many=True))
    def get(self):
        """The reorder drafts waiting for a manager, each line with its reasoning in figures and in words."""
        return reorder.suggestions()


@reorder_blp.route("/suggestions/<int:order_id>/approve")
class SuggestionApprove(MethodView):
    @roles_required("manager")
    @idempotent
    @reorder_blp.arguments(schemas.SuggestionApproveSchema)
    @reorder_blp.response(200, schemas.OrderSchema)
    def post(self, data, order_id):
        """Approve a suggestion: every line's quantity as the manager leaves it; the order goes to approval. The
        suggestion is checked again first: 409 `suggestion_changed`, with the new lines in `suggestion`, when the
        rules now ask for other lines or quantities than those read (`suggested`, or the stored draft)."""
        packs = {line["item_id"]: line["packs"] for line in data["lines"]}
        seen = {line["item_id"]: line["suggested"] for line in data["lines"]}
        suggested = seen if all(value is not None for value in seen.values()) else None
        return reorder.approve(services.get_order(order_id), packs, current_user, suggested)
