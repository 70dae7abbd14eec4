"""Configuration classes: development (embedded defaults), testing, production (strict)."""

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


class Config:
    """Settings shared by every environment; each value can be overridden from the environment."""

    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    # Seconds before a Redis that doesn't answer is given up (the enqueue is logged, the sale goes on; the outbox
    # catches up). The worker raises the read timeout above its own blocking wait.
    REDIS_CONNECT_TIMEOUT = 2.0
    REDIS_SOCKET_TIMEOUT = 5.0
    # True runs RQ jobs in a thread over fakeredis, so the quick start needs no Redis.
    JOBS_IN_PROCESS = False
    # PostgreSQL settings per kind of process, set on each new connection (app.db.configure_postgresql). A web
    # request never waits long for a lock (a stopped job holding a supplier's row gets the manager a 503 in 3 s,
    # not a hang until gunicorn kills the worker at 30 s) nor runs past gunicorn's timeout; a job or a command that
    # stops inside a transaction is ended by the server after a while, and its locks with it.
    DATABASE_SESSION_SETTINGS: dict = {
        "web": {"lock_timeout": "3s", "statement_timeout": "25s", "idle_in_transaction_session_timeout": "60s"},
        "job": {"lock_timeout": "30s", "idle_in_transaction_session_timeout": "60s"},
        "cli": {"idle_in_transaction_session_timeout": "10min"},
    }
    RETRY_AFTER_SECONDS = 3  # what a 503 asks the client to wait
    # How many reverse proxies (nginx) stand in front of the app: their X-Forwarded-For gives each user their own
    # address for the login throttle. 0: none (the quick start); 1 behind the nginx of docs/deployment.md.
    TRUSTED_PROXIES = 0

    # Sessions: HttpOnly, SameSite, short-lived; the session row on the server is the real authority.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=24)  # the cookie's; the settings end a session sooner
    ARGON2_PARAMETERS: dict = {}  # argon2-cffi's defaults: Argon2id, m=64 MiB, t=3, p=4
    LOGIN_MAX_FAILURES_PER_USER = 5
    LOGIN_MAX_FAILURES_PER_IP = 20
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)

    WTF_CSRF_CHECK_DEFAULT = False  # checked in a before_request hook that exempts bearer-token API calls
    WTF_CSRF_TIME_LIMIT = None

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Makassar"  # WITA; the cooperative's own is a setting (app.settings)
    LANGUAGES = ("id", "en")

    # What a cooperative decides (its name, HET zone, time zone, thresholds) is in its settings (app.settings),
    # changed on the settings screen. What stays here is the programme's own:
    MEMBER_NUMBER_PREFIX = "KKMP"  # member numbers are KKMP-000123: the cards of every Koperasi Merah Putih
    SCAN_TERMINATOR = "Enter"
    IDEMPOTENCY_KEY_TTL = timedelta(days=30)

    API_TITLE = "Lumbung API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/api/swagger-ui/"  # served from the swagger-ui-bundle package, no CDN
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "security": [{"bearer": []}, {"session": []}],
    }
    PAGE_SIZE = 50
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # a request body (a CSV of 10,000 members is about 1.5 MB): 413 above

    @classmethod
    def from_environment(cls) -> dict:
        """Values the environment sets at app creation (never read at import time)."""
        env = {
            "SECRET_KEY": os.environ.get("SECRET_KEY"),
            "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL"),
            "REDIS_URL": os.environ.get("REDIS_URL"),
            "TRUSTED_PROXIES": os.environ.get("TRUSTED_PROXIES"),
        }
        values = {k: v for k, v in env.items() if v}
        if "TRUSTED_PROXIES" in values:
            values["TRUSTED_PROXIES"] = int(values["TRUSTED_PROXIES"])
        if values.get("REDIS_URL"):
            values["JOBS_IN_PROCESS"] = False
        return values

    @classmethod
    def validate(cls, config: dict) -> None:
        """Refuse to start with settings that would be unsafe in this environment."""


class DevelopmentConfig(Config):
    """The quick start: an SQLite file under instance/ and jobs run in-process."""

    DEBUG = False
    SECRET_KEY = "dev-only-not-secret"
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'lumbung.sqlite3'}"
    JOBS_IN_PROCESS = True
    SESSION_COOKIE_SECURE = False  # http://127.0.0.1 has no TLS


class TestingConfig(Config):
    """The test suite: in-memory SQLite unless a test database URL is given."""

    TESTING = True
    SECRET_KEY = "testing"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    JOBS_IN_PROCESS = True
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = True
    # Still Argon2id, just cheap: the suite makes hundreds of users.
    ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}

    @classmethod
    def from_environment(cls) -> dict:
        return {}  # tests pass their database and Redis explicitly (tests/conftest.py)


class ProductionConfig(Config):
    """PostgreSQL, Redis and RQ workers; every secret comes from the environment."""

    DEBUG = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}

    @classmethod
    def validate(cls, config: dict) -> None:
        names = {"SECRET_KEY": "SECRET_KEY", "SQLALCHEMY_DATABASE_URI": "DATABASE_URL", "REDIS_URL": "REDIS_URL"}
        missing = [env for key, env in names.items() if not config.get(key)]
        if missing:
            raise RuntimeError(f"Production needs these environment variables: {', '.join(missing)}")
        if not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            raise RuntimeError("Production needs DATABASE_URL to be PostgreSQL (postgresql+psycopg://...)")
        if len(config["SECRET_KEY"]) < 32:
            raise RuntimeError("SECRET_KEY must be at least 32 random characters")
        if config.get("DEBUG") or os.environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes"):
            raise RuntimeError("Debug mode must never be on in production")


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}
