"""A live world for tests with real processes: the demo committed to the test database, the reorder queue on
real Redis, web apps made on demand, real `flask worker` processes."""

import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

from redis import Redis
from rq import Queue
from sqlalchemy import select

from app.db import db
from inventory.models import StockOutbox
from suppliers import jobs, reorder
from suppliers.models import PurchaseOrderLine
from tests.conftest import REDIS_URL, truncate_all

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
LPG3_BARCODE = "8991000000119"


def worker_env(database_url: str, **extra: str) -> dict:
    return {**os.environ, "LUMBUNG_ENV": "development", "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, **extra}


def run_worker(database_url: str) -> None:
    """A real `flask worker` process on the reorder queue until it is empty."""
    worker = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", jobs.QUEUE, "--burst"],
        cwd=ROOT,
        env=worker_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]


def sell(client, token: str, packaging_id: int, member: str | None = None) -> None:
    """One piece at till K1 over HTTP, cash."""
    response = client.post(
        "/api/sales",
        json={
            "till": "K1",
            "member": member,
            "lines": [{"packaging_id": packaging_id, "quantity": "1"}],
            "payments": [{"method": "cash", "tendered": 20000}],
        },
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.get_json()


class Live:
    """The demo cooperative committed to the test database, the reorder queue on real Redis (emptied), and the
    app instances a test makes for its web side (disposed at the end)."""

    def __init__(self, app, database_url: str) -> None:
        self.app, self.database_url, self.apps = app, database_url, []
        self.queue = Queue(jobs.QUEUE, connection=Redis.from_url(REDIS_URL))
        self.queue.empty()
        with app.app_context():
            from demo import load_demo

            truncate_all(db.engine)
            load_demo()
            db.session.execute(StockOutbox.__table__.delete())  # the opening stock's marks: old news here
            db.session.commit()

    def web(self, redis_url: str = REDIS_URL, **config):
        from app.factory import create_app

        web = create_app(
            "testing",
            {"SQLALCHEMY_DATABASE_URI": self.database_url, "REDIS_URL": redis_url, "JOBS_IN_PROCESS": False, **config},
        )
        self.apps.append(web)
        return web

    def setup(self, sku: str, supplier: str, reorder_point: int, order_up_to: int, cashier: str | None = None):
        """A reorder rule for the item at the shop (TKO); with a cashier name, that cashier with till K1 open and
        an API token. Return (item id, token)."""
        from app import auth
        from inventory.models import Item, Location
        from orders import tills
        from suppliers.models import Supplier

        with self.app.app_context():
            item = db.session.scalar(select(Item).where(Item.sku == sku))
            shop_location = db.session.scalar(select(Location).where(Location.code == "TKO"))
            source = db.session.scalar(select(Supplier).where(Supplier.code == supplier))
            reorder.set_rule(item, shop_location, source, D(reorder_point), D(order_up_to))
            token = None
            if cashier:
                user = auth.create_user(cashier, "Kasir", "cashier", "password-123")
                tills.open_session(tills.get_till("K1"), user, 0)
                token = auth.issue_api_token(user, "test")
            db.session.commit()
            return item.id, token

    def packaging(self, barcode: str) -> int:
        from inventory.models import Barcode

        with self.app.app_context():
            return db.session.scalar(select(Barcode.packaging_id).where(Barcode.code == barcode))

    def age_outbox(self) -> None:
        """Make every pending outbox row look minutes old, as when Redis was down or a check was lost."""
        from datetime import timedelta

        from app.db import utcnow

        with self.app.app_context():
            db.session.execute(StockOutbox.__table__.update().values(touched_at=utcnow() - timedelta(minutes=5)))
            db.session.commit()

    def lines(self) -> list[tuple[str, Decimal, Decimal]]:
        """The reorder lines (sku, packs, base units) and, checked on the way, an empty outbox."""
        with self.app.app_context():
            rows = db.session.scalars(select(PurchaseOrderLine).order_by(PurchaseOrderLine.id)).all()
            assert all(ln.order.origin == "reorder" for ln in rows)
            self.outbox_left = db.session.scalars(select(StockOutbox)).all()
            return [(ln.item.sku, ln.packs, ln.quantity) for ln in rows]

    def close(self) -> None:
        self.queue.empty()
        for web in self.apps:
            with web.app_context():
                db.engine.dispose()
        with self.app.app_context():
            truncate_all(db.engine)
