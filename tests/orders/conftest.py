from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.db import db
from inventory.models import Barcode, Item, Location, StockBalance
from members.models import Member
from orders import checkout, tills
from orders.cart import Cart, CartLine
from orders.checkout import PaymentIn
from orders.models import Sale

SPHP, SUGAR, LPG3, RICE_KG, LPG3_EMPTY = "8991000000300", "8991000000508", "8991000000119", "BRSMED-KG", "8991000000102"


@pytest.fixture
def shop(demo, make_user):
    """The demo cooperative with till K1 open for a cashier (float Rp200.000) and helpers to sell."""
    s = SimpleNamespace()
    s.cashier = make_user("cashier")
    s.till = tills.get_till("K1")
    s.session = tills.open_session(s.till, s.cashier, 200000)
    s.items = {i.sku: i for i in db.session.scalars(select(Item))}
    s.locations = {loc.code: loc for loc in db.session.scalars(select(Location))}
    s.members = {m.member_number: m for m in db.session.scalars(select(Member))}
    s.keys = iter(f"cart-{n}" for n in range(1000))

    def packaging(code: str) -> int:
        return db.session.scalar(select(Barcode).where(Barcode.code == code)).packaging_id

    def cart(*lines, member=None, buyer=None, till="K1") -> Cart:
        return Cart(
            till=till,
            lines=[
                CartLine(packaging(code), Decimal(str(q)), None if e is None else Decimal(e)) for code, q, e in lines
            ],
            member=member,
            buyer=buyer,
        )

    def sell(*lines, member=None, buyer=None, pay=None, user=None, till="K1"):
        payments = [PaymentIn("cash", tendered=1_000_000)] if pay is None else pay
        posted = checkout.post_sale(
            cart(*lines, member=member, buyer=buyer, till=till), payments, next(s.keys), user or s.cashier
        )
        return db.session.get(Sale, posted.id)  # the stored sale, as a later request reads it

    def on_hand(sku: str, location: str) -> Decimal:
        return db.session.scalar(
            select(db.func.coalesce(db.func.sum(StockBalance.quantity), 0)).where(
                StockBalance.item_id == s.items[sku].id, StockBalance.location_id == s.locations[location].id
            )
        )

    s.packaging, s.cart, s.sell, s.on_hand = packaging, cart, sell, on_hand
    return s
