"""Job health: what /healthz, the jobs screen and the manager's home say about the outbox, overdue retries,
failed jobs, the cron's tick and the workers' heartbeats."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry

from app import jobs
from app.db import db, utcnow
from inventory.jobs import verify_ledger
from inventory.ledger import Move, post_moves
from inventory.models import Item, Location, StockOutbox


def _signals(client) -> tuple[int, dict]:
    answer = client.get("/healthz")
    return answer.status_code, {c["name"]: c for c in answer.get_json()["checks"]}


@pytest.fixture
def quiet(app, demo):
    """The demo, its opening marks handled, the quick start's queues empty and the cron ticking."""
    conn = jobs.connection(app)
    db.session.execute(StockOutbox.__table__.delete())
    for name in jobs.QUEUES:
        queue = Queue(name, connection=conn)
        queue.empty()
        for job_id in queue.failed_job_registry.get_job_ids():
            queue.failed_job_registry.remove(job_id, delete_job=True)
        for job_id in ScheduledJobRegistry(name, connection=conn).get_job_ids():
            ScheduledJobRegistry(name, connection=conn).remove(job_id)
    jobs.cron_tick(app, jobs.cron_scheduler(app))
    return conn


def test_all_well_is_200_and_each_fault_turns_it_503_with_its_signal(app, client, quiet):
    status, found = _signals(client)
    assert status == 200, found
    assert {name: c["ok"] for name, c in found.items()} == {
        "database": True,
        "outbox": True,
        "redis": True,
        "retries_overdue": True,
        "failed_jobs": True,
        "cron": True,
        "workers": True,  # the quick start: jobs run in the web process
    }
    sugar = db.session.scalar(db.select(Item).where(Item.sku == "GULA1"))
    shelf = db.session.scalar(db.select(Location).where(Location.code == "TKO-R2"))
    customer = db.session.scalar(db.select(Location).where(Location.code == "V-PELANGGAN"))
    post_moves([Move(sugar.id, shelf.id, customer.id, Decimal(1), "sale", "S-1")])
    db.session.execute(StockOutbox.__table__.update().values(touched_at=utcnow() - timedelta(minutes=10)))
    Queue("reorder", connection=quiet).enqueue_at(datetime.now(UTC) - timedelta(minutes=5), verify_ledger)
    quiet.set(jobs.CRON_TICK_KEY, (datetime.now(UTC) - timedelta(minutes=5)).isoformat())
    status, found = _signals(client)
    assert status == 503
    assert {name for name, c in found.items() if not c["ok"]} == {"outbox", "retries_overdue", "cron"}
    assert found["outbox"]["value"] >= 600 and found["outbox"]["bound"] == 180
    assert 300 <= found["retries_overdue"]["value"] < 400 and found["cron"]["value"] >= 300


def test_a_failed_job_shows_on_the_jobs_screen_and_the_managers_home(app, client, login, quiet):
    from rq import SimpleWorker

    queue = Queue("default", connection=quiet)
    queue.enqueue("builtins.int", "not a number")  # fails: int('not a number')
    SimpleWorker([queue], connection=quiet).work(burst=True)
    login("manager")
    status, found = _signals(client)
    assert status == 503 and (found["failed_jobs"]["ok"], found["failed_jobs"]["value"]) == (False, 1)
    home = client.get("/").get_data(as_text=True)
    assert 'id="health-warnings"' in home
    assert "1 pekerjaan gagal dalam sehari terakhir: lihat Pekerjaan latar." in home
    screen = client.get("/admin/jobs").get_data(as_text=True)
    assert 'id="health-failed_jobs" class="bad"' in screen
    assert 'id="health-cron">' in screen and "Cron berdetak" in screen
