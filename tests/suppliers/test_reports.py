"""The purchasing report against figures by hand: Bulog 4 bales of SPHP (Rp565.000 each, 200 kg of its 2-tonne
limit) and the LPG agent 10 cylinders (Rp12.750 each, 10 of its 250 a month), both approved, nothing received."""

from decimal import Decimal

from app.clock import today
from suppliers import reports, services


def _orders(shop):
    bulog = services.create_order(shop.bulog, shop.warehouse, shop.clerk)
    services.set_line(bulog, shop.items["SPHP5"].id, Decimal(4), shop.clerk)
    agent = services.create_order(shop.agent, shop.warehouse, shop.clerk)
    services.set_line(agent, shop.items["LPG3"].id, Decimal(10), shop.clerk)
    for order in (bulog, agent):
        services.transition(order, "submit", shop.clerk)
        services.transition(order, "approve", shop.manager)
    return bulog, agent


def test_ordered_received_owed_quota_and_pickups(shop):
    bulog, _agent = _orders(shop)
    report = reports.purchasing(today().replace(day=1), today())
    assert [(r.supplier.code, r.orders, r.ordered, r.received, r.owed) for r in report.rows] == [
        ("AGEN-LPG", 1, 127_500, 0, 127_500),
        ("BULOG-BPN", 1, 2_260_000, 0, 2_260_000),
    ]
    lpg = [(q.supplier.code, q.item.sku, q.quota, q.used, q.left) for q in report.quotas if q.item.sku == "LPG3"]
    assert lpg == [("AGEN-LPG", "LPG3", Decimal(250), Decimal(10), Decimal(240))]
    assert [(p.order.number, p.weight_kg, p.limit_kg) for p in report.pickups] == [
        (bulog.number, Decimal(200), Decimal(2000))
    ]


def test_the_purchasing_screen(shop, client, login):
    _orders(shop)
    login("manager")
    page = client.get("/purchasing/report").get_data(as_text=True)
    assert 'data-row="BULOG-BPN"' in page and "Rp2.260.000" in page and 'id="quota-table"' in page
    assert 'id="pickups-table"' in page and "200" in page
    refused = client.get("/purchasing/report?from=nope")
    assert refused.status_code == 422 and 'id="error-from"' in refused.get_data(as_text=True)
