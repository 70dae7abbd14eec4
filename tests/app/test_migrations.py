"""The schema is made only by the migrations: upgrading an empty database gives exactly the models."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import check, upgrade
from sqlalchemy import inspect

from app.db import db
from app.factory import create_app
from tests.conftest import PG_BASE_URL, _admin_connection, _with_database


def _upgrade_then_check(url: str, capsys) -> set[str]:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        check()  # `flask db check`: exits non-zero when the models and the database differ
        with db.engine.connect() as conn:  # the same comparison, asserted: nothing differs
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    return tables


def test_upgrade_on_an_empty_sqlite_database_matches_the_models(tmp_path, capsys):
    tables = _upgrade_then_check(f"sqlite:///{tmp_path / 'empty.sqlite3'}", capsys)
    assert tables == set(db.metadata.tables) | {"alembic_version"}


@pytest.mark.postgres
def test_upgrade_on_an_empty_postgresql_database_matches_the_models(capsys):
    name = f"lumbung_mig_{uuid.uuid4().hex[:8]}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        tables = _upgrade_then_check(_with_database(PG_BASE_URL, name), capsys)
        assert tables == set(db.metadata.tables) | {"alembic_version"}
    finally:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
