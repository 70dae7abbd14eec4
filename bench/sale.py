"""A 3-line member sale: `POST /api/sales` over HTTP to gunicorn, against the same sale written in raw SQL.

The sale (every side sells the same one): a member (so member prices, and a subsidised item recorded with the
member's NIK) buys 1 pack of SPHP rice 5 kg (lot-tracked, capped per NIK per day, subsidised), 1 pouch of
MinyaKita 1 L (lot-tracked) and 2.5 kg of loose medium rice, paying cash. Each client has its own till, cashier
(with an API token) and member; all of them sell from the same three shelf balance rows, as the tills of one shop
do, so their sales queue for those rows' locks from the ledger's lock to COMMIT.

- service:    N client processes, each with an `http.client` connection, posting to gunicorn (sync workers, which
  close the connection after each answer, so the client reconnects) serving the production app (`wsgi:app`,
  LUMBUNG_ENV=production: pool pre-ping on, as deployed), with its cashier's bearer token, a fresh UUID as the
  Idempotency-Key and a JSON body; a sale counts when the answer is 201.
- baseline:   the same writes in plain psycopg, one transaction on one held connection per client, in the
  service's order: the receipt number (UPDATE till ... RETURNING), the cap (the same conditional upsert), the
  shelf rows picked first-expiring first and locked (one SELECT ... FOR UPDATE), the balances' update with the
  moves' insert (the ledger's one statement), the sale, its 3 lines (one INSERT), the payment, the subsidy record,
  the idempotency key with the response body, COMMIT: 9 statements and COMMIT. What cannot change during the run
  it knows from the setup (the user, member, prices, ceiling, cap rule, item units and costs, the shop's shelves)
  and does not read; it does not take the idempotency key's advisory lock nor look the key up.
- sql-mirror: the 17 statements (and COMMIT) the service sent for one sale before issue 15, written by hand in
  psycopg, in its order: the token, the key's advisory lock and look-up, the member, the prices with the ceiling,
  the cap rules, the unlocked first-expiring-first read, the ledger's facts read and its lock, then the writes one
  INSERT per table. Kept as it was, for comparing with the earlier figures; the service now sends 10 (the
  baseline's writes with the sale's rows in one statement, and 4 reads: the token's user, the key's claim and
  stored answer, the settings, the cart's facts; tests/orders/test_sales_api.py names them).
- service xN: with --instances N (2 by default), the service side again for 2..N gunicorn instances (each with its
  own port and --web-workers workers), the clients round-robin over them: how the rate grows with web processes.

The demo's SPHP cap (2 packs a day per NIK) would refuse a member's third sale: in the bench database it is
switched off and replaced by the same rule (per NIK, per day) with a maximum no run reaches, so every sale still
raises its cap usage row with the same conditional upsert.
"""

import hashlib
import http.client
import json
import os
import secrets
import socket
import threading
import time
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from bench.common import AppProcess, HttpRunner, SideResult, libpq_url, process_cpu_seconds, run_side

ROOT = Path(__file__).resolve().parent.parent
LINES = (("SPHP5", "Pak 5 kg", "1"), ("MKITA1", "Pouch 1 L", "1"), ("BRS-MED", "Per kg", "2.5"))
STOCK = (  # sku, shelf, lot, expiry, unit cost: the demo's shop rows, topped up so no sale runs out
    ("SPHP5", "TKO-R1", "SPHP-2610B", date(2027, 3, 31), 56500),
    ("MKITA1", "TKO-R2", "MK-2609", date(2027, 9, 30), 13800),
    ("BRS-MED", "TKO-R2", None, None, 12400),
)
OPENING = Decimal(1_000_000)
BENCH_CAP = Decimal(100_000_000)  # the SPHP rule for the bench: same scope and period, a maximum never reached
TENDERED = 200_000
WARMUP_SALES = 30
TARGET_RATIO = 0.5
TARGET_P99_TIMES_BASELINE = 3.0  # issue 15: the service's p99 at most 3x the baseline's in the same run
TARGET_APP_CPU_MS = 6.0  # issue 15: CPU of the gunicorn workers per sale
DEFAULT_WEB_WORKERS = 4  # gunicorn sync workers on this 2-core machine (see docs/performance.md)
DEFAULT_INSTANCES = 2  # gunicorn instances for the "service x2" side (issue 15: many web processes)
WEB_APP_NAME = "lumbung-bench-web"  # application_name of the web workers' PostgreSQL connections
SQL_APP_NAME = "lumbung-bench-sql"  # and of the raw-SQL sides' connections
ZONE = ZoneInfo("Asia/Makassar")  # the app's BABEL_DEFAULT_TIMEZONE: caps count by the local date
UNIT_PLACES = {"pack": 0, "piece": 0, "cylinder": 0, "kg": 3}


# --- the service side: HTTP clients ----------------------------------------------------------------------


class ServiceRunner(HttpRunner):
    """One till: a keep-alive HTTP connection posting sales with its own cashier's token."""

    expected_status = 201

    def __init__(self, index: int, config: dict) -> None:
        self.client = config["clients"][index]
        ports = config.get("ports") or [config["port"]]  # several gunicorn instances: the clients round-robin
        self.body = json.dumps(
            {
                "till": self.client["till"],
                "member": self.client["member"],
                "lines": [{"packaging_id": pid, "quantity": qty} for pid, qty in config["lines"]],
                "payments": [{"method": "cash", "tendered": TENDERED}],
            }
        ).encode()
        self.headers = {
            "Authorization": f"Bearer {self.client['token']}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        super().__init__(ports[index % len(ports)], WARMUP_SALES)

    def request(self) -> tuple[str, str, bytes | None, dict]:
        return "POST", "/api/sales", self.body, {**self.headers, "Idempotency-Key": str(uuid.uuid4())}


# --- the raw-SQL sides -------------------------------------------------------------------------------------

RAISE_TILL = (
    "UPDATE till SET receipt_seq = till.receipt_seq + 1 WHERE till.code = %s AND till.is_active AND EXISTS"
    " (SELECT 1 FROM till_session s WHERE s.till_id = till.id AND s.closed_at IS NULL AND s.cashier_id = %s)"
    " RETURNING till.id, till.location_id, till.code, till.receipt_seq,"
    " (SELECT s.id FROM till_session s WHERE s.till_id = till.id AND s.closed_at IS NULL)"
)
RAISE_CAP = (
    "INSERT INTO cap_usage (rule_id, buyer_key, period_key, used) VALUES (%s, %s, %s, %s)"
    " ON CONFLICT (rule_id, buyer_key, period_key) DO UPDATE SET used = cap_usage.used + excluded.used"
    " WHERE cap_usage.used + excluded.used <= %s RETURNING id"
)
FEFO_ORDER = "b.item_id, l.expiry_date IS NULL, l.expiry_date, b.lot_id IS NULL, b.lot_id, b.location_id"
PICK_AND_LOCK = (  # baseline: pick first-expiring first and lock the rows in one statement
    "SELECT b.id, b.item_id, b.location_id, b.lot_id, b.quantity FROM stock_balance b"
    " LEFT JOIN lot l ON l.id = b.lot_id"
    " WHERE b.item_id = ANY(%s) AND b.location_id = ANY(%s) AND b.quantity > 0"
    f" ORDER BY {FEFO_ORDER} FOR UPDATE OF b"
)
MOVE_COLUMNS = (
    "posted_at, user_id, item_id, lot_id, from_location_id, to_location_id, quantity, unit_cost, reason, reference,"
    " reverses_move_id"
)
WRITE_LEDGER = (  # the ledger's one statement on PostgreSQL: balances' update and moves' insert
    "WITH changed AS (UPDATE stock_balance AS b SET quantity = b.quantity + v.delta"
    " FROM unnest(%s::integer[], %s::numeric[]) AS v(id, delta) WHERE b.id = v.id)"
    f" INSERT INTO stock_move ({MOVE_COLUMNS}) SELECT %s::timestamptz, %s::integer, m.* FROM unnest(%s::integer[],"
    " %s::integer[], %s::integer[], %s::integer[], %s::numeric[], %s::numeric[], %s::varchar[], %s::varchar[],"
    " %s::integer[]) AS m RETURNING id"
)
INSERT_SALE = (
    "INSERT INTO sale (client_key, receipt_number, till_id, session_id, cashier_id, sold_at, sale_date, price_list,"
    " member_id, buyer_name, buyer_nik, buyer_kk, buyer_category, total, change, caps_taken, copies_printed)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, 'member', %s, %s, %s, %s, %s, %s, %s, %s, 0) RETURNING id"
)
INSERT_LINES = (
    "INSERT INTO sale_line (sale_id, line_no, kind, item_id, packaging_id, quantity, base_quantity, unit_price,"
    " amount, empties_in, returned_quantity, from_location_id) VALUES "
    + ", ".join(["(%s, %s, 'goods', %s, %s, %s, %s, %s, %s, 0, 0, %s)"] * len(LINES))
    + " RETURNING id"
)
INSERT_PAYMENT = (
    "INSERT INTO payment (sale_id, return_id, session_id, method, amount, tendered, reference)"
    " VALUES (%s, NULL, %s, 'cash', %s, %s, '') RETURNING id"
)
INSERT_SUBSIDY = (
    "INSERT INTO subsidy_record (sale_id, return_id, item_id, sale_date, nik, kk_number, category, buyer_name,"
    " is_member, quantity, unit_price) VALUES (%s, NULL, %s, %s, %s, %s, %s, %s, true, %s, %s) RETURNING id"
)
INSERT_KEY = (
    "INSERT INTO idempotency_key (user_id, key, fingerprint, status_code, content_type, location, response_body,"
    " created_at) VALUES (%s, %s, %s, 201, 'application/json', NULL, %s, %s) RETURNING id"
)
# The sql-mirror side's reads, as the service sends them.
READ_TOKEN = (
    "SELECT t.id, t.user_id, t.revoked_at, u.id, u.username, u.full_name, u.role, u.is_active, u.locale"
    " FROM api_token t JOIN user_account u ON u.id = t.user_id WHERE t.token_hash = %s"
)
CLAIM_KEY = "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))"
READ_KEY = "SELECT id, fingerprint, status_code, response_body FROM idempotency_key WHERE user_id = %s AND key = %s"
READ_MEMBER = (
    "SELECT id, member_number, full_name, nik, kk_number, category, status FROM member WHERE member_number = %s"
)
READ_PACKAGINGS = (
    "SELECT p.id, p.factor, p.for_sale, i.id, i.sku, i.name_id, i.base_unit, i.is_subsidised, i.is_active,"
    " i.empty_item_id,"
    " (SELECT pr.amount FROM price pr WHERE pr.packaging_id = p.id AND pr.price_list = 'member'"
    " AND pr.valid_from <= %s ORDER BY pr.valid_from DESC LIMIT 1),"
    " (SELECT c.amount_per_unit FROM ceiling c WHERE c.item_id = i.id AND c.zone = %s AND c.valid_from <= %s"
    " ORDER BY c.valid_from DESC LIMIT 1),"
    " (SELECT s.id FROM packaging s WHERE s.item_id = i.empty_item_id AND s.for_sale ORDER BY s.factor, s.id LIMIT 1),"
    " (SELECT loc.id FROM location loc WHERE loc.kind = 'customer' ORDER BY loc.id LIMIT 1)"
    " FROM packaging p JOIN item i ON i.id = p.item_id WHERE p.id = ANY(%s)"
)
READ_CAP_RULES = (
    "SELECT id, item_id, scope, period, buyer_category, max_quantity FROM cap_rule"
    " WHERE item_id = ANY(%s) AND is_active AND valid_from <= %s ORDER BY id"
)
READ_SHOP_STOCK = (  # the service's first-expiring-first read, not locked
    "WITH RECURSIVE tree(id) AS (SELECT id FROM location WHERE id = %s UNION ALL"
    " SELECT location.id FROM location, tree WHERE location.parent_id = tree.id"
    " AND location.kind NOT IN ('quarantine', 'in_transit', 'supplier', 'customer', 'loss'))"
    " SELECT b.item_id, b.location_id, b.lot_id, b.quantity FROM stock_balance b LEFT JOIN lot l ON l.id = b.lot_id"
    f" WHERE b.item_id = ANY(%s) AND b.location_id IN (SELECT id FROM tree) AND b.quantity > 0 ORDER BY {FEFO_ORDER}"
)
READ_FACTS = (
    "SELECT 'location', id, kind, name, NULL::numeric FROM location WHERE id = ANY(%s)"
    " UNION ALL SELECT 'item', id, base_unit, name_id, average_cost FROM item WHERE id = ANY(%s)"
)
LOCK_BALANCES = (  # the ledger's lock: every row of these items at these locations, in (item, location, lot) order
    "SELECT id, item_id, location_id, lot_id, quantity FROM stock_balance"
    " WHERE item_id = ANY(%s) AND location_id = ANY(%s) ORDER BY item_id, location_id, lot_id NULLS FIRST FOR UPDATE"
)


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


class SqlRunner:
    """One till selling in plain psycopg on one held connection; the lean baseline, or (mirror=True) every
    statement the service sends."""

    mirror = False

    def __init__(self, index: int, config: dict) -> None:
        self.config = config
        self.client = config["clients"][index]
        self.user_id = self.client["user_id"]
        self.member = self.client["member_row"]
        self.lines = [dict(line) for line in config["sql_lines"]]  # packaging, item, quantity, price, ...
        self.items = {line["item_id"]: line for line in self.lines}
        self.committed = 0
        self.key_prefix = ("mirror-" if self.mirror else "sql-") + f"{index}-"
        self.conn = psycopg.connect(libpq_url(config["url"]), application_name=SQL_APP_NAME)
        self.backend_pid = self.conn.info.backend_pid
        for _ in range(WARMUP_SALES):
            self.batch()

    def batch(self) -> float:
        key = self.key_prefix + str(uuid.uuid4())
        request = {
            "till": self.client["till"],
            "member": self.client["member"],
            "lines": [{"packaging_id": ln["packaging_id"], "quantity": str(ln["quantity"])} for ln in self.lines],
            "payments": [{"method": "cash", "tendered": TENDERED}],
        }
        canonical = json.dumps(request, sort_keys=True, separators=(",", ":")).encode()
        fingerprint = hashlib.sha256(b"POST /api/sales\n" + canonical).hexdigest()
        now = datetime.now(UTC)
        day = now.astimezone(ZONE).date()
        conn = self.conn
        if self.mirror:
            self._mirror_reads(key, day)

        till_id, location_id, till_code, seq, session_id = conn.execute(
            RAISE_TILL, (self.client["till"], self.user_id)
        ).fetchone()
        receipt = f"{till_code}-{seq:06d}"
        member = self.member
        capped = self.items[self.config["cap"]["item_id"]]
        usage = conn.execute(
            RAISE_CAP,
            (self.config["cap"]["rule_id"], member["nik"], day.isoformat(), capped["base_quantity"], BENCH_CAP),
        ).fetchone()
        if usage is None:
            raise RuntimeError("sql: cap reached")  # the bench's cap is never reached
        item_ids = sorted(self.items)

        # Pick first-expiring first, lock, check, then update the balances and insert the moves.
        if self.mirror:
            stock = conn.execute(READ_SHOP_STOCK, (location_id, item_ids)).fetchall()
            picks = self._pick([(None, item, loc, lot, qty) for item, loc, lot, qty in stock])
            locations = sorted({loc for loc, _lot, _q in picks.values()})
            conn.execute(READ_FACTS, (locations + [self.config["customer"]], item_ids)).fetchall()
            rows = conn.execute(LOCK_BALANCES, (item_ids, locations)).fetchall()
            ids = {(item, loc, lot): (bid, qty) for bid, item, loc, lot, qty in rows}
        else:
            rows = conn.execute(PICK_AND_LOCK, (item_ids, self.config["shop_tree"])).fetchall()
            picks = self._pick(rows)
            ids = {(item, loc, lot): (bid, qty) for bid, item, loc, lot, qty in rows}
        deltas = {}
        for item_id, (loc, lot, qty) in picks.items():
            bid, available = ids[(item_id, loc, lot)]
            if available < qty:
                raise RuntimeError(f"sql: not enough of item {item_id}")  # the setup gives plenty
            deltas[bid] = -qty
        moves = [(ln["item_id"], *picks[ln["item_id"]]) for ln in self.lines]
        move_ids = conn.execute(  # the balances' update and the moves' insert in one statement, as the ledger does
            WRITE_LEDGER,
            (
                list(deltas),
                list(deltas.values()),
                now,
                self.user_id,
                [m[0] for m in moves],
                [m[2] for m in moves],
                [m[1] for m in moves],
                [self.config["customer"]] * len(moves),
                [m[3] for m in moves],
                [self.items[m[0]]["average_cost"] for m in moves],
                ["sale"] * len(moves),
                [receipt] * len(moves),
                [None] * len(moves),
            ),
        ).fetchall()
        assert len(move_ids) == len(LINES)

        # The sale, its lines, the payment, the subsidy record.
        total = sum(ln["amount"] for ln in self.lines)
        change = TENDERED - total
        caps_taken = json.dumps([[usage[0], capped["item_id"], str(capped["base_quantity"])]])
        sale_id = conn.execute(
            INSERT_SALE,
            (
                key,
                receipt,
                till_id,
                session_id,
                self.user_id,
                now,
                day,
                member["id"],
                member["full_name"],
                member["nik"],
                member["kk_number"],
                member["category"],
                total,
                change,
                caps_taken,
            ),
        ).fetchone()[0]
        values = []
        for n, ln in enumerate(self.lines, 1):
            values += [sale_id, n, ln["item_id"], ln["packaging_id"], ln["quantity"], ln["base_quantity"]]
            values += [ln["unit_price"], ln["amount"], picks[ln["item_id"]][0]]
        line_ids = [r[0] for r in conn.execute(INSERT_LINES, values).fetchall()]
        conn.execute(INSERT_PAYMENT, (sale_id, session_id, total, TENDERED)).fetchone()
        conn.execute(
            INSERT_SUBSIDY,
            (
                sale_id,
                capped["item_id"],
                day,
                member["nik"],
                member["kk_number"],
                member["category"],
                member["full_name"],
                capped["base_quantity"],
                capped["unit_price"],
            ),
        ).fetchone()

        # The answer, stored with the key as the service stores its response body.
        body = json.dumps(self._answer(sale_id, receipt, now, day, total, change, line_ids), sort_keys=True)
        conn.execute(INSERT_KEY, (self.user_id, key, fingerprint, body, now)).fetchone()
        before_commit = time.perf_counter()
        conn.commit()
        self.committed += 1
        return before_commit

    def _mirror_reads(self, key: str, day: date) -> None:
        """The reads the service makes before its first write, with the same answers used for nothing more."""
        conn = self.conn
        token = conn.execute(READ_TOKEN, (hashlib.sha256(self.client["token"].encode()).hexdigest(),)).fetchone()
        if token is None or token[2] is not None or not token[7]:
            raise RuntimeError("sql-mirror: token refused")
        if not conn.execute(CLAIM_KEY, (f"idem:{self.user_id}:{key}",)).fetchone()[0]:
            raise RuntimeError("sql-mirror: key in flight")
        if conn.execute(READ_KEY, (self.user_id, key)).fetchone() is not None:
            raise RuntimeError("sql-mirror: key replayed")
        member = conn.execute(READ_MEMBER, (self.client["member"],)).fetchone()
        if member is None or member[6] != "active":
            raise RuntimeError("sql-mirror: not an active member")
        zone = self.config["zone"]
        rows = conn.execute(READ_PACKAGINGS, (day, zone, day, [ln["packaging_id"] for ln in self.lines])).fetchall()
        for row in rows:
            price, ceiling = row[10], row[11]
            if price is None or (ceiling is not None and Decimal(price) > Decimal(ceiling) * row[1]):
                raise RuntimeError("sql-mirror: price above the ceiling")
        conn.execute(READ_CAP_RULES, (sorted(self.items), day)).fetchall()

    def _pick(self, rows) -> dict[int, tuple[int, int | None, Decimal]]:
        """First-expiring first: each item's quantity from its first row with enough (the setup gives plenty)."""
        picks = {}
        for _bid, item_id, loc, lot, qty in rows:
            if item_id not in picks and qty >= self.items[item_id]["base_quantity"]:
                picks[item_id] = (loc, lot, self.items[item_id]["base_quantity"])
        if len(picks) != len(self.items):
            raise RuntimeError("sql: not enough stock at the shop")
        return picks

    def _answer(self, sale_id, receipt, now, day, total, change, line_ids) -> dict:
        member = self.member
        text = [receipt, now.astimezone(ZONE).strftime("%d-%m-%Y %H:%M"), member["member_number"], member["full_name"]]
        for ln in self.lines:
            text += [ln["name"], f"  {ln['quantity']} x {_money(ln['unit_price'])}".ljust(24) + _money(ln["amount"])]
        text += [f"TOTAL {_money(total)}", f"Tunai {_money(TENDERED)}", f"Kembali {_money(change)}"]
        return {
            "id": sale_id,
            "receipt_number": receipt,
            "till": self.client["till"],
            "sold_at": now.isoformat(),
            "sale_date": day.isoformat(),
            "price_list": "member",
            "member": {k: member[k] for k in ("member_number", "full_name", "category")},
            "buyer_nik": member["nik"],
            "total": total,
            "change": change,
            "lines": [
                {
                    "id": line_id,
                    "line_no": n,
                    "sku": ln["sku"],
                    "packaging_id": ln["packaging_id"],
                    "quantity": str(ln["quantity"]),
                    "unit_price": ln["unit_price"],
                    "amount": ln["amount"],
                }
                for n, (line_id, ln) in enumerate(zip(line_ids, self.lines, strict=True), 1)
            ],
            "payments": [{"method": "cash", "amount": total, "tendered": TENDERED}],
            "receipt_text": "\n".join(text),
        }

    def recover(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()


class MirrorRunner(SqlRunner):
    mirror = True


# --- setup -------------------------------------------------------------------------------------------------


def setup(app, clients: int) -> dict:
    """The demo cooperative, plenty of stock on the shop's shelves, the bench's SPHP cap, and per client a till
    open by its own cashier (with an API token) and a member; committed. Return what the clients need."""
    from sqlalchemy import select

    import demo
    from app import auth
    from app.db import db
    from inventory import services
    from inventory.ledger import Move, post_moves
    from inventory.models import Item, Location
    from members.services import register_member, today
    from orders import caps, pricing, tills
    from orders.models import CapRule

    tag = secrets.token_hex(3).upper()  # unique names, so a given BENCH_DATABASE_URL can be reused
    with app.app_context():
        demo.load_demo()
        locations = {loc.code: loc for loc in db.session.scalars(select(Location))}
        items = {item.sku: item for item in db.session.scalars(select(Item))}

        moves = []
        for sku, shelf, lot_code, expiry, cost in STOCK:
            lot = services.get_or_create_lot(items[sku], lot_code, expiry) if lot_code else None
            moves.append(
                Move(
                    items[sku].id,
                    locations["V-PEMASOK"].id,
                    locations[shelf].id,
                    OPENING,
                    "opening",
                    f"BENCH-OPEN-{tag}",
                    lot_id=lot.id if lot else None,
                    unit_cost=Decimal(cost),
                )
            )
        post_moves(moves)

        sphp = items["SPHP5"]
        for rule in db.session.scalars(select(CapRule).where(CapRule.item_id == sphp.id, CapRule.is_active)):
            caps.set_active(rule, False)
        rule = caps.add_rule(f"Batas SPHP uji {tag}", sphp, "nik", "day", BENCH_CAP, date(2026, 1, 1))

        config_clients = []
        for i in range(clients):
            user = auth.create_user(f"bench-{tag.lower()}-{i + 1}", f"Kasir uji {i + 1}", "cashier", "bench-pass-1")
            till = tills.create_till(f"B{tag[:5]}{i + 1}"[:10], f"Kasir uji {i + 1}", locations["TKO"])
            tills.open_session(till, user, 0)
            token = auth.issue_api_token(user, "bench")
            member = register_member(
                {
                    "full_name": f"Anggota Uji {i + 1}",
                    "nik": _free_nik(i),
                    "kk_number": f"649999{secrets.randbelow(10**10):010d}",
                    "address": "Jl. Uji",
                    "rt": "001",
                    "rw": "001",
                    "kelurahan": "Gunung Sari Ilir",
                    "category": "household",
                    "join_date": today(),
                }
            )
            config_clients.append(
                {
                    "till": till.code,
                    "token": token,
                    "user_id": user.id,
                    "member": member.member_number,
                    "member_row": {
                        "id": member.id,
                        "member_number": member.member_number,
                        "full_name": member.full_name,
                        "nik": member.nik,
                        "kk_number": member.kk_number,
                        "category": member.category,
                    },
                }
            )

        day = today()
        sql_lines, http_lines = [], []
        shop_tree = [locations[code].id for code in ("TKO", "TKO-R1", "TKO-R2", "TKO-LPG")]
        for sku, packaging_name, quantity in LINES:
            item = items[sku]
            packaging = next(p for p in item.packagings if p.name == packaging_name)
            price = pricing.price_on(packaging, "member", day).amount
            qty = Decimal(quantity)
            http_lines.append((packaging.id, quantity))
            sql_lines.append(
                {
                    "packaging_id": packaging.id,
                    "item_id": item.id,
                    "sku": sku,
                    "name": item.name_id,
                    "quantity": qty,
                    "base_quantity": qty * packaging.factor,
                    "unit_price": price,
                    "amount": int((price * qty).quantize(Decimal(1), ROUND_HALF_UP)),
                }
            )
        db.session.commit()
        for line in sql_lines:  # after the opening stock re-averaged them
            line["average_cost"] = db.session.scalar(select(Item.average_cost).where(Item.id == line["item_id"]))
        config = {
            "tag": tag,
            "clients": config_clients,
            "lines": http_lines,
            "sql_lines": sql_lines,
            "cap": {"rule_id": rule.id, "item_id": sphp.id},
            "customer": locations["V-PELANGGAN"].id,
            "shop_tree": shop_tree,
            "zone": pricing.zone(locations["TKO"].id),
        }
        db.session.remove()
    return config


def _free_nik(i: int) -> str:
    """A NIK of the demo's made-up regency (64 99 99), a birth date and a random serial (never 0000)."""
    from sqlalchemy import select

    from app.db import db
    from members.models import Member

    while True:
        nik = f"649999{1 + i % 28:02d}0190{1 + secrets.randbelow(9999):04d}"
        if db.session.scalar(select(Member.id).where(Member.nik == nik)) is None:
            return nik


# --- gunicorn ----------------------------------------------------------------------------------------------


class WebServer(AppProcess):
    """gunicorn serving the production app (wsgi:app) on a free local port, stopped at the end. Each sale queues
    its reorder check on the benchmark's Redis after the commit, as in production; no worker runs them."""

    kind = "gunicorn"

    def __init__(self, url: str, workers: int, worker_class: str = "sync") -> None:
        super().__init__(url, WEB_APP_NAME, os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
        self.workers = workers
        self.worker_class = worker_class
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]

    def start(self) -> float:
        command = ["gunicorn", "--workers", str(self.workers), "--worker-class", self.worker_class]
        command += ["--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"]
        return self.spawn(command, lambda: len(self.worker_pids()) == self.workers and self._answers())

    def _answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/api/sales", headers={"Accept": "application/json"})
            status = conn.getresponse().status
            conn.close()
            return status == 401  # the app is up and asks for a token
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                return [int(pid) for pid in f.read().split()]
        except OSError:
            return []


def _probes(web: WebServer | list[WebServer], url: str):
    """CPU readers for the service side: the gunicorn workers (of one instance or several), and their PostgreSQL
    backends."""
    conn = psycopg.connect(libpq_url(url), autocommit=True)
    webs = web if isinstance(web, list) else [web]

    def workers() -> dict[int, float]:
        return {pid: process_cpu_seconds(pid) or 0.0 for one in webs for pid in one.worker_pids()}

    def backends() -> dict[int, float]:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [WEB_APP_NAME])
        pids = [r[0] for r in rows]
        return {pid: process_cpu_seconds(pid) or 0.0 for pid in pids}

    return {"web": workers, "web PG": backends}, conn


class BackendWatch:
    """What a side's PostgreSQL backends are doing, sampled from pg_stat_activity every 10 ms in the timed window.

    Used as a run_side probe: its first reading starts the sampling, its second stops it (it measures no CPU)."""

    STATES = (
        ("lock", "waiting for a row lock"),
        ("client", "in a transaction, waiting for their client"),
        ("active", "running a statement or COMMIT"),
        ("idle", "between transactions"),
    )

    def __init__(self, url: str, app_name: str) -> None:
        self.url, self.app_name = url, app_name
        self.counts: dict[str, int] = dict.fromkeys([k for k, _ in self.STATES], 0)
        self.samples = 0
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __call__(self) -> dict[int, float]:
        if self.thread is None:
            self.thread = threading.Thread(target=self._sample, daemon=True)
            self.thread.start()
        else:
            self.stop.set()
            self.thread.join()
        return {}

    def _sample(self) -> None:
        with psycopg.connect(libpq_url(self.url), autocommit=True) as conn:
            while not self.stop.is_set():
                rows = conn.execute(
                    "SELECT state, wait_event_type FROM pg_stat_activity WHERE application_name = %s", [self.app_name]
                ).fetchall()
                for state, wait in rows:
                    if wait == "Lock":
                        self.counts["lock"] += 1
                    elif state == "idle in transaction":
                        self.counts["client"] += 1
                    elif state == "active":
                        self.counts["active"] += 1
                    else:
                        self.counts["idle"] += 1
                self.samples += 1
                self.stop.wait(0.01)

    def summary(self) -> str:
        n = max(self.samples, 1)
        return ", ".join(f"{self.counts[key] / n:.1f} {words}" for key, words in self.STATES)


# --- running and printing ----------------------------------------------------------------------------------


def print_table(results: list[SideResult]) -> None:
    header = (
        f"{'side':<11} {'sales':>7} {'sales/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'client CPU':>11} {'app CPU':>8} {'PG CPU':>7} {'CPU busy':>9} {'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        per = 1000 / r.batches if r.batches else float("nan")
        if r.name.startswith("service"):
            client = r.client_cpu_s * per
            app = r.probe_cpu_s.get("web")
            server = r.probe_cpu_s.get("web PG")
            app_text = "n/a" if app is None else f"{app * per:.2f}"
        else:
            client, app_text = None, f"{r.client_cpu_s * per:.2f}"
            server = r.server_cpu_s
        client_text = "-" if client is None else f"{client:.2f}"
        server_text = "n/a" if server is None else f"{server * per:.2f}"
        busy = "n/a" if r.machine_busy is None else f"{r.machine_busy:.0%}"
        print(
            f"{r.name:<11} {r.batches:>7} {r.rate:>8.1f} {r.percentile(50):>7.2f} {r.percentile(99):>7.2f}"
            f" {r.percentile(100):>7.2f} {client_text:>11} {app_text:>8} {server_text:>7} {busy:>9} {r.errors:>7}"
        )
    print("(CPU ms per sale: client = the HTTP load generator; app = the gunicorn workers, or the SQL client itself;")
    print(" PG = their PostgreSQL backends; CPU busy: all cores, other processes included)")
    startups = ", ".join(f"{r.name} {r.startup_s:.1f} s" for r in results)
    print(f"client start-up (spawn, connect, {WARMUP_SALES} warm-up sales each): {startups}")


def check(app, config: dict, results: list[SideResult]) -> bool:
    """verify() finds no drift; every committed sale left 3 lines, 3 moves, 1 payment, 1 subsidy record, 1 key."""
    from sqlalchemy import func, select

    from app.db import db
    from inventory.ledger import verify
    from inventory.models import StockMove
    from orders.models import Payment, Sale, SaleLine, SubsidyRecord, Till

    tills = [c["till"] for c in config["clients"]]
    with app.app_context():
        drift = verify()
        ok = not drift
        print(f"check: verify() returned {'[] (every balance equals the ledger)' if ok else drift[:5]}")
        sales = select(Sale.id).join(Till, Till.id == Sale.till_id).where(Till.code.in_(tills))
        counted = {}
        sides = {  # the SQL sides' keys have a prefix; the service's are plain UUIDs
            "baseline": sales.where(Sale.client_key.like("sql-%")),
            "sql-mirror": sales.where(Sale.client_key.like("mirror-%")),
            "service": sales.where(Sale.client_key.not_like("sql-%"), Sale.client_key.not_like("mirror-%")),
        }
        for side, of_side in sides.items():
            counted[side] = db.session.scalar(select(func.count()).select_from(of_side.subquery()))
        all_sales = sales.subquery()
        n = db.session.scalar(select(func.count()).select_from(all_sales))
        lines = db.session.scalar(select(func.count(SaleLine.id)).where(SaleLine.sale_id.in_(select(all_sales.c.id))))
        payments = db.session.scalar(select(func.count(Payment.id)).where(Payment.sale_id.in_(select(all_sales.c.id))))
        records = db.session.scalar(
            select(func.count(SubsidyRecord.id)).where(SubsidyRecord.sale_id.in_(select(all_sales.c.id)))
        )
        receipts = select(Sale.receipt_number).where(Sale.id.in_(select(all_sales.c.id)))
        moves = db.session.scalar(select(func.count(StockMove.id)).where(StockMove.reference.in_(receipts)))
        shape = (lines, moves, payments, records) == (3 * n, 3 * n, n, n)
        ok = ok and shape
        print(
            f"check: {n} sales at the bench's tills: {lines} lines, {moves} moves, {payments} payments, {records} "
            f"subsidy records {'(3, 3, 1, 1 each)' if shape else '(expected 3, 3, 1, 1 each!)'}"
        )
        for side, committed in ((s, sum(r.committed for r in results if r.name.split()[0] == s)) for s in counted):
            match = counted[side] == committed
            ok = ok and match
            print(
                f"check: {side}: {committed} sales answered as committed (warm-up included), {counted[side]} in the "
                f"database{'' if match else ' (mismatch!)'}"
            )
        db.session.remove()
    return ok


def run(
    url: str,
    app,
    seconds: float,
    workers: int,
    rounds: int = 1,
    web_workers: int = DEFAULT_WEB_WORKERS,
    instances: int = DEFAULT_INSTANCES,
) -> None:
    """instances > 1: that many gunicorns (each with web_workers workers); the service side runs on the first,
    then again as "service xN" on the first N (2..instances), the clients round-robin over them."""
    print(
        f"\n== Sale: a {len(LINES)}-line member sale over HTTP ({workers} clients, gunicorn {web_workers} sync "
        f"workers{f' x {instances} instances' if instances > 1 else ''}, {seconds:g} s per side) =="
    )
    load_before = os.getloadavg()[0]
    config = {"url": url, **setup(app, workers)}
    sold = ", ".join(f"{sku} {packaging} x {qty}" for sku, packaging, qty in LINES)
    print(f"setup: demo + {workers} tills, cashiers, tokens and members; {OPENING:,} of each item on its shelf")
    print(f"sale: {sold}; cash; member prices; 1 cap usage, 1 subsidy record; warm-up {WARMUP_SALES} per client")

    webs: list[WebServer] = []
    results: list[SideResult] = []
    watched: list[str] = []  # what each side's PostgreSQL backends were doing, on average
    probe_conn = None
    try:
        for _ in range(instances):  # one after the other, so that each picks its own free port
            webs.append(WebServer(url, web_workers))
            started = webs[-1].start()
            print(f"gunicorn: {web_workers} sync workers on 127.0.0.1:{webs[-1].port}, up in {started:.1f} s")
        config["port"] = webs[0].port
        probes, probe_conn = _probes(webs, url)  # every instance's workers (an idle one's cost next to nothing)
        order = ("baseline", "sql-mirror", "service", *(f"service x{n}" for n in range(2, instances + 1)))
        print("order: " + (", ".join(order) if rounds == 1 else f"{', '.join(order)} interleaved x{rounds}, best"))
        runners = {"baseline": SqlRunner, "sql-mirror": MirrorRunner, "service": ServiceRunner}
        for _ in range(rounds):
            for side in order:
                kind = side.split()[0]
                watch = BackendWatch(url, WEB_APP_NAME if kind == "service" else SQL_APP_NAME)
                side_probes = {**(probes if kind == "service" else {}), "watch": watch}
                n = int(side.split("x")[-1]) if side.startswith("service x") else 1
                side_config = {**config, "ports": [web.port for web in webs[:n]]}
                results.append(run_side(side, runners[kind], side_config, workers, seconds, side_probes))
                watched.append(watch.summary())
    finally:
        if probe_conn is not None:
            probe_conn.close()
        for web in webs:
            web.stop()

    print()
    print(f"load average (1 min) of the machine: {load_before:.1f} before the setup, {os.getloadavg()[0]:.1f} now")
    print_table(results)
    print("PostgreSQL backends of each side, on average over the window:")
    for r, summary in zip(results, watched, strict=True):
        print(f"  {r.name:<11} {summary}")
    best = {side: max((r for r in results if r.name == side), key=lambda r: r.rate) for side in order}
    if rounds > 1:
        print("best of each side:")
        print_table(list(best.values()))
    for r in results:
        if r.errors:
            print(f"\n{r.name}: {r.errors} failed sales; the first one:\n{r.first_error}")
    service, baseline, mirror = best["service"], best["baseline"], best["sql-mirror"]
    ratio = service.rate / baseline.rate if baseline.rate else 0.0
    p99 = service.percentile(99)
    print(
        f"\nratio service/baseline = {ratio:.2f} (target ≥ {TARGET_RATIO:.2f}): "
        f"{'target met' if ratio >= TARGET_RATIO else 'target missed'}"
    )
    limit = TARGET_P99_TIMES_BASELINE * baseline.percentile(99)
    print(
        f"service p99 = {p99:.1f} ms (target ≤ {TARGET_P99_TIMES_BASELINE:g} x the baseline's, {limit:.1f} ms): "
        f"{'target met' if p99 <= limit else 'target missed'}"
    )
    if "web" in service.probe_cpu_s and service.batches:
        app_ms = service.probe_cpu_s["web"] * 1000 / service.batches
        print(
            f"service app CPU = {app_ms:.2f} ms per sale (target ≤ {TARGET_APP_CPU_MS:g} ms): "
            f"{'target met' if app_ms <= TARGET_APP_CPU_MS else 'target missed'}"
        )
    if mirror.rate:
        print(
            f"for reading: service/sql-mirror = {service.rate / mirror.rate:.2f} (the same statements without the "
            f"stack); sql-mirror/baseline = {mirror.rate / baseline.rate:.2f} (the service's extra reads)"
        )
    for n in range(2, instances + 1):
        one, many = best["service"], best[f"service x{n}"]
        print(
            f"instances: 1 gunicorn {one.rate:.1f} sales/s, {n} gunicorns ({n * web_workers} workers, the clients "
            f"round-robin) {many.rate:.1f} sales/s: ratio {many.rate / one.rate if one.rate else 0.0:.2f} (it stops "
            "growing when the cores are busy, or the backends wait for the shared rows' locks: see above)"
        )
    cost = {side: _cpu_per_sale(r) for side, r in best.items()}
    if all(cost.values()):
        print(
            "CPU ms per sale (all its processes): "
            + ", ".join(f"{side} {ms:.1f}" for side, ms in cost.items())
            + f"; baseline/service = {cost['baseline'] / cost['service']:.2f}, the rate ratio to expect when the "
            "cores are the limit"
        )
    check(app, config, results)


def _cpu_per_sale(r: SideResult) -> float | None:
    """CPU ms per sale of every process a side runs on: load generator, app or SQL client, PostgreSQL backends."""
    if not r.batches:
        return None
    if r.name.startswith("service"):
        if "web" not in r.probe_cpu_s or "web PG" not in r.probe_cpu_s:
            return None
        seconds = r.client_cpu_s + r.probe_cpu_s["web"] + r.probe_cpu_s["web PG"]
    elif r.server_cpu_s is None:
        return None
    else:
        seconds = r.client_cpu_s + r.server_cpu_s
    return seconds * 1000 / r.batches
