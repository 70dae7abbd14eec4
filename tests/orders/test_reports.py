"""The sales report against figures computed by hand: a member's sale at 23:59 WITA on the last day of November, a
walk-in's sale and the member's return of one sugar at 00:01 on 1 December (the return counts on its own day,
never changing November), by day, week and month, by item, member, till and cashier."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from orders import reports, returns
from orders.returns import ReturnLineIn

from .conftest import SPHP, SUGAR

WITA = ZoneInfo("Asia/Makassar")
SITI = "KKMP-000001"
NOV30, DEC1 = date(2026, 11, 30), date(2026, 12, 1)


def _month_end(shop, make_user):
    manager = make_user("manager")
    with time_machine.travel(datetime(2026, 11, 30, 23, 59, tzinfo=WITA), tick=False):
        member_sale = shop.sell((SPHP, 2, None), (SUGAR, 1, None), member=SITI)  # 125.000 + 17.000
        shop.sell((SUGAR, 1, None))  # a walk-in: 18.000
    with time_machine.travel(datetime(2026, 12, 1, 0, 1, tzinfo=WITA), tick=False):
        sugar_line = next(line for line in member_sale.lines if line.item.sku == "GULA1")
        asked = returns.request_return(member_sale, [ReturnLineIn(sugar_line.id, Decimal(1))], "rusak", shop.cashier)
        returns.approve_return(asked, manager)
    return member_sale


def _rows(report) -> list[tuple]:
    return [(r.key, r.receipts, r.gross, r.to_members, r.returns, r.net) for r in report.rows]


def test_sales_by_day_week_and_month_count_a_return_on_its_own_day(shop, make_user):
    _month_end(shop, make_user)
    by_day = reports.sales_report("day", NOV30, DEC1)
    assert _rows(by_day) == [
        ("2026-11-30", 2, 160000, 142000, 0, 160000),
        ("2026-12-01", 0, 0, 0, 17000, -17000),
    ]
    assert (by_day.total.gross, by_day.total.returns, by_day.total.net) == (160000, 17000, 143000)
    assert _rows(reports.sales_report("month", date(2026, 11, 1), date(2026, 12, 31))) == [
        ("2026-11-01", 2, 160000, 142000, 0, 160000),
        ("2026-12-01", 0, 0, 0, 17000, -17000),
    ]
    assert _rows(reports.sales_report("week", NOV30, DEC1)) == [("2026-11-30", 2, 160000, 142000, 17000, 143000)]
    assert _rows(reports.sales_report("day", NOV30, NOV30)) == [("2026-11-30", 2, 160000, 142000, 0, 160000)]


def test_sales_by_item_member_till_and_cashier(shop, make_user):
    _month_end(shop, make_user)
    items = reports.sales_report("item", NOV30, DEC1)
    assert [(r.key, r.receipts, r.gross, r.to_members, r.returns, r.quantity) for r in items.rows] == [
        ("SPHP5", 1, 125000, 125000, 0, "2.000"),
        ("GULA1", 2, 35000, 17000, 17000, "2.000"),
    ]
    members = reports.sales_report("member", NOV30, DEC1)
    assert [(r.key, r.gross, r.returns, r.net) for r in members.rows] == [
        (SITI, 142000, 17000, 125000),
        ("", 18000, 0, 18000),
    ]
    tills = reports.sales_report("till", NOV30, DEC1)
    assert [(r.key, r.receipts, r.net) for r in tills.rows] == [("K1", 2, 143000)]
    cashiers = reports.sales_report("cashier", NOV30, DEC1)
    assert [(r.key, r.receipts, r.gross, r.returns) for r in cashiers.rows] == [
        (shop.cashier.username, 2, 160000, 17000)
    ]
    assert reports.sales_report("item", DEC1, DEC1).rows[0].gross == 0  # December: the refund alone


def test_the_return_keeps_its_own_date(shop, make_user):
    from app.db import db
    from orders.models import SaleReturn

    _month_end(shop, make_user)
    assert db.session.scalars(select(SaleReturn.return_date)).all() == [DEC1]


def test_the_report_screen_draws_the_chart_and_the_api_and_csv_say_the_same(shop, make_user, client, login, api):
    _month_end(shop, make_user)
    login("manager")
    page = client.get("/shop/reports/sales?from=2026-11-30&to=2026-12-01&by=day").get_data(as_text=True)
    assert page.count("<rect ") == 2 and 'class="neg"' in page  # the 1st's bar is the refund, below the axis
    assert 'data-key="2026-11-30"' in page and "Rp160.000" in page
    csv_text = client.get("/shop/reports/sales?from=2026-11-30&to=2026-12-01&by=member&format=csv").get_data(
        as_text=True
    )
    assert csv_text.splitlines()[1] == f"{SITI},Siti Aminah,1,142000,142000,0,17000,125000,"
    refused = client.get("/shop/reports/sales?by=year&from=2026-12-01&to=2026-11-01")
    assert refused.status_code == 422 and 'id="error-by"' in refused.get_data(as_text=True)
    answer = api("manager").get("/api/reports/sales?from=2026-11-30&to=2026-12-01&by=item").get_json()
    assert [(r["key"], r["net"]) for r in answer["rows"]] == [("SPHP5", 125000), ("GULA1", 18000)]
    assert answer["total"]["net"] == 143000


def test_the_sales_list_filters_by_day_till_session_and_member(shop, make_user, client, login):
    _month_end(shop, make_user)
    today_sale = shop.sell((SUGAR, 1, None), member="KKMP-000002")
    login("manager")
    nov30 = client.get("/shop/sales?day=2026-11-30").get_data(as_text=True)
    assert nov30.count("K1-00000") == 2 and today_sale.receipt_number not in nov30
    siti = client.get(f"/shop/sales?day=2026-11-30&member={SITI}").get_data(as_text=True)
    assert "K1-000001" in siti and "K1-000002" not in siti
    assert "K1-00000" not in client.get("/shop/sales?day=2026-11-30&till=K9").get_data(as_text=True)
    whole_session = client.get(f"/shop/sales?session={shop.session.id}").get_data(as_text=True)
    assert whole_session.count("K1-00000") == 3  # the shift across midnight: both days
    refused = client.get("/shop/sales?day=30-11-2026")
    assert refused.status_code == 422 and 'id="error-day"' in refused.get_data(as_text=True)
    report = client.get(f"/shop/sessions/{shop.session.id}").get_data(as_text=True)
    assert 'id="x-report"' in report and 'id="session-sales"' in report  # the manager's X-report, till still open


def test_margins_by_item_and_month_use_the_goods_cost_when_they_moved(shop, make_user):
    """The demo's SPHP cost Rp56.500 a pack and sugar Rp15.500: November sold 2 SPHP for 125.000 (cost 113.000)
    and 2 sugar for 35.000 (cost 31.000); December took one sugar back: -17.000 revenue, -15.500 cost."""
    _month_end(shop, make_user)
    rows = [(r.month.isoformat(), r.item.sku, r.revenue, r.cost, r.margin) for r in reports.margins(NOV30, DEC1)]
    assert rows == [
        ("2026-11-01", "GULA1", 35000, Decimal(31000), Decimal(4000)),
        ("2026-11-01", "SPHP5", 125000, Decimal(113000), Decimal(12000)),
        ("2026-12-01", "GULA1", -17000, Decimal(-15500), Decimal(-1500)),
    ]


def test_margins_over_any_range_read_only_the_months_that_have_moves(shop, make_user):
    """A range of eight millennia costs what the months with goods moved cost: the same rows, a few statements
    (one per month was 95,000 statements, seconds of a web worker for one hostile request)."""
    from sqlalchemy import event

    from app.db import db

    _month_end(shop, make_user)
    db.session.flush()
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        wide = reports.margins(date(1, 1, 1), date(9998, 12, 31))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert [(r.month, r.item.sku, r.cost) for r in wide] == [
        (r.month, r.item.sku, r.cost) for r in reports.margins(NOV30, DEC1)
    ]
    assert len(statements) <= 6  # items, sold, refunded, the moves' span, November's and December's costs


def test_the_margins_screen_and_csv(shop, make_user, client, login):
    _month_end(shop, make_user)
    login("manager")
    page = client.get("/shop/reports/margins?from=2026-11-30&to=2026-12-01").get_data(as_text=True)
    assert 'id="margins-total">Rp14.500<' in page  # 4.000 + 12.000 - 1.500
    csv_text = client.get("/shop/reports/margins?from=2026-11-30&to=2026-12-01&format=csv").get_data(as_text=True)
    assert "2026-11,SPHP5,Beras SPHP 5 kg,125000,113000.00,12000.00,9.6" in csv_text
    refused = client.get("/shop/reports/margins?from=2026-12-02&to=2026-12-01")
    assert refused.status_code == 422 and 'id="error-to"' in refused.get_data(as_text=True)


def test_the_margins_api(shop, make_user, api):
    _month_end(shop, make_user)
    rows = api("manager").get("/api/reports/margins?from=2026-11-30&to=2026-12-01").get_json()
    assert [(r["month"], r["sku"], r["revenue"], r["cost"], r["margin"]) for r in rows][-1] == (
        "2026-12",
        "GULA1",
        -17000,
        "-15500.00",
        "-1500.00",
    )


def test_the_homes_show_the_months_sales_and_stock_value_and_the_cashiers_session(shop, client, login):
    from app import auth
    from tests.conftest import csrf_token_from

    shop.sell((SUGAR, 1, None))  # today: 18.000 at the general price
    login("manager")
    home = client.get("/").get_data(as_text=True)
    assert 'id="month-sales"' in home and 'id="home-chart"' in home and "Rp18.000" in home
    assert "Nilai stok sekarang: Rp" in home  # the demo's stock at its average cost
    client.post("/logout", data={"csrf_token": csrf_token_from(home)})
    auth.change_password(shop.cashier, None, "kasir-rahasia-1")
    page = client.get("/login")
    client.post(
        "/login",
        data={
            "username": shop.cashier.username,
            "password": "kasir-rahasia-1",
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    cashier_home = client.get("/").get_data(as_text=True)
    assert 'id="my-session-K1"' in cashier_home and "Rp18.000" in cashier_home
    assert 'id="month-sales"' not in cashier_home


def test_the_lpg_logbook_and_sphp_recap_date_a_return_on_its_own_day(shop, make_user, client, login):
    """An LPG sale to a walk-in on 30 November and its return on 1 December: November's logbook keeps the sale alone
    (the return is December's), with the outlet's identity; the SPHP recap counts buyers per day and category."""
    from app import settings
    from orders.cart import WalkIn

    settings.update({"legal_number": "NIB 9120001234567"})
    manager = make_user("manager")
    walk_in = WalkIn("6471011203850001", "6471010101850001", "household", "Budi")
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=WITA), tick=False):
        lpg_sale = shop.sell(("8991000000119", 1, None), buyer=walk_in)
        shop.sell((SPHP, 2, None), member=SITI)
    with time_machine.travel(datetime(2026, 11, 28, 8, 0, tzinfo=WITA), tick=False):  # the agent's delivery
        from inventory.ledger import Move, post_moves

        lpg, cage, agent = shop.items["LPG3"], shop.locations["GDG-B-01"], shop.locations["V-PEMASOK"]
        post_moves(
            [
                Move(lpg.id, agent.id, cage.id, Decimal(10), "receipt", "RCV-LPG-1", unit_cost=Decimal(12750)),
                Move(lpg.empty_item_id, cage.id, agent.id, Decimal(8), "supplier_return", "RCV-LPG-1"),
            ]
        )
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=WITA), tick=False):
        line = lpg_sale.lines[0]
        asked = returns.request_return(lpg_sale, [ReturnLineIn(line.id, Decimal(1))], "bocor", shop.cashier)
        returns.approve_return(asked, manager)
    login("manager")
    november = client.get("/shop/programme/logbook.csv?item=LPG3&month=2026-11").get_data(as_text=True)
    assert "nib,NIB 9120001234567" in november and "koperasi,KKMP Balikpapan Tengah" in november
    sales = [row for row in november.splitlines() if ",penjualan," in row or ",retur," in row]
    assert sales == [f"2026-11-30,10:00,penjualan,{lpg_sale.receipt_number},6471011203850001,household,1.000,"]
    assert "2026-11-28,,penerimaan,RCV-LPG-1,,,10.000,8.000" in november  # 10 full in, 8 empties back
    december = client.get("/shop/programme/logbook.csv?item=LPG3&month=2026-12").get_data(as_text=True)
    assert f"2026-12-01,09:00,retur,{lpg_sale.receipt_number},6471011203850001,household,-1.000," in december
    recap = client.get("/shop/programme/recap.csv?item=SPHP5&month=2026-11").get_data(as_text=True)
    assert "2026-11-30,household,1,2.000,0,2.000" in recap
    refused = client.get("/shop/programme/recap.csv?item=GULA1&month=2026-11")
    assert refused.status_code == 422 and 'id="error-item"' in refused.get_data(as_text=True)


def test_days_of_cover_and_slow_movers(shop, client, login):
    """The demo's shop sells 3 packs of SPHP today (2 then 1): 3 in 30 days is 0,1 a day; the 67 packs left last
    670 days. Sugar sold none: a slow mover, listed first."""
    from inventory import valuation

    shop.sell((SPHP, 2, None), member=SITI)
    shop.sell((SPHP, 1, None), member="KKMP-000002")
    rows = {c.item.sku: c for c in valuation.cover(30)}
    sphp = rows["SPHP5"]
    assert (sphp.on_hand, sphp.sold, sphp.per_day, sphp.days_of_cover) == (67, 3, Decimal("0.1"), Decimal(670))
    assert rows["GULA1"].days_of_cover is None and rows["GULA1"].last_sale is None
    first = valuation.cover(30)[0]
    assert first.days_of_cover is None  # slow movers first
    login("manager")
    page = client.get("/stock/cover?days=30").get_data(as_text=True)
    assert 'data-sku="GULA1" class="slow"' in page and ">670<" in page
