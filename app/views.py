"""The shell's screens: sign in and out, the home page of each role, the language switch."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from redis.exceptions import RedisError

from app import auth, health, jobs, users
from app.errors import DomainError

bp = Blueprint("core", __name__, template_folder="templates")


@dataclass(frozen=True)
class MenuEntry:
    endpoint: str
    label: str  # a lazy_gettext string
    roles: tuple[str, ...]
    hint: str = ""


def register_menu(
    app: Flask, entries: list[MenuEntry], counts: Callable[[object], dict] | None = None, *, order: int
) -> None:
    """Let a feature package put its screens on the menu (lower `order` first: the till 10, the warehouse 20, ...
    the administrator's 90) and its counts on the home page."""
    ext = app.extensions.setdefault("lumbung.menu", {"groups": [], "entries": [], "counts": []})
    ext["groups"].append((order, len(ext["groups"]), entries))
    ext["entries"] = [entry for _order, _n, group in sorted(ext["groups"], key=lambda g: g[:2]) for entry in group]
    if counts:
        ext["counts"].append(counts)


MENU = [
    MenuEntry("core.jobs_page", _l("Background jobs"), ("manager",), _l("Queues, failed jobs and their retry")),
]


def home_counts(user) -> dict:
    """The manager's home says when the background jobs need attention."""
    if not user.has_role("manager"):
        return {}
    return {"health_warnings": [signal.text for signal in health.signals() if not signal.ok]}


def menu_for(user) -> list[MenuEntry]:
    entries = current_app.extensions.get("lumbung.menu", {}).get("entries", [])
    return [e for e in entries if user.is_authenticated and user.has_role(*e.roles)]


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with a username and password (on a new installation, first make its administrator)."""
    if request.method == "GET" and users.nobody_yet_if_reachable():
        return redirect(url_for("core.setup"))
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            user = auth.authenticate(username, password, request.remote_addr)
        except DomainError as error:
            flash(error.message, "error")
            # 200 so the failed attempt is committed and counts towards the limit.
            return render_template("login.html", username=username), 200
        chosen_locale = session.get("locale")
        session.clear()  # a new session at login: nothing from before survives but the language
        auth.start_session(user, request.remote_addr)
        login_user(user)
        if chosen_locale and not user.locale:
            user.locale = chosen_locale  # the language picked on the login page sticks to the user
        if user.locale:
            session["locale"] = user.locale
        return redirect(_safe_next(request.args.get("next")) or url_for("core.home"))
    return render_template("login.html", username="")


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """A new installation's first screen: its administrator (who then goes on to the cooperative's settings and
    its people). Gone once anyone exists."""
    if not users.nobody_yet():
        return redirect(url_for("core.login"))
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        if form.get("password", "") != form.get("again", ""):
            errors["again"] = _("The two passwords differ.")
        else:
            try:
                user = users.first_admin(form.get("username", ""), form.get("full_name", ""), form.get("password", ""))
            except DomainError as error:
                if error.code == "already_set_up":
                    flash(error.message, "info")
                    return redirect(url_for("core.login"))
                errors = {name: " ".join(map(str, msgs)) for name, msgs in error.fields.items()}
            else:
                session.clear()
                auth.start_session(user, request.remote_addr)
                login_user(user)
                flash(_("Welcome. Now tell Lumbung about your cooperative; then add your people."), "success")
                return redirect(url_for("admin.settings_page"))
    return render_template("setup.html", form=form, errors=errors), (422 if errors else 200)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End this session on the server, so the old cookie is worthless."""
    auth.end_session(current_user.current_session_id)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("core.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change your own password: the current one, then the new one twice; your other sessions end."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        new, again = request.form.get("new", ""), request.form.get("again", "")
        if new != again:
            errors["again"] = _("The two new passwords differ.")
        else:
            try:
                auth.change_password(
                    current_user, request.form.get("current", ""), new, current_user.current_session_id
                )
            except DomainError as error:
                errors = {name: " ".join(map(str, msgs)) for name, msgs in error.fields.items()}
            else:
                flash(_("Your password is changed; you are signed out everywhere else."), "success")
                return redirect(url_for("core.home"))
    return render_template("password.html", errors=errors), (422 if errors else 200)


@bp.route("/")
@login_required
def home():
    """The home page of the signed-in user's role."""
    counts: dict = {}
    for provider in current_app.extensions.get("lumbung.menu", {}).get("counts", []):
        counts.update(provider(current_user))
    return render_template("home.html", entries=menu_for(current_user), counts=counts)


@bp.route("/language/<code>", methods=["POST"])
def language(code: str):
    """Switch the screens between Indonesian and English."""
    if code in ("id", "en"):
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
    return redirect(_safe_next(request.form.get("next")) or url_for("core.home"))


@bp.route("/admin/jobs")
@auth.roles_required("manager")
def jobs_page():
    """The background jobs: queues and their counts, workers, the cron, failed jobs with their error."""
    try:
        info = jobs.overview()
    except RedisError:
        info = None  # said on the page: the jobs can't be seen, selling goes on
    return render_template(
        "jobs.html", info=info, in_process=current_app.config["JOBS_IN_PROCESS"], signals=health.signals()
    )


@bp.route("/healthz")
def healthz():
    """For a monitor: each signal with its value and bound; 200 when all are within bounds, 503 when not."""
    found = health.signals()
    ok = health.all_ok(found)
    body = {"status": "ok" if ok else "warn", "checks": [signal.as_json() for signal in found]}
    return jsonify(body), 200 if ok else 503


@bp.route("/admin/jobs/<job_id>/retry", methods=["POST"])
@auth.roles_required("manager")
def retry_job(job_id: str):
    """Put a failed job back on its queue."""
    try:
        jobs.retry(job_id)
    except DomainError as error:
        flash(error.message, "error")
    except RedisError:
        flash(_("The job queue (Redis) cannot be reached; try again in a moment."), "error")
    else:
        flash(_("Job %(id)s is back on its queue.", id=job_id), "success")
    return redirect(url_for("core.jobs_page"))
