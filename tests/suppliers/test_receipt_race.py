"""The same receipt posted at the same moment from two devices (two processes) is posted once."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import db
from inventory import ledger
from inventory.models import StockMove
from tests.conftest import truncate_all
from tests.parallel import run_in_processes

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]


def post_receipt(gate, database_url: str, receipt_id: int, user_id: int) -> str:
    from app.db import db
    from app.factory import create_app
    from app.models import User
    from suppliers import receiving

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.rollback()
        gate.wait()
        receipt = receiving.post(receipt_id, user)
        db.session.commit()
        outcome = receipt.status
        db.engine.dispose()
    return outcome


def test_two_devices_post_the_same_receipt_once(app, database_url):
    from app import auth
    from demo import load_demo
    from inventory.models import Item, Location
    from suppliers import receiving, services
    from suppliers.models import Supplier

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        clerk = auth.create_user("gudang-race", "Gudang", "warehouse", "password-123")
        manager = auth.create_user("manajer-race", "Manajer", "manager", "password-123")
        agent = db.session.scalar(select(Supplier).where(Supplier.code == "AGEN-LPG"))
        warehouse = db.session.scalar(select(Location).where(Location.code == "GDG"))
        lpg = db.session.scalar(select(Item).where(Item.sku == "LPG3"))
        order = services.create_order(agent, warehouse, clerk)
        services.set_line(order, lpg.id, Decimal(40), clerk)
        services.transition(order, "submit", clerk)
        services.transition(order, "approve", manager)
        receipt = receiving.open_receipt(order, clerk)
        receiving.scan_into(receipt, "8991000000119", clerk, times=Decimal(40))
        db.session.commit()
        receipt_id, clerk_id = receipt.id, clerk.id
    try:
        outcomes = run_in_processes(post_receipt, [(database_url, receipt_id, clerk_id)] * 2)
        assert outcomes == ["posted", "posted"]
        with app.app_context():
            moves = db.session.scalar(
                select(func.count()).select_from(StockMove).where(StockMove.reference == f"GR-{receipt_id}")
            )
            assert moves == 1
            received = db.session.scalar(
                select(func.sum(StockMove.quantity)).where(StockMove.reference == f"GR-{receipt_id}")
            )
            assert received == Decimal(40)
            assert ledger.verify() == []
    finally:
        with app.app_context():
            truncate_all(db.engine)
