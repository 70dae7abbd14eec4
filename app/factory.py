"""create_app(): the one place that knows every package (the roof of the house)."""

import logging
import os
from pathlib import Path

import click
import swagger_ui_bundle
from flask import Flask, flash, g, has_request_context, redirect, request, send_from_directory, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from app import auth, errors, i18n, jobs, safety, settings
from app.config import CONFIGS, INSTANCE_DIR
from app.db import configure_postgresql, configure_sqlite
from app.extensions import api, babel, csrf, db, login_manager, migrate
from app.formatting import format_local_time, format_qty, format_rupiah
from app.terms import term

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the application for 'development', 'testing' or 'production' (LUMBUNG_ENV by default)."""
    name = config_name or os.environ.get("LUMBUNG_ENV", "development")
    config_class = CONFIGS[name]
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), template_folder="templates", static_folder="static")
    app.config.from_object(config_class)
    app.config.update(config_class.from_environment())
    app.config.update(overrides or {})
    app.config["ENV_NAME"] = name
    safety.init_app(app)  # before any route is added: the bounded <int:> converter
    config_class.validate(app.config)
    if name == "development":
        INSTANCE_DIR.mkdir(exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    # A web request unless the flask command line made the app (a command, or `flask worker`, which says "job").
    app.config.setdefault("DATABASE_ROLE", "cli" if click.get_current_context(silent=True) else "web")
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
        configure_postgresql(
            db.engine, lambda: app.config["DATABASE_SESSION_SETTINGS"].get(app.config["DATABASE_ROLE"])
        )
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    i18n.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=_time_zone)
    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = None
    login_manager.unauthorized_handler(unauthorized)
    api.init_app(app)
    safety.document(api)
    errors.init_app(app)
    jobs.init_app(app)

    if app.config["TRUSTED_PROXIES"]:  # behind nginx: the client's address is the one the proxy forwards
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    _register_packages(app)
    _register_hooks(app)
    return app


def _register_packages(app: Flask) -> None:
    """The shell's own screens, then each feature package plugs itself in (`<package>.init_app`: its blueprints,
    menu entries and home counts, API, CSV import kinds, vocabularies, periodic jobs, commands, signals)."""
    import inventory
    import members
    import orders
    import suppliers
    from app import cli as app_cli
    from app import idempotency
    from app import views as app_views

    app.register_blueprint(app_views.bp)
    for package in (inventory, members, orders, suppliers):
        package.init_app(app)
    app_views.register_menu(app, app_views.MENU, app_views.home_counts, order=80)
    jobs.register_periodic(
        app,
        idempotency.prune_keys,
        "default",
        cron="0 19 * * *",
        name="prune-keys",
        job_timeout=600,
        result_ttl=jobs.DAY,
        failure_ttl=7 * jobs.DAY,
    )
    from app import admin_api, admin_views, import_views  # after every package declared its settings

    app.register_blueprint(admin_views.bp)
    app_views.register_menu(app, admin_views.MENU, order=90)
    app.register_blueprint(import_views.bp)
    app_views.register_menu(app, import_views.MENU, order=95)
    for blp in admin_api.blueprints():
        api.register_blueprint(blp)
    app.cli.add_command(app_cli.users)
    app.cli.add_command(app_cli.worker)
    app.cli.add_command(app_cli.cron)
    from demo import demo_command

    app.cli.add_command(demo_command)

    @app.route("/api/swagger-ui/<path:filename>")
    def swagger_ui_assets(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    app.jinja_env.globals["term"] = term

    @app.context_processor
    def layout_context():
        return {
            "menu": app_views.menu_for(current_user),
            "locale": select_locale(),
            "scan_terminator": app.config["SCAN_TERMINATOR"],
        }

    @app.template_filter("rupiah")
    def rupiah(value) -> str:
        return format_rupiah(value)

    @app.template_filter("qty")
    def qty(value) -> str:
        return format_qty(value)

    @app.template_filter("localtime")
    def localtime(value) -> str:
        return format_local_time(value)


def select_locale() -> str:
    if not has_request_context():  # CLI, jobs, services called from tests: Indonesian
        return "id"
    chosen = session.get("locale")
    if chosen in ("id", "en"):
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    return "id"


def unauthorized():
    from flask import redirect, url_for

    if errors.wants_json():
        return errors.problem(401, _("Sign in first"), _("This needs a signed-in user or an API token."))
    return redirect(url_for("core.login", next=request.full_path))


def _register_hooks(app: Flask) -> None:
    @app.before_request
    def protect_forms():
        # Forms and the screens' fetch() calls carry a CSRF token; integrations use a bearer token instead.
        # A request is a token request only when its token is valid; a junk token does not turn the check off.
        if auth.uses_bearer_token() and auth.bearer_user() is None:
            return errors.problem(401, _("Sign in first"), _("The API token is unknown, revoked or expired."))
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not auth.uses_bearer_token():
            csrf.protect()

    @app.before_request
    def new_password_first():
        # A password an administrator reset (or gave a new user) is used once: to choose the user's own.
        if request.endpoint in ("core.password", "core.logout", "core.language", "static") or request.endpoint is None:
            return None
        if auth.uses_bearer_token() or not current_user.is_authenticated or not current_user.must_change_password:
            return None
        if request.path.startswith("/api/"):
            return errors.problem(403, _("Choose your own password first"), _("Sign in on a screen and change it."))
        flash(_("Choose your own password before you go on."), "warning")
        return redirect(url_for("core.password"))

    @app.after_request
    def commit_or_rollback(response):
        # One commit per request, here at the edge; services only flush.
        # Jobs asked for during the request are enqueued by the commit (app.jobs), dropped by the rollback.
        if response.status_code < 400 or g.get("keep_changes"):
            try:
                db.session.commit()
            except OperationalError as exc:  # the database went away while committing: the outcome is unknown
                return errors.unavailable(exc, committing=True)
        else:
            db.session.rollback()
        return response

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Swagger UI's page starts itself with an inline script; every other page has none.
        scripts = "'self' 'unsafe-inline'" if request.path == "/api/docs" else "'self'"
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src {scripts}; img-src 'self' data: blob:; "
            "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def _time_zone() -> str:
    return settings.get("time_zone")
