"""Selling at several tills at the same instant, through the real HTTP stack in several processes: the last
cylinders are sold once, and a cap of one is taken once."""

import threading
import time
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from app.db import db
from tests.conftest import truncate_all
from tests.parallel import run_in_processes

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]

LPG3 = "8991000000119"


def sell_one_by_one(gate, database_url: str, token: str, till: str, packaging_id: int, buyers) -> list:
    """POST /api/sales once per buyer (one full LPG cylinder for an empty, cash), each its own cart and request;
    report (status, problem type) of each."""
    from app.factory import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/tills", headers=headers).status_code == 200  # connected and signed in before the start
    outcomes = []
    gate.wait()
    for nik, kk in buyers:
        response = client.post(
            "/api/sales",
            json={
                "till": till,
                "buyer": {"nik": nik, "kk_number": kk, "category": "household"},
                "lines": [{"packaging_id": packaging_id, "quantity": "1"}],
                "payments": [{"method": "cash", "tendered": 20000}],
            },
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        body = response.get_json()
        outcomes.append((response.status_code, body.get("type") if response.status_code >= 400 else None))
        if response.status_code >= 400:
            outcomes[-1] += (body["detail"],)
    with app.app_context():
        db.engine.dispose()
    return outcomes


def _cashier_at(code: str, n: int):
    """A cashier with till `code` open for them, and their API token."""
    from app import auth
    from orders import tills

    cashier = auth.create_user(f"kasir-race-{n}", f"Kasir {n}", "cashier", "password-123")
    tills.open_session(tills.get_till(code), cashier, 100000)
    return auth.issue_api_token(cashier, "race")


def _lpg_packaging_id() -> int:
    from inventory.models import Barcode

    return db.session.scalar(select(Barcode.packaging_id).where(Barcode.code == LPG3))


def test_eight_tills_sell_the_last_ten_cylinders_in_forty_attempts(app, database_url):
    """Each attempt is another walk-in household (its own NIK and family card), so the household cap (5 a month)
    is counted for real but never decides; only the stock does. The shelf has taken an empty in before (its
    empty-cylinder balance exists), as in a shop that has been selling: the very first exchanges at a new shelf
    are the next test's."""
    from demo import load_demo
    from inventory import ledger
    from inventory.ledger import Move
    from inventory.models import Item, Location, StockBalance, StockMove
    from orders import tills
    from orders.models import CapUsage, Sale, SubsidyRecord, Till

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        locations = {loc.code: loc for loc in db.session.scalars(select(Location))}
        lpg = db.session.scalar(select(Item).where(Item.sku == "LPG3"))
        # The shop holds 15 full cylinders: 5 go back to the warehouse, through the ledger, so 10 are left; one
        # empty comes to the shelf.
        shelf, warehouse = locations["TKO-LPG"].id, locations["GDG-B-01"].id
        ledger.post_moves(
            [
                Move(lpg.id, shelf, warehouse, Decimal(5), "transfer", "RACE-SETUP"),
                Move(lpg.empty_item_id, warehouse, shelf, Decimal(1), "transfer", "RACE-SETUP"),
            ]
        )
        codes = ["K1", "K2"] + [tills.create_till(f"K{n}", f"Kasir {n}", locations["TKO"]).code for n in range(3, 9)]
        tokens = [_cashier_at(code, n) for n, code in enumerate(codes)]
        packaging_id = _lpg_packaging_id()
        db.session.commit()
        lpg_id, empty_id, shelf_id = lpg.id, lpg.empty_item_id, locations["TKO-LPG"].id
    buyers = [(f"647101410190{n:04d}", f"647101010109{n:04d}") for n in range(1, 41)]  # 40 households
    try:
        results = run_in_processes(
            sell_one_by_one,
            [
                (database_url, token, code, packaging_id, buyers[5 * i : 5 * i + 5])
                for i, (token, code) in enumerate(zip(tokens, codes, strict=True))
            ],
        )
        outcomes = sorted(o[:2] for per_till in results for o in per_till)
        assert outcomes == [(201, None)] * 10 + [(409, "/problems/insufficient_stock")] * 30, results
        refusals = {o[2] for per_till in results for o in per_till if o[0] == 409}
        assert refusals <= {
            "Stok LPG 3 kg (isi) di Toko tidak cukup: ada 0, perlu 1.",
            "Stok LPG 3 kg (isi) di Tempat tabung toko tidak cukup: ada 0, perlu 1.",
        }, refusals
        with app.app_context():
            on_shelf = {
                item_id: qty
                for item_id, qty in db.session.execute(
                    select(StockBalance.item_id, StockBalance.quantity).where(StockBalance.location_id == shelf_id)
                )
            }
            assert on_shelf == {lpg_id: 0, empty_id: 11}  # every full one sold, an empty in for each
            assert ledger.verify() == []
            assert db.session.scalar(select(func.count(Sale.id))) == 10
            records = db.session.execute(select(SubsidyRecord.nik, SubsidyRecord.quantity)).all()
            assert len(records) == 10 and len({nik for nik, _ in records}) == 10
            assert all(quantity == 1 for _, quantity in records)
            moves = dict(
                db.session.execute(
                    select(StockMove.reason, func.count(StockMove.id))
                    .where(StockMove.reason.in_(("sale", "exchange")))
                    .group_by(StockMove.reason)
                ).all()
            )
            assert moves == {"sale": 10, "exchange": 10}
            # A refused sale gave its household's cap back (nothing of it was committed) ...
            assert sorted(db.session.scalars(select(CapUsage.used))) == [1] * 10
            # ... and its receipt number: each till's receipts run 1, 2, 3 ... without a gap.
            for till in db.session.scalars(select(Till)):
                numbers = sorted(db.session.scalars(select(Sale.receipt_number).where(Sale.till_id == till.id)))
                assert numbers == [f"{till.code}-{n:06d}" for n in range(1, till.receipt_seq + 1)]
    finally:
        with app.app_context():
            truncate_all(db.engine)


def test_two_tills_twenty_attempts_one_nik_with_a_cap_of_one_a_month_sell_once(app, database_url):
    """The demo's own LPG caps (per household, per micro-business NIK) are switched off, so only the new cap of
    one a month per NIK can refuse."""
    from demo import load_demo
    from inventory import ledger
    from inventory.models import Item, Location, StockBalance
    from orders import caps
    from orders.models import CapRule, CapUsage, Sale, SubsidyRecord

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        lpg = db.session.scalar(select(Item).where(Item.sku == "LPG3"))
        for rule in db.session.scalars(select(CapRule).where(CapRule.item_id == lpg.id)):
            caps.set_active(rule, False)
        rule = caps.add_rule("Kuota LPG", lpg, "nik", "month", Decimal(1), date(2026, 1, 1))
        tokens = [_cashier_at("K1", 1), _cashier_at("K2", 2)]
        packaging_id = _lpg_packaging_id()
        shelf_id = db.session.scalar(select(Location.id).where(Location.code == "TKO-LPG"))
        db.session.commit()
        rule_id, lpg_id = rule.id, lpg.id
    # One person (one NIK) at both tills; the family card changes, so no household rule could tell them apart.
    buyers = [("6471014101900001", f"647101010109{n:04d}") for n in range(1, 21)]
    try:
        results = run_in_processes(
            sell_one_by_one,
            [
                (database_url, tokens[i % 2], ("K1", "K2")[i % 2], packaging_id, buyers[5 * i : 5 * i + 5])
                for i in range(4)
            ],
        )
        outcomes = sorted(o for per_process in results for o in per_process)
        assert (
            outcomes
            == [(201, None)] + [(409, "/problems/cap_reached", "Kuota LPG 1 tabung per bulan; bulan ini sudah 1.")] * 19
        ), results
        with app.app_context():
            usage = db.session.scalars(select(CapUsage)).all()
            assert [(u.rule_id, u.buyer_key, u.used) for u in usage] == [(rule_id, "6471014101900001", 1)]
            assert db.session.scalar(select(func.count(Sale.id))) == 1
            assert db.session.scalar(select(func.count(SubsidyRecord.id))) == 1
            left = db.session.scalar(
                select(StockBalance.quantity).where(
                    StockBalance.item_id == lpg_id, StockBalance.location_id == shelf_id
                )
            )
            assert left == 14
            assert ledger.verify() == []
    finally:
        with app.app_context():
            truncate_all(db.engine)


def _waits_for(pid: int, thread: threading.Thread, event: str | None, blocked_by: int | None = None) -> None:
    """Until the backend `pid` waits for a lock of this kind ("tuple": its turn at a row; "transactionid": the
    end of the transaction holding the row; None: any lock), held by `blocked_by` if given, or its thread has
    finished, or 5 s have passed (a fixed ledger may take other turns: what the test asserts is the outcome)."""
    deadline = time.monotonic() + 5
    with db.engine.connect() as monitor:
        while time.monotonic() < deadline and thread.is_alive():
            waiting = monitor.scalar(
                text(
                    "SELECT wait_event_type = 'Lock' AND (CAST(:event AS text) IS NULL OR wait_event = :event)"
                    " AND (CAST(:by AS integer) IS NULL OR CAST(:by AS integer) = ANY(pg_blocking_pids(pid)))"
                    " FROM pg_stat_activity WHERE pid = :pid"
                ),
                {"pid": pid, "event": event, "by": blocked_by},
            )
            monitor.rollback()
            if waiting:
                return
            time.sleep(0.01)


def test_the_first_exchange_at_a_new_shelf_does_not_deadlock(app):
    """Till A sells the shelf's very first LPG refill (the shelf's empty-cylinder row is inserted in its
    transaction); till B's sale queues for the full cylinders' row before A commits, behind X (another
    transaction holding that row a moment longer); Y locks the rows as every sale does, the empty row first
    (its item id is lower), then the full row. Step by step, so the interleaving is the same on every run.
    B must post and Y get its rows: with the bug, PostgreSQL finds a deadlock and kills one of them."""
    from demo import load_demo
    from inventory import ledger
    from inventory.ledger import Move, post_moves
    from inventory.models import Item, Location, StockBalance

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        lpg = db.session.scalar(select(Item).where(Item.sku == "LPG3"))
        shelf = db.session.scalar(select(Location.id).where(Location.code == "TKO-LPG"))
        customer = db.session.scalar(select(Location.id).where(Location.kind == "customer"))
        db.session.commit()
        lpg_id, empty_id = lpg.id, lpg.empty_item_id

    def refill(reference: str) -> list[Move]:
        return [
            Move(lpg_id, shelf, customer, Decimal(1), "sale", reference),
            Move(empty_id, customer, shelf, Decimal(1), "exchange", reference),
        ]

    lock_row = text("SELECT id FROM stock_balance WHERE item_id = :item AND location_id = :shelf FOR UPDATE")
    outcomes, pids = {}, {}
    x_holds, release_x, y_holds, go_y, release_y = (threading.Event() for _ in range(5))

    def sell_b() -> None:
        with app.app_context():
            pids["B"] = db.session.scalar(text("SELECT pg_backend_pid()"))
            try:
                post_moves(refill("B"))
                db.session.commit()
                outcomes["B"] = "posted"
            except OperationalError as exc:
                db.session.rollback()
                outcomes["B"] = type(exc.orig).__name__

    def hold_x() -> None:  # the full row, until released
        with app.app_context(), db.engine.connect() as conn:
            pids["X"] = conn.scalar(text("SELECT pg_backend_pid()"))
            conn.execute(lock_row, {"item": lpg_id, "shelf": shelf})
            x_holds.set()
            release_x.wait(timeout=30)
            conn.commit()

    def hold_y() -> None:  # the empty row; then, when told, the full row too
        with app.app_context(), db.engine.connect() as conn:
            pids["Y"] = conn.scalar(text("SELECT pg_backend_pid()"))
            conn.execute(lock_row, {"item": empty_id, "shelf": shelf})
            y_holds.set()
            go_y.wait(timeout=30)
            try:
                conn.execute(lock_row, {"item": lpg_id, "shelf": shelf})
                outcomes["Y"] = "locked"
            except OperationalError as exc:
                conn.rollback()
                outcomes["Y"] = type(exc.orig).__name__
            release_y.wait(timeout=30)
            conn.commit()

    x, b, y = (threading.Thread(target=target) for target in (hold_x, sell_b, hold_y))
    try:
        with app.app_context():
            post_moves(refill("A"))  # the full row locked, the shelf's empty row inserted, not committed yet
            x.start()
            while "X" not in pids:
                time.sleep(0.01)
            _waits_for(pids["X"], x, "transactionid")  # X queues for the full row
            b.start()
            while "B" not in pids:
                time.sleep(0.01)
            _waits_for(pids["B"], b, None)  # B queues (behind X or A); its snapshot cannot see the empty row
            db.session.commit()  # A posts; X gets the full row
            assert x_holds.wait(timeout=10)
            _waits_for(pids["B"], b, "transactionid", blocked_by=pids["X"])  # B waits for X now
        y.start()
        y_holds.wait(timeout=5)  # Y holds the empty row, which A's commit made visible
        release_x.set()  # B gets the full row, then finds the empty row and needs it
        with app.app_context():
            _waits_for(pids["B"], b, "transactionid", blocked_by=pids.get("Y"))
        go_y.set()  # Y asks for the full row, which B holds
        b.join(timeout=30)
        release_y.set()
        y.join(timeout=30)
        assert outcomes == {"B": "posted", "Y": "locked"}  # neither is a deadlock's victim
        with app.app_context():
            on_shelf = dict(
                db.session.execute(
                    select(StockBalance.item_id, StockBalance.quantity).where(StockBalance.location_id == shelf)
                ).all()
            )
            assert on_shelf == {lpg_id: 13, empty_id: 2}
            assert ledger.verify() == []
    finally:
        for event in (release_x, go_y, release_y):
            event.set()
        for thread in (x, b, y):
            if thread.ident:
                thread.join(timeout=30)
        with app.app_context():
            truncate_all(db.engine)
