"""The database handle, the declarative base and the column types every package uses."""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, DateTime, Engine, Integer, MetaData, Numeric, TypeDecorator, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints so Alembic migrations are stable on PostgreSQL and SQLite alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# Money is whole rupiah; quantities are exact decimals (3 places covers grams of rice).
Money = BigInteger
QTY_SCALE = 3


def Qty() -> Numeric:  # noqa: N802 - reads as a type in column definitions
    return Numeric(14, QTY_SCALE, asdecimal=True)


def Rate() -> Numeric:  # noqa: N802 - a unit cost per base unit may have fractions of a rupiah
    return Numeric(18, 4, asdecimal=True)


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite transactional the way PostgreSQL is: real BEGIN, savepoints, foreign keys.

    pysqlite's own transaction handling skips BEGIN and breaks SAVEPOINT (SQLAlchemy's pysqlite notes).
    BEGIN IMMEDIATE takes the write lock up front, standing in for SELECT ... FOR UPDATE.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def configure_postgresql(engine: Engine, settings: Callable[[], dict[str, str]]) -> None:
    """Set each new PostgreSQL connection's timeouts for the kind of process it serves (a web request, a job, a
    command: app.config's DATABASE_SESSION_SETTINGS), read when the connection is made."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        values = settings()
        if values:
            with dbapi_connection.cursor() as cursor:
                for name, value in values.items():
                    cursor.execute("SELECT set_config(%s, %s, false)", (name, value))
            dbapi_connection.commit()


def lock(obj) -> None:
    """Hold this object's row until the transaction ends and read it again as last committed, so the status
    checked next is the one a concurrent change left, and that change waits for ours (FOR NO KEY UPDATE: rows
    pointing at it may still be added)."""
    db.session.refresh(obj, with_for_update={"key_share": True})


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp, written as UTC (SQLite stores the wall time without its zone, so a moment in
    the cooperative's zone would compare 8 hours off); SQLite hands back naive values, so they are read as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use app.db.utcnow()")
        try:
            return value.astimezone(UTC)  # SQLite keeps the wall time and drops the zone: WITA's midnight is 16:00 UTC
        except OverflowError:  # within hours of year 1 or 9999 (a report "from 0001-01-01"): the nearest UTC moment
            return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


ZERO = Decimal("0")
__all__ = ["db", "Base", "Money", "Qty", "Rate", "UTCDateTime", "utcnow", "TimestampMixin", "ZERO", "Integer"]


def insert_ignoring_duplicates(table, dialect_name: str):
    """INSERT ... ON CONFLICT DO NOTHING in the dialect at hand (PostgreSQL, or SQLite in the quick start)."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()
