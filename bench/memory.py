"""Memory (issue 15): what a web worker and a job worker hold after a long day, and whether it keeps growing.

- web: the sale benchmark's setup (bench/sale.py: the demo, stock, the bench's SPHP cap, per client a till, cashier,
  API token and member) and gunicorn with ONE sync worker (`wsgi:app`, LUMBUNG_ENV=production, as bench/sale.py
  starts it), so that every sale goes through the same process. CLIENTS threads in this process post the sale of
  bench/sale.py (`POST /api/sales`, bearer token, a fresh Idempotency-Key) until 10,000 have been answered 201 (after
  each client's 30 warm-up sales); each sale queues its reorder check on the benchmark's Redis, as in production.
- jobs: the reorder benchmark's latency setup (bench/reorder.py: 50 bench items with 10 pieces on TKO-R1 and a rule
  at TKO from a bench supplier), the rules' reorder point raised to 20 so that a check has a line to put on the draft
  (the first one per item makes it, the next find it in place), and one `flask --app wsgi worker reorder` (RQ's
  forking worker, the production app). This process queues the checks as the app does (`suppliers.jobs.enqueue_check`
  in a production app's context), 50 at a time (one per item: each job id is its item's), and waits until the worker
  has finished them; 1,000 checks after 50 warm-up ones. What is measured is the worker itself: each check runs in a
  work horse forked from it, which exits after the job (its peak is printed for reading).

Both sample the process's resident memory (VmRSS and RssAnon in /proc/<pid>/status; for reading, the web worker's
private part from /proc/<pid>/smaps_rollup, what it shares with no other process: the job worker's changes with
every work horse forked from it, which shares its pages while it lives) at regular points. Targets: the
value at the end ≤ 120 MB, and flat over the second half (growth ≤ 2 MB: under 0.4 KB a sale, 4 KB a check).
Redis: BENCH_REDIS_URL, else REDIS_URL, else redis://127.0.0.1:6379/14; its `reorder` queue is emptied at the start
and the end, and the run's jobs deleted.
"""

import os
import secrets
import threading
import time
from decimal import Decimal

SALES = 10_000
CHECKS = 1_000
WARMUP_CHECKS = 50
CLIENTS = 2  # threads: one sale waits in the socket's queue while the worker answers the other
SAMPLES = 10  # samples after the warm-up, at equal steps
CHECK_ITEMS = 50
CHECK_POINT = Decimal(20)  # above the 10 pieces on the shelf: every item has a line to order
TARGET_MB = 120.0
TARGET_GROWTH_MB = 2.0
CHECK_TIMEOUT_S = 120.0
WORKER_APP_NAME = "lumbung-bench-memory-worker"


def memory_of(pid: int, private: bool = False) -> dict[str, float]:
    """VmRSS, RssAnon and VmHWM (the peak) of a process in MB, from /proc/<pid>/status, and with private=True its
    private memory (what no other process shares: Private_Clean + Private_Dirty in /proc/<pid>/smaps_rollup);
    {} once it has gone."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "VmHWM"):
                    out[key] = int(value.split()[0]) / 1024  # kB
        if private:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("Private_Clean", "Private_Dirty"):
                        out["Private"] = out.get("Private", 0.0) + int(value.split()[0]) / 1024
    except OSError:
        return {}
    return out


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(child) for child in f.read().split()]
    except OSError:
        return []


def print_samples(unit: str, samples: list[tuple[int, dict[str, float]]]) -> tuple[float, float]:
    """The samples as a table; return (VmRSS at the end, its growth over the second half) in MB."""
    private = "Private" in samples[0][1]
    print(f"{unit:>8} {'VmRSS MB':>9} {'RssAnon MB':>11}" + (f" {'private MB':>11}" if private else ""))
    for done, mem in samples:
        line = f"{done:>8,} {mem.get('VmRSS', float('nan')):>9.1f} {mem.get('RssAnon', float('nan')):>11.1f}"
        print(line + (f" {mem.get('Private', float('nan')):>11.1f}" if private else ""))
    end = samples[-1][1]["VmRSS"]
    half = min(samples, key=lambda s: abs(s[0] - samples[-1][0] / 2))
    return end, end - half[1]["VmRSS"]


def verdict(what: str, end: float, growth: float, count: int, unit: str) -> None:
    met = end <= TARGET_MB and growth <= TARGET_GROWTH_MB
    print(
        f"{what}: VmRSS {end:.1f} MB at the end (target ≤ {TARGET_MB:g} MB), {growth:+.1f} MB over the second half "
        f"({growth * 1024 * 1024 / (count / 2):+.0f} bytes a {unit}; target ≤ {TARGET_GROWTH_MB:g} MB): "
        f"{'targets met' if met else 'target missed'}"
    )


# --- the web worker ----------------------------------------------------------------------------------------


def run_web(url: str, app) -> None:
    from bench import sale

    print(f"\n-- web: one gunicorn sync worker after {SALES:,} sales ({CLIENTS} client threads) --")
    config = {"url": url, **sale.setup(app, CLIENTS)}
    web = sale.WebServer(url, 1)
    try:
        started = web.start()
        pid = web.worker_pids()[0]
        config["port"] = web.port
        print(f"gunicorn: 1 sync worker (pid {pid}) on 127.0.0.1:{web.port}, up in {started:.1f} s")
        fresh = memory_of(pid)
        clients = [sale.ServiceRunner(i, config) for i in range(CLIENTS)]  # each makes its warm-up sales
        print(
            f"fresh worker: VmRSS {fresh['VmRSS']:.1f} MB; after {CLIENTS * sale.WARMUP_SALES} warm-up sales: "
            f"{memory_of(pid)['VmRSS']:.1f} MB"
        )
        done, errors, lock = [0], [], threading.Lock()

        def sell(client) -> None:
            while True:
                with lock:
                    if done[0] >= SALES or errors:
                        return
                    done[0] += 1
                try:
                    client.batch()
                except Exception as exc:  # noqa: BLE001 - reported, and the run stops
                    errors.append(exc)
                    return

        step = SALES // SAMPLES
        samples = [(0, memory_of(pid, private=True))]
        began = time.perf_counter()
        threads = [threading.Thread(target=sell, args=(c,), daemon=True) for c in clients]
        for thread in threads:
            thread.start()
        while len(samples) <= SAMPLES and not errors:
            target = len(samples) * step
            while sum(c.committed for c in clients) - CLIENTS * sale.WARMUP_SALES < target and not errors:
                time.sleep(0.01)
            samples.append((target, memory_of(pid, private=True)))
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - began
        for client in clients:
            client.close()
    finally:
        web.stop()
        _empty_queue(web.redis_url)
    if errors:
        print(f"web: stopped after an error: {errors[0]}")
        return
    print(f"{SALES:,} sales in {seconds:.0f} s ({SALES / seconds:.1f} a second), sampled every {step:,}:")
    end, growth = print_samples("sales", samples)
    verdict("web worker", end, growth, SALES, "sale")


# --- the job worker ----------------------------------------------------------------------------------------


def setup_checks(app) -> dict:
    """bench/reorder.py's latency setup for CHECK_ITEMS items, their rules' reorder point raised to CHECK_POINT."""
    from sqlalchemy import update

    from app.db import db
    from bench import reorder
    from suppliers.models import ReorderRule

    config = reorder.setup_latency(app, CHECK_ITEMS)
    with app.app_context():
        ids = [item["item_id"] for item in config["items"]]
        db.session.execute(update(ReorderRule).where(ReorderRule.item_id.in_(ids)).values(reorder_point=CHECK_POINT))
        db.session.commit()
        db.session.remove()
    return config


def run_jobs(url: str, app) -> None:
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue
    from rq.job import Job

    from app.db import db
    from app.factory import create_app
    from bench import reorder
    from suppliers.jobs import check_id, enqueue_check

    print(f"\n-- jobs: one RQ worker (`flask --app wsgi worker reorder`) after {CHECKS:,} reorder checks --")
    redis = reorder.redis_url()
    connection = Redis.from_url(redis)
    try:
        connection.ping()
    except RedisError as exc:
        print(f"jobs: skipped, Redis at {redis} does not answer ({exc}); set BENCH_REDIS_URL or REDIS_URL")
        return
    queue = Queue("reorder", connection=connection)
    queue.empty()
    config = setup_checks(app)
    shelf = config["shelf"]
    items = [item["item_id"] for item in config["items"]]
    print(
        f"setup: {CHECK_ITEMS} items with 10 pieces on TKO-R1 and a rule at TKO (reorder point {CHECK_POINT}, "
        f"order-up-to 48); redis {redis}, queue 'reorder' emptied"
    )
    enqueuer = create_app(
        "production", {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis, "SECRET_KEY": secrets.token_hex(32)}
    )
    worker = reorder.Worker(url, WORKER_APP_NAME, redis)
    samples, horse_peak = [], 0.0
    try:
        started = worker.start(connection)
        pid = worker.proc.pid
        print(f"worker: pid {pid}, up in {started:.1f} s, VmRSS {memory_of(pid)['VmRSS']:.1f} MB")
        step = CHECKS // SAMPLES
        done = -WARMUP_CHECKS
        began = None
        while done < CHECKS:
            if done == 0:
                samples.append((0, memory_of(pid)))
                began = time.perf_counter()
            with enqueuer.app_context():
                for item in items:
                    enqueue_check(item, shelf)
            jobs = [Job(check_id(item, shelf), connection=connection) for item in items]
            deadline = time.time() + CHECK_TIMEOUT_S
            for job in jobs:
                while job.get_status(refresh=True) not in ("finished", "failed"):
                    for horse in _children(pid):
                        horse_peak = max(horse_peak, memory_of(horse).get("VmHWM", 0.0))
                    if time.time() > deadline:
                        raise RuntimeError(f"check {job.id} not finished after {CHECK_TIMEOUT_S:g} s")
                    time.sleep(0.005)
                if job.get_status() == "failed":
                    raise RuntimeError(f"check {job.id} failed: {job.exc_info}")
            done += len(items)
            if done > 0 and done % step == 0:
                samples.append((done, memory_of(pid)))
        seconds = time.perf_counter() - began
    finally:
        worker.stop()
        _empty_queue(redis, [check_id(item, shelf) for item in items])
        with enqueuer.app_context():
            db.engine.dispose()
    print(f"{CHECKS:,} checks in {seconds:.0f} s ({CHECKS / seconds:.1f} a second), sampled every {step:,}:")
    end, growth = print_samples("checks", samples)
    print(f"for reading: the work horses' peak VmRSS (each lives for one check): {horse_peak:.1f} MB at most")
    verdict("job worker", end, growth, CHECKS, "check")


def _empty_queue(redis: str, job_ids=()) -> None:
    """The benchmark's `reorder` queue emptied, and the run's finished jobs (kept an hour) deleted."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job

    connection = Redis.from_url(redis)
    Queue("reorder", connection=connection).empty()
    for job_id in job_ids:
        Job(job_id, connection=connection).delete(remove_from_queue=False)


def run(url: str, app, seconds: float = 0, workers: int = 0, rounds: int = 1) -> None:
    """Both halves; seconds, workers and rounds are not used (fixed counts)."""
    print(
        f"\n== Memory: a gunicorn worker after {SALES:,} sales, an RQ worker after {CHECKS:,} reorder checks "
        f"(targets: ≤ {TARGET_MB:g} MB, flat over the second half) =="
    )
    print(f"load average (1 min) of the machine: {os.getloadavg()[0]:.1f}")
    run_web(url, app)
    run_jobs(url, app)
    print(f"load average (1 min) of the machine: {os.getloadavg()[0]:.1f}")
