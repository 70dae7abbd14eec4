"""The prices and ceilings JSON API."""

from datetime import date

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth import roles_required
from app.db import db
from app.errors import NotFound
from app.idempotency import idempotent
from inventory.models import Item
from orders import caps, pricing, schemas
from orders.models import CapRule

prices_blp = Blueprint("prices", __name__, url_prefix="/api/prices", description="Prices and legal ceilings (HET)")
blueprints = [prices_blp]


@prices_blp.route("")
class Prices(MethodView):
    @roles_required("manager", "cashier")
    @prices_blp.arguments(schemas.PriceQuerySchema, location="query")
    @prices_blp.response(200, schemas.PriceRowSchema(many=True))
    def get(self, args):
        """Member and general price and the ceiling of every sale packaging on a day (today by default)."""
        return pricing.price_table(args["day"] or date.today())

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
        item = db.session.get(Item, data["item_id"])
        if item is None:
            raise NotFound(_("Item not found."))
        ceiling, too_high = pricing.set_ceiling(item, data["amount_per_unit"], data["valid_from"], data["source"])
        return {"ceiling": ceiling, "prices_above": too_high}


caps_blp = Blueprint("caps", __name__, url_prefix="/api/caps", description="Purchase caps per person, NIK or household")
blueprints.append(caps_blp)


@caps_blp.route("")
class Caps(MethodView):
    @roles_required("manager", "cashier")
    @caps_blp.response(200, schemas.CapRuleSchema(many=True))
    def get(self):
        """Every purchase cap, active or not."""
        return db.session.scalars(select(CapRule).order_by(CapRule.id)).all()

    @roles_required("manager")
    @idempotent
    @caps_blp.arguments(schemas.CapRuleSchema)
    @caps_blp.response(201, schemas.CapRuleSchema)
    def post(self, data):
        """Add a cap: an item, counted per member, NIK or household, per sale, day or month, for a buyer category."""
        item = db.session.get(Item, data["item_id"])
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
