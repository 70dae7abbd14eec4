"""Reports on three years of a large cooperative: 10,000 items, 5,000 members, 5,000,000 ledger moves.

Setup (`make_history`, plain SQL in PostgreSQL, not timed; a database that already holds it is reused): the
demo, then 10,000 items (one piece packaging each, a cost and a price) and 5,000 members, and 1,096 days of
trade ending yesterday, each day from 07:00 to 21:00 WITA, in 500,000 blocks of 10 moves: 1 receipt of 50 from
the supplier into warehouse bin GDG-A-01, 2 transfers of 10 to shop shelf TKO-R1, and 7 pieces sold from that
shelf: a sale of 3 lines and a sale of 4 (1,000,000 sales, 3,500,000 lines, 60 % of them to members), each
move's item drawn at random. One sale in 400 has its first line returned (approved, refunded 3 days later).
A till session per day and the balances the moves leave. Payments and subsidy records are not made: no report
timed here reads them. Then the snapshots, as `flask inventory snapshots` makes them (`valuation.rebuild` over
the three years: every month's last day and the last 62 days; timed), and the nightly job once (timed).

Timed (each 5 times in the app's context on a warm connection; the median is compared with the target):
stock on hand with value for all items; valuation at the end of the second-to-last day of the month 18 months
back (the most moves after its month-end snapshot: the worst case of that month); sales by month for a year
(this month and the 11 before); the SHU of last year for 5,000 members. For reading, the same reports through the
JSON API (Flask's test client, a manager's bearer token: the read plus marshmallow and JSON), not held to the
targets.
"""

import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

import psycopg

from bench.common import libpq_url

ITEMS = 10_000
MEMBERS = 5_000
DAYS = 1_096  # three years, one of them leap
BLOCKS = 500_000  # of 10 moves: 5,000,000
RUNS = 5
TAG = "BN-"  # the bench items' SKU prefix and the bench members' number prefix
TARGETS_MS = {
    "stock on hand with value, all items": 100,
    "valuation at a date 18 months back": 1_000,
    "sales by month, a year": 300,
    "SHU of a year, 5,000 members": 2_000,
}


def _ids(cur, sql: str) -> dict[str, int]:
    return dict(cur.execute(sql).fetchall())


def make_history(url: str, today: date) -> dict:
    """Write the three years (one transaction); return what was made."""
    first_day = today - timedelta(days=DAYS)
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cur:
        found = cur.execute("SELECT count(*) FROM item WHERE sku LIKE %s", (TAG + "%",)).fetchone()[0]
        if found:
            return {"reused": True, "first_day": first_day}
        places = _ids(cur, "SELECT code, id FROM location")
        users = _ids(cur, "SELECT username, id FROM user_account")
        till = cur.execute("SELECT id FROM till WHERE code = 'K1'").fetchone()[0]
        cur.execute("SELECT setseed(0.42)")
        cur.execute("SET session_replication_role = replica")  # made consistent by construction: no FK triggers
        cur.execute(
            """
            INSERT INTO item (sku, name_id, name_en, category, base_unit, is_subsidised, is_price_regulated,
                              is_lot_tracked, is_expiry_tracked, is_active, average_cost, created_at)
            SELECT %(tag)s || lpad(k::text, 5, '0'), 'Barang uji ' || k, 'Bench item ' || k, 'bench', 'piece',
                   false, false, false, false, true, 5000 + (k %% 97) * 250, now()
              FROM generate_series(0, %(n)s - 1) AS k ORDER BY k
            """,
            {"tag": TAG, "n": ITEMS},
        )
        cur.execute(
            """
            CREATE TEMP TABLE bench_item AS
            SELECT i.id, row_number() OVER (ORDER BY i.sku) - 1 AS k, i.average_cost::bigint AS cost,
                   (i.average_cost * 1.15)::bigint AS price, NULL::int AS packaging_id
              FROM item i WHERE i.sku LIKE %(tag)s || '%%'
            """,
            {"tag": TAG},
        )
        cur.execute(
            "INSERT INTO packaging (item_id, name, factor, for_purchase, for_sale) "
            "SELECT id, 'piece', 1, true, true FROM bench_item"
        )
        cur.execute("UPDATE bench_item b SET packaging_id = p.id FROM packaging p WHERE p.item_id = b.id")
        cur.execute("CREATE UNIQUE INDEX ON bench_item (k)")
        cur.execute(
            """
            INSERT INTO member (member_number, full_name, nik, kk_number, address, rt, rw, kelurahan, category,
                                status, join_date, phone, created_at)
            SELECT %(tag)s || lpad(m::text, 5, '0'), 'Anggota Uji ' || m, (6471010000000000 + m)::text,
                   (6471020000000000 + m / 4)::text, '', '001', '001', 'Sepinggan', 'household', 'active',
                   %(first)s, '', now()
              FROM generate_series(0, %(n)s - 1) AS m ORDER BY m
            """,
            {"tag": TAG, "n": MEMBERS, "first": first_day},
        )
        cur.execute(
            "CREATE TEMP TABLE bench_member AS SELECT id, row_number() OVER (ORDER BY member_number) - 1 AS m "
            "FROM member WHERE member_number LIKE %(tag)s || '%%'",
            {"tag": TAG},
        )
        cur.execute("CREATE UNIQUE INDEX ON bench_member (m)")
        # a session per day at till K1, 07:00 to 21:00 WITA
        cur.execute(
            """
            CREATE TEMP TABLE bench_day AS
            SELECT d, %(first)s::date + d AS day,
                   nextval('till_session_id_seq') AS session_id FROM generate_series(0, %(days)s - 1) AS d ORDER BY d
            """,
            {"first": first_day, "days": DAYS},
        )
        cur.execute(
            """
            INSERT INTO till_session (id, till_id, cashier_id, opened_at, opening_float, closed_at, closed_by_id, note)
            SELECT session_id, %(till)s, %(cashier)s, (day + time '07:00') AT TIME ZONE 'Asia/Makassar', 0,
                   (day + time '21:00') AT TIME ZONE 'Asia/Makassar', %(cashier)s, 'bench' FROM bench_day
            """,
            {"till": till, "cashier": users["kasir"]},
        )
        # every move: its block, its place in the block, its item, its moment, its id
        first_move = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM stock_move").fetchone()[0]
        cur.execute(
            """
            CREATE TEMP TABLE bench_move AS
            SELECT b, j, k, floor(t)::int AS d, %(first_move)s + b * 10 + j AS id,
                   ((%(first)s::date + floor(t)::int) + time '07:00' + (t - floor(t)) * interval '14 hours'
                    + j * interval '1 second') AT TIME ZONE 'Asia/Makassar' AS at
              FROM (SELECT b, j, floor(random() * %(items)s)::int AS k, b::numeric * %(days)s / %(blocks)s AS t
                      FROM generate_series(0, %(blocks)s - 1) AS b, generate_series(0, 9) AS j) AS raw
            """,
            {"items": ITEMS, "days": DAYS, "blocks": BLOCKS, "first": first_day, "first_move": first_move},
        )
        cur.execute("CREATE UNIQUE INDEX ON bench_move (b, j)")
        first_sale = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM sale").fetchone()[0]
        cur.execute(
            """
            INSERT INTO stock_move (id, posted_at, item_id, from_location_id, to_location_id, quantity, unit_cost,
                                    reason, reference, user_id)
            SELECT m.id, m.at, i.id,
                   CASE WHEN m.j = 0 THEN %(supplier)s WHEN m.j <= 2 THEN %(bin)s ELSE %(shelf)s END,
                   CASE WHEN m.j = 0 THEN %(bin)s WHEN m.j <= 2 THEN %(shelf)s ELSE %(customer)s END,
                   CASE WHEN m.j = 0 THEN 50 WHEN m.j <= 2 THEN 10 ELSE 1 END, i.cost,
                   CASE WHEN m.j = 0 THEN 'receipt' WHEN m.j <= 2 THEN 'transfer' ELSE 'sale' END,
                   CASE WHEN m.j = 0 THEN 'BENCH-GR-' || m.b WHEN m.j <= 2 THEN 'BENCH-TR-' || m.b
                        ELSE 'BN1-' || lpad((2 * m.b + (m.j >= 6)::int)::text, 7, '0') END,
                   %(user)s
              FROM bench_move m JOIN bench_item i ON i.k = m.k ORDER BY m.id
            """,
            {
                "supplier": places["V-PEMASOK"],
                "bin": places["GDG-A-01"],
                "shelf": places["TKO-R1"],
                "customer": places["V-PELANGGAN"],
                "user": users["gudang"],
            },
        )
        # the sales: one of 3 lines (j 3..5) and one of 4 (j 6..9) per block
        cur.execute(
            """
            CREATE TEMP TABLE bench_sale AS
            SELECT %(first_sale)s + 2 * m.b + (m.j >= 6)::int AS id, m.b, (m.j >= 6)::int AS half,
                   min(m.at) AS at, min(m.d) AS d, sum(i.price) AS total,
                   CASE WHEN random() < 0.6 THEN floor(random() * %(members)s)::int END AS m
              FROM bench_move m JOIN bench_item i ON i.k = m.k WHERE m.j >= 3 GROUP BY 1, 2, 3
            """,
            {"first_sale": first_sale, "members": MEMBERS},
        )
        cur.execute(
            """
            INSERT INTO sale (id, client_key, receipt_number, till_id, session_id, cashier_id, sold_at, sale_date,
                              price_list, member_id, buyer_name, total, change, caps_taken, copies_printed)
            SELECT s.id, 'bench-' || s.id, 'BN1-' || lpad((2 * s.b + s.half)::text, 7, '0'), %(till)s,
                   day.session_id, %(cashier)s, s.at, day.day,
                   CASE WHEN bm.id IS NULL THEN 'general' ELSE 'member' END, bm.id, '', s.total, 0, '[]', 1
              FROM bench_sale s JOIN bench_day day ON day.d = s.d LEFT JOIN bench_member bm ON bm.m = s.m
             ORDER BY s.id
            """,
            {"till": till, "cashier": users["kasir"]},
        )
        cur.execute(
            """
            INSERT INTO sale_line (sale_id, line_no, kind, item_id, packaging_id, quantity, base_quantity, unit_price,
                                   amount, empties_in, returned_quantity, from_location_id)
            SELECT %(first_sale)s + 2 * m.b + (m.j >= 6)::int, CASE WHEN m.j >= 6 THEN m.j - 5 ELSE m.j - 2 END,
                   'goods', i.id, i.packaging_id, 1, 1, i.price, i.price, 0,
                   CASE WHEN m.b %% 200 = 0 AND m.j = 3 THEN 1 ELSE 0 END, %(shelf)s
              FROM bench_move m JOIN bench_item i ON i.k = m.k WHERE m.j >= 3 ORDER BY m.b, m.j
            """,
            {"first_sale": first_sale, "shelf": places["TKO-R1"]},
        )
        # one sale in 200 (the block's first) has its first line returned, refunded 3 days later (or yesterday)
        cur.execute(
            """
            INSERT INTO sale_return (sale_id, session_id, status, reason, amount, refund_method, refund_reference,
                                     requested_by_id, requested_at, decided_by_id, decided_at, decision_note,
                                     return_date)
            SELECT s.id, day.session_id, 'approved', 'bench', l.amount, 'cash', '', %(cashier)s,
                   s.sold_at + interval '3 days', %(manager)s, s.sold_at + interval '3 days', '', day.day
              FROM sale s JOIN sale_line l ON l.sale_id = s.id AND l.line_no = 1
              JOIN bench_day day ON day.d = least(s.sale_date - %(first)s::date + 3, %(days)s - 1)
             WHERE s.id >= %(first_sale)s AND (s.id - %(first_sale)s) %% 400 = 0
            """,
            {
                "cashier": users["kasir"],
                "manager": users["manajer"],
                "first": first_day,
                "days": DAYS,
                "first_sale": first_sale,
            },
        )
        cur.execute(
            """
            INSERT INTO return_line (return_id, sale_line_id, quantity, empties_out, amount, damaged)
            SELECT r.id, l.id, 1, 0, r.amount, false
              FROM sale_return r JOIN sale_line l ON l.sale_id = r.sale_id AND l.line_no = 1 WHERE r.reason = 'bench'
            """
        )
        # the balances the moves leave (the bench items are new: no balance rows yet)
        cur.execute(
            """
            INSERT INTO stock_balance (item_id, location_id, lot_id, quantity)
            SELECT item_id, location_id, NULL, sum(q) FROM (
                SELECT item_id, to_location_id AS location_id, quantity AS q FROM stock_move WHERE id >= %(first)s
                UNION ALL
                SELECT item_id, from_location_id, -quantity FROM stock_move WHERE id >= %(first)s
            ) AS signed
             WHERE location_id IN (%(bin)s, %(shelf)s) GROUP BY item_id, location_id
            """,
            {"first": first_move, "bin": places["GDG-A-01"], "shelf": places["TKO-R1"]},
        )
        for table in ("stock_move", "sale", "sale_line", "sale_return", "return_line", "till_session"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        counts = {
            table: cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("item", "member", "stock_move", "sale", "sale_line", "sale_return")
        }
        conn.commit()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {"reused": False, "first_day": first_day, **counts}


def _timed(fn, runs: int = RUNS) -> tuple[float, float]:
    """(median, best) milliseconds of `runs` calls."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), min(times)


def _months_back(today: date, months: int) -> date:
    """The first day of the month `months` before this one."""
    month = today.replace(day=1)
    for _ in range(months):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def _valuation_day(today: date) -> date:
    """The second-to-last day of the month 18 months before this one."""
    next_month = (_months_back(today, 18) + timedelta(days=32)).replace(day=1)
    return next_month - timedelta(days=2)


def run(url: str, app, seconds: float = 0, workers: int = 0, rounds: int = 1) -> None:
    """Make (or reuse) the history, rebuild the snapshots, time the four reports; the run options do not apply."""
    from sqlalchemy import func, select

    import demo
    from app import clock, users
    from app.db import db
    from app.models import User
    from inventory import jobs as inventory_jobs
    from inventory import valuation
    from inventory.models import SnapshotDay
    from orders import reports, shu

    print(f"\n== Reports on 3 years: {ITEMS:,} items, {MEMBERS:,} members, {BLOCKS * 10:,} moves ==")
    began = time.perf_counter()
    with app.app_context():
        today = clock.today()
        demo.load_demo()  # the places, the till and the people (does nothing when they are there)
        db.session.commit()
    made = make_history(url, today)
    if made["reused"]:
        print(f"history: found in the database (items {TAG}*), reused")
    else:
        counts = ", ".join(f"{made[t]:,} {t}" for t in ("item", "member", "stock_move", "sale", "sale_line"))
        print(f"history ({time.perf_counter() - began:.0f} s, not timed): {made['first_day']} to yesterday; {counts}")
    with app.app_context():
        if made["reused"] and db.session.scalar(select(func.count()).select_from(SnapshotDay)):
            print("snapshots: found, reused")
        else:
            began = time.perf_counter()
            count = valuation.rebuild(made["first_day"], today - timedelta(days=1))
            db.session.commit()
            print(
                f"snapshots rebuilt (flask inventory snapshots over 3 years): {count} days in "
                f"{time.perf_counter() - began:.0f} s"
            )
        began = time.perf_counter()
        inventory_jobs.take_daily_snapshot()
        print(f"nightly snapshot job (yesterday, then the prune): {(time.perf_counter() - began) * 1000:,.0f} ms")

        back = _valuation_day(today)
        year_ago = _months_back(today, 11)
        checks = {
            "stock on hand with value, all items": lambda: valuation.on_hand_value(),
            "valuation at a date 18 months back": lambda: valuation.valuation(back),
            "sales by month, a year": lambda: reports.sales_report("month", year_ago, today),
            "SHU of a year, 5,000 members": lambda: shu.compute(today.year - 1, 250_000_000, Decimal(40)),
        }
        manager = db.session.scalar(select(User).where(User.role == "manager", User.is_active))
        _token, plain = users.issue_token(manager.id, "bench", 1)
        db.session.commit()
        paths = {
            "stock on hand with value, all items": "/api/stock/valuation",
            "valuation at a date 18 months back": f"/api/stock/valuation?day={back}",
            "sales by month, a year": f"/api/reports/sales?by=month&from={year_ago}&to={today}",
            "SHU of a year, 5,000 members": f"/api/shu/{today.year - 1}?surplus=250000000&member_percent=40",
        }
        client = app.test_client()
        headers = {"Authorization": f"Bearer {plain}"}
        print(f"\n{'report':<38}{'rows':>7}{'median':>10}{'best':>9}{'target':>9}{'ratio':>7}  {'API median':>10}")
        met = True
        for label, fn in checks.items():
            rows = fn()  # warm
            rows = len(rows.rows if hasattr(rows, "rows") else rows.shares if hasattr(rows, "shares") else rows)
            median, best = _timed(fn)
            db.session.rollback()

            def call(path=paths[label]):
                answer = client.get(path, headers=headers)
                assert answer.status_code == 200, (path, answer.status_code, answer.get_data(as_text=True)[:300])

            call()
            api_median, _best = _timed(call)
            target = TARGETS_MS[label]
            met &= median <= target
            print(
                f"{label:<38}{rows:>7,}{median:>8.0f}ms{best:>7.0f}ms{target:>7,}ms{median / target:>7.2f}"
                f"  {api_median:>8,.0f}ms"
            )
        print(f"(ratio = median / target, ≤ 1.00 meets it; valuation day {back}, sales from {year_ago} to {today})")
        print("all four targets met" if met else "a target missed")
