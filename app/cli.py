"""flask users ... and flask worker."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app import auth
from app.db import db
from app.errors import DomainError
from app.models import ROLES, User

users = AppGroup("users", help="Manage users.")


@users.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.password_option()
def create_user(username: str, full_name: str, role: str, password: str) -> None:
    """Create a user."""
    try:
        auth.create_user(username, full_name, role, password)
    except DomainError as error:
        reasons = " ".join(str(m) for ms in error.fields.values() for m in ms)
        raise click.ClickException(f"{error.message} {reasons}") from error
    db.session.commit()
    click.echo(f"Created {username} ({role}).")


@users.command("password")
@click.argument("username")
@click.password_option(prompt="New password")
def set_password(username: str, password: str) -> None:
    """Set a user's password (checked like any new one); every session of theirs ends."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}")
    try:
        auth.change_password(user, None, password)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Password of {username} changed; their sessions have ended.")


@users.command("disable")
@click.argument("username")
def disable_user(username: str) -> None:
    """Disable a user and end all their sessions and tokens."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}")
    auth.set_active(user, False)
    db.session.commit()
    click.echo(f"Disabled {username}; their sessions and tokens have ended.")


@users.command("token")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. 'bulog-export'.")
@click.option(
    "--days", type=click.IntRange(1, 3650), default=None, help="Valid this many days (default: until revoked)."
)
def create_token(username: str, name: str, days: int | None) -> None:
    """Make an API token for an integration (shown once)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}")
    token = auth.issue_api_token(user, name, days)
    db.session.commit()
    click.echo(token)


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker inside the app's context (the retries' scheduling is the cron's: run `flask cron` too)."""
    from app import jobs

    if current_app.config["JOBS_IN_PROCESS"]:
        raise click.ClickException("Set REDIS_URL: without it jobs already run inside the web process.")
    current_app.config["DATABASE_ROLE"] = "job"  # the work horses' connections get the jobs' timeouts
    jobs.run_worker(current_app._get_current_object(), queues or jobs.QUEUES, burst=burst)


@click.command("cron")
def cron() -> None:
    """Enqueue the periodic jobs on time and move due retries to their queues: run exactly one of these beside
    the workers. It waits for Redis when Redis is away, and stops on SIGTERM or Ctrl+C."""
    import signal
    import threading

    from app import jobs

    if current_app.config["JOBS_IN_PROCESS"]:
        raise click.ClickException("Set REDIS_URL: without it the periodic jobs already run inside the web process.")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    jobs.run_cron(current_app._get_current_object(), stop)
