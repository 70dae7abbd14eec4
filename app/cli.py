"""flask users ... and flask worker."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app import auth
from app.db import db
from app.models import ROLES, User

users = AppGroup("users", help="Manage users.")


@users.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.password_option()
def create_user(username: str, full_name: str, role: str, password: str) -> None:
    """Create a user."""
    auth.create_user(username, full_name, role, password)
    db.session.commit()
    click.echo(f"Created {username} ({role}).")


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
def create_token(username: str, name: str) -> None:
    """Make an API token for an integration (shown once)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}")
    token = auth.issue_api_token(user, name)
    db.session.commit()
    click.echo(token)


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker (with its scheduler) inside the app's context."""
    from app import jobs

    if current_app.config["JOBS_IN_PROCESS"]:
        raise click.ClickException("Set REDIS_URL: without it jobs already run inside the web process.")
    names = queues or jobs.QUEUES
    conn = jobs.connection()
    jobs.AppWorker([jobs.queue(n) for n in names], connection=conn).work(with_scheduler=True, burst=burst)


@click.command("cron")
def cron() -> None:
    """Enqueue the periodic jobs on time (RQ's cron): run one of these beside the workers."""
    from app import jobs

    if current_app.config["JOBS_IN_PROCESS"]:
        raise click.ClickException("Set REDIS_URL: without it the periodic jobs already run inside the web process.")
    jobs.cron_scheduler(current_app).start()
