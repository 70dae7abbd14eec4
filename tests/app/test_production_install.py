"""A clean checkout deployed the way docs/deployment.md says (no `make`, no compiled translations) speaks
Indonesian: the first start compiles the catalogues, and a receipt printed by gunicorn says STRUK PENJUALAN."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PG_BASE_URL, REDIS_URL, _with_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SUGAR = "8991000000508"


def _checkout(dest: Path) -> None:
    """What a clone of this commit holds: the tracked files and the new ones not ignored (no .mo: they are)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def _call(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict | str]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            status, text = answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def production_database():
    name = f"lumbung_prod_{uuid.uuid4().hex[:8]}"
    admin = _with_database(PG_BASE_URL, "postgres").replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(PG_BASE_URL, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_clean_checkout_in_production_prints_receipts_in_indonesian(tmp_path, production_database):
    app_dir = tmp_path / "lumbung"
    _checkout(app_dir)
    assert not list(app_dir.glob("app/translations/*/LC_MESSAGES/*.mo"))  # as a clone has it
    env = {
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "LUMBUNG_ENV": "production",
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "DATABASE_URL": production_database,
        "REDIS_URL": REDIS_URL,
    }

    def flask(*args: str, **extra: str) -> str:
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=app_dir,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    flask("db", "upgrade")  # docs/deployment.md: the schema first
    flask("demo", LUMBUNG_ENV="development")  # goods, a till and people (refused in production itself)
    token = flask("users", "token", "kasir", "--name", "till").strip().splitlines()[-1]
    assert list(app_dir.glob("app/translations/id/LC_MESSAGES/messages.mo"))  # compiled by the first start

    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=app_dir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if _call(f"{base}/login")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {token}"}

        def post(url: str, body: dict) -> dict:
            status, answer = _call(base + url, body, {**headers, "Idempotency-Key": str(uuid.uuid4())})
            assert status == 201, answer
            return answer

        post("/api/tills/K1/open", {"opening_float": 100000})
        sugar = _call(f"{base}/api/sales/scan?code={SUGAR}", headers=headers)[1]
        sale = post(
            "/api/sales",
            {
                "till": "K1",
                "lines": [{"packaging_id": sugar["packaging_id"], "quantity": "1"}],
                "payments": [{"method": "cash", "tendered": 20000}],
            },
        )
        assert "STRUK PENJUALAN" in sale["receipt_text"] and "SALES RECEIPT" not in sale["receipt_text"]
        assert "Tunai" in sale["receipt_text"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
