"""The reorder API: rules, the suggestions with their reasoning in words, and the manager's approval."""

from sqlalchemy import select

from suppliers.models import PurchaseOrder, ReorderRule
from tests.suppliers.test_api import _ids


def _bulog(session):
    from suppliers.models import Supplier

    return session.scalar(select(Supplier.id).where(Supplier.code == "BULOG-BPN"))


def test_a_rule_set_through_the_api_is_checked_at_once_and_its_suggestion_explained(api, demo):
    manager = api("manager")
    items, warehouse, _agent = _ids(demo)
    rule = {"item_id": items["SPHP5"], "location_id": warehouse, "supplier_id": _bulog(demo)}
    set_ = manager.post("/api/reorder/rules", json={**rule, "reorder_point": "100", "order_up_to": "300"})
    assert set_.status_code == 200, set_.get_json()
    assert (set_.get_json()["reorder_point"], set_.get_json()["is_active"]) == ("100.000", True)
    [suggestion] = manager.get("/api/reorder/suggestions").get_json()
    [line] = suggestion["lines"]
    assert (suggestion["status"], suggestion["destination_code"], line["packs"]) == ("draft", "GDG", "24.000")
    assert line["reasoning"]["position"] == "60"
    assert line["explanation"][0] == "Stok 60 pak dan 0 dalam pesanan: semuanya 60."
    assert "24 × Bal 10 pak" in line["explanation"][2]
    changed = manager.post("/api/reorder/rules", json={**rule, "reorder_point": "50", "order_up_to": "300"})
    assert changed.get_json()["id"] == set_.get_json()["id"]  # one rule per item and location
    assert manager.get("/api/reorder/suggestions").get_json() == []  # 60 is above 50 now: the draft went
    assert len(demo.scalars(select(ReorderRule)).all()) == 1


def test_bad_rules_get_field_errors(api, demo):
    manager, clerk = api("manager"), api("warehouse")
    items, warehouse, agent = _ids(demo)
    bad = manager.post(
        "/api/reorder/rules",
        json={
            "item_id": items["SPHP5"],
            "location_id": warehouse,
            "supplier_id": agent,
            "reorder_point": "9",
            "order_up_to": "5",
        },
    )
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert set(bad.get_json()["errors"]) == {"supplier_id", "order_up_to"}
    missing = manager.post("/api/reorder/rules", json={"item_id": items["SPHP5"], "reorder_point": "x"})
    assert missing.status_code == 422
    assert set(missing.get_json()["errors"]) >= {"location_id", "supplier_id", "reorder_point", "order_up_to"}
    refused = clerk.post(
        "/api/reorder/rules",
        json={
            "item_id": items["SPHP5"],
            "location_id": warehouse,
            "supplier_id": _bulog(demo),
            "reorder_point": "1",
            "order_up_to": "5",
        },
    )
    assert refused.status_code == 403


def test_approving_a_suggestion_with_an_edited_quantity_sends_it_to_approval(api, demo):
    manager = api("manager")
    items, warehouse, _agent = _ids(demo)
    for sku, point, up_to in (("SPHP5", "100", "300"), ("GULA1", "100", "300")):
        manager.post(
            "/api/reorder/rules",
            json={
                "item_id": items[sku],
                "location_id": warehouse,
                "supplier_id": _bulog(demo),
                "reorder_point": point,
                "order_up_to": up_to,
            },
        )
    [suggestion] = manager.get("/api/reorder/suggestions").get_json()
    by_hand = manager.post(f"/api/purchase-orders/{suggestion['id']}/submit")
    assert by_hand.status_code == 409 and by_hand.get_json()["type"] == "/problems/reorder_suggestion"
    url = f"/api/reorder/suggestions/{suggestion['id']}/approve"
    stale = manager.post(url, json={"lines": [{"item_id": items["SPHP5"], "packs": "24"}]})  # GULA1 not seen
    assert stale.status_code == 409 and stale.get_json()["type"] == "/problems/suggestion_changed"
    approved = manager.post(
        url, json={"lines": [{"item_id": items["SPHP5"], "packs": "20"}, {"item_id": items["GULA1"], "packs": "0"}]}
    )
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert body["status"] == "submitted"
    assert [(ln["item_id"], ln["packs"]) for ln in body["lines"]] == [(items["SPHP5"], "20.000")]
    assert manager.get("/api/reorder/suggestions").get_json() == []
    again = manager.post(url, json={"lines": [{"item_id": items["SPHP5"], "packs": "20"}]})
    assert again.status_code == 409 and again.get_json()["type"] == "/problems/not_a_suggestion"
    order = demo.get(PurchaseOrder, suggestion["id"])
    assert (order.status, order.origin) == ("submitted", "reorder")


def _shop_lpg_rule(manager, demo):
    """A rule for LPG at the shop (reorder at 10, up to 40, from the agent in tens); the shop's 15 cylinders
    brought down to 9 (sold), so the suggestion is 40 (31, rounded up to tens)."""
    from decimal import Decimal

    from inventory.ledger import Move, post_moves
    from inventory.models import Location

    items, _warehouse, agent = _ids(demo)
    places = {loc.code: loc.id for loc in demo.scalars(select(Location))}
    rule = {"item_id": items["LPG3"], "location_id": places["TKO"], "supplier_id": agent}
    post_moves([Move(items["LPG3"], places["TKO-LPG"], places["V-PELANGGAN"], Decimal(6), "sale", "S-1")])
    assert (
        manager.post("/api/reorder/rules", json={**rule, "reorder_point": "10", "order_up_to": "40"}).status_code == 200
    )
    [suggestion] = manager.get("/api/reorder/suggestions").get_json()
    assert [line["packs"] for line in suggestion["lines"]] == ["40.000"]
    return suggestion, items, places


def test_a_suggestion_made_before_stock_came_in_is_refused_with_the_new_figures(api, demo):
    """Issue 10, item 4: the suggestion said 40 when the shop had 9; a return brings it to 10 before the manager
    approves. The approval checks again under the supplier's lock and answers 409 with the new suggestion (30),
    which is kept; approving what he now sees orders 30."""
    from decimal import Decimal

    from inventory.ledger import Move, post_moves
    from inventory.models import StockOutbox

    manager = api("manager")
    suggestion, items, places = _shop_lpg_rule(manager, demo)
    post_moves([Move(items["LPG3"], places["V-PELANGGAN"], places["TKO-LPG"], Decimal(1), "return", "R-1")])
    marked = demo.scalars(select(StockOutbox.location_id).where(StockOutbox.item_id == items["LPG3"])).all()
    assert places["TKO-LPG"] in marked  # stock rising marks the place for a check, like stock falling
    url = f"/api/reorder/suggestions/{suggestion['id']}/approve"
    line = {"item_id": items["LPG3"], "packs": "40", "suggested": "40"}
    stale = manager.post(url, json={"lines": [line]})
    assert stale.status_code == 409, stale.get_json()
    assert stale.get_json()["type"] == "/problems/suggestion_changed"
    assert stale.get_json()["suggestion"] == [{"item_id": items["LPG3"], "sku": "LPG3", "packs": "30"}]
    [kept] = manager.get("/api/reorder/suggestions").get_json()
    assert [ln["packs"] for ln in kept["lines"]] == ["30.000"]  # the refusal saved the new figures
    approved = manager.post(url, json={"lines": [{**line, "packs": "30", "suggested": "30"}]})
    assert approved.status_code == 200, approved.get_json()
    assert [(ln["packs"], approved.get_json()["status"]) for ln in approved.get_json()["lines"]] == [
        ("30.000", "submitted")
    ]


def test_a_suggestion_no_longer_needed_is_not_ordered(api, demo):
    """The issue's own case: made at 9 cylinders, a transfer brings the shop to 37; approving the old 40 is
    refused, the suggestion is gone, nothing is ordered."""
    from decimal import Decimal

    from inventory.ledger import Move, post_moves

    manager = api("manager")
    suggestion, items, places = _shop_lpg_rule(manager, demo)
    post_moves([Move(items["LPG3"], places["GDG-B-01"], places["TKO-LPG"], Decimal(28), "transfer", "T-1")])
    url = f"/api/reorder/suggestions/{suggestion['id']}/approve"
    stale = manager.post(url, json={"lines": [{"item_id": items["LPG3"], "packs": "40"}]})  # no `suggested`
    assert stale.status_code == 409
    assert (stale.get_json()["type"], stale.get_json()["detail"], stale.get_json().get("suggestion")) == (
        "/problems/suggestion_changed",
        "Tidak ada yang perlu dipesan lagi: stok sudah masuk sejak saran ini dibuat.",
        None,  # an empty list is left out of the problem
    )
    assert manager.get("/api/reorder/suggestions").get_json() == []
    assert demo.get(PurchaseOrder, suggestion["id"]) is None
