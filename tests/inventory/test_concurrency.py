"""Real parallel transactions on PostgreSQL: the ledger never oversells."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import db
from inventory import ledger
from inventory.ledger import Move, post_moves
from inventory.models import StockBalance, StockMove
from tests.conftest import truncate_all
from tests.inventory.conftest import build_world
from tests.parallel import opposite_order_batches, run_in_processes, take_units

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]


@pytest.fixture
def committed_world(app):
    """A world committed for real (other processes must see it); emptied afterwards."""
    with app.app_context():
        truncate_all(db.engine)
        world = build_world()
        post_moves(
            [
                Move(
                    world.sugar.id,
                    world.supplier.id,
                    world.bin1.id,
                    Decimal(25),
                    "receipt",
                    "PO-1",
                    unit_cost=Decimal(15000),
                )
            ]
        )
        db.session.commit()
        yield world
        db.session.rollback()
        truncate_all(db.engine)


def test_eight_processes_forty_attempts_on_a_balance_of_25(app, database_url, committed_world):
    w = committed_world
    results = run_in_processes(take_units, [(database_url, w.sugar.id, w.bin1.id, w.customer.id, 5)] * 8)
    outcomes = [o for per_process in results for o in per_process]
    assert len(outcomes) == 40
    assert outcomes.count("ok") == 25
    assert outcomes.count("insufficient") == 15
    with app.app_context():
        quantity = db.session.scalar(
            select(StockBalance.quantity).where(
                StockBalance.item_id == w.sugar.id, StockBalance.location_id == w.bin1.id
            )
        )
        assert quantity == Decimal(0)
        sold = db.session.scalar(select(func.sum(StockMove.quantity)).where(StockMove.reason == "sale"))
        assert sold == Decimal(25)
        assert ledger.verify() == []


def test_batches_locking_the_same_rows_in_opposite_orders_do_not_deadlock(app, database_url, committed_world):
    """Half the processes move sugar then rice, the other half rice then sugar: ordered locks, no deadlock."""
    w = committed_world
    with app.app_context():
        post_moves(
            [
                Move(w.rice.id, w.supplier.id, w.bin1.id, Decimal(1000), "receipt", "PO-2", unit_cost=Decimal(12000)),
                Move(w.sugar.id, w.supplier.id, w.bin1.id, Decimal(175), "receipt", "PO-2", unit_cost=Decimal(15000)),
            ]
        )
        db.session.commit()
    args = [(database_url, w.sugar.id, w.rice.id, w.bin1.id, w.shop.id, i % 2 == 0, 10) for i in range(8)]
    results = run_in_processes(opposite_order_batches, args)
    assert results == [10] * 8  # every batch committed, none died in a deadlock
    with app.app_context():
        shop = dict(
            db.session.execute(
                select(StockBalance.item_id, StockBalance.quantity).where(StockBalance.location_id == w.shop.id)
            ).all()
        )
        assert shop == {w.sugar.id: Decimal(80), w.rice.id: Decimal(80)}
        assert ledger.verify() == []
