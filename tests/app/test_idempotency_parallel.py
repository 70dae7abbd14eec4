"""The same Idempotency-Key sent by several clients at once: one effect, the others wait (409) or replay it."""

import threading
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import auth
from app.db import db
from inventory.ledger import Move, post_moves
from inventory.models import Adjustment
from tests.conftest import truncate_all
from tests.inventory.conftest import build_world

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]


def test_eight_simultaneous_requests_with_one_key_make_one_adjustment(app):
    with app.app_context():
        truncate_all(db.engine)
        w = build_world()
        post_moves([Move(w.sugar.id, w.supplier.id, w.bin1.id, Decimal(10), "receipt", "PO", unit_cost=Decimal(100))])
        token = auth.issue_api_token(auth.create_user("gudang1", "Gudang", "warehouse", "password-123"), "t")
        db.session.commit()
        payload = {"location_id": w.bin1.id, "reason": "damaged", "lines": [{"item_id": w.sugar.id, "quantity": "-1"}]}
    key = str(uuid.uuid4())
    barrier = threading.Barrier(8)
    responses = []

    def send():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post(
                "/api/stock/adjustments",
                json=payload,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            )
            responses.append((response.status_code, response.headers.get("Idempotent-Replayed"), response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        statuses = sorted(status for status, _, _ in responses)
        assert len(responses) == 8 and set(statuses) <= {201, 409}
        originals = [body for status, replayed, body in responses if status == 201 and not replayed]
        replays = [body for status, replayed, body in responses if status == 201 and replayed]
        assert len(originals) == 1
        assert all(body == originals[0] for body in replays)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Adjustment)) == 1
    finally:
        with app.app_context():
            truncate_all(db.engine)
