"""The till's JSON API: selling, replays and retries with the Idempotency-Key, member and general prices, the
quote, the scan, bad input as problem+json, and closing a till."""

import http.client
import json
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select, text

from app import auth
from app.db import db
from app.models import IdempotencyKey
from inventory.models import StockMove
from orders import receipts
from orders.models import CapUsage, Sale, SubsidyRecord, TillCount
from tests.conftest import ApiClient, truncate_all

from .conftest import LPG3, RICE_KG, SPHP, SUGAR

SITI = "KKMP-000001"
PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def till(shop, client):
    """The API as the cashier who has till K1 open."""
    return ApiClient(client, auth.issue_api_token(shop.cashier, "till"))


def line(shop, code: str, quantity="1", **extra) -> dict:
    return {"packaging_id": shop.packaging(code), "quantity": quantity, **extra}


def cash(tendered: int) -> list[dict]:
    return [{"method": "cash", "tendered": tendered}]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def member_sale(shop) -> dict:
    return {
        "till": "K1",
        "member": SITI,
        "lines": [line(shop, SPHP, "2"), line(shop, SUGAR), line(shop, LPG3)],
        "payments": cash(200000),
    }


# --- selling and the Idempotency-Key ------------------------------------------------------------------------


@pytest.mark.postgres  # PostgreSQL's statements (SQLite, the quick start: tests/orders/test_quick_start_sale.py)
def test_the_benchmarks_three_line_member_sale_takes_10_statements(shop, till):
    """The sale `python -m bench sale` posts (a capped, subsidised SPHP pack, a MinyaKita pouch, 2.5 kg of loose
    rice; a member; cash) over HTTP with a bearer token: exactly these 10 statements, then COMMIT (was 17)."""
    from sqlalchemy import event

    shop.sell((SPHP, 1, None), member="KKMP-000002")  # the cap usage row and the shop's rows exist, as in a shop
    minyakita = next(p for p in shop.items["MKITA1"].packagings if p.name == "Pouch 1 L")
    body = {
        "till": "K1",
        "member": SITI,
        "lines": [line(shop, SPHP), {"packaging_id": minyakita.id, "quantity": "1"}, line(shop, RICE_KG, "2.5")],
        "payments": cash(200000),
    }
    db.session.commit()
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split())[:60])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = till.post("/api/sales", json=body)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 201, response.get_json()
    kinds = [
        "SELECT user_account.id",  # the user of the bearer token (not revoked, not expired, active)
        "SELECT pg_try_advisory_xact_lock",  # the Idempotency-Key claimed, its stored answer looked up
        "UPDATE till SET receipt_seq",  # the receipt number, on a till this cashier has open
        "SELECT setting.key",  # the cooperative's settings (HET zone, receipt header)
        "SELECT item.id",  # packagings with prices and ceilings, the member on the card, the caps on the items
        "INSERT INTO cap_usage",  # the SPHP cap's conditional upsert
        "WITH RECURSIVE tree",  # first-expiring-first pick over the shop's shelves, rows locked
        "WITH s AS (INSERT INTO sale",  # the sale, its 3 lines, payment, subsidy record
        "WITH changed AS (UPDATE stock_balance",  # balances, moves, outbox (the ledger's one write)
        "INSERT INTO idempotency_key",  # the stored answer
    ]
    statements = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]  # the tests' COMMIT
    assert len(statements) == 10, "\n".join(statements)
    assert [s for s, kind in zip(statements, kinds, strict=True) if not s.startswith(kind)] == []


def test_a_sale_answers_201_with_its_receipt_in_32_columns(shop, till):
    response = till.post("/api/sales", json=member_sale(shop))

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["receipt_number"], body["till"], body["price_list"], body["total"], body["change"]) == (
        "K1-000001",
        "K1",
        "member",
        160000,
        40000,
    )
    assert body["member"]["member_number"] == SITI
    assert [(ln["sku"], ln["quantity"], ln["unit_price"], ln["amount"]) for ln in body["lines"]] == [
        ("SPHP5", "2.000", 62500, 125000),
        ("GULA1", "1.000", 17000, 17000),
        ("LPG3", "1.000", 18000, 18000),
    ]
    assert [(p["method"], p["amount"], p["tendered"]) for p in body["payments"]] == [("cash", 160000, 200000)]
    text_lines = body["receipt_text"].splitlines()
    assert max(len(ln) for ln in text_lines) <= receipts.WIDTH
    assert text_lines[4].startswith("K1-000001")  # after the name, the 2-line header and the title
    sale = db.session.scalar(select(Sale))
    assert body["receipt_text"] == receipts.receipt_text(sale)  # the original, not marked as a copy
    assert "NIK 6499********0001" in body["receipt_text"]  # masked on paper
    # The answer is the sale as any later GET shows it (quantities written the same way too), plus the receipt.
    assert {k: v for k, v in body.items() if k != "receipt_text"} == till.get(f"/api/sales/{body['id']}").get_json()


def test_a_replay_with_the_same_key_and_body_returns_the_same_sale(shop, till):
    key = str(uuid.uuid4())
    first = till.post("/api/sales", json=member_sale(shop), key=key)
    replay = till.post("/api/sales", json=member_sale(shop), key=key)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.get_data() == first.get_data()
    assert replay.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert count(Sale) == 1
    assert count(SubsidyRecord) == 2  # SPHP and LPG, once
    assert shop.on_hand("SPHP5", "TKO-R1") == 8  # the stock left once
    assert sorted(db.session.scalars(select(CapUsage.used))) == [1, 2]
    db.session.refresh(shop.till)
    assert shop.till.receipt_seq == 1


def test_the_same_key_with_another_body_is_422_and_sells_nothing_more(shop, till):
    key = str(uuid.uuid4())
    assert till.post("/api/sales", json=member_sale(shop), key=key).status_code == 201
    other = {**member_sale(shop), "lines": [line(shop, SUGAR, "2")]}
    refused = till.post("/api/sales", json=other, key=key)

    assert refused.status_code == 422
    assert refused.mimetype == PROBLEM_JSON
    assert refused.get_json()["type"] == "/problems/idempotency_key_reused"
    assert count(Sale) == 1
    assert shop.on_hand("GULA1", "TKO-R2") == 11


@pytest.mark.postgres
def test_while_the_first_try_is_in_flight_the_same_key_gets_409(shop, till):
    """Another transaction holds the key, as the first try does while it posts: 409 and nothing written; once it
    lets go, the retry sells."""
    key = str(uuid.uuid4())
    with db.engine.connect() as first_try, first_try.begin():
        first_try.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"idem:{shop.cashier.id}:{key}"}
        )
        busy = till.post("/api/sales", json=member_sale(shop), key=key)
        assert busy.status_code == 409
        assert busy.get_json()["type"] == "/problems/idempotency_key_in_flight"
        assert count(Sale) == 0
    done = till.post("/api/sales", json=member_sale(shop), key=key)
    assert done.status_code == 201 and "Idempotent-Replayed" not in done.headers
    assert count(Sale) == 1


class _SlowAfterCommit:
    """WSGI middleware: the first sale's answer leaves 1.5 s after the app has committed it (a network that
    loses the answer on the way back)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.delayed = threading.Event()

    def __call__(self, environ, start_response):
        body = self.wsgi_app(environ, start_response)  # the request has run and committed here
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/api/sales" and not self.delayed.is_set():
            self.delayed.set()
            time.sleep(1.5)
        return body


def _post(port: int, path: str, payload: dict, headers: dict, timeout: float) -> tuple[int, dict, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=json.dumps(payload), headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


def _get(port: int, path: str, headers: dict) -> tuple[int, dict | list]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_a_client_that_times_out_after_the_commit_and_retries_gets_the_one_sale(app):
    """A real server on a port; the client gives up waiting (a 0.3 s read timeout) while the sale is already
    committed, then retries with the same key until it has an answer: one sale, and the answer is that sale."""
    from werkzeug.serving import make_server

    from demo import load_demo
    from inventory.models import Barcode
    from orders import tills

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        cashier = auth.create_user("kasir-retry", "Kasir Retry", "cashier", "password-123")
        tills.open_session(tills.get_till("K1"), cashier, 100000)
        token = auth.issue_api_token(cashier, "till")
        sugar = db.session.scalar(select(Barcode.packaging_id).where(Barcode.code == SUGAR))
        db.session.commit()
    slow = _SlowAfterCommit(app.wsgi_app)
    server = make_server("127.0.0.1", 0, slow, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    headers = {"Authorization": f"Bearer {token}"}
    key = str(uuid.uuid4())
    sale = {"till": "K1", "lines": [{"packaging_id": sugar, "quantity": "1"}], "payments": cash(20000)}
    try:
        with pytest.raises(TimeoutError):
            _post(server.server_port, "/api/sales", sale, {**headers, "Idempotency-Key": key}, timeout=0.3)
        answers = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status, answer_headers, body = _post(
                server.server_port, "/api/sales", sale, {**headers, "Idempotency-Key": key}, timeout=10
            )
            answers.append((status, body.get("type")))
            if status == 201:
                break
            assert (status, body["type"]) == (409, "/problems/idempotency_key_in_flight"), body
            time.sleep(0.1)
        assert answers[-1] == (201, None), answers
        assert answer_headers["Idempotent-Replayed"] == "true"  # the first try's sale, not a new one
        status, listed = _get(server.server_port, f"/api/sales?receipt={body['receipt_number']}", headers)
        assert status == 200 and len(listed) == 1
        assert {k: v for k, v in body.items() if k != "receipt_text"} == listed[0]
        assert body["receipt_number"] == "K1-000001" and body["total"] == 18000
        with app.app_context():
            assert db.session.scalar(select(func.count(Sale.id))) == 1
            assert db.session.scalar(select(func.count(IdempotencyKey.id))) == 1
            assert db.session.scalar(select(func.count(StockMove.id)).where(StockMove.reason == "sale")) == 1
    finally:
        server.shutdown()
        serving.join(timeout=10)
        server.server_close()
        with app.app_context():
            truncate_all(db.engine)
            db.engine.dispose()


# --- prices, quote and scan ---------------------------------------------------------------------------------


def test_members_pay_member_prices_and_everyone_else_general_prices(shop, till):
    member = till.post(
        "/api/sales", json={"till": "K1", "member": SITI, "lines": [line(shop, SUGAR, "2")], "payments": cash(50000)}
    )
    walk_in = till.post("/api/sales", json={"till": "K1", "lines": [line(shop, SUGAR, "2")], "payments": cash(50000)})
    suspended = till.post(
        "/api/sales",
        json={"till": "K1", "member": "KKMP-000005", "lines": [line(shop, SUGAR, "2")], "payments": cash(50000)},
    )

    assert [
        (r.status_code, r.get_json()["price_list"], r.get_json()["total"]) for r in (member, walk_in, suspended)
    ] == [
        (201, "member", 34000),
        (201, "general", 36000),
        (201, "general", 36000),
    ]
    assert member.get_json()["lines"][0]["unit_price"] == 17000
    assert walk_in.get_json()["member"] is None
    assert suspended.get_json()["member"]["can_buy_as_member"] is False


def test_a_quote_shows_the_cap_problem_and_writes_nothing(shop, till):
    assert (
        till.post(
            "/api/sales",
            json={"till": "K1", "member": SITI, "lines": [line(shop, SPHP, "2")], "payments": cash(200000)},
        ).status_code
        == 201
    )
    before = [count(m) for m in (Sale, StockMove, CapUsage, SubsidyRecord, IdempotencyKey)]
    usage_before = db.session.scalar(select(CapUsage.used))

    quote = till.post(
        "/api/sales/quote", json={"till": "K1", "member": SITI, "lines": [line(shop, SPHP), line(shop, SUGAR)]}
    )

    assert quote.status_code == 200
    body = quote.get_json()
    assert (body["price_list"], body["total"], body["member"]["member_number"]) == ("member", 79500, SITI)
    assert [(c["name"], c["max"], c["used"], c["remaining"], c["fits"]) for c in body["caps"]] == [
        ("Batas SPHP", "2.000", "2.000", "0.000", False)
    ]
    assert body["problems"] == ["Batas SPHP 2 pak per hari; hari ini sudah 2."]
    assert [count(m) for m in (Sale, StockMove, CapUsage, SubsidyRecord, IdempotencyKey)] == before
    assert db.session.scalar(select(CapUsage.used)) == usage_before


def test_a_quote_for_lpg_without_a_nik_says_so(shop, till):
    quote = till.post("/api/sales/quote", json={"till": "K1", "lines": [line(shop, LPG3)]})
    assert quote.status_code == 200
    assert quote.get_json()["needs_nik"] is True
    assert quote.get_json()["problems"] == [
        "LPG 3 kg (isi) bersubsidi: catat NIK dan kategori pembeli (pindai kartu anggota, atau ketik)."
    ]
    assert count(Sale) == 0


def test_the_scan_finds_member_cards_products_and_receipts_and_404s_the_rest(shop, till):
    sold = till.post("/api/sales", json={"till": "K1", "lines": [line(shop, SUGAR)], "payments": cash(20000)})

    member = till.get(f"/api/sales/scan?code={SITI}").get_json()
    assert (member["kind"], member["member"]["member_number"], member["member"]["full_name"]) == (
        "member",
        SITI,
        "Siti Aminah",
    )
    product = till.get(f"/api/sales/scan?code={SUGAR}").get_json()
    assert (product["kind"], product["packaging_id"], product["name"], product["by_weight"]) == (
        "item",
        shop.packaging(SUGAR),
        "Gula pasir 1 kg",
        False,
    )
    receipt = till.get("/api/sales/scan?code=k1-000001").get_json()
    assert (receipt["kind"], receipt["receipt_number"], receipt["sale_id"]) == (
        "receipt",
        "K1-000001",
        sold.get_json()["id"],
    )
    garbage = till.get("/api/sales/scan?code=ZZ-NOTHING-9")
    assert garbage.status_code == 404
    assert garbage.mimetype == PROBLEM_JSON
    assert garbage.get_json()["type"] == "/problems/not_found"
    # A misread EAN is said as the look-up screen says it (before: "nothing is known by this code").
    misread = till.get("/api/sales/scan?code=8991000000503")
    assert misread.status_code == 404
    assert misread.get_json()["detail"] == "Digit cek kode 8991000000503 salah: pindai ulang."


# --- bad input ----------------------------------------------------------------------------------------------


def test_a_bad_body_is_a_422_problem_naming_the_fields(shop, till):
    not_a_number = till.post(
        "/api/sales", json={"till": "K1", "lines": [line(shop, SUGAR, "abc")], "payments": cash(20000)}
    )
    no_payments = till.post("/api/sales", json={"till": "K1", "lines": [line(shop, SUGAR)]})

    for response in (not_a_number, no_payments):
        assert response.status_code == 422
        assert response.mimetype == PROBLEM_JSON
        assert response.get_json()["type"] == "/problems/422"
    assert not_a_number.get_json()["errors"] == {"lines": [{"0": {"quantity": ["Isi angka, misalnya 2 atau 12,5."]}}]}
    assert no_payments.get_json()["errors"] == {"payments": ["Missing data for required field."]}
    assert count(Sale) == 0 and count(IdempotencyKey) == 0


# --- closing the till ---------------------------------------------------------------------------------------


def test_closing_a_till_through_the_api(shop, till):
    assert (
        till.post(
            "/api/sales", json={"till": "K1", "lines": [line(shop, SUGAR, "2")], "payments": cash(50000)}
        ).status_code
        == 201
    )  # cash 36000
    qris = [{"method": "qris", "amount": 18000, "reference": "QR-77"}]
    assert (
        till.post("/api/sales", json={"till": "K1", "lines": [line(shop, SUGAR)], "payments": qris}).status_code == 201
    )
    url = f"/api/tills/sessions/{shop.session.id}/close"

    unsent = till.post(url, json={"counted": {"cash": 236000, "qris": 18000}, "unsent_sales": 1})
    assert unsent.status_code == 409
    assert unsent.get_json()["type"] == "/problems/unsent_sales"
    assert count(TillCount) == 0 and shop.session.closed_at is None

    closed = till.post(
        url, json={"counted": {"cash": 235000, "qris": 18000}, "unsent_sales": 0, "note": "Rp1.000 hilang"}
    )
    assert closed.status_code == 200, closed.get_json()
    body = closed.get_json()
    assert body["closed_at"] is not None and body["note"] == "Rp1.000 hilang"
    assert body["counts"] == [  # cash: the float Rp200.000 + Rp36.000 of sales; QRIS: Rp18.000
        {"method": "cash", "expected": 236000, "counted": 235000, "difference": -1000},
        {"method": "qris", "expected": 18000, "counted": 18000, "difference": 0},
    ]
    after = till.post("/api/sales", json={"till": "K1", "lines": [line(shop, SUGAR)], "payments": cash(20000)})
    assert after.status_code == 409
    assert after.get_json()["detail"] == "Kasir K1 belum dibuka: buka dulu dengan uang modal."


@pytest.mark.parametrize(
    ("code", "quantity", "message"),
    [
        ("BRSMED-KG", "1.2345", "Maksimal 3 angka di belakang koma."),  # was sold as 1.234 kg
        ("BRSMED-KG", "0.0005", "Maksimal 3 angka di belakang koma."),  # was 0 kg
        ("BRSMED-KG", 1.2345, "Maksimal 3 angka di belakang koma."),  # a JSON number, not a string
        ("BRSMED-KG", "1e30", "Terlalu besar."),
        ("BRSMED-KG", "NaN", "Isi angka, misalnya 2 atau 12,5."),
        ("BRSMED-KG", "Infinity", "Isi angka, misalnya 2 atau 12,5."),
        ("BRSMED-KG", "sNaN", "Isi angka, misalnya 2 atau 12,5."),
        ("BRSMED-KG", True, "Isi angka, misalnya 2 atau 12,5."),
    ],
)
def test_a_quantity_is_never_rounded_to_fit(shop, till, code, quantity, message):
    response = till.post(
        "/api/sales", json={"till": "K1", "lines": [line(shop, code, quantity)], "payments": cash(10**6)}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"lines": [{"0": {"quantity": [message]}}]}
    assert count(Sale) == 0


def test_more_decimals_than_the_unit_allows_is_refused_at_the_till(shop, till):
    """A pack is whole: 1.5 sugar packs is refused with the field named, not rounded."""
    response = till.post(
        "/api/sales", json={"till": "K1", "lines": [line(shop, SUGAR, "1.5")], "payments": cash(10**6)}
    )
    assert response.status_code == 409
    assert response.get_json()["detail"] == "Gula pasir 1 kg dijual per Bungkus 1 kg utuh."
    assert count(Sale) == 0


def test_a_subsidised_sale_without_the_buyers_nik_names_the_missing_fields(shop, till):
    """Before: 409 line_refused with no errors, while a malformed NIK got 422 with errors.nik."""
    body = {"till": "K1", "lines": [line(shop, LPG3)], "payments": cash(10**6)}
    missing = till.post("/api/sales", json=body)
    assert missing.status_code == 409 and missing.get_json()["type"] == "/problems/line_refused"
    assert set(missing.get_json()["errors"]) == {"buyer.nik", "buyer.category"}
    no_category = till.post("/api/sales", json={**body, "buyer": {"nik": "6499995506850012"}})
    assert set(no_category.get_json()["errors"]) == {"buyer.category"}
    malformed = till.post("/api/sales", json={**body, "buyer": {"nik": "123", "category": "household"}})
    assert malformed.status_code == 422 and "nik" in malformed.get_json()["errors"]
    assert count(Sale) == 0


def test_a_cashier_sees_a_sales_buyer_nik_masked_and_a_manager_in_full(shop, till, api):
    buyer = {"nik": "6499995506850012", "kk_number": "6499990101250010", "category": "household", "name": "Pembeli"}
    sold = till.post(
        "/api/sales", json={"till": "K1", "lines": [line(shop, LPG3)], "buyer": buyer, "payments": cash(10**6)}
    )
    assert sold.status_code == 201, sold.get_json()
    assert sold.get_json()["buyer_nik"] == "6499********0012"
    sale_id = sold.get_json()["id"]
    assert till.get(f"/api/sales/{sale_id}").get_json()["buyer_nik"] == "6499********0012"
    assert api("manager").get(f"/api/sales/{sale_id}").get_json()["buyer_nik"] == "6499995506850012"
