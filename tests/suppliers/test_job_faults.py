"""Faults on the production stack, with real processes: a reorder check whose database session is cut and whose
worker is killed right after, a worker stopped (SIGSTOP) in the middle of a check, Redis stopped while a worker
is busy and the cron is running. Money and stock stay right, nobody waits without limit, and the suggestion comes
within the catch-up period."""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import select, text

from app.db import db
from inventory.ledger import Move, post_moves
from suppliers import jobs
from tests.suppliers.live import LPG3_BARCODE, ROOT, sell, worker_env

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

D = Decimal


def start(command: str, env: dict, *args: str, log: Path | None = None) -> subprocess.Popen:
    """`flask <command>` as its own process group (so it can be killed with its work horse)."""
    with open(log or os.devnull, "w") as out:  # the child keeps its own copy of the file
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", command, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def wait_for(condition, timeout: float, step: float = 0.1):
    """Poll `condition()` until it returns something true or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    value = condition()
    while not value and time.monotonic() < deadline:
        time.sleep(step)
        value = condition()
    return value


def lpg_fell(live) -> tuple[int, int]:
    """A rule for LPG at the shop (12 / 30 from the agent) and 4 cylinders gone from its shelf (15 -> 11)."""
    from inventory.models import Location

    lpg_id, _ = live.setup("LPG3", "AGEN-LPG", 12, 30)
    with live.app.app_context():
        shelf = db.session.scalar(select(Location.id).where(Location.code == "TKO-LPG"))
        customer = db.session.scalar(select(Location.id).where(Location.code == "V-PELANGGAN"))
        post_moves([Move(lpg_id, shelf, customer, D(4), "sale", "S-1")])
        db.session.commit()
    return lpg_id, shelf


def test_a_check_cut_off_from_the_database_whose_worker_is_killed_still_brings_the_suggestion(live, tmp_path):
    """Issue 10, item 7. The check's database session is cut while it works (the job fails and RQ schedules its
    retry in 10 s); its worker is killed right after. A new worker and the cron: the cron owns scheduling, so the
    retry is moved to the queue on time and the line is there within the catch-up period (a minute), not after
    RQ's ten-minute maintenance (before: the dead worker's scheduler lock kept the new worker's scheduler from
    starting, and the catch-up counted the scheduled job as waiting)."""
    lpg_id, shelf = lpg_fell(live)
    hold, held = tmp_path / "release", tmp_path / "release.held"
    web = live.web()
    with web.app_context():
        jobs.enqueue_check(lpg_id, shelf)
    env = worker_env(live.database_url, LUMBUNG_TEST_HOLD_REORDER=str(hold))
    first = start("worker", env, jobs.QUEUE, log=tmp_path / "first.log")
    second = cron = None
    try:
        assert wait_for(held.exists, 60), "the check never started"
        with live.app.app_context():
            cut = db.session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
                )
            ).all()
            db.session.rollback()
        assert len(cut) == 1  # the check's own session, holding the supplier's row
        hold.touch()  # the check goes on, on a dead connection: it fails
        check_id = jobs.check_id(lpg_id, shelf)
        assert wait_for(lambda: Job.fetch(check_id, connection=live.queue.connection).get_status() == "scheduled", 60)
        kill(first)  # right after the failed check, with its retry scheduled
        second = start("worker", worker_env(live.database_url), jobs.QUEUE, log=tmp_path / "second.log")
        cron = start("cron", worker_env(live.database_url), log=tmp_path / "cron.log")
        assert wait_for(lambda: live.lines() == [("LPG3", D(20), D(20))], 60, step=0.5), (
            (tmp_path / "second.log").read_text()[-2000:],
            (tmp_path / "cron.log").read_text()[-2000:],
        )
        assert live.outbox_left == []
    finally:
        hold.touch()
        kill(*(p for p in (first, second, cron) if p is not None))


def test_a_stopped_worker_holding_a_supplier_makes_the_manager_wait_3_seconds_and_never_holds_a_sale(live, tmp_path):
    """Issue 10, item 8. A work horse is stopped (SIGSTOP) in the middle of a check, the agent's row locked. A
    manager approving the agent's other suggestion gets a 503 problem with Retry-After after the web's lock
    timeout, instead of hanging until gunicorn kills the worker; a sale at the till goes through while the horse
    is still stopped (a sale takes no lock a job holds)."""
    from app import auth
    from inventory.models import Item, Location
    from suppliers import reorder
    from suppliers.models import Supplier

    lpg_id, shelf = lpg_fell(live)
    _item, cashier = live.setup("LPG3", "AGEN-LPG", 12, 30, cashier="kasir-stopped")
    with live.app.app_context():
        warehouse = db.session.scalar(select(Location).where(Location.code == "GDG"))
        agent = db.session.scalar(select(Supplier).where(Supplier.code == "AGEN-LPG"))
        rule = reorder.set_rule(db.session.get(Item, lpg_id), warehouse, agent, D(100), D(200))
        draft = reorder.check(rule.id).order
        lines = [{"item_id": ln.item_id, "packs": str(ln.packs)} for ln in draft.lines]
        manager = auth.issue_api_token(auth.create_user("manajer-stop", "Manajer", "manager", "password-123"), "t")
        db.session.commit()
        draft_id = draft.id
    hold, held = tmp_path / "release", tmp_path / "release.held"
    web = live.web()
    with web.app_context():
        jobs.enqueue_check(lpg_id, shelf)
        assert db.session.scalar(text("SHOW lock_timeout")) == "3s"  # a web request's connection
        db.session.rollback()
    worker = start("worker", worker_env(live.database_url, LUMBUNG_TEST_HOLD_REORDER=str(hold)), jobs.QUEUE)
    horse = None
    try:
        assert wait_for(held.exists, 60), "the check never started"
        horse = int(held.read_text())
        os.kill(horse, signal.SIGSTOP)
        client = web.test_client()
        headers = {"Authorization": f"Bearer {manager}", "Idempotency-Key": "approve-while-stopped"}
        busy = client.post(f"/api/reorder/suggestions/{draft_id}/approve", json={"lines": lines}, headers=headers)
        assert busy.status_code == 503, busy.get_json()
        assert busy.mimetype == "application/problem+json" and busy.headers["Retry-After"] == "3"
        assert busy.get_json()["type"] == "/problems/busy"
        assert busy.get_json()["detail"] == "Orang atau tugas lain sedang mengerjakan ini; coba lagi sebentar lagi."
        sell(client, cashier, live.packaging(LPG3_BARCODE), "KKMP-000001")  # 201 while the horse is still stopped
        assert Path(f"/proc/{horse}/stat").read_text().split()[2] == "T"  # still stopped, its locks held
    finally:
        if horse:
            os.kill(horse, signal.SIGCONT)
        hold.touch()
        kill(worker)


REDIS_OUTAGE_SECONDS = 8  # longer than our reconnect backoff takes to reach its 5 s cap (0.5 + 1 + 2 + 4 s)


def _own_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert wait_for(lambda: _answers(port), 10), "redis-server did not start"
    return server


def _answers(port: int) -> bool:
    try:
        return Redis(port=port, socket_connect_timeout=0.2).ping()
    except Exception:  # noqa: BLE001 - not up yet
        return False


def test_the_cron_and_a_busy_worker_carry_on_after_redis_was_stopped(live, tmp_path):
    """Issue 10, item 9. A Redis of the test's own: the cron is ticking and the worker is busy in a check when
    Redis is stopped; the check finishes while it is away. Without a supervisor, both processes are still running
    when Redis comes back after the outage, the cron ticks again and the worker runs the next job (before, both
    exited on the first connection error)."""
    import socket

    from app import jobs as app_jobs
    from inventory.jobs import verify_ledger

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    server = _own_redis(port)
    lpg_id, shelf = lpg_fell(live)
    web = live.web(url)
    with web.app_context():
        jobs.enqueue_check(lpg_id, shelf)
    hold, held = tmp_path / "release", tmp_path / "release.held"
    env = worker_env(live.database_url, REDIS_URL=url)
    worker = start("worker", {**env, "LUMBUNG_TEST_HOLD_REORDER": str(hold)}, log=tmp_path / "worker.log")
    cron = start("cron", env, log=tmp_path / "cron.log")
    redis = Redis(port=port)
    try:
        assert wait_for(held.exists, 60), "the check never started"
        assert wait_for(lambda: _answers(port) and redis.exists(app_jobs.CRON_TICK_KEY), 30)
        server.terminate()
        server.wait(timeout=30)
        hold.touch()  # the busy worker's check finishes while Redis is away
        time.sleep(REDIS_OUTAGE_SECONDS)
        assert (worker.poll(), cron.poll()) == (None, None), (tmp_path / "worker.log").read_text()[-3000:]
        server = _own_redis(port)  # back, and empty
        assert wait_for(lambda: redis.exists(app_jobs.CRON_TICK_KEY), 30), (tmp_path / "cron.log").read_text()[-3000:]
        job = Queue("reports", connection=redis).enqueue(verify_ledger, job_timeout=60, result_ttl=60)
        assert wait_for(lambda: job.get_status(refresh=True) == "finished", 60), (tmp_path / "worker.log").read_text()[
            -3000:
        ]
        assert live.lines() == [("LPG3", D(20), D(20))]  # the check that finished during the outage committed
    finally:
        hold.touch()
        kill(worker, cron)
        server.terminate()
        server.wait(timeout=30)


def test_healthz_misses_the_worker_and_the_cron_until_real_ones_run(live):
    """Issue 10, item 11, with the production processes: no worker and no cron is a 503 naming both; a real
    `flask worker` and `flask cron` make it 200 (their ages against the bounds: tests/app/test_health.py)."""
    from app import jobs as app_jobs

    web = live.web()
    client = web.test_client()

    def signals():
        answer = client.get("/healthz")
        return answer.status_code, {c["name"]: c["ok"] for c in answer.get_json()["checks"]}

    connection = live.queue.connection
    for worker in app_jobs.Worker.all(connection=connection):
        worker.register_death()  # workers of earlier tests, killed without a word
    connection.delete(app_jobs.CRON_TICK_KEY)
    status, found = signals()
    assert status == 503 and (found["workers"], found["cron"]) == (False, False)
    env = worker_env(live.database_url)
    worker, cron = start("worker", env), start("cron", env)
    try:
        assert wait_for(lambda: signals() == (200, dict.fromkeys(found, True)), 30), signals()
    finally:
        kill(worker, cron)
