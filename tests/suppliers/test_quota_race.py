"""Two orders racing for the last of a monthly quota on PostgreSQL: the sum never exceeds it."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import db
from suppliers.models import PurchaseOrder, PurchaseOrderLine
from tests.conftest import truncate_all
from tests.parallel import run_in_processes

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]


def submit_order(gate, database_url: str, order_id: int, user_id: int) -> str:
    from app.db import db
    from app.errors import DomainError
    from app.factory import create_app
    from app.models import User
    from suppliers import services

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        user = db.session.get(User, user_id)
        order = services.get_order(order_id)
        db.session.rollback()
        gate.wait()
        try:
            services.transition(services.get_order(order_id), "submit", user)
            db.session.commit()
            outcome = "submitted"
        except DomainError as error:
            db.session.rollback()
            outcome = error.code
        del order
        db.engine.dispose()
    return outcome


def test_six_orders_race_for_a_quota_of_250(app, database_url):
    from demo import load_demo
    from inventory.models import Item, Location
    from suppliers import services
    from suppliers.models import Supplier

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        from app import auth

        clerk = auth.create_user("gudang-race", "Gudang", "warehouse", "password-123")
        agent = db.session.scalar(select(Supplier).where(Supplier.code == "AGEN-LPG"))
        warehouse = db.session.scalar(select(Location).where(Location.code == "GDG"))
        lpg = db.session.scalar(select(Item).where(Item.sku == "LPG3"))
        order_ids = []
        for _ in range(6):
            order = services.create_order(agent, warehouse, clerk)
            services.set_line(order, lpg.id, Decimal(100), clerk)  # 6 × 100 against 250: two fit
            order_ids.append(order.id)
        db.session.commit()
        clerk_id = clerk.id
    try:
        outcomes = run_in_processes(submit_order, [(database_url, oid, clerk_id) for oid in order_ids])
        assert sorted(outcomes) == ["quota_exceeded"] * 4 + ["submitted"] * 2
        with app.app_context():
            ordered = db.session.scalar(
                select(func.sum(PurchaseOrderLine.quantity))
                .join(PurchaseOrderLine.order)
                .where(PurchaseOrder.status == "submitted")
            )
            assert ordered == Decimal(200)
    finally:
        with app.app_context():
            truncate_all(db.engine)
