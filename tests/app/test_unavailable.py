"""When the database or Redis cannot serve a request: 503 with Retry-After in problem+json (or a page), and a
sentence that is true: nothing saved, or, when the commit itself was cut off, retry with the same key."""

import uuid

import pytest
from sqlalchemy import event, func, select, text

from app.db import db
from app.factory import create_app
from tests.conftest import csrf_token_from, truncate_all

pytestmark = [pytest.mark.postgres]


def test_a_database_that_cannot_be_reached_gets_a_503_with_retry_after(app):
    down = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/lumbung"})
    client = down.test_client()
    api = client.get("/api/tills", headers={"Authorization": "Bearer whatever"})
    assert api.status_code == 503 and api.mimetype == "application/problem+json"
    assert api.headers["Retry-After"] == "3"
    assert api.get_json()["type"] == "/problems/unavailable"
    assert "Idempotency-Key" in api.get_json()["detail"]
    form = client.get("/login")  # the sign-in form needs no database
    token = csrf_token_from(form.get_data(as_text=True))
    page = client.post("/login", data={"username": "siti", "password": "x", "csrf_token": token})
    assert page.status_code == 503 and page.mimetype == "text/html" and page.headers["Retry-After"] == "3"
    assert "Server tidak dapat menjangkau basis data atau antrean pekerjaannya saat ini" in page.get_data(as_text=True)
    with down.app_context():
        db.engine.dispose()


def test_a_commit_cut_off_says_the_outcome_is_unknown_and_the_same_key_sells_once(app, database_url):
    """The sale's connection is killed just before its COMMIT: 503 `outcome_unknown`, telling the till to send the
    same request again; the retry with the same Idempotency-Key makes the sale, once."""
    from app import auth
    from demo import load_demo
    from orders import tills
    from orders.models import Sale

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        cashier = auth.create_user("kasir-cut", "Kasir", "cashier", "password-123")
        tills.open_session(tills.get_till("K1"), cashier, 0)
        token = auth.issue_api_token(cashier, "t")
        packaging = db.session.scalar(text("SELECT packaging_id FROM barcode WHERE code = '8991000000508'"))
        db.session.commit()
    web = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    cut = {"done": False}

    def kill_own_connection(session):
        if not cut["done"]:
            cut["done"] = True
            pid = session.connection().scalar(text("SELECT pg_backend_pid()"))
            with db.engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                other.commit()

    sale = {
        "till": "K1",
        "lines": [{"packaging_id": packaging, "quantity": "1"}],
        "payments": [{"method": "cash", "tendered": 20000}],
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    client = web.test_client()
    try:
        event.listen(db.session.__class__, "before_commit", kill_own_connection)
        with web.app_context():
            cut_off = client.post("/api/sales", json=sale, headers=headers)
    finally:
        event.remove(db.session.__class__, "before_commit", kill_own_connection)
    assert cut_off.status_code == 503, cut_off.get_json()
    assert cut_off.headers["Retry-After"] == "3"
    assert cut_off.get_json()["type"] == "/problems/outcome_unknown"
    again = client.post("/api/sales", json=sale, headers=headers)
    assert again.status_code == 201, again.get_json()
    replay = client.post("/api/sales", json=sale, headers=headers)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert db.session.scalar(select(func.count(Sale.id))) == 1
        db.session.rollback()
        truncate_all(db.engine)
    with web.app_context():
        db.engine.dispose()
