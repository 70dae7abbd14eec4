"""Stock ledger: posting a 3-line batch of moves, through `inventory.ledger.post_moves` and in raw SQL.

Every batch takes 3 distinct random items of 50 out of one warehouse bin; each line goes to the shop
(a transfer: two balance rows change) or to the customer (a sale: one balance row changes), 1 piece each.

- service:  `post_moves(...)` then `db.session.commit()`, in an app built by `create_app("testing", ...)`.
- baseline: plain psycopg, the writes post_moves makes for the same batch, in one transaction:
  `SELECT ... FOR UPDATE` of the balance rows in (item, location) order, one `UPDATE` of those balances,
  one multi-row `INSERT INTO stock_move ... RETURNING id`, `COMMIT`. It skips the two reads post_moves
  also makes (the locations' kinds, the items' unit and average cost): it knows them from the setup.
"""

import random
import secrets
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import psycopg

from bench.common import SideResult, libpq_url, print_table, run_side

ITEMS = 50
LINES = 3
OPENING_BIN = Decimal(10_000_000)
OPENING_SHOP = Decimal(1_000)
WARMUP_BATCHES = 20
TARGET_RATIO = 0.6
MOVE_COLUMNS = (
    "posted_at, item_id, lot_id, from_location_id, to_location_id, quantity, unit_cost, reason, reference, "
    "user_id, reverses_move_id"
)


def pick_lines(rng: random.Random, config: dict, reference: str) -> list[tuple[int, int, int, str, str]]:
    """A batch: (item_id, from_location_id, to_location_id, reason, reference) for 3 distinct random items."""
    lines = []
    for item_id in rng.sample(config["items"], LINES):
        if rng.random() < 0.5:
            lines.append((item_id, config["bin"], config["shop"], "transfer", reference))
        else:
            lines.append((item_id, config["bin"], config["customer"], "sale", reference))
    return lines


class ServiceRunner:
    """One worker posting through the service, inside its own app's app context."""

    def __init__(self, index: int, config: dict) -> None:
        from sqlalchemy import text

        from app.db import db
        from app.factory import create_app
        from inventory.ledger import Move, post_moves

        self.db, self.Move, self.post_moves = db, Move, post_moves
        self.config = config
        self.index = index
        self.rng = random.Random(f"service-{index}")
        self.prefix = f"BENCH-S-{config['tag']}-{index}-"
        self.n = 0
        self.committed = 0
        # Like the baseline, which keeps one connection and never pings it: no pre-ping per checkout. (Production
        # keeps pool_pre_ping on; it costs one more round trip, ~0.35 ms of CPU, per transaction: see the docs.)
        self.app = create_app(
            "testing",
            {"SQLALCHEMY_DATABASE_URI": config["url"], "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}},
        )
        self.context = self.app.app_context()
        self.context.push()
        self.backend_pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.commit()
        for _ in range(WARMUP_BATCHES):
            self.batch()

    def batch(self) -> float:
        self.n += 1
        lines = pick_lines(self.rng, self.config, f"{self.prefix}{self.n}")
        move = self.Move
        self.post_moves([move(item, frm, to, Decimal(1), reason, ref) for item, frm, to, reason, ref in lines])
        before_commit = time.perf_counter()
        self.db.session.commit()
        self.committed += 1
        return before_commit

    def recover(self) -> None:
        self.db.session.rollback()

    def close(self) -> None:
        self.db.session.remove()
        self.db.engine.dispose()
        self.context.pop()


class BaselineRunner:
    """One worker making the same writes with plain psycopg, no SQLAlchemy."""

    def __init__(self, index: int, config: dict) -> None:
        self.config = config
        self.index = index
        self.rng = random.Random(f"baseline-{index}")
        self.prefix = f"BENCH-B-{config['tag']}-{index}-"
        self.n = 0
        self.committed = 0
        self.tracked = {config["bin"], config["shop"]}
        self.costs = {int(k): Decimal(v) for k, v in config["costs"].items()}
        self.conn = psycopg.connect(libpq_url(config["url"]))
        self.backend_pid = self.conn.info.backend_pid
        for _ in range(WARMUP_BATCHES):
            self.batch()

    def batch(self) -> float:
        self.n += 1
        lines = pick_lines(self.rng, self.config, f"{self.prefix}{self.n}")
        deltas: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for item, frm, to, _reason, _ref in lines:
            if frm in self.tracked:
                deltas[(item, frm)] -= 1
            if to in self.tracked:
                deltas[(item, to)] += 1
        keys = sorted(deltas)
        conn = self.conn

        where = " OR ".join(["(item_id = %s AND location_id = %s AND lot_id IS NULL)"] * len(keys))
        rows = conn.execute(
            f"SELECT id, item_id, location_id, lot_id, quantity FROM stock_balance WHERE {where}"
            " ORDER BY item_id, location_id, lot_id NULLS FIRST FOR UPDATE",
            [v for key in keys for v in key],
        ).fetchall()
        balances = {(item, location): (bid, qty) for bid, item, location, _lot, qty in rows}
        for key in keys:
            if key not in balances or balances[key][1] + deltas[key] < 0:
                raise RuntimeError(f"baseline: no stock for {key}")  # the setup gives plenty; never expected

        ids = [balances[k][0] for k in keys]
        conn.execute(
            "UPDATE stock_balance SET quantity = quantity + CASE id"
            + " WHEN %s THEN %s" * len(keys)
            + f" END WHERE id IN ({', '.join(['%s'] * len(ids))})",
            [v for k in keys for v in (balances[k][0], deltas[k])] + ids,
        )

        now = datetime.now(UTC)  # what app.db.utcnow() gives post_moves
        values = []
        for item, frm, to, reason, ref in lines:
            values += [now, item, None, frm, to, Decimal(1), self.costs[item], reason, ref, None, None]
        conn.execute(
            f"INSERT INTO stock_move ({MOVE_COLUMNS}) VALUES "
            + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(lines))
            + " RETURNING id",
            values,
        ).fetchall()
        before_commit = time.perf_counter()
        conn.commit()
        self.committed += 1
        return before_commit

    def recover(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()


def setup(app) -> dict:
    """Locations, 50 items and their opening stock, committed; return what the workers need."""
    from app.db import db
    from inventory import services
    from inventory.ledger import Move, post_moves

    tag = secrets.token_hex(3).upper()  # unique codes, so a given BENCH_DATABASE_URL can be reused
    with app.app_context():
        warehouse = services.create_location(f"BW-{tag}", "Gudang uji", "warehouse")
        bin_ = services.create_location(f"BW-{tag}-1", "Rak uji", "bin", warehouse)
        shop = services.create_location(f"BS-{tag}", "Toko uji", "shop")
        supplier = services.create_location(f"BV-SUP-{tag}", "Pemasok uji", "supplier")
        customer = services.create_location(f"BV-CUS-{tag}", "Pelanggan uji", "customer")
        items = [
            services.create_item(
                {
                    "sku": f"B{tag}-{i:02d}",
                    "name_id": f"Barang uji {i}",
                    "name_en": f"Bench item {i}",
                    "category": "bench",
                    "base_unit": "piece",
                }
            )
            for i in range(ITEMS)
        ]
        # Opening stock in one post_moves call: plenty in the bin, and some in the shop so its balance
        # rows exist before the baseline (which only updates rows) runs.
        opening = [
            Move(item.id, supplier.id, to, qty, "opening", f"BENCH-OPEN-{tag}", unit_cost=Decimal(1000 + 25 * i))
            for i, item in enumerate(items)
            for to, qty in ((bin_.id, OPENING_BIN), (shop.id, OPENING_SHOP))
        ]
        post_moves(opening)
        db.session.commit()
        costs = {str(item.id): str(item.average_cost) for item in items}
        config = {
            "items": [item.id for item in items],
            "bin": bin_.id,
            "shop": shop.id,
            "customer": customer.id,
            "costs": costs,
            "tag": tag,
        }
        db.session.remove()
    return config


def check_ledger(app, tag: str, results: list[SideResult]) -> bool:
    """verify() must find no drift; and the moves in the ledger must match the batches the workers committed."""
    from sqlalchemy import func, select

    from app.db import db
    from inventory.ledger import verify
    from inventory.models import StockMove

    with app.app_context():
        drift = verify()
        ok = not drift
        print(f"ledger check: verify() returned {'[] (every balance equals the ledger)' if ok else drift[:5]}")
        if drift:
            print(f"  {len(drift)} balance rows drifted")
        for prefix, side in ((f"BENCH-B-{tag}-%", "baseline"), (f"BENCH-S-{tag}-%", "service")):
            committed = sum(r.committed for r in results if r.name == side)
            moves = db.session.scalar(select(func.count()).where(StockMove.reference.like(prefix)))
            match = moves == committed * LINES
            ok = ok and match
            print(
                f"ledger check: {side} committed {committed} batches (warm-up included), {moves} moves in the "
                f"ledger {'= 3 x batches' if match else f'!= 3 x {committed}'}"
            )
        db.session.remove()
    return ok


def run(url: str, app, seconds: float, workers: int, rounds: int = 1) -> None:
    print(f"\n== Stock ledger: posting a {LINES}-line batch ({workers} workers, {seconds:g} s per side) ==")
    config = {"url": url, **setup(app)}
    print(f"setup: {ITEMS} items (piece), opening stock {OPENING_BIN:,} each in one bin; warm-up {WARMUP_BATCHES}")
    print("order: " + ("baseline, then service" if rounds == 1 else f"baseline/service interleaved x{rounds}, best"))

    results: list[SideResult] = []
    for _ in range(rounds):
        results.append(run_side("baseline", BaselineRunner, config, workers, seconds))
        results.append(run_side("service", ServiceRunner, config, workers, seconds))
    print()
    print_table(results)
    best = {side: max((r for r in results if r.name == side), key=lambda r: r.rate) for side in ("baseline", "service")}
    if rounds > 1:
        print("best of each side:")
        print_table(list(best.values()))
    for r in results:
        if r.errors:
            print(f"\n{r.name}: {r.errors} failed batches; the first one:\n{r.first_error}")
    ratio = best["service"].rate / best["baseline"].rate if best["baseline"].rate else 0.0
    verdict = "target met" if ratio >= TARGET_RATIO else "target missed"
    print(f"\nratio service/baseline = {ratio:.2f} (target ≥ {TARGET_RATIO:.2f}): {verdict}")
    cost = {side: r.cpu_per_batch_ms for side, r in best.items()}
    if cost["baseline"] and cost["service"]:
        print(
            f"CPU per batch (worker + its PG backend): baseline {cost['baseline']:.2f} ms, service "
            f"{cost['service']:.2f} ms; their ratio {cost['baseline'] / cost['service']:.2f} is the rate ratio "
            "to expect when the cores are the limit"
        )
    check_ledger(app, config["tag"], results)
