"""Reorder checks at the same instant on PostgreSQL: one draft per supplier, one line per item, the right
quantity, however many checks run."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db import db
from suppliers.models import PurchaseOrder
from tests.conftest import truncate_all
from tests.parallel import run_in_processes, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]


def run_check(start_at: float, database_url: str, rule_id: int) -> str:
    from app.factory import create_app
    from suppliers import reorder

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.session.connection()  # connected before the start
        wait_until(start_at)
        line = reorder.check(rule_id)
        db.session.commit()
        outcome = format(line.packs.normalize(), "f")
        db.engine.dispose()
    return outcome


def test_six_checks_of_two_rules_at_once_make_one_draft_with_two_lines(app, database_url):
    from demo import load_demo
    from inventory.models import Item, Location
    from suppliers import reorder
    from suppliers.models import Supplier

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        bulog = db.session.scalar(select(Supplier).where(Supplier.code == "BULOG-BPN"))
        warehouse = db.session.scalar(select(Location).where(Location.code == "GDG"))
        items = {i.sku: i for i in db.session.scalars(select(Item))}
        sphp = reorder.set_rule(items["SPHP5"], warehouse, bulog, Decimal(100), Decimal(300)).id
        sugar = reorder.set_rule(items["GULA1"], warehouse, bulog, Decimal(100), Decimal(300)).id
        db.session.commit()
    try:
        outcomes = run_in_processes(run_check, [(database_url, rule) for rule in [sphp, sugar] * 3])
        assert sorted(outcomes) == ["12"] * 3 + ["24"] * 3  # 240 pieces of sugar in cartons of 20; 240 packs
        with app.app_context():
            drafts = db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.origin == "reorder")).all()
            assert len(drafts) == 1
            assert sorted((ln.item.sku, ln.packs) for ln in drafts[0].lines) == [
                ("GULA1", Decimal(12)),
                ("SPHP5", Decimal(24)),
            ]
    finally:
        with app.app_context():
            truncate_all(db.engine)
