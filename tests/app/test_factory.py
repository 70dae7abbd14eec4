import pytest

from app.factory import create_app
from app.formatting import format_qty, format_rupiah

PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 40,
    "DATABASE_URL": "postgresql+psycopg://u@h/db",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_its_settings(monkeypatch, missing):
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        create_app("production")


def test_production_refuses_sqlite_a_short_secret_and_debug(monkeypatch):
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    with pytest.raises(RuntimeError, match="PostgreSQL"):
        create_app("production")
    monkeypatch.setenv("DATABASE_URL", PRODUCTION_ENV["DATABASE_URL"])
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="32"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", PRODUCTION_ENV["SECRET_KEY"])
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="Debug"):
        create_app("production")


def test_production_starts_with_its_settings(monkeypatch):
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    app = create_app("production")
    assert app.config["JOBS_IN_PROCESS"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug


def test_development_uses_sqlite_and_in_process_jobs(monkeypatch, caplog):
    for key in PRODUCTION_ENV:
        monkeypatch.delenv(key, raising=False)
    app = create_app("development")
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/lumbung.sqlite3")
    assert app.config["JOBS_IN_PROCESS"] is True
    assert "Jobs run in-process over fakeredis" in caplog.text
    app.extensions["lumbung.jobs"]["stop"].set()


@pytest.mark.parametrize(
    ("value", "shown"),
    [(12500, "Rp12.500"), (0, "Rp0"), (1250000, "Rp1.250.000"), (-500, "-Rp500"), (65500, "Rp65.500")],
)
def test_rupiah_are_shown_with_dots_and_no_decimals(value, shown):
    assert format_rupiah(value) == shown


def test_quantities_are_shown_without_trailing_zeros_and_with_a_decimal_comma():
    from decimal import Decimal

    assert format_qty(Decimal("12.500")) == "12,5"
    assert format_qty(Decimal("50.000")) == "50"


def test_each_package_plugs_in_its_own_menu_vocabularies_and_periodic_jobs(app):
    """The shell keeps the mechanisms; the packages declare what they bring (`<package>.init_app`)."""
    import inspect

    from app import factory, terms

    periodic = {entry["name"]: entry for entry in app.extensions["lumbung.periodic"]}
    assert set(periodic) == {"stock-snapshot", "reorder-catch-up", "reorder-sweep", "prune-keys"}
    assert periodic["stock-snapshot"]["func"].__module__ == "inventory.jobs"
    assert periodic["reorder-sweep"]["func"].__module__ == "suppliers.jobs"
    assert "cron=" not in inspect.getsource(factory).replace('cron="0 19 * * *"', "")  # only the shell's own job

    assert len(terms.TERMS) == 20
    for package, kinds in {
        "app": {"role", "import_status", "health_signal"},
        "inventory": {"adjustment_reason", "move_reason", "unit", "location_kind", "status"},
        "suppliers": {"po_status", "po_action", "payment_terms"},
        "members": {"member_category", "member_status", "member_status_action"},
        "orders": {"cap_scope", "cap_period", "cap_when", "payment_method", "price_list", "return_status"},
    }.items():
        source = inspect.getsource(__import__(f"{package}.terms", fromlist=["terms"]))
        assert all(f"\n    {kind}={{" in source for kind in kinds), package

    endpoints = [entry.endpoint for entry in app.extensions["lumbung.menu"]["entries"]]
    assert endpoints[0] == "till.till"  # a cashier's day starts at the till, whoever registers first
    first_member_screen = next(i for i, e in enumerate(endpoints) if e.startswith("members."))
    assert endpoints.index("inventory.lookup") < first_member_screen < endpoints.index("core.jobs_page")
    assert endpoints[-1].startswith("imports.")
