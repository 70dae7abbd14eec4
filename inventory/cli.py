"""flask inventory ...: checks on the ledger."""

import sys

import click
from flask.cli import AppGroup

from inventory import ledger

inventory = AppGroup("inventory", help="Stock ledger commands.")


@inventory.command("verify")
@click.option("--enqueue", is_flag=True, help="Run it on a worker instead (RQ queue 'reports').")
def verify_command(enqueue: bool) -> None:
    """Recompute every balance from the ledger; exit 1 if any has drifted."""
    if enqueue:
        from inventory.jobs import enqueue_verify_ledger

        job = enqueue_verify_ledger()
        click.echo(f"Queued {job.id}." if job else "A check is already queued.")
        return
    drift = ledger.verify()
    if not drift:
        click.echo("OK: every balance equals the sum of its ledger moves.")
        return
    for row in drift:
        click.echo(
            f"DRIFT item={row['item_id']} location={row['location_id']} lot={row['lot_id']}: "
            f"ledger {row['ledger']} != balance {row['balance']}"
        )
    sys.exit(1)


@inventory.command("snapshots")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day, 2026-01-01")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last day, included")
def snapshots_command(first, last) -> None:
    """Make the stock snapshots of a range of past days again (after a correction dated back, or on a new
    installation with history), each day from the one before: the days kept, every month's last day and the
    last 62 days."""
    from app.db import db
    from inventory import valuation

    made = valuation.rebuild(first.date(), last.date())
    db.session.commit()
    click.echo(f"{made} day(s) of stock snapshots made.")
