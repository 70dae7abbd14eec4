"""A large file of items imported by a real `flask worker` on real Redis: the batch's progress moves while the job
runs (its page shows the bar from it) and ends with every row created, whole; the time it took is printed.
LUMBUNG_IMPORT_ROWS=10000 runs it at the size docs/admin.md quotes (36 s here); the suite uses 1,000 (four
progress steps of 250: enough to see the bar move)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import db
from app.factory import create_app
from tests.conftest import REDIS_URL, truncate_all

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
ROWS = int(os.environ.get("LUMBUNG_IMPORT_ROWS", "1000"))


def _items_file() -> bytes:
    lines = ["sku;name_id;category;base_unit;packaging;factor;for_purchase;for_sale"]
    lines += [f"BRG{n:05d};Barang {n};umum;piece;Buah;1;ya;ya" for n in range(ROWS)]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_large_items_file_imports_through_a_real_worker_with_progress(database_url):
    from redis import Redis
    from rq import Queue

    from app import auth, csvimport
    from app.models import ImportBatch
    from inventory.models import Item

    Queue("default", connection=Redis.from_url(REDIS_URL)).empty()
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": REDIS_URL, "JOBS_IN_PROCESS": False}
    )
    with app.app_context():
        truncate_all(db.engine)
        manager = auth.create_user("manajer-impor", "Manajer", "manager", "password-123")
        batch_id = csvimport.start(csvimport.get_kind("items"), _items_file(), "barang.csv", manager).id
        db.session.commit()  # the job is queued on Redis by the commit
    env = {**os.environ, "LUMBUNG_ENV": "development", "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL}
    started = time.monotonic()
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "default", "--burst"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen = set()
    try:
        with app.app_context():
            while worker.poll() is None and time.monotonic() - started < 300:
                seen.add(db.session.scalar(select(ImportBatch.progress).where(ImportBatch.id == batch_id)))
                db.session.rollback()
                time.sleep(0.05)
            took = time.monotonic() - started
            batch = db.session.get(ImportBatch, batch_id)
            assert worker.returncode == 0
            assert (batch.status, batch.summary, batch.progress) == (
                "done",
                {"created": ROWS, "updated": 0, "unchanged": 0},
                ROWS,
            )
            assert any(0 < n < ROWS for n in seen), sorted(seen)  # the bar moved while the job ran
            assert db.session.scalar(select(func.count()).select_from(Item)) == ROWS
            print(f"\n{ROWS} items imported by a worker in {took:.1f} s (progress seen at {len(seen)} points)")
    finally:
        if worker.poll() is None:
            worker.kill()
        with app.app_context():
            truncate_all(db.engine)
            db.engine.dispose()
