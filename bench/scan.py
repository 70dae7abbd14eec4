"""Scan look-ups (issue 15): what a till's and a storeman's scan costs, against a trivial endpoint in the same stack.

One gunicorn (`bench.hello_wsgi:app`: the production app, `LUMBUNG_ENV=production`, with one bench-only route
`GET /_bench/hello` added before it serves) on a free local port; N client processes (4 by default here), each with
an `http.client` connection and its own cashier's bearer token, send one kind of request as fast as they are answered:

- hello:          `GET /_bench/hello` without a token: Flask's and gunicorn's floor (hooks, JSON answer, no SQL).
- hello+token:    the same with the cashier's bearer token (for reading): the floor plus the token's look-up, which
                  every API request makes (app/auth.py), in the request's transaction.
- member:         `GET /api/sales/scan?code=KKMP-000001`: a member card at the till (`orders.cart.identify`).
- product:        `GET /api/sales/scan?code=<EAN of SPHP 5 kg>`: a product barcode at the till.
- receipt:        `GET /api/sales/scan?code=<a receipt number>`: a receipt brought back (for a return).
- stock:          `GET /api/stock/scan?code=<the same EAN>`: the storeman's scan (`inventory.services.look_up_scan`).

Each side runs `seconds`, with 50 warm-up requests per client; an answer counts when it is a 200 with the expected kind.
Printed for reading: the same requests through Flask's test client in this process (CPU and statements per request).
Targets (issue 15): every scan side's rate / hello's rate ≥ 0.5, and its p99 ≤ 5 ms, at 4 clients.
"""

import json
import os
import secrets
import time
import uuid
from urllib.parse import quote

from bench.common import HttpRunner, SideResult, run_side
from bench.sale import DEFAULT_WEB_WORKERS, WebServer, _probes

DEFAULT_CLIENTS = 4
WARMUP_REQUESTS = 50
TARGET_RATIO = 0.5
TARGET_P99_MS = 5.0
SIDES = ("hello", "hello+token", "member", "product", "receipt", "stock")
SCANS = ("member", "product", "receipt", "stock")
PRODUCT_SKU, PRODUCT_PACKAGING = "SPHP5", "Pak 5 kg"
PROFILE_REQUESTS = 200  # per side and round, for the in-process reading
PROFILE_ROUNDS = 5


# --- the clients -------------------------------------------------------------------------------------------


class ScanRunner(HttpRunner):
    """One client: GETs its side's path with its cashier's token (none for hello) and checks the answer's kind."""

    def __init__(self, index: int, config: dict) -> None:
        self.path, self.kind = config["path"], config["kind"]
        self.headers = {"Accept": "application/json"}
        if config["with_token"]:
            self.headers["Authorization"] = f"Bearer {config['tokens'][index]}"
        super().__init__(config["port"], WARMUP_REQUESTS)

    def request(self) -> tuple[str, str, bytes | None, dict]:
        return "GET", self.path, None, self.headers

    def check(self, data: bytes) -> None:
        if self.kind is not None and json.loads(data).get("kind") != self.kind:
            raise RuntimeError(f"GET {self.path} answered {data[:500].decode(errors='replace')}")


# --- setup -------------------------------------------------------------------------------------------------


def setup(app, clients: int) -> dict:
    """The demo cooperative, a cashier with an API token per client, and one sale (for its receipt); committed.
    Return the codes each side scans and the tokens."""
    from sqlalchemy import select

    import demo
    from app import auth
    from app.db import db
    from inventory.models import Barcode, Item, Location, Packaging
    from members.models import Member
    from orders import tills

    tag = secrets.token_hex(3).upper()  # unique names, so a given BENCH_DATABASE_URL can be reused
    with app.app_context():
        demo.load_demo()
        users, tokens = [], []
        for i in range(clients):
            user = auth.create_user(f"scan-{tag.lower()}-{i + 1}", f"Kasir pindai {i + 1}", "cashier", "bench-pass-1")
            users.append(user)
            tokens.append(auth.issue_api_token(user, "bench"))
        shop = db.session.scalar(select(Location).where(Location.code == "TKO"))
        till = tills.create_till(f"S{tag}", "Kasir pindai", shop)
        tills.open_session(till, users[0], 0)
        member = db.session.scalar(select(Member).where(Member.status == "active").order_by(Member.member_number))
        ean = db.session.scalar(
            select(Barcode.code)
            .join(Packaging, Packaging.id == Barcode.packaging_id)
            .join(Item, Item.id == Packaging.item_id)
            .where(Item.sku == PRODUCT_SKU, Packaging.name == PRODUCT_PACKAGING)
        )
        pouch = db.session.scalar(
            select(Packaging.id)
            .join(Item, Item.id == Packaging.item_id)
            .where(Item.sku == "MKITA1", Packaging.for_sale)
        )
        member_number = member.member_number
        db.session.commit()
        sale = app.test_client().post(  # a walk-in sale of one pouch: its receipt is what the receipt side scans
            "/api/sales",
            json={
                "till": till.code,
                "member": None,
                "lines": [{"packaging_id": pouch, "quantity": "1"}],
                "payments": [{"method": "cash", "tendered": 50_000}],
            },
            headers={"Authorization": f"Bearer {tokens[0]}", "Idempotency-Key": str(uuid.uuid4())},
        )
        if sale.status_code != 201:
            raise RuntimeError(f"setup: the sale answered {sale.status_code}: {sale.get_data(as_text=True)[:500]}")
        receipt = sale.get_json()["receipt_number"]
        db.session.remove()
    return {"tokens": tokens, "codes": {"member": member_number, "product": ean, "receipt": receipt, "stock": ean}}


def side_config(side: str, setup_config: dict, port: int) -> dict:
    """What one side's clients request, and the kind its answers must have."""
    codes = setup_config["codes"]
    if side in ("hello", "hello+token"):
        path, kind = "/_bench/hello", None
    elif side == "stock":
        path, kind = f"/api/stock/scan?code={quote(codes['stock'])}", "item"
    else:
        path, kind = f"/api/sales/scan?code={quote(codes[side])}", "item" if side == "product" else side
    return {"port": port, "path": path, "kind": kind, "with_token": side != "hello", "tokens": setup_config["tokens"]}


# --- for reading: the same requests in this process ---------------------------------------------------------


def in_process(url: str, redis_url: str, setup_config: dict) -> dict[str, tuple[float, float]]:
    """{side: (CPU ms per request, SQL statements per request)} through Flask's test client on the production app
    in this process (no HTTP, no gunicorn), warm; the sides interleaved PROFILE_ROUNDS times, each one's least CPU
    kept (the machine is shared: the least is the one others disturbed least)."""
    from sqlalchemy import event

    from app.db import db
    from app.factory import create_app

    web = create_app(
        "production",
        {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url, "SECRET_KEY": secrets.token_hex(32)},
    )
    web.add_url_rule("/_bench/hello", "bench_hello", lambda: {"hello": "world"})
    client = web.test_client()
    statements: list[int] = []
    with web.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *_args: statements.append(1))
    out: dict[str, tuple[float, float]] = {}
    try:
        for _ in range(PROFILE_ROUNDS):
            for side in SIDES:
                config = side_config(side, setup_config, 0)
                headers = {"Accept": "application/json"}
                if config["with_token"]:
                    headers["Authorization"] = f"Bearer {setup_config['tokens'][0]}"
                for _ in range(WARMUP_REQUESTS):
                    client.get(config["path"], headers=headers)
                statements.clear()
                began = time.process_time()
                for _ in range(PROFILE_REQUESTS):
                    response = client.get(config["path"], headers=headers)
                    if response.status_code != 200:
                        raise RuntimeError(f"in process: {config['path']} answered {response.status_code}")
                cpu_ms = (time.process_time() - began) * 1000 / PROFILE_REQUESTS
                if side not in out or cpu_ms < out[side][0]:
                    out[side] = (cpu_ms, len(statements) / PROFILE_REQUESTS)
    finally:
        with web.app_context():
            db.engine.dispose()
    return out


# --- running and printing ----------------------------------------------------------------------------------


class ScanServer(WebServer):
    """gunicorn serving bench.hello_wsgi:app (the production app and its hello route)."""

    def start(self) -> float:
        command = ["gunicorn", "--workers", str(self.workers), "--worker-class", self.worker_class]
        command += ["--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "bench.hello_wsgi:app"]
        return self.spawn(command, lambda: len(self.worker_pids()) == self.workers and self._answers())


def print_table(results: list[SideResult]) -> None:
    header = (
        f"{'side':<12} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'client CPU':>11} {'app CPU':>8} {'PG CPU':>7} {'CPU busy':>9} {'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        per = 1000 / r.batches if r.batches else float("nan")
        app, server = r.probe_cpu_s.get("web"), r.probe_cpu_s.get("web PG")
        app_text = "n/a" if app is None else f"{app * per:.2f}"
        server_text = "n/a" if server is None else f"{server * per:.2f}"
        busy = "n/a" if r.machine_busy is None else f"{r.machine_busy:.0%}"
        print(
            f"{r.name:<12} {r.batches:>9} {r.rate:>8.1f} {r.percentile(50):>7.2f} {r.percentile(99):>7.2f}"
            f" {r.percentile(100):>7.2f} {r.client_cpu_s * per:>11.2f} {app_text:>8} {server_text:>7} {busy:>9}"
            f" {r.errors:>7}"
        )
    print("(CPU ms per request: client = the HTTP load generator; app = the gunicorn workers; PG = their PostgreSQL")
    print(" backends; CPU busy: all cores, other processes included)")


def run(
    url: str,
    app,
    seconds: float,
    workers: int = DEFAULT_CLIENTS,
    rounds: int = 1,
    web_workers: int = DEFAULT_WEB_WORKERS,
) -> dict[str, float]:
    """Run the sides (`rounds` times, interleaved, best kept) and print them; return {side: ratio to hello}."""
    print(
        f"\n== Scan look-up: scans at the till and in the store against a hello endpoint ({workers} clients, gunicorn "
        f"{web_workers} sync workers, {seconds:g} s per side) =="
    )
    load_before = os.getloadavg()[0]
    config = setup(app, workers)
    codes = config["codes"]
    print(
        f"setup: demo + {workers} cashiers with API tokens, one walk-in sale; codes: member {codes['member']}, "
        f"product {codes['product']} ({PRODUCT_SKU} {PRODUCT_PACKAGING}), receipt {codes['receipt']}"
    )
    web = ScanServer(url, web_workers)
    results: list[SideResult] = []
    probe_conn = None
    try:
        started = web.start()
        print(
            f"gunicorn: bench.hello_wsgi:app, {web_workers} sync workers on 127.0.0.1:{web.port}, up in {started:.1f} s"
        )
        probes, probe_conn = _probes(web, url)
        print("order: " + (", ".join(SIDES) if rounds == 1 else f"{', '.join(SIDES)} interleaved x{rounds}, best"))
        for _ in range(rounds):
            for side in SIDES:
                results.append(
                    run_side(side, ScanRunner, side_config(side, config, web.port), workers, seconds, probes)
                )
    finally:
        if probe_conn is not None:
            probe_conn.close()
        web.stop()

    print()
    print(f"load average (1 min) of the machine: {load_before:.1f} before the setup, {os.getloadavg()[0]:.1f} now")
    print_table(results)
    best = {side: max((r for r in results if r.name == side), key=lambda r: r.rate) for side in SIDES}
    if rounds > 1:
        print("best of each side:")
        print_table(list(best.values()))
    for r in results:
        if r.errors:
            print(f"\n{r.name}: {r.errors} failed requests; the first one:\n{r.first_error}")

    reading = in_process(url, web.redis_url, config)
    print(
        f"\nfor reading, in this process (Flask's test client on the production app, no HTTP, no gunicorn; least of "
        f"{PROFILE_ROUNDS} rounds of {PROFILE_REQUESTS}):"
    )
    for side, (ms, statements) in reading.items():
        print(f"  {side:<12} {ms:6.2f} CPU ms, {statements:.0f} SQL statements per request")
    token_ms = reading["hello+token"][0] - reading["hello"][0]
    print(f"  the bearer token's look-up (hello+token - hello): {token_ms:.2f} CPU ms a request")

    hello = best["hello"]
    ratios = {}
    print()
    for side in SCANS:
        r = best[side]
        ratio = r.rate / hello.rate if hello.rate else 0.0
        ratios[side] = ratio
        p99 = r.percentile(99)
        met = ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS
        print(
            f"{side:<8} ratio {side}/hello = {ratio:.2f} (target ≥ {TARGET_RATIO:.2f}), p99 = {p99:.2f} ms "
            f"(target ≤ {TARGET_P99_MS:g} ms): {'targets met' if met else 'target missed'}"
        )
    with_token = best["hello+token"]
    if hello.rate and with_token.rate:
        print(
            f"for reading: hello+token/hello = {with_token.rate / hello.rate:.2f} (the bearer token's look-up alone); "
            + ", ".join(f"{side}/hello+token = {best[side].rate / with_token.rate:.2f}" for side in SCANS)
        )
    cost = {side: _cpu_per_request(r) for side, r in best.items()}
    if all(cost.values()):
        print(
            "CPU ms per request (load generator, gunicorn workers, PostgreSQL backends): "
            + ", ".join(f"{side} {ms:.2f}" for side, ms in cost.items())
        )
        print(
            "hello/scan CPU, the rate ratio to expect when the cores are the limit: "
            + ", ".join(f"{side} {cost['hello'] / cost[side]:.2f}" for side in SCANS)
        )
    return ratios


def _cpu_per_request(r: SideResult) -> float | None:
    """CPU ms per request of every process a side runs on: the clients, the gunicorn workers, their backends."""
    if not r.batches or "web" not in r.probe_cpu_s or "web PG" not in r.probe_cpu_s:
        return None
    return (r.client_cpu_s + r.probe_cpu_s["web"] + r.probe_cpu_s["web PG"]) * 1000 / r.batches
