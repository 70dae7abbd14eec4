from types import SimpleNamespace

import pytest
from sqlalchemy import delete, select

from app import jobs
from inventory.models import Item, Location, StockOutbox
from suppliers.models import Supplier


@pytest.fixture
def shop(demo, make_user):
    """The demo cooperative with its two suppliers, a manager and a clerk."""
    ns = SimpleNamespace()
    ns.items = {i.sku: i for i in demo.scalars(select(Item))}
    ns.locations = {loc.code: loc for loc in demo.scalars(select(Location))}
    ns.bulog = demo.scalar(select(Supplier).where(Supplier.code == "BULOG-BPN"))
    ns.agent = demo.scalar(select(Supplier).where(Supplier.code == "AGEN-LPG"))
    ns.manager = make_user("manager")
    ns.clerk = make_user("warehouse")
    ns.warehouse = ns.locations["GDG"]
    # The opening stock marked every place it came to, and asked for their checks: old news here.
    demo.execute(delete(StockOutbox))
    demo.info.pop(jobs.PENDING, None)
    return ns


@pytest.fixture
def live(app, database_url):
    """The demo committed for real, the reorder queue on real Redis: for tests with real worker processes."""
    from tests.suppliers.live import Live

    world = Live(app, database_url)
    yield world
    world.close()
