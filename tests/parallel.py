"""Helpers for tests that run real parallel transactions in several processes (spawned, not forked)."""

import multiprocessing
import time
from collections.abc import Callable
from typing import Any


def run_in_processes(target: Callable, args_per_process: list[tuple], start_delay: float = 1.5) -> list[Any]:
    """Run target(start_at, *args) in one process each; all begin at the same instant; return their results."""
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + start_delay + 0.25 * len(args_per_process)  # time for every process to import
    with context.Pool(len(args_per_process)) as pool:
        results = [pool.apply_async(target, (start_at, *args)) for args in args_per_process]
        return [r.get(timeout=120) for r in results]


def wait_until(start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))


def take_units(start_at: float, database_url: str, item_id: int, from_id: int, to_id: int, attempts: int) -> list[str]:
    """Try `attempts` times to move one unit, each in its own transaction; report what each try got."""
    from decimal import Decimal

    from app.db import db
    from app.factory import create_app
    from inventory.ledger import InsufficientStock, Move, post_moves

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    outcomes = []
    with app.app_context():
        db.session.execute(db.select(1))  # connect before the start, so the race is about the ledger
        db.session.rollback()
        wait_until(start_at)
        for n in range(attempts):
            try:
                post_moves([Move(item_id, from_id, to_id, Decimal(1), "sale", f"RACE-{n}")])
                db.session.commit()
                outcomes.append("ok")
            except InsufficientStock:
                db.session.rollback()
                outcomes.append("insufficient")
        db.engine.dispose()
    return outcomes


def opposite_order_batches(
    start_at: float,
    database_url: str,
    first_id: int,
    second_id: int,
    from_id: int,
    to_id: int,
    reverse: bool,
    batches: int,
) -> int:
    """Post `batches` two-line batches, the lines in one order or the other; return how many committed."""
    from decimal import Decimal

    from app.db import db
    from app.factory import create_app
    from inventory.ledger import Move, post_moves

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    committed = 0
    with app.app_context():
        db.session.execute(db.select(1))
        db.session.rollback()
        wait_until(start_at)
        for n in range(batches):
            lines = [
                Move(first_id, from_id, to_id, Decimal(1), "transfer", f"X-{n}"),
                Move(second_id, from_id, to_id, Decimal(1), "transfer", f"X-{n}"),
            ]
            post_moves(list(reversed(lines)) if reverse else lines)
            db.session.commit()
            committed += 1
        db.engine.dispose()
    return committed
