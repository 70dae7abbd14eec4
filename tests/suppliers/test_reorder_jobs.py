"""Where stock falls the ledger writes an outbox row in the same transaction; the reorder job turns it into the
draft line and clears it; a real worker process does so on real Redis after a sale over HTTP."""

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from rq import Queue
from sqlalchemy import select

from app import jobs as app_jobs
from app.db import db
from inventory.ledger import Move, post_moves
from inventory.models import StockOutbox
from suppliers import jobs, reorder
from suppliers.models import PurchaseOrder, PurchaseOrderLine
from tests.suppliers.live import LPG3_BARCODE, ROOT, run_worker, sell, worker_env

D = Decimal


def outbox() -> list[tuple[int, int, int]]:
    return [
        (r.item_id, r.location_id, r.generation)
        for r in db.session.scalars(select(StockOutbox).order_by(StockOutbox.id))
    ]


def test_stock_changing_writes_one_outbox_row_per_item_and_place(shop):
    lpg, shelf = shop.items["LPG3"], shop.locations["TKO-LPG"]
    customer = shop.locations["V-PELANGGAN"]
    post_moves([Move(lpg.id, shelf.id, customer.id, D(1), "sale", "S-1")])
    post_moves([Move(lpg.id, shelf.id, customer.id, D(2), "sale", "S-2")])
    assert outbox() == [(lpg.id, shelf.id, 2)]  # one row, its generation raised by the second fall
    post_moves([Move(lpg.id, shop.locations["V-PEMASOK"].id, shelf.id, D(5), "receipt", "R-1", unit_cost=D(1))])
    assert outbox() == [(lpg.id, shelf.id, 3)]  # stock coming in is news too: a waiting suggestion may be too big


def test_the_job_checks_the_rule_above_the_shelf_and_clears_the_outbox(shop):
    lpg, shelf, shop_location = shop.items["LPG3"], shop.locations["TKO-LPG"], shop.locations["TKO"]
    reorder.set_rule(lpg, shop_location, shop.agent, D(12), D(30))
    post_moves([Move(lpg.id, shelf.id, shop.locations["V-PELANGGAN"].id, D(4), "sale", "S-1")])  # 15 -> 11
    assert jobs.reorder_check(lpg.id, shelf.id) == 1
    draft = db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.origin == "reorder"))
    assert draft.destination == shop_location
    assert [(ln.item_id, ln.packs) for ln in draft.lines] == [(lpg.id, D(20))]  # 30 - 11 = 19 -> tens: 20
    assert draft.lines[0].reasoning["position"] == "11"
    assert outbox() == []
    assert jobs.reorder_check(lpg.id, shelf.id) == 1  # again: the same line
    assert [(ln.item_id, ln.packs) for ln in draft.lines] == [(lpg.id, D(20))]


def test_a_fall_during_the_check_keeps_the_outbox_row_for_the_next_check(shop, monkeypatch):
    lpg, shelf = shop.items["LPG3"], shop.locations["TKO-LPG"]
    reorder.set_rule(lpg, shop.locations["TKO"], shop.agent, D(12), D(30))
    customer = shop.locations["V-PELANGGAN"]
    post_moves([Move(lpg.id, shelf.id, customer.id, D(1), "sale", "S-1")])
    real_check = reorder.check_group

    def check_while_a_sale_lands(supplier_id, location_id):
        post_moves([Move(lpg.id, shelf.id, customer.id, D(1), "sale", "S-2")])
        return real_check(supplier_id, location_id)

    monkeypatch.setattr(reorder, "check_group", check_while_a_sale_lands)
    jobs.reorder_check(lpg.id, shelf.id)
    assert outbox() == [(lpg.id, shelf.id, 2)]


def test_the_catch_up_queues_a_check_for_each_row_left_pending(shop, app):
    from datetime import timedelta

    from app import jobs as app_jobs
    from app.db import utcnow

    lpg, shelf = shop.items["LPG3"], shop.locations["TKO-LPG"]
    post_moves([Move(lpg.id, shelf.id, shop.locations["V-PELANGGAN"].id, D(1), "sale", "S-1")])
    queued = Queue(jobs.QUEUE, connection=app_jobs.connection(app))
    queued.empty()
    assert jobs.requeue_pending() == 0  # just written: its own check is on its way
    db.session.execute(StockOutbox.__table__.update().values(touched_at=utcnow() - timedelta(minutes=5)))
    assert jobs.requeue_pending() == 1
    assert queued.job_ids == [jobs.check_id(lpg.id, shelf.id)]
    assert jobs.requeue_pending() == 1 and queued.count == 1  # still waiting: not queued twice
    queued.empty()


def test_the_nightly_sweep_checks_every_active_rule(shop):
    reorder.set_rule(shop.items["SPHP5"], shop.warehouse, shop.bulog, D(100), D(300))
    reorder.set_rule(shop.items["GULA1"], shop.warehouse, shop.bulog, D(100), D(300))
    off = reorder.set_rule(shop.items["BRS-MED"], shop.warehouse, shop.bulog, D(600), D(1500))
    off.is_active = False
    assert jobs.sweep() == 2
    draft = db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.origin == "reorder"))
    assert sorted((ln.item.sku, ln.packs) for ln in draft.lines) == [("GULA1", D(12)), ("SPHP5", D(24))]


def test_the_nightly_sweep_first_recomputes_demand_based_reorder_points(shop):
    sugar, warehouse = shop.items["GULA1"], shop.warehouse
    rule = reorder.set_rule(sugar, warehouse, shop.bulog, D(10), D(60), D(4), 7, 14)
    assert (rule.reorder_point, rule.order_up_to) == (D(4), D(54))  # nothing sent yet: the safety stock alone
    sent = shop.locations["GDG-A-02"].id, shop.locations["V-TRANSIT"].id
    post_moves([Move(sugar.id, *sent, D(56), "transfer", "T-1")])  # 56 over 14 days: 4 a day
    assert jobs.sweep() == 1
    db.session.refresh(rule)
    assert (rule.demand_per_day, rule.reorder_point, rule.order_up_to) == (D(4), D(44), D(94))  # 4 x 10 + 4
    line = db.session.scalar(select(PurchaseOrderLine).where(PurchaseOrderLine.item_id == sugar.id))
    assert line.packs == D(5)  # 4 left in the warehouse: 94 - 4 = 90 -> 5 cartons of 20


def test_flask_cron_knows_the_periodic_jobs(app):
    from app import jobs as app_jobs

    scheduled = {
        job.name: (
            job.queue_name,
            job.interval,
            job.cron,
            job.job_options["job_timeout"],
            job.job_options["failure_ttl"],
        )
        for job in app_jobs.cron_scheduler(app).get_jobs()
    }
    assert scheduled == {
        "reorder-catch-up": ("reorder", 60, None, 60, 86400),
        "reorder-sweep": ("reorder", None, "30 18 * * *", 1800, 7 * 86400),
        "prune-keys": ("default", None, "0 19 * * *", 600, 7 * 86400),
        "stock-snapshot": ("reports", None, "45 17 * * *", 1800, 7 * 86400),
    }


# --- with a real worker process on real Redis, on the committed demo (PostgreSQL): tests/suppliers/live.py ---


@pytest.mark.redis
@pytest.mark.postgres
def test_a_sale_over_http_crossing_the_reorder_point_makes_the_line_through_a_real_worker(live):
    _lpg, token = live.setup("LPG3", "AGEN-LPG", 14, 30, cashier="kasir-reorder")  # 15 on the shelf: one sale
    sell(live.web().test_client(), token, live.packaging(LPG3_BARCODE), "KKMP-000001")
    assert app_jobs.relay.drain()
    assert live.queue.count == 2  # queued after the commit: the full cylinders' place, and the empties' that rose
    run_worker(live.database_url)
    assert live.lines() == [("LPG3", D(20), D(20))]  # 30 - 14 -> tens: 20
    assert live.outbox_left == []


@pytest.mark.redis
@pytest.mark.postgres
def test_sales_succeed_while_redis_is_down_and_the_catch_up_makes_the_line_later(live):
    """The web app's Redis is a closed port: the sale still commits (its outbox row with it); once Redis is back,
    the periodic catch-up queues the check and a real worker makes the line."""
    _lpg, token = live.setup("LPG3", "AGEN-LPG", 14, 30, cashier="kasir-down")
    client, packaging_id = live.web("redis://127.0.0.1:1/0").test_client(), live.packaging(LPG3_BARCODE)
    for member in ("KKMP-000001", "KKMP-000006"):
        sell(client, token, packaging_id, member)  # Redis down: the sale does not care
    assert live.queue.count == 0
    live.age_outbox()
    with live.web().app_context():
        assert jobs.requeue_pending() == 2  # the full cylinders' place and the empties'
    run_worker(live.database_url)
    assert live.lines() == [("LPG3", D(20), D(20))]  # 30 - 13 -> 20
    assert live.outbox_left == []


def _redis_talkers(monkeypatch) -> set[str]:
    """The names of the threads that connect to Redis or send it a command from now on (a spy on redis-py's real
    connection: every call still goes through)."""
    import threading

    from redis.connection import AbstractConnection

    talkers: set[str] = set()
    for name in ("connect", "send_packed_command"):
        original = getattr(AbstractConnection, name)

        def spy(self, *args, _original=original, **kwargs):
            talkers.add(threading.current_thread().name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(AbstractConnection, name, spy)
    return talkers


@pytest.mark.redis
@pytest.mark.postgres
def test_a_sale_makes_no_redis_call_so_a_redis_that_never_answers_cannot_hold_it(live, monkeypatch):
    """Issue 10, item 5. The sale's request makes no Redis call at all, whether Redis answers or not: its checks
    are handed to the process's relay thread (`jobs-relay`), which talks to Redis after the answer. With a Redis
    that takes the connection and says nothing, the relay gives up after the socket timeout and the outbox rows
    wait; once Redis is back, the catch-up queues the checks and a real worker makes the line."""
    import socket
    import threading

    _lpg, token = live.setup("LPG3", "AGEN-LPG", 14, 30, cashier="kasir-silent")
    packaging_id = live.packaging(LPG3_BARCODE)
    talkers = _redis_talkers(monkeypatch)
    sell(live.web().test_client(), token, packaging_id, "KKMP-000001")  # a Redis that answers
    assert app_jobs.relay.drain()
    assert talkers == {"jobs-relay"}  # the request's own thread never talked to Redis
    assert live.queue.count == 2
    live.queue.empty()
    talkers.clear()
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the kernel's backlog; nothing ever reads them
        port = silent.getsockname()[1]
        web = live.web(f"redis://127.0.0.1:{port}/0", REDIS_CONNECT_TIMEOUT=1, REDIS_SOCKET_TIMEOUT=1)
        sell(web.test_client(), token, packaging_id, "KKMP-000006")  # answered at once
        assert talkers <= {"jobs-relay"} and threading.current_thread().name not in talkers
        assert app_jobs.relay.drain(timeout=30)  # the relay gives up on the silent Redis
    assert talkers == {"jobs-relay"}
    assert live.lines() == [] and len(live.outbox_left) == 2  # sold; the checks (full, empty) wait for the catch-up
    live.age_outbox()
    with live.web().app_context():
        assert jobs.requeue_pending() == 2
    run_worker(live.database_url)
    assert live.lines() == [("LPG3", D(20), D(20))]  # 30 - 13 -> tens: 20
    assert live.outbox_left == []


@pytest.mark.redis
@pytest.mark.postgres
def test_fifty_sales_in_a_burst_queue_one_check_and_make_one_line(live):
    from inventory.models import Item, Location
    from orders import caps
    from orders.models import CapRule

    _sugar, token = live.setup("GULA1", "BULOG-BPN", 60, 200, cashier="kasir-burst")
    with live.app.app_context():
        sugar = db.session.scalar(select(Item).where(Item.sku == "GULA1"))
        places = {loc.code: loc.id for loc in db.session.scalars(select(Location))}
        post_moves([Move(sugar.id, places["V-PEMASOK"], places["TKO-R2"], D(88), "receipt", "R-1", unit_cost=D(1))])
        for rule in db.session.scalars(select(CapRule)):
            caps.set_active(rule, False)
        db.session.commit()  # 100 pieces on the shelf
    client, packaging_id = live.web().test_client(), live.packaging("8991000000508")
    for _ in range(50):
        sell(client, token, packaging_id)
    assert app_jobs.relay.drain()
    assert live.queue.count == 1  # fifty sales, one check waiting
    run_worker(live.database_url)
    # 100 - 50 = 50 at or below 60: up to 200 is 150 pieces, 8 cartons of 20 (rounded up).
    assert live.lines() == [("GULA1", D(8), D(160))]
    assert live.outbox_left == []


@pytest.mark.redis
@pytest.mark.postgres
def test_a_worker_killed_in_the_middle_of_a_check_leaves_one_line_after_the_next(live, tmp_path):
    """The worker holds in the check (the supplier's row locked, nothing committed) and is killed with -9; the
    outbox row is still pending, the catch-up queues the check again, a new worker makes exactly one line."""
    import signal
    import time

    from inventory.models import Location

    lpg_id, _ = live.setup("LPG3", "AGEN-LPG", 12, 30)
    with live.app.app_context():
        places = {loc.code: loc.id for loc in db.session.scalars(select(Location))}
        post_moves([Move(lpg_id, places["TKO-LPG"], places["V-PELANGGAN"], D(4), "sale", "S-1")])  # 15 -> 11
        db.session.commit()
    held, hold = tmp_path / "release.held", tmp_path / "release"
    web = live.web()
    try:
        with web.app_context():
            jobs.enqueue_check(lpg_id, places["TKO-LPG"])
        first = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", jobs.QUEUE, "--burst"],
            cwd=ROOT,
            env=worker_env(live.database_url, LUMBUNG_TEST_HOLD_REORDER=str(hold)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not held.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.exists(), "the check never started"
        os.kill(int(held.read_text()), signal.SIGKILL)  # the work horse, mid-check
        os.killpg(first.pid, signal.SIGKILL)  # and the worker
        first.wait(timeout=30)
    finally:
        hold.touch()
    assert live.lines() == []  # nothing was committed
    live.age_outbox()
    with web.app_context():
        assert jobs.requeue_pending() == 1  # the killed job is not waiting any more: queued again
    run_worker(live.database_url)
    assert live.lines() == [("LPG3", D(20), D(20))]  # 30 - 11 -> tens: 20
    assert live.outbox_left == []
