"""Real parallel scans on PostgreSQL: clerks scanning the same line at once lose no scan."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app import auth
from app.db import db
from inventory import counts, services
from inventory.models import StockCountLine
from tests.conftest import truncate_all
from tests.inventory.conftest import build_world
from tests.parallel import run_in_processes

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]
SUGAR = "SUGAR-PACK-1"


def scan_sugar(gate, database_url: str, count_id: int, bin_id: int, user_id: int, scans: int) -> int:
    """Scan one sugar pack `scans` times, each scan in its own transaction; return how many were saved."""
    from app.factory import create_app
    from app.models import User
    from inventory.models import Location, StockCount

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    saved = 0
    with app.app_context():
        count, user = db.session.get(StockCount, count_id), db.session.get(User, user_id)
        location = db.session.get(Location, bin_id)
        db.session.rollback()
        gate.wait()
        for _ in range(scans):
            counts.record_scan(count, location, SUGAR, user)
            db.session.commit()
            saved += 1
        db.engine.dispose()
    return saved


@pytest.fixture
def committed_count(app):
    """An open count of a bin, committed for real (other processes must see it); emptied afterwards."""
    with app.app_context():
        truncate_all(db.engine)
        world = build_world()
        pack = services.add_packaging(world.sugar, "Bungkus", Decimal(1), False, True)
        services.add_barcode(pack, SUGAR)
        users = [auth.create_user(f"clerk{n}", "Clerk", "warehouse", "password-123") for n in range(6)]
        count = counts.create_count(world.bin1, users[0])
        db.session.commit()
        yield count.id, world.bin1.id, [u.id for u in users]
        db.session.rollback()
        truncate_all(db.engine)


def test_six_clerks_scanning_the_same_line_at_once_lose_no_scan(app, database_url, committed_count):
    count_id, bin_id, user_ids = committed_count
    saved = run_in_processes(scan_sugar, [(database_url, count_id, bin_id, user_id, 5) for user_id in user_ids])
    assert saved == [5] * 6
    with app.app_context():
        lines = db.session.scalars(select(StockCountLine).where(StockCountLine.count_id == count_id)).all()
        assert [(ln.counted_quantity, ln.expected_quantity) for ln in lines] == [(Decimal(30), Decimal(0))]
