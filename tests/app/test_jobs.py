"""Jobs: in-process in the quick start; a real `flask worker` process on real Redis in production."""

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import text

from app import jobs
from app.db import db
from inventory.jobs import verify_ledger
from inventory.ledger import Move, post_moves
from tests.conftest import REDIS_URL, truncate_all
from tests.inventory.conftest import build_world

ROOT = Path(__file__).resolve().parents[2]


def test_jobs_wait_for_the_commit_and_a_rollback_drops_them(app, session):
    queued = Queue("default", connection=jobs.connection(app))
    queued.empty()
    jobs.enqueue_after_commit(verify_ledger, queue_name="default")  # outside a request too (CLI, jobs)
    with session.begin_nested():
        pass  # a savepoint released is not the commit
    assert queued.count == 0  # nothing reaches the queue before the transaction commits
    session.commit()
    assert queued.count == 1
    jobs.enqueue_after_commit(verify_ledger, queue_name="default")
    session.rollback()
    session.commit()
    assert queued.count == 1  # the rolled-back transaction's job is gone
    queued.empty()


@pytest.mark.redis
@pytest.mark.postgres
def test_a_real_worker_process_runs_the_ledger_check(app, database_url):
    """Enqueue on real Redis, run `flask worker --burst` as its own process, read the job's result."""
    queue_name = "reports"
    conn = Redis.from_url(REDIS_URL)
    queue = Queue(queue_name, connection=conn)
    queue.empty()
    with app.app_context():
        truncate_all(db.engine)
        w = build_world()
        post_moves([Move(w.sugar.id, w.supplier.id, w.bin1.id, Decimal(5), "receipt", "PO", unit_cost=Decimal(100))])
        db.session.commit()
        db.session.execute(text("UPDATE stock_balance SET quantity = 4"))  # a drift the worker must find
        db.session.commit()
    try:
        job = queue.enqueue(verify_ledger, job_timeout=60, result_ttl=60)
        env = {**os.environ, "LUMBUNG_ENV": "development", "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL}
        worker = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", queue_name, "--burst"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert worker.returncode == 0, worker.stderr[-2000:]
        for _ in range(50):
            job.refresh()
            if job.is_finished:
                break
            time.sleep(0.1)
        assert job.is_finished, job.get_status()
        assert job.return_value() == 1
        assert "Stock drift: item" in worker.stderr
    finally:
        queue.empty()
        with app.app_context():
            truncate_all(db.engine)


def test_the_ledger_check_is_queued_once_under_its_fixed_id(app, session):
    from inventory.jobs import enqueue_verify_ledger

    queued = Queue("reports", connection=jobs.connection(app))
    queued.empty()
    first = enqueue_verify_ledger()
    assert first is not None and first.id == "inventory-verify-ledger"
    assert enqueue_verify_ledger() is None  # a second request while one waits is dropped
    assert queued.count == 1
    queued.empty()


def test_a_retry_scheduled_for_a_time_long_past_does_not_count_as_waiting(app, session):
    """A check that failed and was scheduled for a retry whose scheduler died meanwhile: once its time is more
    than half a minute past, enqueue_once queues it again (and takes it off the schedule); a retry still due
    soon counts as waiting."""
    from datetime import UTC, datetime, timedelta

    from rq.registry import ScheduledJobRegistry

    conn = jobs.connection(app)
    queued, scheduled = Queue("reports", connection=conn), ScheduledJobRegistry("reports", connection=conn)
    queued.empty()
    for job_id in scheduled.get_job_ids():
        scheduled.remove(job_id)
    soon = queued.enqueue_at(datetime.now(UTC) + timedelta(seconds=10), verify_ledger, job_id="retry-soon")
    late = queued.enqueue_at(datetime.now(UTC) - timedelta(minutes=5), verify_ledger, job_id="retry-late")
    assert (soon.get_status(), late.get_status()) == ("scheduled", "scheduled")
    assert jobs.enqueue_once(queued, verify_ledger, job_id="retry-soon") is None
    again = jobs.enqueue_once(queued, verify_ledger, job_id="retry-late")
    assert again is not None and again.get_status() == "queued"
    assert queued.job_ids == ["retry-late"]
    assert scheduled.get_job_ids() == ["retry-soon"]
    queued.empty()
    scheduled.remove("retry-soon")


def test_the_cron_moves_due_retries_to_their_queue_once(app, session):
    from datetime import UTC, datetime, timedelta

    from rq.registry import ScheduledJobRegistry

    conn = jobs.connection(app)
    queued, scheduled = Queue("reorder", connection=conn), ScheduledJobRegistry("reorder", connection=conn)
    queued.empty()
    queued.enqueue_at(datetime.now(UTC) - timedelta(seconds=1), verify_ledger, job_id="due")
    queued.enqueue_at(datetime.now(UTC) + timedelta(hours=1), verify_ledger, job_id="later")
    assert jobs.promote_due(conn) == 1
    assert jobs.promote_due(conn) == 0  # moved once
    assert queued.job_ids == ["due"] and scheduled.get_job_ids() == ["later"]
    queued.empty()
    scheduled.remove("later")
