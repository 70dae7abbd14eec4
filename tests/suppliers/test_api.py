from decimal import Decimal

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


def test_lot_tracked_goods_go_back_to_the_supplier_by_api_first_to_expire_or_the_lot_chosen(api, shop):
    """Bulog delivers 24 SPHP packs in two lots (10 of them damaged, to quarantine); 6 go back from the
    warehouse without a lot (the 4 of the lot expiring first, then 2 of the other), then 1 in the lot chosen;
    2 damaged ones go back from quarantine. Before: no API, and the screen's return (no lot) was refused."""
    receipt = _sphp_receipt(shop)
    clerk = api("warehouse")
    quarantine = shop.locations["V-KARANTINA"]
    url = f"/api/receipts/{receipt.id}/returns"
    sphp = shop.items["SPHP5"].id
    body = {"item_id": sphp, "quantity": "6", "reason": "karung sobek", "location_id": shop.locations["GDG-A-01"].id}
    first = clerk.post(url, json=body)
    assert first.status_code == 201, first.get_json()
    assert [(r["lot_code"], r["quantity"]) for r in first.get_json()] == [("SPHP-L0", "4.000"), ("SPHP-L1", "2.000")]
    chosen = clerk.post(url, json={**body, "quantity": "1", "lot_code": "SPHP-L1"})
    assert [(r["lot_code"], r["quantity"]) for r in chosen.get_json()] == [("SPHP-L1", "1.000")]
    damaged = clerk.post(url, json={**body, "quantity": "2", "location_id": quarantine.id})
    assert [(r["lot_code"], r["location_code"]) for r in damaged.get_json()] == [("SPHP-L0", "V-KARANTINA")]
    unknown = clerk.post(url, json={**body, "quantity": "1", "lot_code": "NOPE"})
    assert unknown.status_code == 422 and "lot" in unknown.get_json()["errors"]
    too_many = clerk.post(url, json={**body, "quantity": "16"})  # 24 came, 9 went back
    assert too_many.status_code == 422 and "quantity" in too_many.get_json()["errors"]
    returns = clerk.get(f"/api/receipts/{receipt.id}").get_json()["returns"]
    assert sum(Decimal(r["quantity"]) for r in returns) == Decimal(9)


def _sphp_receipt(shop):
    """A posted Bulog receipt of 24 SPHP packs: 10 of lot L1, 4 of lot L0 (expiring first), 10 damaged of L0."""
    from datetime import date

    from demo import ean13
    from suppliers import receiving
    from tests.suppliers.test_receiving import approved_order

    order = approved_order(shop, shop.bulog, [("SPHP5", 3)])  # 3 bales of 10
    receipt = receiving.open_receipt(order, shop.clerk)
    bale = ean13("899100000031")
    receiving.scan_into(receipt, bale, shop.clerk, lot_code="SPHP-L1", expiry=date(2027, 8, 31))
    receiving.scan_into(receipt, bale, shop.clerk, lot_code="SPHP-L0", expiry=date(2027, 7, 31), times=Decimal("0.4"))
    receiving.scan_into(receipt, bale, shop.clerk, lot_code="SPHP-L0", expiry=date(2027, 7, 31), condition="damaged")
    receiving.post(receipt.id, shop.clerk)
    return receipt


def test_the_receipt_screen_sends_lot_tracked_goods_back_without_a_lot(client, login, shop):
    from tests.inventory.test_counts_api import form_post

    receipt = _sphp_receipt(shop)
    login("warehouse")
    url = f"/purchasing/receipts/{receipt.id}"
    data = {"action": "return", "item_id": str(shop.items["SPHP5"].id), "quantity": "5", "reason": "basah"}
    sent = form_post(client, url, url, {**data, "location_id": str(shop.locations["GDG-A-01"].id), "lot": ""})
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    page = client.get(url).get_data(as_text=True)
    assert "(lot SPHP-L0)" in page and "(lot SPHP-L1)" in page  # 4 of the first to expire, then 1
    assert '<option value="SPHP-L0">' in page
