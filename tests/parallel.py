"""Helpers for tests that run real parallel transactions in several processes.

The processes are forked from a forkserver that has imported the app once (tests/warm.py), not from the test
process: each starts clean, with no connection or state of the test's, in ~0.2 s instead of the ~1.5 s a spawned
interpreter takes to import everything again.

The processes start together on a barrier, not at a clock instant: the parent holds a PostgreSQL advisory lock,
each process asks for it (shared) once it is connected and ready, and the parent lets go only when every one of
them is waiting, so a busy machine can slow the set-up down but never turn the race into a sequence.
"""

import multiprocessing
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

GATE_CLASS = 4242  # the advisory lock's first key: the tests' barriers


def _plain_url(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://")


@dataclass(frozen=True)
class Gate:
    """The barrier as a process sees it: `wait()` returns when the parent opens the gate."""

    database_url: str
    key: int

    def wait(self) -> None:
        with psycopg.connect(_plain_url(self.database_url), autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", (GATE_CLASS, self.key))
            conn.execute("SELECT pg_advisory_unlock_shared(%s, %s)", (GATE_CLASS, self.key))


def waiting_at(conn, key: int) -> int:
    """How many backends wait for the gate's lock."""
    return conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid = %s AND objid = %s AND objsubid = 2",
        (GATE_CLASS, key),
    ).fetchone()[0]


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.warm"])  # read when the test process first starts its forkserver
    return context


def run_in_processes(target: Callable, args_per_process: list[tuple], database_url: str | None = None) -> list[Any]:
    """Run target(gate, *args) in one process each; they start their race together when every one has called
    gate.wait(); return their results. The database is `database_url`, or each process's first argument."""
    url = database_url or args_per_process[0][0]
    key = random.randint(1, 2**31 - 1)
    context = _context()
    with psycopg.connect(_plain_url(url), autocommit=True) as holder, context.Pool(len(args_per_process)) as pool:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", (GATE_CLASS, key))
        gate = Gate(url, key)
        results = [pool.apply_async(target, (gate, *args)) for args in args_per_process]
        deadline = time.monotonic() + 120
        # Every process at the gate, unless one failed on the way (its error is raised below).
        while waiting_at(holder, key) < len(results) and time.monotonic() < deadline:
            if any(r.ready() for r in results):
                break
            time.sleep(0.02)
        holder.execute("SELECT pg_advisory_unlock(%s, %s)", (GATE_CLASS, key))
        return [r.get(timeout=120) for r in results]


def take_units(gate, database_url: str, item_id: int, from_id: int, to_id: int, attempts: int) -> list[str]:
    """Try `attempts` times to move one unit, each in its own transaction; report what each try got."""
    from decimal import Decimal

    from app.db import db
    from app.factory import create_app
    from inventory.ledger import InsufficientStock, Move, post_moves

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    outcomes = []
    with app.app_context():
        db.session.execute(db.select(1))  # connect before the start, so the race is about the ledger
        db.session.rollback()
        gate.wait()
        for n in range(attempts):
            try:
                post_moves([Move(item_id, from_id, to_id, Decimal(1), "sale", f"RACE-{n}")])
                db.session.commit()
                outcomes.append("ok")
            except InsufficientStock:
                db.session.rollback()
                outcomes.append("insufficient")
        db.engine.dispose()
    return outcomes


def opposite_order_batches(
    gate,
    database_url: str,
    first_id: int,
    second_id: int,
    from_id: int,
    to_id: int,
    reverse: bool,
    batches: int,
) -> int:
    """Post `batches` two-line batches, the lines in one order or the other; return how many committed."""
    from decimal import Decimal

    from app.db import db
    from app.factory import create_app
    from inventory.ledger import Move, post_moves

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    committed = 0
    with app.app_context():
        db.session.execute(db.select(1))
        db.session.rollback()
        gate.wait()
        for n in range(batches):
            lines = [
                Move(first_id, from_id, to_id, Decimal(1), "transfer", f"X-{n}"),
                Move(second_id, from_id, to_id, Decimal(1), "transfer", f"X-{n}"),
            ]
            post_moves(list(reversed(lines)) if reverse else lines)
            db.session.commit()
            committed += 1
        db.engine.dispose()
    return committed


def http_posts(gate, database_url: str, token: str, posts: list[tuple[str, dict]]) -> list[tuple[int, dict]]:
    """As one client of the real app (bearer token): POST each (url, JSON body) in turn, each with its own
    Idempotency-Key, once the gate opens; report (status, JSON body) of each."""
    return http_requests(gate, database_url, token, [("POST", url, body) for url, body in posts])


def http_requests(gate, database_url: str, token: str, calls: list[tuple[str, str, dict]]) -> list[tuple[int, dict]]:
    """As http_posts, for any method: each (method, url, JSON body) in turn."""
    import uuid

    from app.db import db
    from app.factory import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/login").status_code == 200  # the app warmed up before the start
    outcomes = []
    gate.wait()
    for method, url, body in calls:
        response = client.open(url, method=method, json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        outcomes.append((response.status_code, response.get_json(silent=True) or {}))
    with app.app_context():
        db.engine.dispose()
    return outcomes


def first_holds_second_waits(app, first: Callable, second: Callable, wait: float = 5.0) -> tuple[Any, Any, bool]:
    """Step by step, the same interleaving on every run: `first()` runs in its own transaction and is held open
    (not committed) while `second()` runs in another; once `second` waits for a lock `first` holds (or has
    finished, or `wait` seconds have passed), `first` commits, then `second` commits. Returns both results (or
    the exception each raised) and whether `second` had to wait: with the right lock it waits and then sees what
    `first` did; without it, it runs on a snapshot that misses it."""
    import threading

    from sqlalchemy import text

    from app.db import db

    results: dict[str, Any] = {}
    pids: dict[str, int] = {}
    first_done, release = threading.Event(), threading.Event()

    def run(name: str, work: Callable, hold: bool) -> None:
        with app.app_context():
            pids[name] = db.session.scalar(text("SELECT pg_backend_pid()"))
            try:
                results[name] = work()
            except Exception as exc:  # noqa: BLE001 - reported to the test as the outcome
                results[name] = exc
                db.session.rollback()
            if hold:
                first_done.set()
                release.wait(timeout=60)
            db.session.commit()
            db.session.remove()

    one = threading.Thread(target=run, args=("first", first, True))
    one.start()
    first_done.wait(timeout=60)
    two = threading.Thread(target=run, args=("second", second, False))
    two.start()
    waited = False
    deadline = time.monotonic() + wait
    with app.app_context(), db.engine.connect() as monitor:
        while two.is_alive() and time.monotonic() < deadline:
            pid = pids.get("second")
            if pid is not None:
                waiting = monitor.scalar(
                    text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                )
                monitor.rollback()
                if waiting:
                    waited = True
                    break
            time.sleep(0.01)
    release.set()
    one.join(timeout=60)
    two.join(timeout=60)
    return results.get("first"), results.get("second"), waited
