from sqlalchemy import select

from inventory.models import Item, Location
from suppliers.models import Supplier


def _ids(session):
    items = {i.sku: i.id for i in session.scalars(select(Item))}
    warehouse = session.scalar(select(Location.id).where(Location.code == "GDG"))
    agent = session.scalar(select(Supplier.id).where(Supplier.code == "AGEN-LPG"))
    return items, warehouse, agent


def test_an_order_through_the_api(api, demo):
    clerk, manager = api("warehouse"), api("manager")
    items, warehouse, agent = _ids(demo)
    created = clerk.post("/api/purchase-orders", json={"supplier_id": agent, "destination_id": warehouse})
    assert created.status_code == 201 and created.get_json()["status"] == "draft"
    order_id = created.get_json()["id"]
    lined = clerk.post(f"/api/purchase-orders/{order_id}/lines", json={"item_id": items["LPG3"], "packs": "50"})
    body = lined.get_json()
    assert (body["total"], body["lines"][0]["quantity"], body["lines"][0]["unit_cost"]) == (637500, "50.000", 12750)
    assert clerk.post(f"/api/purchase-orders/{order_id}/submit").get_json()["status"] == "submitted"
    refused = clerk.post(f"/api/purchase-orders/{order_id}/approve")
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert manager.post(f"/api/purchase-orders/{order_id}/approve").get_json()["status"] == "approved"
    again = manager.post(f"/api/purchase-orders/{order_id}/approve")
    assert again.status_code == 409 and again.get_json()["type"] == "/problems/illegal_transition"
    listed = manager.get("/api/purchase-orders?status=approved").get_json()
    assert [o["id"] for o in listed] == [order_id]


def test_a_quota_breach_is_a_409_problem(api, demo):
    clerk = api("warehouse")
    items, warehouse, agent = _ids(demo)
    order_id = clerk.post("/api/purchase-orders", json={"supplier_id": agent, "destination_id": warehouse}).get_json()[
        "id"
    ]
    clerk.post(f"/api/purchase-orders/{order_id}/lines", json={"item_id": items["LPG3"], "packs": "260"})
    refused = clerk.post(f"/api/purchase-orders/{order_id}/submit")
    assert refused.status_code == 409
    assert refused.get_json()["type"] == "/problems/quota_exceeded"


def test_suppliers_catalogue_and_costs_through_the_api(api, demo):
    manager = api("manager")
    items, _warehouse, _agent = _ids(demo)
    created = manager.post(
        "/api/suppliers",
        json={"code": "TOKO-GROSIR", "name": "Toko Grosir Sejahtera", "payment_terms": "cash", "lead_time_days": 0},
    )
    assert created.status_code == 201
    supplier_id = created.get_json()["id"]
    sugar = manager.get(f"/api/items/{items['GULA1']}").get_json()
    carton = next(p for p in sugar["packagings"] if p["name"] == "Karton 20")
    entry = manager.post(
        f"/api/suppliers/{supplier_id}/catalogue",
        json={"item_id": items["GULA1"], "packaging_id": carton["id"], "supplier_code": "GL20"},
    )
    assert entry.status_code == 201
    priced = manager.post(
        f"/api/suppliers/{supplier_id}/catalogue/{entry.get_json()['id']}/costs",
        json={"valid_from": "2026-01-01", "cost": 300000},
    )
    assert priced.get_json()["prices"] == [{"valid_from": "2026-01-01", "cost": 300000}]
    pack = next(p for p in sugar["packagings"] if p["name"] == "Bungkus 1 kg")
    not_for_purchase = manager.post(
        f"/api/suppliers/{supplier_id}/catalogue", json={"item_id": items["GULA1"], "packaging_id": pack["id"]}
    )
    assert not_for_purchase.status_code == 422
    assert (
        api("warehouse").post("/api/suppliers", json={"code": "X", "name": "X", "payment_terms": "cash"}).status_code
        == 403
    )


def test_receiving_through_the_api(api, demo):
    clerk, manager = api("warehouse"), api("manager")
    items, warehouse, agent = _ids(demo)
    order = clerk.post("/api/purchase-orders", json={"supplier_id": agent, "destination_id": warehouse}).get_json()
    clerk.post(f"/api/purchase-orders/{order['id']}/lines", json={"item_id": items["LPG3"], "packs": "10"})
    clerk.post(f"/api/purchase-orders/{order['id']}/submit")
    manager.post(f"/api/purchase-orders/{order['id']}/approve")
    receipt = clerk.post("/api/receipts", json={"order_number": order["number"]}).get_json()
    scanned = clerk.post(f"/api/receipts/{receipt['id']}/scan", json={"code": "8991000000119", "times": "10"})
    assert scanned.get_json()["progress"] == [
        {
            "item_id": items["LPG3"],
            "item_name": "LPG 3 kg (isi)",
            "expected": "10.000",
            "received": "10.000",
            "rejected": "0.000",
            "on_order": True,
            "state": "complete",
        }
    ]
    key = "post-receipt-once"
    first = clerk.post(f"/api/receipts/{receipt['id']}/post", key=key)
    replay = clerk.post(f"/api/receipts/{receipt['id']}/post", key=key)
    assert first.get_json() == replay.get_json() and first.get_json()["order_status"] == "received"
    assert clerk.post(f"/api/receipts/{receipt['id']}/scan", json={"code": "8991000000119"}).status_code == 409


def test_unknown_ids_are_problems_never_a_500(api, demo):
    manager = api("manager")
    items, warehouse, agent = _ids(demo)
    calls = [
        ("/api/suppliers/999/quotas", {"item_id": 999999, "monthly_quantity": "5", "valid_from": "2026-01-01"}),
        (f"/api/suppliers/{agent}/quotas", {"item_id": 999999, "monthly_quantity": "5", "valid_from": "2026-01-01"}),
        (f"/api/suppliers/{agent}/catalogue", {"item_id": 999999, "packaging_id": 999999}),
        ("/api/purchase-orders", {"supplier_id": 999, "destination_id": warehouse}),
        ("/api/purchase-orders", {"supplier_id": agent, "destination_id": 999}),
        ("/api/purchase-orders/999/lines", {"item_id": items["LPG3"], "packs": "1"}),
        ("/api/receipts", {"order_number": "PO-1999-00001"}),
        ("/api/receipts/999/scan", {"code": "8991000000119"}),
    ]
    for url, payload in calls:
        response = manager.post(url, json=payload)
        assert response.status_code in (404, 409, 422), (url, response.status_code, response.get_json())
        assert response.mimetype == "application/problem+json"
    order = manager.post("/api/purchase-orders", json={"supplier_id": agent, "destination_id": warehouse}).get_json()
    unknown_item = manager.post(f"/api/purchase-orders/{order['id']}/lines", json={"item_id": 999999, "packs": "1"})
    assert unknown_item.status_code == 422
