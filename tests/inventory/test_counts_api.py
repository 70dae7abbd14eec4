"""Stock counts over HTTP: blind for the clerk, reviewed and posted once by a manager, and their screens."""

import json
import re
import uuid

import pytest
from sqlalchemy import func, select

from app.db import db
from inventory.models import StockMove
from tests.conftest import csrf_token_from

SUGAR_PACK = "8991000000508"
SUGAR_CARTON = "8991000000515"
RICE_SACK = "8991000000409"
OIL_CARTON = "8991000000614"
HIDDEN = {"expected_quantity", "recount_expected_quantity", "variance", "value", "unit_cost"}


def keys(body) -> set[str]:
    """Every key anywhere in a JSON body."""
    if isinstance(body, dict):
        return set(body) | {k for v in body.values() for k in keys(v)}
    if isinstance(body, list):
        return {k for v in body for k in keys(v)}
    return set()


def location_ids(api_client) -> dict[str, int]:
    return {loc["code"]: loc["id"] for loc in api_client.get("/api/locations?page_size=100").get_json()}


def count_moves(reference: str) -> int:
    return db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.reference == reference))


@pytest.fixture
def clerk(api, demo):
    return api("warehouse")


@pytest.fixture
def manager(api, demo):
    return api("manager")


def start(api_client, code="GDG-A-02") -> dict:
    response = api_client.post("/api/stock/counts", json={"location_id": location_ids(api_client)[code]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def scan(api_client, count, code, bin_code="GDG-A-02", **extra):
    body = {"location_id": location_ids(api_client)[bin_code], "code": code, **extra}
    return api_client.post(f"/api/stock/counts/{count['id']}/lines", json=body)


def test_a_clerk_counts_closes_and_recounts_without_ever_seeing_an_expected_quantity(clerk, manager):
    count = start(clerk)
    assert (count["reference"], count["status"], count["location"]["code"]) == (
        f"CNT-{count['id']}",
        "open",
        "GDG-A-02",
    )
    bodies = [count]
    for _ in range(2):
        bodies.append(scan(clerk, count, SUGAR_CARTON).get_json())
    sugar = scan(clerk, count, SUGAR_PACK, packs="5").get_json()
    bodies.append(sugar)
    assert (sugar["counted_quantity"], sugar["needs_recount"], sugar["item"]["sku"]) == ("45.000", False, "GULA1")
    bodies.append(scan(clerk, count, OIL_CARTON, packs="4", lot_code="MK-2609").get_json())
    for _ in range(9):
        bodies.append(scan(clerk, count, RICE_SACK).get_json())
    bodies.append(scan(clerk, count, "BRSMED-KG", packs="45").get_json())  # 495 kg
    bodies.append(clerk.get(f"/api/stock/counts/{count['id']}").get_json())
    bodies.append(clerk.get(f"/api/stock/counts/{count['id']}/lines?mine=true").get_json())

    closed = clerk.post(f"/api/stock/counts/{count['id']}/close")
    assert closed.status_code == 200
    assert (closed.get_json()["status"], closed.get_json()["lines_to_recount"]) == ("review", 1)
    to_recount = clerk.get(f"/api/stock/counts/{count['id']}/lines?needs_recount=true").get_json()
    assert [(ln["item"]["sku"], ln["counted_quantity"], ln["recount_quantity"]) for ln in to_recount] == [
        ("GULA1", "45.000", None)
    ]
    refused = scan(clerk, count, RICE_SACK)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    recount = clerk.client.put(  # the keypad: PUT sets the quantity (tests.conftest.ApiClient has no put)
        f"/api/stock/counts/{count['id']}/lines/{to_recount[0]['id']}", json={"quantity": "58"}, headers=clerk.headers
    ).get_json()
    assert (recount["counted_quantity"], recount["recount_quantity"]) == ("45.000", "58.000")
    bodies += [closed.get_json(), to_recount, recount]

    assert not keys(bodies) & HIDDEN
    assert "60.000" not in json.dumps(bodies) and "500.000" not in json.dumps(bodies)
    assert clerk.get(f"/api/stock/counts/{count['id']}/review").status_code == 403

    review = manager.get(f"/api/stock/counts/{count['id']}/review").get_json()
    assert {(ln["item"]["sku"], ln["expected_quantity"], ln["variance"], ln["value"]) for ln in review} == {
        ("BRS-MED", "500.000", "-5.000", -62000),
        ("GULA1", "60.000", "-2.000", -31000),
        ("MKITA1", "48.000", "0.000", 0),
    }


def test_a_manager_posts_once_and_a_clerk_cannot(clerk, manager):
    count = start(clerk)
    scan(clerk, count, SUGAR_PACK, packs="59")
    scan(clerk, count, OIL_CARTON, packs="4", lot_code="MK-2609")
    scan(clerk, count, RICE_SACK, packs="10")
    clerk.post(f"/api/stock/counts/{count['id']}/close")
    assert clerk.post(f"/api/stock/counts/{count['id']}/post").status_code == 403
    assert clerk.post(f"/api/stock/counts/{count['id']}/cancel").status_code == 403

    key = str(uuid.uuid4())
    posted = manager.post(f"/api/stock/counts/{count['id']}/post", key=key)
    assert posted.status_code == 200 and posted.get_json()["status"] == "posted"
    replay = manager.post(f"/api/stock/counts/{count['id']}/post", key=key)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    again = manager.post(f"/api/stock/counts/{count['id']}/post")
    assert again.status_code == 409 and again.get_json()["type"] == "/problems/conflict"
    assert count_moves(count["reference"]) == 1
    on_hand = manager.get("/api/stock/on-hand", query_string={"location_id": location_ids(manager)["GDG-A-02"]})
    assert {r["sku"]: r["quantity"] for r in on_hand.get_json()} == {
        "BRS-MED": "500.000",
        "GULA1": "59.000",
        "MKITA1": "48.000",
    }


def test_counts_are_listed_newest_first_page_by_page(clerk, manager):
    first = start(clerk, "GDG-A-02")
    second = start(clerk, "TKO")
    overlapping = clerk.post("/api/stock/counts", json={"location_id": location_ids(clerk)["TKO-R1"]})
    assert overlapping.status_code == 409 and set(overlapping.get_json()["errors"]) == {"location_id"}
    page = clerk.get("/api/stock/counts?page_size=1")
    assert [c["id"] for c in page.get_json()] == [second["id"]]
    assert json.loads(page.headers["X-Pagination"])["total"] == 2
    manager.post(f"/api/stock/counts/{first['id']}/cancel")
    cancelled = clerk.get("/api/stock/counts?status=cancelled").get_json()
    assert [c["id"] for c in cancelled] == [first["id"]]


def test_bad_input_is_a_problem_with_field_messages(clerk):
    count = start(clerk)
    response = clerk.post(f"/api/stock/counts/{count['id']}/lines", json={"code": "", "packs": "-1"})
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"location_id", "code", "packs"}
    no_lot = scan(clerk, count, OIL_CARTON)
    assert no_lot.status_code == 422 and set(no_lot.get_json()["errors"]) == {"lot_code"}
    assert clerk.get("/api/stock/counts/999999").status_code == 404


# --- screens ---------------------------------------------------------------------------------------------


def form_post(client, page_url, action, data=None):
    page = client.get(page_url).get_data(as_text=True)
    fields = {"csrf_token": csrf_token_from(page), "idempotency_key": str(uuid.uuid4()), **(data or {})}
    return client.post(action, data=fields)


def test_the_clerk_screens_never_show_the_expected_quantity(client, login, demo):
    from inventory import services

    login("warehouse")
    bin_id = services.location_by_code("GDG-A-02").id
    started = form_post(client, "/stock/counts", "/stock/counts", {"location_id": str(bin_id)})
    assert started.status_code == 302
    count_url = started.headers["Location"]
    page = client.get(count_url).get_data(as_text=True)
    token = csrf_token_from(page)
    api_url = f"{count_url.replace('/stock/', '/api/stock/')}/lines"
    for _ in range(9):
        response = client.post(
            api_url,
            json={"location_id": bin_id, "code": RICE_SACK},
            headers={"X-CSRFToken": token, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 200, response.get_json()
    page = shown(client.get(count_url).get_data(as_text=True))
    assert "450" in page and "500" not in page  # counted 450 kg of the 500 kg there
    assert 'id="count-lines"' in page and 'data-code="GDG-A-02"' in page
    sheet = shown(client.get(f"{count_url}/sheet").get_data(as_text=True))
    assert "Beras medium (curah)" in sheet and "MK-2609" in sheet and "500" not in sheet and "48" not in sheet
    assert client.get(f"{count_url}/review").status_code == 403

    closed = form_post(client, count_url, f"{count_url}/close")
    assert closed.status_code == 302
    page = shown(client.get(count_url).get_data(as_text=True))
    assert "500" not in page and "48" not in page  # the lines to recount, still blind


def shown(html: str) -> str:
    """The page less its random tokens (CSRF, idempotency keys), which may contain any digits."""
    return re.sub(r'<meta name="csrf-token"[^>]*>|<input type="hidden"[^>]*>', "", html)


def test_the_manager_reviews_and_posts_on_the_screen(client, login, demo, make_user):
    from decimal import Decimal

    from inventory import counts, services

    clerk = make_user("warehouse")
    count = counts.create_count(services.location_by_code("GDG-A-02"), clerk)
    counts.record_scan(count, count.location, SUGAR_PACK, clerk, packs=Decimal(59))
    counts.close_count(count, clerk)
    assert count.lines_to_recount == 2  # rice and oil were not counted

    manager = login("manager")
    review_url = f"/stock/counts/{count.id}/review"
    page = client.get(review_url).get_data(as_text=True)
    assert 'id="post-count" disabled' in page and "500" in page  # the manager sees what was expected
    assert page.count(">tidak dihitung</span>") == 2
    refused = form_post(client, review_url, f"/stock/counts/{count.id}/post")
    assert refused.status_code == 409 and "2 baris masih perlu dihitung ulang." in refused.get_data(as_text=True)

    for line in count.lines:
        if line.needs_recount:
            counts.set_line_quantity(count, line, line.expected_quantity, manager)
    page = client.get(review_url).get_data(as_text=True)
    assert 'id="post-count" disabled' not in page
    assert ">tidak dihitung</span>" not in page  # counted at the recount: not "not counted" any more
    assert page.count(">dihitung saat hitung ulang</span>") == 2
    assert '<strong id="total-net">-Rp15.500</strong>' in page
    posted = form_post(client, review_url, f"/stock/counts/{count.id}/post")
    assert posted.status_code == 302 and count_moves(count.reference) == 1
    assert f"{count.reference} sudah dibukukan." in client.get(review_url).get_data(as_text=True)


@pytest.mark.parametrize("suffix", ["", "/review", "/sheet"])
def test_count_screens_render_for_a_manager(client, login, demo, make_user, suffix):
    from inventory import counts, services

    count = counts.create_count(services.location_by_code("GDG"), make_user("warehouse"))
    login("manager")
    assert client.get("/stock/counts").status_code == 200
    response = client.get(f"/stock/counts/{count.id}{suffix}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
