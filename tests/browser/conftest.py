"""Browser fixtures: the real app served on its own demo database, headless Chromium, a signed-in page.

Every fixture here is requested only by tests marked `browser`, so tests/conftest.py skips them (or fails
them under CI=true) before any server or browser is started.

Screenshots of the main screens go to docs/screenshots/ only when LUMBUNG_SCREENSHOTS=1, so an ordinary
test run never rewrites files in the working tree.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, PG_BASE_URL, _admin_connection, _with_database

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1100, "height": 800}
TIMEOUT_MS = 10_000

DEMO_LOGINS = {  # role: (username, password), as demo.py creates them
    "admin": ("admin", "admin-demo-1"),
    "manager": ("manajer", "manajer-demo-1"),
    "warehouse": ("gudang", "gudang-demo-1"),
    "cashier": ("kasir", "kasir-demo-1"),
}


# --- the live server -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_database_url(tmp_path_factory):
    """An empty database of the browser tests' own: never the suite's, never the developer's."""
    yield from _database(tmp_path_factory)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo cooperative made once per test process (the migrations and `flask demo`: ~5 s of CPU), never
    served: each module's server starts on a copy of it (`demo_database_url`), so no module sees another's
    sales."""
    for url in _database(tmp_path_factory):
        prepare(url, demo=True)
        yield url


@pytest.fixture(scope="module")
def demo_database_url(demo_template, tmp_path_factory):
    """A fresh copy of the demo cooperative for one module (PostgreSQL copies a template database in ~0.2 s)."""
    yield from _database(tmp_path_factory, template=demo_template)


def _database(tmp_path_factory, template: str | None = None):
    """Make a database (empty, or a copy of `template`'s), yield its URL, drop it afterwards."""
    if not PG_BASE_URL:
        path = tmp_path_factory.mktemp("browser-db") / "browser.sqlite3"
        if template:
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    name = f"lumbung_browser_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield _with_database(PG_BASE_URL, name)
    finally:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_env(database_url: str) -> dict:
    env = dict(os.environ)
    for name in ("REDIS_URL", "FLASK_DEBUG", "FLASK_APP", "TEST_DATABASE_URL"):
        env.pop(name, None)  # no Redis: jobs run in the web process, as in the quick start
    env.update(LUMBUNG_ENV="development", DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    return env


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def live_server(demo_database_url, tmp_path_factory):
    """The app with the demo cooperative, served on a free 127.0.0.1 port; yields its base URL."""
    yield from serve(demo_database_url, tmp_path_factory)


def prepare(database_url: str, demo: bool) -> None:
    """The migrations on a database, then the demo cooperative if asked (as `make run` does)."""
    env = _server_env(database_url)
    for command in [_flask("db", "upgrade")] + ([_flask("demo")] if demo else []):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{' '.join(command[3:])} failed:\n{done.stdout}\n{done.stderr}"


def serve(database_url: str, tmp_path_factory):
    """Serve the app on a database made ready by `prepare`; yields its base URL."""
    env = _server_env(database_url)
    log_path = tmp_path_factory.mktemp("browser-server") / "server.log"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            _flask("run", "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(server, f"{base_url}/login", log_path)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _wait_until_up(server: subprocess.Popen, url: str, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer {url} within {timeout} s:\n{_tail(log_path)}")


# --- the browser -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM or "/usr/bin/chromium-headless-shell"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(request):
    """A fresh browser context (no cookies: Indonesian, signed out) and page for each test.

    Uncaught JavaScript errors and console errors (other than the HTTP status of a page the test asked
    for) fail the test. The server and the browser start only for a test marked `browser`.
    """
    if request.node.get_closest_marker("browser") is None:
        pytest.fail("a test that drives the browser must be marked @pytest.mark.browser")
    chromium = request.getfixturevalue("chromium")
    live_server = request.getfixturevalue("live_server")
    context = chromium.new_context(viewport=VIEWPORT, locale="id-ID", base_url=live_server)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def login(page, role: str) -> None:
    """Sign in through the login form as the demo user of a role and land on the home page."""
    username, password = DEMO_LOGINS[role]
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/$"))


def logout(page) -> None:
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login"))


def screenshot(page, name: str) -> None:
    """Save the viewport as docs/screenshots/<name>.png when LUMBUNG_SCREENSHOTS=1."""
    if os.environ.get("LUMBUNG_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


# --- the words on the screens ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tr():
    """tr(msgid, locale="id", **values): a screen text as the app's catalogues translate it.

    The tests assert the exact text a user sees, whatever wording the translators chose.
    """
    from flask_babel import force_locale, gettext, ngettext

    from app.factory import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    def translate(msgid: str, locale: str = "id", plural: str | None = None, num: int | None = None, **values) -> str:
        with app.app_context(), force_locale(locale):
            if plural is not None:
                return ngettext(msgid, plural, num, **values)
            return gettext(msgid, **values)

    return translate


def text_pattern(text: str, **wildcards: str) -> re.Pattern:
    """An exact-match pattern for a translated text in which placeholder words stand for any value."""
    pattern = re.escape(text)
    for placeholder, regex in wildcards.items():
        pattern = pattern.replace(re.escape(placeholder), regex)
    return re.compile(f"^{pattern}$")
