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


def test_a_nul_character_is_a_field_error_in_a_body_and_a_400_in_a_query(manager):
    before = _locations()
    body = '{"code": "X-\\u00001", "name": "A", "kind": "bin"}'
    response = manager.post("/api/locations", data=body, content_type="application/json")
    assert response.status_code == 422 and "code" in response.get_json()["errors"]
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


def _supplier(**extra) -> dict:
    return {"code": "SUP-X", "name": "Pemasok X", "payment_terms": "cash", **extra}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_supplier(lead_time_days=1.5), "lead_time_days"),  # was truncated to 1
        (_supplier(min_order_value=65500.5), "min_order_value"),  # rupiah with decimals: was truncated
        (_supplier(min_order_value=2**31), "min_order_value"),  # past the column
        (_supplier(address="x" * 1_000_000), "address"),  # a 1 MB address was stored
        (_supplier(name="Pemasok\x00X"), "name"),
        (_supplier(code=12), "code"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_written(manager, body, field):
    from suppliers.models import Supplier

    before = db.session.scalar(select(func.count()).select_from(Supplier))
    response = manager.post("/api/suppliers", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(Supplier)) == before


def test_a_whole_number_written_as_1_0_is_still_whole(manager):
    response = manager.post("/api/suppliers", json=_supplier(lead_time_days=2.0))
    assert response.status_code == 201 and response.get_json()["lead_time_days"] == 2


def test_a_patch_in_the_wrong_content_type_is_a_415_not_a_silent_200(manager, demo):
    from inventory.models import Item

    item = demo.scalar(select(Item).where(Item.sku == "GULA1"))
    form = "application/x-www-form-urlencoded"
    response = manager.patch(f"/api/items/{item.id}", data="name_id=Gula", content_type=form)
    assert response.status_code == 415 and response.mimetype == PROBLEM
    assert item.name_id == "Gula pasir 1 kg"


def test_the_error_page_after_a_failed_write_renders_in_the_users_language(app, client, login, monkeypatch):
    """Before, the screen's 500 page raised again (PendingRollbackError in the locale selector): the session that
    failed to write was still in its failed state when the page asked for the user's language."""
    from sqlalchemy import text

    login("warehouse")

    def broken_page():
        try:
            db.session.execute(text("SELECT * FROM no_such_table"))
        except Exception:  # noqa: BLE001 - the session is now in a failed transaction
            pass
        db.session.flush()
        raise RuntimeError("after a failed write")

    monkeypatch.setitem(app.view_functions, "inventory.on_hand", broken_page)
    response = client.get("/stock/on-hand")
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.get_data(as_text=True)


def test_a_constraint_failure_at_commit_names_the_field(manager, demo):
    """A SKU made the same as another's by PATCH: 409 naming `sku`; an empty-cylinder item that does not exist:
    422 (naming `empty_item_id` where the database says which column, as PostgreSQL does). Before: 500s."""
    from inventory.models import Item

    sugar, rice = (demo.scalar(select(Item).where(Item.sku == sku)) for sku in ("GULA1", "BRS-MED"))
    taken = manager.patch(f"/api/items/{sugar.id}", json={"sku": rice.sku})
    assert taken.status_code == 409 and taken.get_json()["errors"] == {"sku": ["Sudah dipakai."]}
    missing = manager.patch(f"/api/items/{sugar.id}", json={"empty_item_id": 99999})
    assert missing.status_code == 422 and missing.get_json()["type"] == "/problems/not_found"
    if db.session.get_bind().dialect.name == "postgresql":
        assert "empty_item_id" in missing.get_json()["errors"]
    db.session.refresh(sugar)
    assert (sugar.sku, sugar.empty_item_id) == ("GULA1", None)
