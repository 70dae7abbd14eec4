"""Reorder jobs (RQ): module-level functions taking ids, idempotent, with explicit queue and limits.

The ledger writes an outbox row wherever stock changed (in the sale's own transaction) and sends `stock_changed`;
`on_stock_changed` queues one check per (item, location) after the commit, under a fixed job id, so a burst of
sales queues one check, not one per sale. Selling never waits for Redis: if it is down the outbox row stays and
the periodic job picks it up.
"""

import logging
import os
import time
from datetime import timedelta
from pathlib import Path

from rq import Retry
from sqlalchemy import delete, select

from app import jobs
from app.db import db, utcnow
from inventory.models import Location, StockOutbox
from suppliers import reorder
from suppliers.models import PurchaseOrder, ReorderRule

log = logging.getLogger(__name__)

QUEUE = "reorder"
CHECK_OPTIONS = {
    "job_timeout": 120,
    "retry": Retry(max=3, interval=[10, 30, 60]),
    "result_ttl": 3600,
    "failure_ttl": 7 * 86400,
}


def check_id(item_id: int, location_id: int) -> str:
    return f"reorder-check-{item_id}-{location_id}"


def reorder_check(item_id: int, location_id: int) -> int:
    """Check the drafts of every active rule watching this item here or at a location above (each rule's whole
    supplier-and-destination group); then clear the outbox row, unless stock changed again while we worked (its
    generation moved on: the next check is already due). Return the number of groups checked."""
    outbox = StockOutbox.__table__
    seen = db.session.scalar(
        select(outbox.c.generation).where(outbox.c.item_id == item_id, outbox.c.location_id == location_id)
    )
    groups = db.session.execute(
        select(ReorderRule.supplier_id, ReorderRule.location_id)
        .where(
            ReorderRule.item_id == item_id,
            ReorderRule.location_id.in_(_this_and_above(location_id)),
            ReorderRule.is_active,
        )
        .distinct()
        .order_by(ReorderRule.supplier_id, ReorderRule.location_id)
    ).all()
    for supplier_id, destination_id in groups:
        reorder.check_group(supplier_id, destination_id)
        _test_hold()
    if seen is not None:
        db.session.execute(
            delete(outbox).where(
                outbox.c.item_id == item_id, outbox.c.location_id == location_id, outbox.c.generation == seen
            )
        )
    db.session.commit()
    return len(groups)


def _test_hold() -> None:
    """A test hook (tests/suppliers/test_reorder_jobs.py): with LUMBUNG_TEST_HOLD_REORDER set to a path, the check
    waits there, its supplier's row locked and nothing committed, until that file exists (at most a minute), so a
    test can kill the worker in the middle of a check."""
    path = os.environ.get("LUMBUNG_TEST_HOLD_REORDER")
    if path:
        Path(path + ".held").write_text(str(os.getpid()))  # the work horse's pid, for the test to kill
        deadline = time.monotonic() + 60
        while not Path(path).exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def _this_and_above(location_id: int) -> list[int]:
    ids, location = [], db.session.get(Location, location_id)
    while location is not None:
        ids.append(location.id)
        location = location.parent
    return ids


def enqueue_check(item_id: int, location_id: int) -> None:
    """Queue a check now, unless one for the same item and location is already waiting (its fixed id)."""
    jobs.enqueue_once(
        jobs.queue(QUEUE), reorder_check, item_id, location_id, job_id=check_id(item_id, location_id), **CHECK_OPTIONS
    )


def on_stock_changed(sender, changed: list[tuple[int, int]]) -> None:
    """The ledger changed stock: queue a check for each place, once the transaction has committed (stock that
    rose may make a waiting suggestion smaller, or unneeded)."""
    for item_id, location_id in changed:
        jobs.enqueue_after_commit(
            reorder_check,
            item_id,
            location_id,
            queue_name=QUEUE,
            job_id=check_id(item_id, location_id),
            **CHECK_OPTIONS,
        )


PENDING_AFTER_SECONDS = 120


def requeue_pending(older_than_seconds: int = PENDING_AFTER_SECONDS) -> int:
    """The periodic catch-up: queue a check for every outbox row still pending after a while (Redis was down,
    or a check failed); return how many."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    rows = db.session.execute(
        select(StockOutbox.item_id, StockOutbox.location_id).where(StockOutbox.touched_at < cutoff)
    ).all()
    db.session.commit()  # nothing written: end the transaction before talking to Redis
    for item_id, location_id in rows:
        enqueue_check(item_id, location_id)
    return len(rows)


OUTBOX_BOUND = PENDING_AFTER_SECONDS + 60  # past the catch-up and its next turn


def health() -> list:
    """The oldest stock change still waiting for its reorder check (app.health)."""
    from flask_babel import gettext as _
    from sqlalchemy import func

    from app.health import Signal

    oldest = db.session.scalar(select(func.min(StockOutbox.touched_at)))
    age = round((utcnow() - oldest).total_seconds()) if oldest is not None else 0
    return [
        Signal(
            "outbox",
            age <= OUTBOX_BOUND,
            age,
            OUTBOX_BOUND,
            "seconds",
            _("No stock change waits for its reorder check.")
            if oldest is None
            else _("The oldest stock change has waited %(seconds)d s for its reorder check.", seconds=age)
            if age <= OUTBOX_BOUND
            else _(
                "A stock change has waited %(seconds)d s for its reorder check: are the workers and the cron running?",
                seconds=age,
            ),
        )
    ]


def sweep() -> int:
    """The nightly sweep: every supplier's draft for every destination, whatever fell or not (a rule changed, a
    quota month began), the reorder points in demand mode recomputed from the sales first; drafts no active rule
    asks for any more are emptied. One commit per supplier and destination, so no lock is held for long. Return
    the number of active rules."""
    rules = db.session.execute(
        select(ReorderRule.supplier_id, ReorderRule.location_id).where(ReorderRule.is_active)
    ).all()
    drafts = db.session.execute(
        select(PurchaseOrder.supplier_id, PurchaseOrder.destination_id).where(
            PurchaseOrder.origin == "reorder", PurchaseOrder.status == "draft"
        )
    ).all()
    db.session.commit()
    for supplier_id, location_id in sorted({tuple(row) for row in rules + drafts}):
        reorder.check_group(supplier_id, location_id, with_demand=True)
        db.session.commit()
    return len(rules)
