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
