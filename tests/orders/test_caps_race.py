"""Two tills, the same NIK, a cap of 1 a month, 20 attempts at once in several processes: exactly one passes."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db import db
from tests.conftest import truncate_all
from tests.parallel import run_in_processes

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]


def try_to_buy(gate, database_url: str, item_id: int, attempts: int) -> list[str]:
    from app.db import db
    from app.factory import create_app
    from orders import caps

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    buyer = caps.Buyer(category="household", nik="6471014101900001", kk_number="6471010101090001")
    outcomes = []
    with app.app_context():
        db.session.execute(db.select(1))
        db.session.rollback()
        gate.wait()
        for _ in range(attempts):
            try:
                caps.take({item_id: Decimal(1)}, buyer, date(2026, 11, 29))
                db.session.commit()
                outcomes.append("sold")
            except caps.CapReached:
                db.session.rollback()
                outcomes.append("refused")
        db.engine.dispose()
    return outcomes


def test_twenty_attempts_at_a_cap_of_one(app, database_url):
    from demo import load_demo
    from inventory.models import Item
    from orders import caps

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        lpg = db.session.scalar(select(Item).where(Item.sku == "LPG3"))
        caps.add_rule("Kuota LPG", lpg, "nik", "month", Decimal(1), date(2026, 1, 1))
        db.session.commit()
        lpg_id = lpg.id
    try:
        results = run_in_processes(try_to_buy, [(database_url, lpg_id, 5)] * 4)
        outcomes = [o for per_process in results for o in per_process]
        assert sorted(outcomes) == ["refused"] * 19 + ["sold"]
    finally:
        with app.app_context():
            truncate_all(db.engine)
