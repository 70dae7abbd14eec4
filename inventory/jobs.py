"""Inventory jobs (RQ): module-level functions taking ids, idempotent, with explicit queue and limits."""

import logging

from rq import Retry

from app import jobs
from inventory import ledger

log = logging.getLogger(__name__)

VERIFY_OPTIONS = {
    "job_timeout": 600,
    "retry": Retry(max=2, interval=60),
    "result_ttl": 86400,
    "failure_ttl": 14 * 86400,
}


def verify_ledger() -> int:
    """Recompute every balance from the ledger; log each drift and return how many there are (read-only)."""
    drift = ledger.verify()
    for row in drift:
        log.error(
            "Stock drift: item %(item_id)s at location %(location_id)s lot %(lot_id)s: "
            "ledger %(ledger)s, balance %(balance)s",
            row,
        )
    return len(drift)


def enqueue_verify_ledger():
    """Queue a ledger check now (a second request while one waits is dropped by its fixed id)."""
    return jobs.enqueue_once(jobs.queue("reports"), verify_ledger, job_id="inventory-verify-ledger", **VERIFY_OPTIONS)


def take_daily_snapshot() -> str:
    """The nightly job: keep the end of yesterday (the cooperative's day) and let go of the daily snapshots no
    longer kept (`valuation.kept`). Idempotent: run twice, the day's snapshot is made again the same way."""
    from datetime import timedelta

    from app.clock import today
    from app.db import db
    from inventory import valuation

    day = today() - timedelta(days=1)
    valuation.take_snapshot(day)
    valuation.prune(today())
    db.session.commit()
    return day.isoformat()
