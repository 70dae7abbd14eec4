import re
from decimal import Decimal

from app.db import db, utcnow
from inventory import operations
from inventory import services as inventory
from inventory.cylinders import cylinder_report
from inventory.ledger import Move, post_moves
from suppliers import receiving
from tests.suppliers.test_receiving import LPG_FULL, approved_order


def test_cylinders_reconcile_after_a_delivery_sales_and_a_loss(shop):
    since = utcnow()  # after the demo's opening stock
    cage, shelf = shop.locations["GDG-B-01"], shop.locations["TKO-LPG"]
    lpg, empty = shop.items["LPG3"], shop.items["LPG3-KSG"]
    customer = inventory.location_of_kind("customer")
    order = approved_order(shop, shop.agent, [("LPG3", 10)], destination=cage)
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, LPG_FULL, shop.clerk, times=Decimal(9))
    receiving.scan_into(receipt, LPG_FULL, shop.clerk, condition="rejected")  # leaking: back with the driver
    receiving.hand_back_empties(receipt, Decimal(9))
    receiving.post(receipt.id, shop.clerk)
    # Two refills at the shop: a full out, an empty in; one buyer without an empty takes the cylinder too.
    post_moves(
        [
            Move(lpg.id, shelf.id, customer.id, Decimal(3), "sale", "S-1"),
            Move(empty.id, customer.id, shelf.id, Decimal(2), "exchange", "S-1"),
        ]
    )
    operations.create_adjustment(
        cage, "damaged", [operations.AdjustmentLineInput(empty.id, Decimal(-1))], "", shop.clerk
    )
    [bright_gas, lpg_report] = cylinder_report(since)  # by SKU
    assert lpg_report.full.sku == "LPG3"
    # Demo opening: 60 + 15 full, 10 empty = 85 cylinders.
    assert (lpg_report.full_on_hand, lpg_report.empty_on_hand, lpg_report.in_quarantine) == (
        Decimal(81),
        Decimal(2),
        Decimal(0),
    )  # 75 + 9 − 3 full; 10 − 9 + 2 − 1 empty
    assert lpg_report.opening == Decimal(85)
    assert lpg_report.flows == {
        "full_from_supplier": Decimal(9),
        "empty_to_supplier": Decimal(-9),
        "full_to_customer": Decimal(-3),
        "empty_from_customer": Decimal(2),
        "adjusted": Decimal(-1),
    }
    assert lpg_report.exchange_balance == Decimal(0)  # every full from the agent was a swap
    assert lpg_report.held == Decimal(83) and lpg_report.drift == Decimal(-1)  # the lost empty
    assert bright_gas.drift == Decimal(0) and bright_gas.held == Decimal(8)


def test_the_opening_stock_is_not_a_delivery_and_a_past_month_ends_where_it_ended(shop):
    """The period starts before the demo's opening stock (85 LPG cylinders posted from the supplier location):
    counted as deliveries they made a false debt of 85 with the agent. A hand count: 85 entered as opening stock,
    10 delivered for 10 empties (the warehouse's cage), nothing owed."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from inventory.models import StockMove

    order = approved_order(shop, shop.agent, [("LPG3", 10)])
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, LPG_FULL, shop.clerk, times=Decimal(10))
    receiving.hand_back_empties(receipt, Decimal(10))
    receiving.post(receipt.id, shop.clerk)
    [_, lpg] = cylinder_report(datetime(2000, 1, 1, tzinfo=UTC))
    assert lpg.flows == {
        "opening_stock": Decimal(85),
        "full_from_supplier": Decimal(10),
        "empty_to_supplier": Decimal(-10),
    }
    assert (lpg.opening, lpg.closing, lpg.exchange_balance, lpg.drift) == (0, 85, 0, 0)
    # The delivery moved into a month of its own: the month before it ends with the 85, the delivery after it.
    db.session.execute(
        update(StockMove)
        .where(StockMove.reference == receipt.reference)
        .values(posted_at=utcnow() + timedelta(days=40))
    )
    [_, lpg] = cylinder_report(datetime(2000, 1, 1, tzinfo=UTC), utcnow() + timedelta(days=1))
    assert lpg.flows == {"opening_stock": Decimal(85)}
    assert (lpg.opening, lpg.closing, lpg.held) == (0, 85, 85)


def test_the_cylinder_screen_shows_the_opening_stock_apart_and_no_debt(client, login, shop):
    login("warehouse")
    page = client.get("/purchasing/cylinders").get_data(as_text=True)
    section = page[page.index('id="cylinders-LPG3"') :]
    assert re.search(r'class="num opening-stock">\s*85', section)
    assert re.search(r'class="num full-in">\s*0', section)
    assert "exchange-balance" not in section
