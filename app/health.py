"""Is the back office working? The signals a monitor reads at /healthz, and the jobs screen and the manager's
home show: the database and Redis answer, the oldest change waiting for its reorder check, retries overdue,
failed jobs, the cron's last tick and the workers' heartbeats, each against its bound."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError


@dataclass(frozen=True)
class Signal:
    name: str  # stable, for a monitor: "database", "outbox", "cron", ...
    ok: bool
    value: float | None  # seconds or a count (None: not measured)
    bound: float | None  # the value past which it is not ok
    unit: str  # "seconds" or "count"
    text: str  # what it means, in the reader's language

    def as_json(self) -> dict:
        return {"name": self.name, "ok": self.ok, "value": self.value, "bound": self.bound, "unit": self.unit}


def register(app: Flask, provider: Callable[[], list[Signal]]) -> None:
    """Let a package add its signals (registered on the roof, like the menu)."""
    app.extensions.setdefault("lumbung.health", []).append(provider)


def signals() -> list[Signal]:
    """Every signal now. A package's signals need the database; the jobs' need Redis: when one is down, that is
    the signal, and what depends on it is left out."""
    from flask_babel import gettext as _

    from app import jobs
    from app.db import db

    found: list[Signal] = []
    try:
        db.session.execute(text("SELECT 1"))
        database_ok = True
    except SQLAlchemyError:
        db.session.rollback()
        database_ok = False
    found.append(
        Signal(
            "database",
            database_ok,
            None,
            None,
            "",
            _("The database answers.") if database_ok else _("The database cannot be reached."),
        )
    )
    if database_ok:
        for provider in current_app.extensions.get("lumbung.health", []):
            found += provider()
        db.session.rollback()  # read only: end the transaction
    try:
        found += jobs.health()
    except RedisError:
        found.append(Signal("redis", False, None, None, "", _("The job queue (Redis) cannot be reached.")))
    return found


def all_ok(found: list[Signal]) -> bool:
    return all(signal.ok for signal in found)
