"""Fixtures: the app on a fresh database made by the migrations, each test in a rolled-back transaction.

Servers come from the environment: TEST_DATABASE_URL (or a PostgreSQL DATABASE_URL) and REDIS_URL. Tests
marked postgres, concurrency, redis or browser are skipped with the reason when their server is missing,
and fail instead when CI=true.
"""

import functools
import os
import re
import shutil
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import text

from app.db import db
from app.factory import create_app

CI = os.environ.get("CI", "").lower() == "true"
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ... when `pytest -n N` runs the tests in N processes


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_url(url: str) -> str:
    return _with_database(url, "postgres").replace("postgresql+psycopg://", "postgresql://")


def _own_servers_per_worker() -> None:
    """Under pytest-xdist every worker has a database and a Redis database of its own: TEST_DATABASE_URL's name
    with the worker's suffix (made fresh now, dropped at the end) and REDIS_URL's database number less the
    worker's number. Written back into the environment, so the processes the tests start use them too (and a
    process that imports this module again, a spawned one, finds it done)."""
    if not WORKER or os.environ.get("LUMBUNG_TEST_SERVERS_OF") == WORKER:
        return
    os.environ["LUMBUNG_TEST_SERVERS_OF"] = WORKER
    number = int(WORKER.removeprefix("gw"))
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        name = f"{urlsplit(url).path.lstrip('/')}_{WORKER}"
        with psycopg.connect(_admin_url(url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["TEST_DATABASE_URL"] = _with_database(url, name)
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        parts = urlsplit(redis_url)
        base = int(parts.path.lstrip("/") or 0)
        if base - number < 0:
            raise pytest.UsageError(f"REDIS_URL's database {base} leaves none for worker {WORKER}: use fewer workers")
        os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{base - number}"))


_own_servers_per_worker()


def pytest_sessionfinish(session):
    if (
        WORKER
        and os.environ.get("LUMBUNG_TEST_SERVERS_OF") == WORKER
        and os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
    ):
        url = os.environ["TEST_DATABASE_URL"]
        with psycopg.connect(_admin_url(url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


def _postgres_base_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    return url if url.startswith("postgresql") else None


PG_BASE_URL = _postgres_base_url()
REDIS_URL = os.environ.get("REDIS_URL")
# Debian's chromium-headless-shell (the headless build Playwright itself uses) costs less than half the CPU of the
# full browser in headless mode for the same tests (docs/performance.md, "The test suite"); the full one also works.
CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium") or shutil.which("chromium-browser")


def _missing(marker: str) -> str | None:
    """Why the server a marker needs is missing, or None when it is there."""
    if marker in ("postgres", "concurrency") and not PG_BASE_URL:
        return (
            "no PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/lumbung_test"
            " (an empty database)"
        )
    if marker == "redis":
        if not REDIS_URL:
            return "no Redis: set REDIS_URL=redis://127.0.0.1:6379/15"
        try:
            import redis

            redis.Redis.from_url(REDIS_URL).ping()
        except Exception as exc:  # noqa: BLE001 - any failure means the server is not usable
            return f"Redis at {REDIS_URL} does not answer: {exc}"
    if marker == "browser":
        if not CHROMIUM:
            return "no Chromium: apt-get install chromium-headless-shell"
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            return "no Playwright: pip install -r requirements-dev.txt"
    return None


# The slowest files (--durations of a full run, 10 to 60 s each), run first: pytest-xdist hands a worker the next
# file when it finishes one, so a long file taken last would leave the other worker idle until it ends.
SLOWEST_FIRST = (
    "tests/app/test_schemathesis.py",
    "tests/browser/test_screens.py",
    "tests/browser/test_till.py",
    "tests/suppliers/test_job_faults.py",
    "tests/suppliers/test_reorder_jobs.py",
    "tests/browser/test_receiving.py",
    "tests/browser/test_first_day.py",
    "tests/app/test_roles.py",
    "tests/browser/test_counts.py",
    "tests/app/test_production_install.py",
    "tests/orders/test_sales_race.py",
    "tests/orders/test_shop_races.py",
    "tests/browser/test_lpg_month.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {path: n for n, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order


def pytest_runtest_setup(item):
    for marker in ("postgres", "concurrency", "redis", "browser"):
        if item.get_closest_marker(marker):
            reason = _missing(marker)
            if reason:
                if CI:
                    pytest.fail(f"CI=true but {reason}")
                pytest.skip(reason)


def pytest_report_header(config):
    return [
        f"database: {'PostgreSQL ' + _hide(PG_BASE_URL) if PG_BASE_URL else 'SQLite (file)'}; "
        f"redis: {REDIS_URL or 'none'}; chromium: {CHROMIUM or 'none'}; CI={CI}"
    ]


def _hide(url: str) -> str:
    return re.sub(r"//[^@]*@", "//…@", url)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The database for this run: TEST_DATABASE_URL as given (CI makes it fresh), a throwaway database
    beside a PostgreSQL DATABASE_URL (never the developer's own data), or an SQLite file."""
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    if not PG_BASE_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = f"lumbung_test_{uuid.uuid4().hex[:10]}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(PG_BASE_URL, name)
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_connection():
    return psycopg.connect(_admin_url(PG_BASE_URL), autocommit=True)


@pytest.fixture(scope="session")
def app(database_url):
    """The application, its schema made by the migrations (never by create_all)."""
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            # The tests drive the app from outside and some hold locks on purpose: no web lock timeout here (the
            # tests of the timeouts make web apps of their own).
            "DATABASE_ROLE": "cli",
        },
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections now, not in a garbage collector's ResourceWarning


class _JoinedSession(FlaskSession):
    """A session that always uses the test's connection (Flask-SQLAlchemy would pick the engine)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return self.bind


@pytest.fixture
def session(app):
    """Run the test inside a transaction that is rolled back at its end; commits become savepoints."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"class_": _JoinedSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as in production (g, and the signed-in user, don't leak)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app, session):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def runner(app, session):
    return app.test_cli_runner()


@pytest.fixture
def make_user(session):
    """Make a user of a role; the password is 'password-123'."""
    from app import auth

    counter = {"n": 0}

    def make(role: str, username: str | None = None, password: str = "password-123"):
        counter["n"] += 1
        return auth.create_user(username or f"{role}{counter['n']}", f"Test {role}", role, password)

    return make


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def login(client, make_user):
    """Sign a new user of a role in through the login screen; return the user."""

    def do(role: str):
        user = make_user(role)
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": user.username,
                "password": "password-123",
                "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do


class ApiClient:
    """A test client that calls the API with a bearer token and a fresh Idempotency-Key per POST."""

    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url, **kw):
        return self.client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, url, json=None, key: str | None = None, **kw):
        headers = {**self.headers, "Idempotency-Key": key or str(uuid.uuid4()), **kw.pop("headers", {})}
        return self.client.post(url, json=json, headers=headers, **kw)

    def patch(self, url, json=None, **kw):
        return self.client.patch(url, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, url, json=None, **kw):
        return self.client.put(url, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)


@pytest.fixture
def api(client, make_user):
    """api('manager') -> an ApiClient acting as a new user of that role."""
    from app import auth

    def make(role: str):
        user = make_user(role)
        return ApiClient(client, auth.issue_api_token(user, "tests"))

    return make


@pytest.fixture
def demo(session):
    """The demo cooperative's locations, items and opening stock.

    The first load in a test process goes through the services (`load_demo`: 386 statements, 0.42 s of CPU); the
    rows it wrote are kept and later tests get them written back, one INSERT per table (~0.05 s), with the same
    ids (the sequences set past them: `truncate_all` restarts them), and the reorder checks the opening stock
    queued for after the commit queued again. Only when the database is empty, on the same local date, and no
    test is travelling in time (the rows carry the first load's timestamps); otherwise the services load it."""
    import time_machine
    from sqlalchemy import insert

    from app import clock, jobs, settings
    from demo import load_demo

    travelling = time_machine.escape_hatch.is_travelling()
    key = (str(db.engine.url), clock.today())
    kept = None if travelling else _DEMO_ROWS.get(key)
    empty = not travelling and _database_is_empty()
    if kept is not None and empty:
        tables, queued = kept
        for table, rows in tables:
            db.session.execute(insert(table), rows)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(_sequences_past(tuple(table for table, _ in tables)))
        db.session.info.setdefault(jobs.PENDING, []).extend(queued)
        settings.refresh()  # read before the rows were there (the date above)
        return session
    load_demo()
    if empty and kept is None:
        db.session.flush()
        tables = [(table, rows) for table in db.metadata.sorted_tables if (rows := _rows_of(table))]
        _DEMO_ROWS[key] = (tables, list(db.session.info.get(jobs.PENDING, [])))
    return session


# (database, local date) -> ([(table, its rows as dicts)] in the order the tables depend, the jobs queued)
_DEMO_ROWS: dict = {}


def _rows_of(table) -> list[dict]:
    from sqlalchemy import select

    found = db.session.execute(select(table).order_by(*table.primary_key.columns))
    return [{column.key: row._mapping[column] for column in table.columns} for row in found]


@functools.cache
def _sequences_past(tables: tuple):
    """Each table's id sequence set to its largest id (the tables hold nothing else): one statement."""
    from sqlalchemy import Integer

    serial = [
        t.name for t in tables if list(t.primary_key.columns.keys()) == ["id"] and isinstance(t.c.id.type, Integer)
    ]
    return text(
        "SELECT "
        + ", ".join(f"setval(pg_get_serial_sequence('{n}', 'id'), (SELECT max(id) FROM \"{n}\"))" for n in serial)
    )


def _database_is_empty() -> bool:
    return not db.session.scalar(_any_row_statement())


@functools.cache
def _any_row_statement():
    """Whether any table has a row: one statement, its text built once."""
    return text("SELECT " + " OR ".join(f'EXISTS (SELECT 1 FROM "{t.name}")' for t in db.metadata.sorted_tables))


@pytest.fixture
def committed_demo(app):
    """The demo cooperative committed for real (other processes must see it); emptied afterwards."""
    from demo import load_demo

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        db.session.commit()
    yield
    with app.app_context():
        db.session.rollback()
        truncate_all(db.engine)


def truncate_all(engine) -> None:
    """Empty every table (for tests that commit for real: other processes, a live server)."""
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            for table in db.metadata.sorted_tables:  # the cycles (a till and its open session) broken first
                for fk in table.foreign_key_constraints:
                    if fk.use_alter:
                        conn.execute(table.update().values({column.name: None for column in fk.columns}))
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
