import json
import re
import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text

from app.db import db
from app.models import AuditEntry
from inventory.models import Adjustment, StockMove

SUGAR = "8991000000508"


def ids(api_client, demo_codes=("GDG-A-02", "TKO-R2")):
    locations = {loc["code"]: loc["id"] for loc in api_client.get("/api/locations?page_size=100").get_json()}
    return [locations[c] for c in demo_codes]


def sugar_id(api_client):
    return api_client.get(f"/api/stock/scan?code={SUGAR}").get_json()["item"]["id"]


def test_scan_resolves_wedge_input_and_gs1(api, demo):
    cashier = api("cashier")
    body = cashier.get("/api/stock/scan", query_string={"code": f"  {SUGAR}\r\n"}).get_json()
    assert (body["kind"], body["item"]["sku"], body["packaging"]["name"], body["quantity"]) == (
        "item",
        "GULA1",
        "Bungkus 1 kg",
        "1.000",
    )
    carton = cashier.get("/api/stock/scan", query_string={"code": "8991000000515"}).get_json()
    assert carton["quantity"] == "20.000"
    gs1 = cashier.get("/api/stock/scan", query_string={"code": "]C1010899100000030017270531\x1d10SPHP-2611A"})
    assert gs1.get_json()["lot_code"] == "SPHP-2611A" and gs1.get_json()["expiry"] == "2027-05-31"
    location = cashier.get("/api/stock/scan", query_string={"code": "TKO-R1"}).get_json()
    assert location["kind"] == "location" and location["location"]["name"] == "Rak toko 1"


def test_a_scan_reads_plain_values_and_the_screens_get_the_same_rows_as_objects(demo):
    """look_up_scan (the scan APIs, the till) answers in plain values; resolve_scan (the screens, counts, receiving)
    with the ORM objects of the same rows."""
    from inventory.models import ItemRef, Location, Packaging
    from inventory.services import LocationRef, PackagingRef, look_up_scan, resolve_scan

    for code in ("8991000000515", "]C1010899100000030017270531\x1d10SPHP-2611A"):  # a carton of sugar; GS1 SPHP
        plain, objects = look_up_scan(code), resolve_scan(code)
        assert isinstance(plain.item, ItemRef) and isinstance(plain.packaging, PackagingRef)
        assert isinstance(objects.packaging, Packaging) and objects.item is objects.packaging.item
        assert (plain.item.id, plain.item.sku, plain.packaging.id, plain.packaging.name) == (
            objects.item.id,
            objects.item.sku,
            objects.packaging.id,
            objects.packaging.name,
        )
        assert (plain.quantity, plain.lot_code, plain.source) == (objects.quantity, objects.lot_code, objects.source)
    assert look_up_scan("8991000000515").quantity == D(20)
    shelf_plain, shelf = look_up_scan("TKO-R1"), resolve_scan("TKO-R1")
    assert isinstance(shelf_plain.location, LocationRef) and isinstance(shelf.location, Location)
    assert (shelf_plain.location.id, shelf_plain.location.name) == (shelf.location.id, "Rak toko 1")


def test_unknown_and_mistyped_codes_are_problems(api, demo):
    cashier = api("cashier")
    unknown = cashier.get("/api/stock/scan", query_string={"code": "NOPE-1"})
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    assert unknown.get_json()["title"] == "Kode NOPE-1 tidak dikenal."
    typo = cashier.get("/api/stock/scan", query_string={"code": "8991000000503"})
    assert typo.status_code == 404
    assert typo.get_json()["detail"] == "Digit cek kode 8991000000503 salah: pindai ulang."
    assert typo.get_json()["type"] == "/problems/wrong_check_digit"


def test_validation_errors_are_problem_json_with_field_messages(api, demo):
    manager = api("manager")
    response = manager.post("/api/stock/adjustments", json={"reason": "stolen", "lines": []})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert set(errors) == {"location_id", "reason", "lines"}


def test_insufficient_stock_is_a_409_problem_naming_item_location_and_available(api, demo):
    clerk = api("warehouse")
    source, target = ids(clerk)
    response = clerk.post(
        "/api/stock/transfers",
        json={
            "from_location_id": source,
            "to_location_id": target,
            "lines": [{"item_id": sugar_id(clerk), "quantity": "61"}],
        },
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["type"] == "/problems/insufficient_stock"
    assert body["available"] == "60.000" and body["requested"] == "61.000"
    assert "Gula pasir 1 kg" in body["title"] and "Rak A-02" in body["title"]


def test_transfer_one_step_and_two_steps(api, demo):
    clerk = api("warehouse")
    source, target = ids(clerk)
    sugar = sugar_id(clerk)
    done = clerk.post(
        "/api/stock/transfers",
        json={"from_location_id": source, "to_location_id": target, "lines": [{"item_id": sugar, "quantity": "5"}]},
    )
    assert done.status_code == 201 and done.get_json()["status"] == "done"
    sent = clerk.post(
        "/api/stock/transfers",
        json={
            "from_location_id": source,
            "to_location_id": target,
            "two_step": True,
            "lines": [{"item_id": sugar, "quantity": "4"}],
        },
    )
    assert sent.get_json()["status"] == "in_transit"
    on_hand = {(r["location_code"]): r["quantity"] for r in clerk.get(f"/api/stock/on-hand?item_id={sugar}").get_json()}
    assert on_hand == {"GDG-A-02": "51.000", "TKO-R2": "17.000", "V-TRANSIT": "4.000"}
    received = clerk.post(f"/api/stock/transfers/{sent.get_json()['id']}/receive")
    assert received.status_code == 200
    on_hand = {(r["location_code"]): r["quantity"] for r in clerk.get(f"/api/stock/on-hand?item_id={sugar}").get_json()}
    assert on_hand == {"GDG-A-02": "51.000", "TKO-R2": "21.000"}
    again = clerk.post(f"/api/stock/transfers/{sent.get_json()['id']}/receive")
    assert again.status_code == 409


def test_small_adjustment_posts_and_large_one_waits_for_a_manager(api, demo):
    clerk, manager = api("warehouse"), api("manager")
    source, _ = ids(clerk)
    sugar = sugar_id(clerk)
    small = clerk.post(
        "/api/stock/adjustments",
        json={"location_id": source, "reason": "damaged", "lines": [{"item_id": sugar, "quantity": "-2"}]},
    )
    assert small.status_code == 201 and small.get_json()["status"] == "posted"
    assert small.get_json()["value"] == 31000  # 2 × Rp15.500 moving average
    large = clerk.post(
        "/api/stock/adjustments",
        json={"location_id": source, "reason": "expired", "lines": [{"item_id": sugar, "quantity": "-40"}]},
    )
    assert large.get_json()["status"] == "pending" and large.get_json()["value"] == 620000
    assert clerk.post(f"/api/stock/adjustments/{large.get_json()['id']}/approve").status_code == 403
    approved = manager.post(f"/api/stock/adjustments/{large.get_json()['id']}/approve")
    assert approved.get_json()["status"] == "posted"
    on_hand = clerk.get(f"/api/stock/on-hand?item_id={sugar}&location_id={source}").get_json()
    assert on_hand[0]["quantity"] == "18.000"  # 60 - 2 - 40
    actions = (
        db.session.execute(select(AuditEntry.action).where(AuditEntry.entity == "adjustment").order_by(AuditEntry.id))
        .scalars()
        .all()
    )
    assert actions == ["create", "post", "create", "post"]


def test_stock_card_pages_newest_first_with_running_balance(api, demo):
    clerk = api("warehouse")
    source, target = ids(clerk)
    sugar = sugar_id(clerk)
    for qty in ("1", "2", "3"):
        clerk.post(
            "/api/stock/transfers",
            json={"from_location_id": source, "to_location_id": target, "lines": [{"item_id": sugar, "quantity": qty}]},
        )
    card = clerk.get(f"/api/stock/card?item_id={sugar}&location_id={source}&per_page=2").get_json()
    assert card["total"] == 4 and card["balance"] == "54.000"
    assert [(r["change"], r["balance_after"]) for r in card["rows"]] == [("-3.000", "54.000"), ("-2.000", "57.000")]
    older = clerk.get(f"/api/stock/card?item_id={sugar}&location_id={source}&per_page=2&page=2").get_json()
    assert [(r["change"], r["balance_after"]) for r in older["rows"]] == [("-1.000", "59.000"), ("60.000", "60.000")]


def test_items_are_created_with_packagings_and_checked_barcodes_and_audited(api, session):
    manager = api("manager")
    item = manager.post(
        "/api/items",
        json={
            "sku": "TEPUNG1",
            "name_id": "Tepung terigu 1 kg",
            "name_en": "Wheat flour 1 kg",
            "category": "sembako",
            "base_unit": "piece",
        },
    )
    assert item.status_code == 201
    item_id = item.get_json()["id"]
    pack = manager.post(
        f"/api/items/{item_id}/packagings", json={"name": "Karton 10", "factor": "10", "for_purchase": True}
    )
    bad = manager.post(
        f"/api/items/{item_id}/packagings/{pack.get_json()['id']}/barcodes", json={"code": "4006381333932"}
    )
    assert bad.status_code == 422
    assert bad.get_json()["title"] == "Digit cek 4006381333932 salah."
    good = manager.post(
        f"/api/items/{item_id}/packagings/{pack.get_json()['id']}/barcodes", json={"code": "4006381333931"}
    )
    assert good.get_json()["barcodes"] == ["4006381333931"]
    changed = manager.patch(f"/api/items/{item_id}", json={"name_en": "Flour 1 kg"})
    assert changed.get_json()["name_en"] == "Flour 1 kg"
    entries = db.session.execute(
        select(AuditEntry.action, AuditEntry.entity, AuditEntry.changes)
        .where(AuditEntry.entity.in_(["item", "packaging", "barcode"]))
        .order_by(AuditEntry.id)
    ).all()
    assert [(a, e) for a, e, _ in entries] == [
        ("create", "item"),
        ("create", "packaging"),
        ("create", "barcode"),
        ("update", "item"),
    ]
    assert entries[-1].changes == {"name_en": ["Wheat flour 1 kg", "Flour 1 kg"]}


def test_lists_are_paginated(api, demo):
    items = api("cashier").get("/api/items?page=1&page_size=3")
    assert len(items.get_json()) == 3
    assert json.loads(items.headers["X-Pagination"])["total"] == 8


# --- Idempotency-Key ---------------------------------------------------------------------------------


def _adjust(api_client, location, item, qty="-1"):
    return {"location_id": location, "reason": "damaged", "lines": [{"item_id": item, "quantity": qty}]}


def test_a_replay_returns_the_stored_response_and_does_nothing_again(api, demo):
    clerk = api("warehouse")
    source, _ = ids(clerk)
    key = str(uuid.uuid4())
    first = clerk.post("/api/stock/adjustments", json=_adjust(clerk, source, sugar_id(clerk)), key=key)
    replay = clerk.post("/api/stock/adjustments", json=_adjust(clerk, source, sugar_id(clerk)), key=key)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Adjustment)) == 1
    assert db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.reason == "adjustment")) == 1


def test_the_same_key_with_another_payload_is_422(api, demo):
    clerk = api("warehouse")
    source, _ = ids(clerk)
    key = str(uuid.uuid4())
    clerk.post("/api/stock/adjustments", json=_adjust(clerk, source, sugar_id(clerk)), key=key)
    other = clerk.post("/api/stock/adjustments", json=_adjust(clerk, source, sugar_id(clerk), "-2"), key=key)
    assert other.status_code == 422
    assert other.get_json()["type"] == "/problems/idempotency_key_reused"
    assert db.session.scalar(select(func.count()).select_from(Adjustment)) == 1


def test_a_mutating_post_without_a_key_is_400(api, demo):
    clerk = api("warehouse")
    source, _ = ids(clerk)
    response = clerk.client.post(
        "/api/stock/adjustments", json=_adjust(clerk, source, sugar_id(clerk)), headers=clerk.headers
    )
    assert response.status_code == 400
    assert response.get_json()["type"] == "/problems/idempotency_key_missing"


def test_a_failed_request_stores_nothing_so_a_retry_runs_again(api, demo):
    clerk = api("warehouse")
    source, target = ids(clerk)
    key = str(uuid.uuid4())
    payload = {
        "from_location_id": source,
        "to_location_id": target,
        "lines": [{"item_id": sugar_id(clerk), "quantity": "61"}],
    }
    assert clerk.post("/api/stock/transfers", json=payload, key=key).status_code == 409
    assert clerk.post("/api/stock/transfers", json=payload, key=key).status_code == 409  # evaluated again


def test_keys_belong_to_their_user(api, demo):
    clerk, other_clerk = api("warehouse"), api("warehouse")
    source, _ = ids(clerk)
    key = str(uuid.uuid4())
    clerk.post("/api/stock/adjustments", json=_adjust(clerk, source, sugar_id(clerk)), key=key)
    second = other_clerk.post("/api/stock/adjustments", json=_adjust(clerk, source, sugar_id(clerk)), key=key)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert db.session.scalar(select(func.count()).select_from(Adjustment)) == 2


@pytest.mark.postgres
def test_while_the_first_request_is_in_flight_the_same_key_gets_409(api, demo, app):
    """Another transaction holds the key (as the first request does while it works): 409, then a retry works."""
    from tests.conftest import _JoinedSession  # noqa: F401 - the test's own connection is separate from this one

    clerk = api("warehouse")
    source, _ = ids(clerk)
    key = str(uuid.uuid4())
    user_id = db.session.scalar(text("SELECT user_id FROM api_token ORDER BY id DESC LIMIT 1"))
    with db.engine.connect() as other:
        with other.begin():
            other.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"idem:{user_id}:{key}"})
            busy = clerk.post("/api/stock/adjustments", json=_adjust(clerk, source, sugar_id(clerk)), key=key)
            assert busy.status_code == 409
            assert busy.get_json()["type"] == "/problems/idempotency_key_in_flight"
    done = clerk.post("/api/stock/adjustments", json=_adjust(clerk, source, sugar_id(clerk)), key=key)
    assert done.status_code == 201


def _sphp_and_bins(clerk, demo):
    from datetime import date, timedelta

    from inventory.ledger import Move, post_moves
    from inventory.models import Item, Location
    from inventory.services import get_or_create_lot

    sphp = demo.scalar(select(Item).where(Item.sku == "SPHP5"))
    bin_a, shelf, vendor = (
        demo.scalar(select(Location).where(Location.code == c)) for c in ("GDG-A-01", "TKO-R1", "V-PEMASOK")
    )
    stale = get_or_create_lot(sphp, "SPHP-OLD", date.today() - timedelta(days=1))  # expired yesterday
    post_moves([Move(sphp.id, vendor.id, bin_a.id, D(5), "receipt", "GR-OLD", lot_id=stale.id, unit_cost=D(56500))])
    return sphp, bin_a, shelf


def test_a_lot_tracked_transfer_without_a_lot_takes_the_first_to_expire_never_an_expired_one(api, demo):
    """GDG-A-01 holds SPHP in two good lots (20 of 2610B, 40 of 2611A) and 5 packs that expired yesterday: 30 go
    as 20 + 10, first to expire first. Before, a line without a lot was refused ('ada 0, perlu 30')."""
    clerk = api("warehouse")
    sphp, bin_a, shelf = _sphp_and_bins(clerk, demo)
    body = {"from_location_id": bin_a.id, "to_location_id": shelf.id, "lines": [{"item_id": sphp.id, "quantity": "30"}]}
    done = clerk.post("/api/stock/transfers", json=body)
    assert done.status_code == 201, done.get_json()
    lots = {ln["lot_id"]: ln["quantity"] for ln in done.get_json()["lines"]}
    on_shelf = {
        r["lot_code"]: r["quantity"]
        for r in clerk.get(f"/api/stock/on-hand?item_id={sphp.id}&location_id={shelf.id}").get_json()
    }
    assert sorted(lots.values()) == ["10.000", "20.000"]
    assert on_shelf == {"SPHP-2610B": "30.000", "SPHP-2611A": "10.000"}  # 10 were there already
    too_many = clerk.post("/api/stock/transfers", json={**body, "lines": [{"item_id": sphp.id, "quantity": "31"}]})
    problem = too_many.get_json()
    assert too_many.status_code == 409
    assert (problem["available"], problem["requested"], problem["expired"]) == ("30.000", "31.000", "5.000")
    assert "kedaluwarsa" in problem["detail"]


def test_the_transfer_screen_keeps_its_lines_on_a_refusal_and_moves_a_chosen_lot(client, login, demo):
    """Scanning the SPHP pack twice and asking for more than the bin has is refused; the page comes back with
    the lines as they were, named, with the bin's lots to choose from (before: no names, and no lots at all).
    Choosing lot 2611A moves that lot, not the first to expire."""
    from inventory.models import Item, Location
    from inventory.services import stock_on_hand
    from tests.inventory.test_counts_api import form_post

    login("warehouse")
    sphp = demo.scalar(select(Item).where(Item.sku == "SPHP5"))
    bin_a, shelf = (demo.scalar(select(Location).where(Location.code == c)) for c in ("GDG-A-01", "TKO-R1"))
    pack = "8991000000300"
    form = {"from_location_id": str(bin_a.id), "to_location_id": str(shelf.id), "code": pack, "lot": ""}
    refused = form_post(client, "/stock/transfer", "/stock/transfer", {**form, "quantity": "61"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "tidak cukup" in page and "ada 60, perlu 61" in page
    row = page[page.index("<tbody>", page.index('id="lines"')) : page.index("</tbody>", page.index('id="lines"'))]
    assert 'value="8991000000300"' in row and "Beras SPHP 5 kg · Pak 5 kg" in row and 'value="61"' in row
    assert re.findall(r'<option value="(SPHP-[^"]+)"', row) == ["SPHP-2610B", "SPHP-2611A"]
    moved = form_post(client, "/stock/transfer", "/stock/transfer", {**form, "quantity": "5", "lot": "SPHP-2611A"})
    assert moved.status_code == 302
    on_shelf = {b.lot.code: b.quantity for b in stock_on_hand(shelf.id, sphp.id)}
    assert on_shelf == {"SPHP-2610B": D(10), "SPHP-2611A": D(5)}


def test_a_gs1_scan_missing_its_separator_is_refused_with_what_to_do(api, demo):
    response = api("warehouse").get("/api/stock/scan", query_string={"code": "01089910000003001012317270531"})
    assert response.status_code == 404
    assert response.get_json()["type"] == "/problems/gs1_separator_missing"
    assert "(01)…(10)…(17)…" in response.get_json()["detail"]
