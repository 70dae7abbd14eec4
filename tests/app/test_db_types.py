"""UTCDateTime on SQLite (the quick start): SQLite keeps a timestamp's wall time and drops its zone, so a bound in
the cooperative's zone must be written as UTC, as the stored moments are, or every day's window is 8 hours off."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Column, MetaData, Table, create_engine, func, select

from app.db import UTCDateTime

WITA = ZoneInfo("Asia/Makassar")


def test_a_wita_midnight_bounds_the_day_on_sqlite_as_on_postgresql():
    engine = create_engine("sqlite://")
    table = Table("moment", MetaData(), Column("at", UTCDateTime()))
    table.metadata.create_all(engine)
    before, after = datetime(2026, 11, 30, 15, 59, tzinfo=UTC), datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"at": before}, {"at": after}])  # 23:59 WITA on the 30th; 01:00 on the 1st
        midnight = datetime(2026, 12, 1, tzinfo=WITA)
        assert conn.scalars(select(table.c.at).where(table.c.at < midnight)).all() == [before]
        assert conn.scalars(select(table.c.at).where(table.c.at >= midnight)).all() == [after]
        # "from 0001-01-01" in WITA is before year 1 in UTC: the nearest moment, not an OverflowError
        assert conn.scalar(select(func.count()).where(table.c.at >= datetime(1, 1, 1, tzinfo=WITA))) == 2
