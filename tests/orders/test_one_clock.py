"""One clock: every business date is the cooperative's (WITA), whatever the server's own time zone. The
date-sensitive paths run with the server in UTC-12 and in UTC+14 and the cooperative's clock at 23:59 on the
last day of a year and at 00:01 on the first day of the next: the sale's date and receipt time, the SPHP cap's
day, the price in force, the ceiling list, a purchase order's date, an expiry, the day's sales list and the
quota month. (time-machine moves the clock and the process's local time zone; the database's clock is not used
for any business date.)"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app import clock
from app.db import db
from orders import pricing
from orders.caps import CapReached

from .conftest import SPHP, SUGAR

WITA = ZoneInfo("Asia/Makassar")
SERVER_ZONES = {"UTC-12": ZoneInfo("Etc/GMT+12"), "UTC+14": ZoneInfo("Pacific/Kiritimati")}
SITI = "KKMP-000001"
NEW_YEAR = date(2027, 1, 1)


def at(server: str, local: datetime):
    """The moment `local` (WITA) as the server in `server` sees it: its own clock and time zone say otherwise."""
    return time_machine.travel(local.astimezone(SERVER_ZONES[server]), tick=False)


@pytest.mark.parametrize("server", SERVER_ZONES)
def test_the_business_day_is_the_cooperatives_on_any_server_at_23_59_and_00_01(shop, server, make_user):
    from inventory.ledger import InsufficientStock
    from inventory.models import Location, Lot
    from orders import cart, receipts
    from suppliers import services as purchasing
    from suppliers.models import Supplier

    sugar = db.session.get(pricing.Packaging, shop.packaging(SUGAR))
    shelf_lot = db.session.scalar(select(Lot).where(Lot.code == "SPHP-2610B"))  # the shop's SPHP packs
    shelf_lot.expiry_date = date(2026, 12, 31)
    clerk = make_user("warehouse")
    supplier = db.session.scalar(select(Supplier).where(Supplier.code == "BULOG-BPN"))
    warehouse = db.session.scalar(select(Location).where(Location.code == "GDG"))

    with at(server, datetime(2026, 12, 31, 23, 59, tzinfo=WITA)):
        # The server's own date: the same in UTC-12 now, a day ahead in UTC+14 (and the other way at 00:01).
        assert datetime.now().date() == (date(2026, 12, 31) if server == "UTC-12" else NEW_YEAR)
        assert clock.today() == date(2026, 12, 31)
        # A price and a ceiling from New Year's day: not yet in force on the till, the screen or the list.
        pricing.set_price(sugar, "general", 18500, NEW_YEAR)
        pricing.set_ceiling(sugar.item, 17800, NEW_YEAR, "HET 2027")
        late = shop.sell((SPHP, 2, None), member=SITI)  # the lot expires today: still sold today
        assert late.sale_date == date(2026, 12, 31)
        assert receipts.receipt_text(late).splitlines()[4].endswith("31-12-2026 23:59")
        with pytest.raises(CapReached):  # the day's 2 SPHP packs are taken
            shop.sell((SPHP, 1, None), member=SITI)
        row = next(r for r in pricing.price_table(clock.today()) if r.packaging.id == sugar.id)
        assert (row.general.amount, row.ceiling) == (18000, None)
        assert shop.sell((SUGAR, 1, None)).total == 18000
        assert purchasing.create_order(supplier, warehouse, clerk).order_date == date(2026, 12, 31)

    with at(server, datetime(2027, 1, 1, 0, 1, tzinfo=WITA)):
        assert datetime.now().date() == (date(2026, 12, 31) if server == "UTC-12" else NEW_YEAR)
        assert clock.today() == NEW_YEAR
        quote = cart.quote(shop.cart((SPHP, 1, None), member=SITI), shop.cashier)
        assert [(s.used, s.remaining) for s in quote.caps] == [(0, 2)]  # a new day: the cap starts again
        with pytest.raises(InsufficientStock) as short:  # yesterday's lot has expired: none of it is sold
            shop.sell((SPHP, 1, None), member=SITI)
        assert short.value.extra.get("expired") or "kedaluwarsa" in short.value.message
        row = next(r for r in pricing.price_table(clock.today()) if r.packaging.id == sugar.id)
        assert (row.general.amount, row.ceiling.amount_per_unit) == (18500, 17800)  # the screen shows today's...
        assert "Rp17.800" in _refusal(shop, SUGAR)  # ...and the till refuses today's price above today's ceiling
        assert purchasing.create_order(supplier, warehouse, clerk).order_date == NEW_YEAR
        assert (
            receipts.receipt_text(shop.sell((SUGAR, 1, None), member=SITI)).splitlines()[4].endswith("01-01-2027 00:01")
        )


def _refusal(shop, code: str) -> str:
    from orders.cart import SaleRefused

    with pytest.raises(SaleRefused) as refused:
        shop.sell((code, 1, None))
    return refused.value.message
