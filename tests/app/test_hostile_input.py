"""Hostile and careless input never makes a 500: each case is a 4xx problem, and nothing is written."""

import pytest
from sqlalchemy import func, select

from app.db import db
from inventory.models import Location

PROBLEM = "application/problem+json"


@pytest.fixture
def manager(api, demo):
    return api("manager")


def _locations() -> int:
    return db.session.scalar(select(func.count()).select_from(Location))


@pytest.mark.parametrize(
    "path",
    [
        "/api/members/2147483648",
        "/api/members/99999999999999999999",
        "/api/purchase-orders/2147483648",
        "/api/receipts/99999/post",
    ],
)
def test_ids_past_a_column_or_unknown_are_404(manager, path):
    response = manager.post(path, json={}) if path.endswith("/post") else manager.get(path)
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_a_body_nested_100000_deep_is_a_400_not_a_recursion_error(manager):
    before = _locations()
    deep = "[" * 100_000 + "]" * 100_000
    response = manager.post("/api/locations", data=deep, content_type="application/json")
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert _locations() == before


def test_a_key_twice_is_a_400(manager):
    body = '{"code": "X-1", "name": "A", "kind": "bin", "code": "X-2"}'
    response = manager.post("/api/locations", data=body, content_type="application/json")
    assert response.status_code == 400 and "twice" in response.get_json()["detail"]


def test_a_nul_character_anywhere_is_a_400(manager):
    before = _locations()
    body = '{"code": "X-\\u00001", "name": "A", "kind": "bin"}'
    assert manager.post("/api/locations", data=body, content_type="application/json").status_code == 400
    assert manager.get("/api/stock/scan?code=899%00100").status_code == 400
    assert _locations() == before


def test_a_body_over_the_limit_is_a_413_problem(app, manager, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = manager.post("/api/locations", json={"code": "X", "name": "A" * 5000, "kind": "bin"})
    assert response.status_code == 413 and response.mimetype == PROBLEM


def test_a_value_the_database_refuses_is_a_422_not_a_500(app, manager):
    """The last line of defence: a DataError from the database (here a page number past BIGINT) is a 422."""
    response = manager.get("/api/members", query_string={"page": "18446744073709551616"})
    assert response.status_code in (400, 422), response.get_json()
