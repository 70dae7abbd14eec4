"""Reordering (issue 5): from a sale crossing the reorder point to the line on the reorder draft, through one real
worker on real Redis; and the nightly sweep of 10,000 rules.

latency: one `flask --app wsgi worker reorder` process (the production app, `LUMBUNG_ENV=production`: RQ's forking
  worker with its scheduler; every job runs in a freshly forked work horse with fresh database connections), started
  once and kept running for the whole run, on the Redis of BENCH_REDIS_URL, else REDIS_URL, else
  redis://127.0.0.1:6379/14 (its `reorder` queue is emptied at the start and the end). Each sample has its own item:
  10 pieces on shop shelf TKO-R1 and a rule at the shop (TKO) with reorder point 9 and order-up-to 48, from a
  bench supplier without a weight limit that sells it in cartons of 12; so one sale of 1 piece crosses the reorder
  point and the check must put 4 cartons on that supplier's reorder draft for TKO. The sale goes through the real
  API in this process (Flask's test client on the production app, no HTTP server): `POST /api/sales` with a
  cashier's bearer token and an Idempotency-Key, one line, cash; the view calls `orders.checkout.post_sale`, the
  request commits, and the session's after-commit hook hands the check to the process's relay thread, which queues
  it (`suppliers.jobs.on_stock_changed` -> `app.jobs.enqueue_after_commit` -> `app.jobs.relay`). committed = when
  the request's COMMIT returned (a SQLAlchemy `after_commit` listener put first, before the one that hands the job
  over); visible = the start of the first poll (plain psycopg, its own
  connection, every 2 ms) that sees the item's line on the reorder draft; latency = visible - committed. After each
  sample the bench waits for the job to be finished in Redis, reads its timestamps (enqueued, started in the horse,
  ended) for the breakdown, pauses 50-250 ms, and sells the next item. 3 warm-up samples, then 50 timed. Target:
  median <= 1 s. The run's jobs are deleted from Redis at the end.

sweep: every rule already there is switched off (the latency's), then 10,000 active rules on 5,000 bench items,
  each at the warehouse (GDG, stock in bin GDG-A-01) and at the shop (TKO, stock on TKO-R1), from 20 bench suppliers
  (250 items each, no weight limit, so 40 reorder drafts: one per supplier and destination; Bulog's 2-tonne limit
  would cut most lines to nothing and make the expected result depend on the order of the checks), with catalogue
  entries (a carton of 12, order multiple 1 or 5), costs, opening stock through the ledger, and a few submitted
  orders (about 3 % of the rules have stock on order). A fifth of the shop's rules are in demand mode (28 days; one
  sale each in the ledger, so the sweep recomputes their reorder point from it). About 10 % of the rules are at or
  below their reorder point (a fifth of those with nothing on hand); the rest are above it. Setup uses Core inserts
  and is not timed. Then `suppliers.jobs.sweep()` runs twice in the app context (pool pre-ping on, as deployed): the
  first makes the lines, the second finds them in place (the nightly case: the day's checks have made most lines
  already). Target: <= 10 s, for the slower run. A check compares the lines with what the data asks for.
"""

import os
import random
import secrets
import statistics
import time
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import psycopg

from bench.common import AppProcess, libpq_url, process_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = 50
WARMUP_SAMPLES = 3
TARGET_MEDIAN_S = 1.0
SAMPLE_TIMEOUT_S = 60.0  # a line not visible by then is a failed sample
POLL_S = 0.002
RULES = 10_000
SUPPLIERS = 20
TARGET_SWEEP_S = 10.0
AT_OR_BELOW = 0.10  # share of the sweep's rules at or below their reorder point (a fifth of them with nothing)
ON_ORDER_SHARE = 0.03  # share with their order-up-to level on a submitted order
DEMAND_SHARE = 0.20  # share of the shop's rules in demand mode (so 10 % of all)
DEMAND_DAYS = 28
CARTON = Decimal(12)
LATENCY_STOCK, LATENCY_POINT, LATENCY_UP_TO = Decimal(10), Decimal(9), Decimal(48)
WORKER_APP_NAME = "lumbung-bench-worker"
START = date(2026, 1, 1)


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _percentile(values: list[float], p: float) -> float:
    data = sorted(values)
    rank = max(1, -(-len(data) * p // 100))  # nearest rank, as bench.common
    return data[int(rank) - 1]


# --- latency: setup -----------------------------------------------------------------------------------------


def setup_latency(app, samples: int) -> dict:
    """The demo, a bench supplier, one sellable item per sample with 10 on TKO-R1 and its rule at TKO, a cashier
    with an open till and an API token; committed."""
    from sqlalchemy import select

    import demo
    from app import auth
    from app.db import db
    from inventory import services
    from inventory.ledger import Move, post_moves
    from inventory.models import Location
    from orders import pricing, tills
    from suppliers import reorder
    from suppliers import services as purchasing

    tag = secrets.token_hex(3).upper()
    with app.app_context():
        demo.load_demo()
        places = {loc.code: loc for loc in db.session.scalars(select(Location))}
        supplier = purchasing.create_supplier(
            {"code": f"BL-{tag}", "name": f"Pemasok uji {tag}", "payment_terms": "transfer", "lead_time_days": 2}
        )
        items, moves = [], []
        for i in range(samples):
            item = services.create_item(
                {
                    "sku": f"BL{tag}-{i:03d}",
                    "name_id": f"Barang uji {i}",
                    "name_en": f"Bench item {i}",
                    "category": "sembako",
                    "base_unit": "piece",
                }
            )
            piece = services.add_packaging(item, "Pcs", Decimal(1), False, True)
            carton = services.add_packaging(item, "Karton 12", CARTON, True, False)
            pricing.set_price(piece, "general", 10_000, START)
            entry = purchasing.add_catalogue_item(supplier, item.id, carton.id, f"S-{i:03d}")
            purchasing.set_cost(entry, START, 100_000)
            reorder.set_rule(item, places["TKO"], supplier, LATENCY_POINT, LATENCY_UP_TO)
            moves.append(
                Move(
                    item.id,
                    places["V-PEMASOK"].id,
                    places["TKO-R1"].id,
                    LATENCY_STOCK,
                    "opening",
                    f"BENCH-LAT-{tag}",
                    unit_cost=Decimal(8000),
                )
            )
            items.append({"item_id": item.id, "packaging_id": piece.id, "sku": item.sku})
        post_moves(moves)
        user = auth.create_user(f"bench-reorder-{tag.lower()}", "Kasir uji reorder", "cashier", "bench-pass-1")
        till = tills.create_till(f"R{tag}", "Kasir uji reorder", places["TKO"])
        tills.open_session(till, user, 0)
        token = auth.issue_api_token(user, "bench")
        db.session.commit()
        config = {
            "tag": tag,
            "items": items,
            "supplier_id": supplier.id,
            "shop": places["TKO"].id,
            "shelf": places["TKO-R1"].id,
            "till": till.code,
            "token": token,
        }
        db.session.remove()
    return config


# --- latency: the worker -----------------------------------------------------------------------------------


class Worker(AppProcess):
    """One `flask --app wsgi worker reorder` process on the benchmark's database and Redis, stopped at the end."""

    kind = "worker"

    def start(self, connection) -> float:
        from rq import Queue
        from rq import Worker as RqWorker

        queue = Queue("reorder", connection=connection)

        def registered() -> bool:
            return any(w.pid == self.proc.pid for w in RqWorker.all(connection=connection, queue=queue))

        return self.spawn(["flask", "--app", "wsgi", "worker", "reorder"], registered, start_new_session=True)

    def cpu(self) -> tuple[float, float] | None:
        """(the worker's own CPU seconds, its finished work horses' CPU seconds) so far, from /proc."""
        if self.proc is None:
            return None
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks, (int(fields[13]) + int(fields[14])) / ticks


# --- latency: the samples ----------------------------------------------------------------------------------

LINE_VISIBLE = (
    "SELECT 1 FROM purchase_order_line l JOIN purchase_order o ON o.id = l.order_id"
    " WHERE o.supplier_id = %s AND o.destination_id = %s AND o.status = 'draft' AND o.origin = 'reorder'"
    " AND l.item_id = %s"
)


class Sampler:
    """Sells one sample's item through the API in this process and waits for its draft line."""

    def __init__(self, url: str, redis: str, config: dict) -> None:
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        from app.factory import create_app

        self.config = config
        self.web = create_app(
            "production",
            {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis, "SECRET_KEY": secrets.token_hex(32)},
        )
        self.client = self.web.test_client()
        self.commits: list[float] = []
        self._listener = lambda session: self.commits.append(time.time())
        # First among the after-commit listeners: app.jobs enqueues the session's jobs in one of its own.
        event.listen(Session, "after_commit", self._listener, insert=True)
        self.poll = psycopg.connect(libpq_url(url), autocommit=True)
        self.poll.execute(LINE_VISIBLE, (0, 0, 0)).fetchall()  # prepared and warm

    def sample(self, item: dict, connection) -> dict:
        from rq.job import Job

        from suppliers.jobs import check_id

        self.commits.clear()
        began = time.time()
        response = self.client.post(
            "/api/sales",
            json={
                "till": self.config["till"],
                "member": None,
                "lines": [{"packaging_id": item["packaging_id"], "quantity": "1"}],
                "payments": [{"method": "cash", "tendered": 20_000}],
            },
            headers={"Authorization": f"Bearer {self.config['token']}", "Idempotency-Key": str(uuid.uuid4())},
        )
        answered = time.time()
        if response.status_code != 201:
            raise RuntimeError(f"POST /api/sales answered {response.status_code}: {response.get_data(as_text=True)}")
        if len(self.commits) != 1:
            raise RuntimeError(f"the sale's request committed {len(self.commits)} times, not once")
        committed = self.commits[0]
        args = (self.config["supplier_id"], self.config["shop"], item["item_id"])
        polls, visible = 0, None
        deadline = committed + SAMPLE_TIMEOUT_S
        while time.time() < deadline:
            sent = time.time()
            polls += 1
            if self.poll.execute(LINE_VISIBLE, args).fetchone():
                visible = sent
                break
            time.sleep(POLL_S)
        if visible is None:
            raise RuntimeError(f"no draft line for {item['sku']} {SAMPLE_TIMEOUT_S:g} s after the sale's commit")
        job = Job.fetch(check_id(item["item_id"], self.config["shelf"]), connection=connection)
        while job.get_status() not in ("finished", "failed") and time.time() < deadline:
            time.sleep(0.005)
        job.refresh()
        if job.get_status() != "finished":
            raise RuntimeError(f"the check of {item['sku']} ended {job.get_status()}: {job.exc_info}")
        stamps = {name: getattr(job, name) for name in ("enqueued_at", "started_at", "ended_at")}
        stamps = {name: value.replace(tzinfo=UTC).timestamp() if value else None for name, value in stamps.items()}
        return {
            "began": began,
            "committed": committed,
            "answered": answered,
            "visible": visible,
            "polls": polls,
            **stamps,
        }

    def close(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        from app.db import db

        event.remove(Session, "after_commit", self._listener)
        self.poll.close()
        with self.web.app_context():
            db.engine.dispose()


def check_in_process(app, config: dict) -> tuple[list[float], list[int]]:
    """Each sample's check run again here, as the job runs it (its line is already right, so nothing is written
    but the same reads, lock and COMMIT): wall ms and statements per check, on a warm connection."""
    from sqlalchemy import event

    from app.db import db
    from suppliers import jobs

    times, counts = [], []
    with app.app_context():
        engine = db.engine
        seen: list[int] = []

        def count(*_args) -> None:
            seen.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            for item in config["items"]:
                seen.clear()
                began = time.perf_counter()
                jobs.reorder_check(item["item_id"], config["shelf"])
                times.append(time.perf_counter() - began)
                counts.append(len(seen))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        db.session.remove()
    return times, counts


def connect_ms(url: str, times: int = 10) -> float:
    """Median wall ms of opening a new PostgreSQL connection and running one statement (a work horse's start)."""
    taken = []
    for _ in range(times):
        began = time.perf_counter()
        with psycopg.connect(libpq_url(url)) as conn:
            conn.execute("SELECT 1").fetchone()
        taken.append(time.perf_counter() - began)
    return statistics.median(taken) * 1000


def run_latency(url: str, app) -> bool:
    """The latency half; False when Redis cannot be reached (printed, then skipped)."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    redis = redis_url()
    connection = Redis.from_url(redis)
    try:
        connection.ping()
    except RedisError as exc:
        print(f"latency: skipped, Redis at {redis} does not answer ({exc}); set BENCH_REDIS_URL or REDIS_URL")
        return False
    queue = Queue("reorder", connection=connection)
    stale = queue.count
    queue.empty()
    total = WARMUP_SAMPLES + SAMPLES
    config = setup_latency(app, total)
    print(
        f"setup: {total} items, each with {LATENCY_STOCK} pieces on TKO-R1 and a rule at TKO (reorder point "
        f"{LATENCY_POINT}, order-up-to {LATENCY_UP_TO}, cartons of {CARTON}) from supplier BL-{config['tag']} (no "
        "weight limit); a sale of 1 piece crosses the point: 4 cartons on the draft"
    )
    print(f"redis: {redis}, queue 'reorder' emptied ({stale} jobs were waiting)")

    worker = Worker(url, WORKER_APP_NAME, redis)
    sampler = None
    results, cpu_start, cpu_end = [], None, None
    try:
        started = worker.start(connection)
        print(
            f"worker: `flask --app wsgi worker reorder` (production app), pid {worker.proc.pid}, up in {started:.1f} s"
        )
        sampler = Sampler(url, redis, config)
        rng = random.Random(5)
        for n, item in enumerate(config["items"]):
            if n == WARMUP_SAMPLES:
                cpu_start = worker.cpu()
            result = sampler.sample(item, connection)
            if n >= WARMUP_SAMPLES:
                results.append(result)
            time.sleep(rng.uniform(0.05, 0.25))
        cpu_end = worker.cpu()
    finally:
        if sampler is not None:
            sampler.close()
        worker.stop()
        queue.empty()
        from rq.job import Job

        from suppliers.jobs import check_id

        for item in config["items"]:  # our finished jobs, kept an hour by result_ttl
            Job(check_id(item["item_id"], config["shelf"]), connection=connection).delete(remove_from_queue=False)

    latencies = [r["visible"] - r["committed"] for r in results]
    median, p95 = statistics.median(latencies), _percentile(latencies, 95)
    print()
    print(f"{'samples':>8} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'min ms':>8} {'mean ms':>8} {'polls':>6}")
    print(
        f"{len(latencies):>8} {_ms(median):>10} {_ms(p95):>8} {_ms(max(latencies)):>8} {_ms(min(latencies)):>8}"
        f" {_ms(statistics.mean(latencies)):>8} {statistics.median(r['polls'] for r in results):>6.0f}"
    )
    print("(latency: from the sale's COMMIT returning to the first poll seeing its line; polls: median per sample)")
    phases = (
        ("commit -> job enqueued (after-commit hook, Redis)", "committed", "enqueued_at"),
        ("enqueued -> started in a work horse (dequeue, fork, RQ's bookkeeping)", "enqueued_at", "started_at"),
        ("started -> line visible (the job: connect, check, COMMIT)", "started_at", "visible"),
        ("line visible -> job ended in Redis", "visible", "ended_at"),
        ("commit -> the sale's answer (rest of the request)", "committed", "answered"),
        ("the whole sale request", "began", "answered"),
    )
    print("where the time goes (median ms over the samples; RQ's timestamps, the same clock):")
    for words, first, second in phases:
        gaps = [r[second] - r[first] for r in results if r[first] is not None and r[second] is not None]
        if gaps:
            print(f"  {words:<72} {_ms(statistics.median(gaps)):>7}")
    if cpu_start and cpu_end and results:
        own, horses = cpu_end[0] - cpu_start[0], cpu_end[1] - cpu_start[1]
        print(
            f"worker CPU per check: {_ms(own / len(results))} ms in the worker process, {_ms(horses / len(results))} "
            "ms in its work horses (their PostgreSQL backends not counted)"
        )
    times, counts = check_in_process(app, config)
    print(
        f"for reading: the same check run in this process on a warm connection: {_ms(statistics.median(times))} ms, "
        f"{statistics.median(counts):.0f} statements (median); a new PostgreSQL connection: {connect_ms(url):.1f} ms"
    )
    ratio = median / TARGET_MEDIAN_S
    print(
        f"\nlatency median = {median * 1000:.0f} ms, p95 = {p95 * 1000:.0f} ms, max = {max(latencies) * 1000:.0f} ms; "
        f"median/target = {ratio:.2f} (target median ≤ {TARGET_MEDIAN_S:g} s): "
        f"{'target met' if median <= TARGET_MEDIAN_S else 'target missed'}"
    )
    return True


def _deactivate_rules(app) -> int:
    """Every rule there is switched off (the latency's, a kept database's), so the sweep checks exactly its own."""
    from sqlalchemy import update

    from app.db import db
    from suppliers.models import ReorderRule

    with app.app_context():
        switched = db.session.execute(update(ReorderRule).where(ReorderRule.is_active).values(is_active=False)).rowcount
        db.session.commit()
        db.session.remove()
    return switched


# --- the sweep ---------------------------------------------------------------------------------------------


def _packs(needed: Decimal, multiple: Decimal) -> Decimal:
    return (needed / CARTON / multiple).to_integral_value(ROUND_CEILING) * multiple


def setup_sweep(app, rules: int, suppliers: int) -> dict:
    """Items, suppliers, catalogue, costs, rules, opening stock and submitted orders for `rules` rules (half at the
    warehouse, half at the shop); committed. Return the expected lines {(supplier, destination, item): packs}."""
    from sqlalchemy import insert, select

    from app.db import db
    from inventory.ledger import Move, post_moves
    from inventory.models import Item, Location, Packaging
    from suppliers import services as purchasing
    from suppliers.models import (
        PurchaseOrder,
        PurchaseOrderLine,
        ReorderRule,
        SupplierItem,
        SupplierPrice,
    )

    rng = random.Random(2026)
    tag = secrets.token_hex(3).upper()
    n_items = rules // 2
    with app.app_context():
        places = {loc.code: loc.id for loc in db.session.scalars(select(Location))}
        targets = (("GDG", "GDG-A-01"), ("TKO", "TKO-R1"))  # where the rule is, where its stock sits
        supplier_ids = [
            purchasing.create_supplier(
                {
                    "code": f"BS-{tag}-{s:02d}",
                    "name": f"Pemasok sapuan {s}",
                    "payment_terms": "transfer",
                    "lead_time_days": 1 + s % 5,
                }
            ).id
            for s in range(suppliers)
        ]
        now = datetime.now(UTC)
        skus = [f"BS{tag}-{i:05d}" for i in range(n_items)]
        db.session.execute(
            insert(Item),
            [
                {
                    "sku": sku,
                    "name_id": f"Barang sapuan {i}",
                    "name_en": f"Sweep item {i}",
                    "category": "sembako",
                    "base_unit": "piece",
                    "created_at": now,
                }
                for i, sku in enumerate(skus)
            ],
        )
        item_ids = dict(db.session.execute(select(Item.sku, Item.id).where(Item.sku.in_(skus))).all())
        ids = [item_ids[sku] for sku in skus]
        db.session.execute(
            insert(Packaging),
            [
                {"item_id": i, "name": "Karton 12", "factor": CARTON, "for_purchase": True, "for_sale": False}
                for i in ids
            ]
            + [
                {"item_id": i, "name": "Pcs", "factor": Decimal(1), "for_purchase": False, "for_sale": True}
                for i in ids
            ],
        )
        cartons = dict(
            db.session.execute(
                select(Packaging.item_id, Packaging.id).where(Packaging.item_id.in_(ids), Packaging.name == "Karton 12")
            ).all()
        )
        supplier_of = {item: supplier_ids[n % suppliers] for n, item in enumerate(ids)}
        multiple_of = {item: Decimal(5 if n % 7 == 0 else 1) for n, item in enumerate(ids)}
        db.session.execute(
            insert(SupplierItem),
            [
                {
                    "supplier_id": supplier_of[i],
                    "item_id": i,
                    "packaging_id": cartons[i],
                    "supplier_code": f"X{i}",
                    "order_multiple": multiple_of[i],
                    "kg_per_unit": Decimal(1),
                }
                for i in ids
            ],
        )
        entries = dict(
            db.session.execute(
                select(SupplierItem.item_id, SupplierItem.id).where(SupplierItem.supplier_id.in_(supplier_ids))
            ).all()
        )
        db.session.execute(
            insert(SupplierPrice),
            [
                {
                    "supplier_item_id": entries[i],
                    "valid_from": START,
                    "cost": 12 * rng.randrange(5, 60) * 1000,
                    "created_at": now,
                }
                for i in ids
            ],
        )

        lead_time = {sid: 1 + s % 5 for s, sid in enumerate(supplier_ids)}
        rule_rows, moves, sales, on_order, expected = [], [], [], {}, {}
        demand_rules = 0
        for item in ids:
            for destination, shelf in targets:
                point = Decimal(rng.choice((12, 24, 36, 48)))
                up_to = point * 4
                row = {
                    "item_id": item,
                    "location_id": places[destination],
                    "supplier_id": supplier_of[item],
                    "reorder_point": point,
                    "order_up_to": up_to,
                    "safety_stock": Decimal(0),
                    "review_period_days": 7,
                    "is_active": True,
                    "created_at": now,
                }
                sold = Decimal(0)
                if destination == "TKO" and rng.random() < DEMAND_SHARE:
                    # Demand mode: the sweep sets the point from the last 28 days' sales (one sale here) x (lead
                    # time + review period), rounded up; the order-up-to level keeps its distance above it.
                    demand_rules += 1
                    sold = Decimal(rng.randint(14, 112))
                    row["demand_days"] = DEMAND_DAYS
                    per_day = (sold / DEMAND_DAYS).quantize(Decimal("0.0001"))
                    recomputed = (per_day * (lead_time[supplier_of[item]] + 7)).quantize(Decimal(1), ROUND_CEILING)
                    point, up_to = recomputed, recomputed + up_to - point
                roll = rng.random()
                if roll < AT_OR_BELOW / 5:
                    on_hand = Decimal(0)
                elif roll < AT_OR_BELOW:
                    on_hand = Decimal(rng.randint(1, int(point)))
                else:
                    on_hand = Decimal(rng.randint(int(point) + 1, int(point) * 5))
                coming = up_to if rng.random() < ON_ORDER_SHARE else Decimal(0)
                rule_rows.append(row)
                if on_hand + sold:
                    moves.append(
                        Move(
                            item,
                            places["V-PEMASOK"],
                            places[shelf],
                            on_hand + sold,
                            "opening",
                            f"BENCH-SWEEP-{tag}",
                            unit_cost=Decimal(900),
                        )
                    )
                if sold:
                    sales.append(Move(item, places[shelf], places["V-PELANGGAN"], sold, "sale", f"BENCH-SOLD-{tag}"))
                if coming:
                    on_order.setdefault((supplier_of[item], places[destination]), []).append((item, coming))
                position = on_hand + coming
                if position <= point:
                    expected[(supplier_of[item], places[destination], item)] = _packs(
                        up_to - position, multiple_of[item]
                    )
        db.session.execute(insert(ReorderRule), rule_rows)
        for batch in (moves, sales):  # the opening stock, then the demand rules' sales
            for start in range(0, len(batch), 1000):
                post_moves(batch[start : start + 1000])
        for n, ((supplier, destination), lines) in enumerate(sorted(on_order.items())):
            order_id = db.session.execute(
                insert(PurchaseOrder).returning(PurchaseOrder.id),
                {
                    "number": f"PO-B{tag}-{n:03d}",
                    "supplier_id": supplier,
                    "status": "submitted",
                    "origin": "manual",
                    "order_date": date.today(),
                    "destination_id": destination,
                    "note": "",
                    "created_at": now,
                },
            ).scalar_one()
            db.session.execute(
                insert(PurchaseOrderLine),
                [
                    {
                        "order_id": order_id,
                        "item_id": item,
                        "packaging_id": cartons[item],
                        "packs": quantity / CARTON,
                        "quantity": quantity,
                        "unit_cost": 100_000,
                        "received_quantity": Decimal(0),
                    }
                    for item, quantity in lines
                ],
            )
        db.session.commit()
        db.session.remove()
    return {
        "tag": tag,
        "supplier_ids": supplier_ids,
        "expected": expected,
        "moves": len(moves),
        "demand_rules": demand_rules,
        "on_order": sum(len(v) for v in on_order.values()),
        "orders": len(on_order),
    }


def time_sweep(app) -> dict:
    """One sweep() in the app context: wall seconds, rules, this process's CPU and its PostgreSQL backend's."""
    from sqlalchemy import text

    from app.db import db
    from suppliers import jobs

    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.commit()
        backend_start = process_cpu_seconds(pid)
        cpu_start = time.process_time()
        began = time.perf_counter()
        rules = jobs.sweep()
        seconds = time.perf_counter() - began
        cpu = time.process_time() - cpu_start
        backend_end = process_cpu_seconds(pid)
        same = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
        db.session.commit()
        db.session.remove()
    backend = None if not same or backend_start is None or backend_end is None else backend_end - backend_start
    return {"seconds": seconds, "rules": rules, "cpu": cpu, "backend": backend}


def check_sweep(app, setup: dict) -> bool:
    """The reorder drafts of the bench's suppliers hold exactly the expected lines (item, packs)."""
    from sqlalchemy import select

    from app.db import db
    from suppliers.models import PurchaseOrder, PurchaseOrderLine

    with app.app_context():
        rows = db.session.execute(
            select(
                PurchaseOrder.supplier_id,
                PurchaseOrder.destination_id,
                PurchaseOrderLine.item_id,
                PurchaseOrderLine.packs,
            )
            .join(PurchaseOrderLine.order)
            .where(
                PurchaseOrder.supplier_id.in_(setup["supplier_ids"]),
                PurchaseOrder.status == "draft",
                PurchaseOrder.origin == "reorder",
            )
        ).all()
        drafts = len({(s, d) for s, d, _i, _p in rows})
        db.session.remove()
    found = {(s, d, i): p for s, d, i, p in rows}
    ok = found == setup["expected"]
    print(
        f"check: {len(found)} lines on {drafts} reorder drafts, {sum(found.values()):.0f} cartons; the data asks for "
        f"{len(setup['expected'])} lines, {sum(setup['expected'].values()):.0f} cartons: "
        f"{'the same' if ok else 'MISMATCH'}"
    )
    return ok


def run_sweep(app) -> None:
    began = time.perf_counter()
    switched = _deactivate_rules(app)
    setup = setup_sweep(app, RULES, SUPPLIERS)
    print(
        f"setup ({time.perf_counter() - began:.0f} s, not timed): {RULES:,} rules on {RULES // 2:,} items at GDG "
        f"and TKO, {SUPPLIERS} suppliers without a weight limit ({RULES // 2 // SUPPLIERS} items each, so up to "
        f"{2 * SUPPLIERS} drafts), {setup['moves']:,} opening balances, {setup['on_order']} rules with stock on "
        f"{setup['orders']} submitted orders, {setup['demand_rules']} shop rules in demand mode ({DEMAND_DAYS} days, "
        f"one sale each); {len(setup['expected'])} rules at or below their reorder point; {switched} other rules "
        "switched off"
    )
    runs = []
    for label in ("first (makes the lines)", "second (the lines are there)"):
        result = time_sweep(app)
        runs.append(result)
        backend = "n/a" if result["backend"] is None else f"{result['backend']:.1f} s"
        print(
            f"sweep {label}: {result['rules']:,} rules in {result['seconds']:.1f} s, "
            f"{result['rules'] / result['seconds']:,.0f} rules/s; CPU: this process {result['cpu']:.1f} s, its "
            f"PostgreSQL backend {backend}"
        )
        if label.startswith("first"):
            check_sweep(app, setup)
    worst = max(r["seconds"] for r in runs)
    print(
        f"\nsweep of {RULES:,} rules: {worst:.1f} s (the slower run), {RULES / worst:,.0f} rules/s; ratio to target "
        f"= {worst / TARGET_SWEEP_S:.2f} (target ≤ {TARGET_SWEEP_S:g} s): "
        f"{'target met' if worst <= TARGET_SWEEP_S else 'target missed'}"
    )


def run(url: str, app, seconds: float = 0, workers: int = 0, rounds: int = 1) -> None:
    """Both halves; --seconds, --workers and --rounds do not apply (fixed sample and rule counts)."""
    print(
        f"\n== Reorder: a sale to its draft line through one real worker ({SAMPLES} samples), then a sweep of "
        f"{RULES:,} rules =="
    )
    run_latency(url, app)
    print()
    run_sweep(app)
