"""The shop's state changes raced through the real HTTP stack, in several processes released together on a
barrier: returns asked for and approved at once, a till closed while sales are still posting, the last units of
an item spread over two shelves, tills opened by two people at once. Each test says what it catches without its
lock."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import db
from tests.parallel import first_holds_second_waits, http_posts, run_in_processes

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]

SUGAR, LPG3 = "8991000000508", "8991000000119"


def _packaging(code: str) -> int:
    from inventory.models import Barcode

    return db.session.scalar(select(Barcode.packaging_id).where(Barcode.code == code))


def _till_with_cashier(code: str, n: int, opening_float: int = 100000):
    """Till `code` (made if missing) open for a new cashier; return (cashier, session, API token)."""
    from app import auth
    from inventory.models import Location
    from orders import tills
    from orders.models import Till

    till = db.session.scalar(select(Till).where(Till.code == code))
    if till is None:
        till = tills.create_till(
            code, f"Kasir {code}", db.session.scalar(select(Location).where(Location.code == "TKO"))
        )
    cashier = auth.create_user(f"kasir-{code.lower()}-{n}", f"Kasir {code}", "cashier", "password-123")
    till_session = tills.open_session(till, cashier, opening_float)
    return cashier, till_session, auth.issue_api_token(cashier, "race")


def _manager_token(n: int) -> str:
    from app import auth

    return auth.issue_api_token(auth.create_user(f"manajer-{n}", f"Manajer {n}", "manager", "password-123"), "race")


def _sell(code: str, cashier, *lines, key: str, buyer=None):
    from orders import checkout
    from orders.cart import Cart, CartLine, WalkIn

    cart = Cart(
        till=code,
        lines=[CartLine(_packaging(barcode), Decimal(q), None) for barcode, q in lines],
        buyer=WalkIn(**buyer) if buyer else None,
    )
    return checkout.post_sale(cart, [checkout.PaymentIn("cash", tendered=1_000_000)], key, cashier)


def test_one_receipt_asked_back_at_three_tills_and_approved_by_two_managers_is_refunded_once(
    app, database_url, committed_demo
):
    """Three cashiers at three tills ask for the whole receipt back at the same moment: one return is made, the
    other two are told one already waits. Two managers approve it at the same moment: one approval, the other
    told it is decided. The 2 sugar come back once and Rp once is paid out. Without the lock on the sale's row
    (returns.request_return) all three returns were made; without the re-read under it (returns._decide) both
    approvals posted, or the second one died on ck_sale_line_returned_quantity (a 500)."""
    from inventory import ledger
    from inventory.models import Item, Location, StockBalance
    from orders.models import Payment, SaleLine, SaleReturn

    with app.app_context():
        seller, _session, _token = _till_with_cashier("K4", 0)
        sale = _sell("K4", seller, (SUGAR, "2"), key="race-return-sale")
        tokens = [_till_with_cashier(code, n)[2] for n, code in enumerate(("K5", "K6", "K7"), start=1)]
        managers = [_manager_token(n) for n in (1, 2)]
        sugar = db.session.scalar(select(Item).where(Item.sku == "GULA1"))
        shelf = db.session.scalar(select(Location).where(Location.code == "TKO-R2"))
        db.session.commit()
        body = {
            "receipt_number": sale.receipt_number,
            "reason": "Kemasan bocor",
            "lines": [{"sale_line_id": sale.lines[0].id, "quantity": "2"}],
        }
        sale_id, amount, sugar_id, shelf_id = sale.id, sale.total, sugar.id, shelf.id

    asked = run_in_processes(http_posts, [(database_url, token, [("/api/returns", body)]) for token in tokens])
    outcomes = sorted((status, answer.get("type"), answer.get("detail")) for [(status, answer)] in asked)
    assert outcomes == [
        (201, None, None),
        (409, "/problems/return_refused", "Retur untuk struk ini sudah menunggu manajer."),
        (409, "/problems/return_refused", "Retur untuk struk ini sudah menunggu manajer."),
    ], asked
    return_id = next(answer["id"] for [(status, answer)] in asked if status == 201)

    url = f"/api/returns/{return_id}/approve"
    decided = run_in_processes(http_posts, [(database_url, token, [(url, {})]) for token in managers])
    outcomes = sorted((status, answer.get("type"), answer.get("detail")) for [(status, answer)] in decided)
    assert outcomes == [
        (200, None, None),
        (409, "/problems/return_refused", "Retur ini sudah diputuskan (disetujui)."),
    ], decided

    with app.app_context():
        assert db.session.scalar(select(func.count(SaleReturn.id))) == 1
        assert db.session.scalar(select(SaleReturn.status)) == "approved"
        refunds = db.session.execute(
            select(Payment.amount).where(Payment.sale_id == sale_id, Payment.return_id.is_not(None))
        ).all()
        assert refunds == [(-amount,)]
        assert db.session.scalar(select(SaleLine.returned_quantity).where(SaleLine.sale_id == sale_id)) == 2
        on_shelf = db.session.scalar(
            select(StockBalance.quantity).where(StockBalance.item_id == sugar_id, StockBalance.location_id == shelf_id)
        )
        assert on_shelf == 12  # the demo's 12, 2 sold, 2 back: not 16
        assert ledger.verify() == []


def test_closing_a_till_while_three_clients_post_sales_on_it_reports_exactly_its_own_sales(
    app, database_url, committed_demo
):
    """The cashier closes K7 while three clients keep posting cash sales on it, all released together. Every sale
    either made it before the close (and is in the report) or was refused because the till is closed; the
    report's expected cash is exactly the float plus the cash of the session's own sales. Without the till row's
    open session (checkout._receipt_number_statement) and the lock order of tills.close_session, sales queued
    behind the close got a K7 receipt in the closed session and the report was short by them."""
    from orders.models import Payment, Sale, TillCount, TillSession

    with app.app_context():
        cashier, till_session, token = _till_with_cashier("K7", 0, opening_float=50000)
        db.session.commit()
        session_id, sugar = till_session.id, _packaging(SUGAR)
    sale = {"till": "K7", "lines": [{"packaging_id": sugar, "quantity": "1"}], "payments": [{"method": "cash"}]}
    close = {"counted": {"cash": 0, "qris": 0}, "unsent_sales": 0}
    clients = [(database_url, token, [("/api/sales", sale)] * 3) for _ in range(3)]
    clients.append((database_url, token, [("/api/sales", sale), (f"/api/tills/sessions/{session_id}/close", close)]))
    results = run_in_processes(http_posts, clients)

    sales = [outcome for per_client in results[:3] for outcome in per_client] + [results[3][0]]
    closed = results[3][1]
    assert closed[0] == 200, closed
    made = [answer for status, answer in sales if status == 201]
    refused = [(status, answer["type"], answer["detail"]) for status, answer in sales if status != 201]
    assert set(refused) <= {(409, "/problems/sale_refused", "Kasir K7 belum dibuka: buka dulu dengan uang modal.")}
    assert len(made) + len(refused) == 10
    with app.app_context():
        assert db.session.scalar(select(TillSession.closed_at).where(TillSession.id == session_id)) is not None
        in_session = db.session.scalar(select(func.count(Sale.id)).where(Sale.session_id == session_id))
        assert in_session == len(made)  # no sale in a session after its close: every one is in the report
        cash = db.session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.session_id == session_id, Payment.method == "cash"
            )
        )
        expected = db.session.scalar(
            select(TillCount.expected).where(TillCount.session_id == session_id, TillCount.method == "cash")
        )
        assert expected == 50000 + cash
        assert closed[1]["counts"][0]["expected"] == expected


def test_ten_buyers_take_the_last_ten_cylinders_from_two_shelves(app, database_url, committed_demo):
    """The shop keeps 10 full cylinders, 5 on each of two shelves; six tills serve twelve households at once:
    exactly 10 are sold, and the two refused are told the shop has none left, not a shelf. Without picking under
    the lock (ledger.pick_under), a till that chose a shelf another till had just emptied was refused while the
    other shelf still had cylinders (7 to 9 sold)."""
    from inventory import ledger, services
    from inventory.ledger import Move
    from inventory.models import Item, Location, StockBalance
    from orders.models import Sale

    with app.app_context():
        locations = {loc.code: loc for loc in db.session.scalars(select(Location))}
        lpg = db.session.scalar(select(Item).where(Item.sku == "LPG3"))
        second = services.create_location("TKO-LPG2", "Tempat tabung toko 2", "shelf", locations["TKO"])
        shelf, warehouse = locations["TKO-LPG"].id, locations["GDG-B-01"].id
        ledger.post_moves(
            [
                Move(lpg.id, shelf, warehouse, Decimal(5), "transfer", "RACE-SETUP"),
                Move(lpg.id, shelf, second.id, Decimal(5), "transfer", "RACE-SETUP"),
            ]
        )
        tokens = [_till_with_cashier(f"K{n}", n)[2] for n in range(1, 7)]
        db.session.commit()
        lpg_id, shelves = lpg.id, (shelf, second.id)
        packaging = _packaging(LPG3)

    def buyer(n: int) -> dict:
        return {
            "till": None,
            "buyer": {"nik": f"647101410190{n:04d}", "kk_number": f"647101010109{n:04d}", "category": "household"},
            "lines": [{"packaging_id": packaging, "quantity": "1"}],
            "payments": [{"method": "cash", "tendered": 20000}],
        }

    clients = []
    for t, token in enumerate(tokens, start=1):
        posts = [("/api/sales", {**buyer(2 * t + k), "till": f"K{t}"}) for k in range(2)]
        clients.append((database_url, token, posts))
    results = run_in_processes(http_posts, clients)
    outcomes = sorted((status, answer.get("detail")) for per_till in results for status, answer in per_till)
    assert outcomes == [(201, None)] * 10 + [(409, "Stok LPG 3 kg (isi) di Toko tidak cukup: ada 0, perlu 1.")] * 2
    with app.app_context():
        left = db.session.execute(
            select(StockBalance.location_id, StockBalance.quantity).where(
                StockBalance.item_id == lpg_id, StockBalance.location_id.in_(shelves)
            )
        ).all()
        assert sorted(q for _, q in left) == [0, 0]
        assert db.session.scalar(select(func.count(Sale.id))) == 10
        assert ledger.verify() == []


def test_two_cashiers_opening_one_till_and_one_cashier_opening_two_get_one_session_each(
    app, database_url, committed_demo
):
    """Four devices at once: two cashiers open K3; a third cashier opens K4 and K5. K3 opens for one of the two,
    the other is told it is open; the third cashier gets one of his two tills, and is told he already has it.
    Without the partial unique index on the cashier's open session, the third cashier held two drawers."""
    from app import auth
    from inventory.models import Location
    from orders import tills
    from orders.models import TillSession

    with app.app_context():
        shop = db.session.scalar(select(Location).where(Location.code == "TKO"))
        for code in ("K3", "K4", "K5"):
            tills.create_till(code, f"Kasir {code}", shop)
        users = [auth.create_user(f"kasir-{n}", f"Kasir {n}", "cashier", "password-123") for n in range(3)]
        tokens = [auth.issue_api_token(user, "race") for user in users]
        db.session.commit()
        third = users[2].id
    opening = {"opening_float": 100000}
    clients = [
        (database_url, tokens[0], [("/api/tills/K3/open", opening)]),
        (database_url, tokens[1], [("/api/tills/K3/open", opening)]),
        (database_url, tokens[2], [("/api/tills/K4/open", opening)]),
        (database_url, tokens[2], [("/api/tills/K5/open", opening)]),
    ]
    results = [outcome for [outcome] in run_in_processes(http_posts, clients)]
    k3 = sorted((status, answer.get("type")) for status, answer in results[:2])
    assert k3 == [(201, None), (409, "/problems/till_refused")]
    mine = sorted((status, answer.get("type")) for status, answer in results[2:])
    assert mine == [(201, None), (409, "/problems/cashier_has_a_till")]
    opened = next(answer["till"] for status, answer in results[2:] if status == 201)
    refused = next(answer["detail"] for status, answer in results[2:] if status == 409)
    assert refused == f"Anda masih membuka kasir {opened}; tutup dulu sebelum membuka kasir lain."
    with app.app_context():
        open_sessions = db.session.execute(
            select(TillSession.cashier_id, func.count())
            .where(TillSession.closed_at.is_(None))
            .group_by(TillSession.cashier_id)
        ).all()
        assert sorted(count for _, count in open_sessions) == [1, 1]
        assert dict(open_sessions)[third] == 1


def test_a_price_raised_while_the_ceiling_is_lowered_is_refused_or_reported(app, database_url, committed_demo):
    """One manager raises LPG's general price to Rp19.500 while another lowers the ceiling to Rp19.000, eight
    times over (each pair on its own day), the two released together. Each time, either the price is refused (the
    ceiling came first) or the ceiling's answer lists it (the price came first): never saved and unreported
    (without pricing._lock_item, many runs saved a price the lowered ceiling did not list; the next test shows
    the lock step by step)."""
    from datetime import date, timedelta

    from inventory.models import Item
    from orders import pricing

    with app.app_context():
        lpg = db.session.scalar(select(Item).where(Item.sku == "LPG3"))
        pricing.set_ceiling(lpg, 21000, date.today())  # a regional ceiling above the price, before it is lowered
        tokens = [_manager_token(n) for n in (1, 2)]
        db.session.commit()
        lpg_id, packaging = lpg.id, _packaging(LPG3)
    days = [str(date.today() + timedelta(days=n)) for n in range(1, 9)]
    price = {"packaging_id": packaging, "price_list": "general", "amount": 19500}
    prices = [("/api/prices", {**price, "valid_from": d}) for d in days]
    ceilings = [("/api/prices/ceilings", {"item_id": lpg_id, "amount_per_unit": 19000, "valid_from": d}) for d in days]
    priced, ceiled = run_in_processes(
        http_posts, [(database_url, tokens[0], prices), (database_url, tokens[1], ceilings)]
    )
    for (price_status, price_answer), (ceiling_status, ceiling), day in zip(priced, ceiled, days, strict=True):
        assert ceiling_status == 201, ceiling
        listed = [(p["amount"], p["valid_from"]) for p in ceiling["prices_above"] if p["price_list"] == "general"]
        if price_status == 201:  # saved first, so the ceiling lists it (and any later day's price saved already)
            assert (19500, day) in listed, (day, ceiling)
        else:
            assert (price_status, price_answer["type"]) == (409, "/problems/above_ceiling"), price_answer
            assert (19500, day) not in listed, (day, ceiling)


def test_a_ceiling_lowered_while_a_price_is_being_raised_waits_for_it_and_reports_it(app, committed_demo):
    """Step by step: a price of Rp19.500 is set and not yet committed when the ceiling is lowered to Rp19.000.
    The ceiling waits for the price (the item's row) and then lists it. Without pricing._lock_item it did not wait
    and reported nothing, and the two checks let both through."""
    from datetime import date

    from inventory.models import Item
    from orders import pricing

    with app.app_context():
        lpg = db.session.scalar(select(Item).where(Item.sku == "LPG3"))
        pricing.set_ceiling(lpg, 21000, date.today())
        db.session.commit()
        lpg_id, packaging_id = lpg.id, _packaging(LPG3)

    def raise_price():
        return pricing.set_price(pricing.get_packaging(packaging_id), "general", 19500, date.today()).amount

    def lower_ceiling():
        _ceiling, above = pricing.set_ceiling(db.session.get(Item, lpg_id), 19000, date.today())
        return [(p.price_list, p.amount) for p in above]

    price, listed, waited = first_holds_second_waits(app, raise_price, lower_ceiling)
    assert (price, listed, waited) == (19500, [("general", 19500)], True)


def test_four_reprints_at_once_are_all_counted(app, database_url, committed_demo):
    """Four tills reprint one receipt at the same moment: the copy count says 4. Counted in Python (read, add
    one, write back), the reprints read the same count and it said 1 or 2."""
    from orders.models import Sale

    with app.app_context():
        cashier, _, token = _till_with_cashier("K4", 1)
        sale = _sell("K4", cashier, (SUGAR, 1), key="reprinted")
        db.session.commit()
        sale_id = sale.id
    reprint = [(f"/api/sales/{sale_id}/reprint", {})]
    results = [outcome for [outcome] in run_in_processes(http_posts, [(database_url, token, reprint)] * 4)]
    assert [status for status, _ in results] == [200] * 4
    with app.app_context():
        assert db.session.get(Sale, sale_id).copies_printed == 4
