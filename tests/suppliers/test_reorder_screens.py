"""The manager's reorder screens through the test client: rules with field errors, suggestions with their reasoning
in words, approval with an edited quantity, and the home page's count and chart."""

import re
from decimal import Decimal

from sqlalchemy import select

from suppliers import reorder
from suppliers.models import PurchaseOrder, ReorderRule
from tests.conftest import csrf_token_from

D = Decimal


def _form(client, path: str) -> dict:
    page = client.get(path).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_token_from(page), "idempotency_key": key}


def test_a_rule_from_the_screen_refuses_bad_levels_then_shows_its_suggestion(client, login, shop):
    login("manager")
    rule = {
        "item_id": shop.items["SPHP5"].id,
        "location_id": shop.warehouse.id,
        "supplier_id": shop.bulog.id,
        "reorder_point": "100",
        "order_up_to": "80",
        "safety_stock": "0",
        "review_period_days": "7",
        "demand_days": "",
    }
    refused = client.post("/purchasing/reorder/rules", data={**_form(client, "/purchasing/reorder/rules"), **rule})
    assert refused.status_code == 422
    assert re.search(r'id="error-order_up_to">Lebih dari titik pesan ulang\.</span>', refused.get_data(as_text=True))
    saved = client.post(
        "/purchasing/reorder/rules",
        data={**_form(client, "/purchasing/reorder/rules"), **rule, "order_up_to": "300"},
        follow_redirects=True,
    )
    assert "Aturan untuk Beras SPHP 5 kg disimpan." in saved.get_data(as_text=True)
    page = client.get("/purchasing/reorder").get_data(as_text=True)
    assert "Stok 60 pak dan 0 dalam pesanan: semuanya 60." in page
    assert re.search(r'id="packs-SPHP5" value="24"', page)


def test_approving_from_the_screen_with_an_edited_quantity(client, login, shop, session):
    login("manager")
    reorder.check(reorder.set_rule(shop.items["SPHP5"], shop.warehouse, shop.bulog, D(100), D(300)).id)
    reorder.check(reorder.set_rule(shop.items["GULA1"], shop.warehouse, shop.bulog, D(100), D(300)).id)
    draft = reorder.suggestions()[0]
    home = client.get("/").get_data(as_text=True)
    assert "2 saran pesan ulang menunggu Anda." in home
    assert re.search(r'id="level-SPHP5-GDG"', home) and "60 / 100 pak" in home
    form = {**_form(client, "/purchasing/reorder"), "item_id": [shop.items["SPHP5"].id, shop.items["GULA1"].id]}
    bad = client.post(f"/purchasing/reorder/{draft.id}/approve", data={**form, f"packs-{shop.items['SPHP5'].id}": "x"})
    assert bad.status_code == 422 and "Periksa jumlahnya." in bad.get_data(as_text=True)
    done = client.post(
        f"/purchasing/reorder/{draft.id}/approve",
        data={
            **_form(client, "/purchasing/reorder"),
            "item_id": [shop.items["SPHP5"].id, shop.items["GULA1"].id],
            f"packs-{shop.items['SPHP5'].id}": "20",
            f"packs-{shop.items['GULA1'].id}": "12",
        },
        follow_redirects=True,
    )
    assert f"Pesanan {draft.number} diajukan untuk persetujuan" in done.get_data(as_text=True)
    session.expire_all()
    order = session.get(PurchaseOrder, draft.id)
    assert order.status == "submitted" and [(ln.item.sku, ln.packs) for ln in order.lines] == [
        ("SPHP5", D(20)),
        ("GULA1", D(12)),
    ]
    assert "saran pesan ulang menunggu" not in client.get("/").get_data(as_text=True)


def test_a_suggestion_is_changed_only_on_the_reorder_screen(client, login, shop, session):
    login("warehouse")
    draft = reorder.check(reorder.set_rule(shop.items["SPHP5"], shop.warehouse, shop.bulog, D(100), D(300)).id).order
    page = client.get(f"/purchasing/orders/{draft.id}").get_data(as_text=True)
    assert 'id="suggestion-note"' in page and 'id="line-form"' not in page and 'id="action-submit"' not in page
    form = {**_form(client, "/purchasing/orders"), "action": "submit"}
    refused = client.post(f"/purchasing/orders/{draft.id}", data=form)
    assert refused.status_code == 422 and "saran pesan ulang" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(PurchaseOrder, draft.id).status == "draft"


def test_a_rule_turned_off_takes_its_line_away(client, login, shop, session):
    login("manager")
    rule = reorder.set_rule(shop.items["SPHP5"], shop.warehouse, shop.bulog, D(100), D(300))
    reorder.check(rule.id)
    client.post(
        "/purchasing/reorder/rules",
        data={**_form(client, "/purchasing/reorder/rules"), "rule_id": rule.id, "switch": "off"},
    )
    session.expire_all()
    assert session.get(ReorderRule, rule.id).is_active is False
    assert reorder.suggestions() == []
    assert 'id="no-suggestions"' in client.get("/purchasing/reorder").get_data(as_text=True)
    assert session.scalar(select(PurchaseOrder.id)) is None  # the emptied suggestion is gone


def test_approving_figures_that_went_stale_shows_the_new_ones_and_keeps_them(client, login, shop, session):
    """The page showed 24 packs; goods came in before the manager pressed Approve. The check runs again: the page
    says the suggestion changed and shows the new quantity (already saved), not the old one typed back."""
    from inventory.ledger import Move, post_moves

    login("manager")
    sphp = shop.items["SPHP5"]
    draft = reorder.check(reorder.set_rule(sphp, shop.warehouse, shop.bulog, D(100), D(300)).id).order
    form = {**_form(client, "/purchasing/reorder"), "item_id": [sphp.id]}
    bin_id, supplier_id = shop.locations["GDG-A-01"].id, shop.locations["V-PEMASOK"].id
    post_moves([Move(sphp.id, supplier_id, bin_id, D(40), "receipt", "R-9", unit_cost=D(56500))])  # 60 -> 100
    stale = client.post(
        f"/purchasing/reorder/{draft.id}/approve",
        data={**form, f"packs-{sphp.id}": "24", f"suggested-{sphp.id}": "24"},
    )
    page = stale.get_data(as_text=True)
    assert stale.status_code == 422
    assert "Saran berubah selagi Anda melihatnya (stok atau pesanan bergerak); periksa lagi." in page
    assert re.search(r'id="packs-SPHP5" value="20"', page)  # 300 - 100 = 200 packs: 20 bales of 10
    session.expire_all()
    order = session.get(PurchaseOrder, draft.id)
    assert (order.status, [ln.packs for ln in order.lines]) == ("draft", [D(20)])


def test_an_empty_suggestion_screen_says_the_truth_when_orders_cover_the_shortfall(client, login, shop):
    """60 SPHP packs against a reorder point of 100, and 300 more on an approved order: no suggestion. The screen
    said 'stock is above every reorder point', which it was not."""
    from tests.suppliers.test_receiving import approved_order

    approved_order(shop, shop.bulog, [("SPHP5", 30)])
    rule = reorder.set_rule(shop.items["SPHP5"], shop.warehouse, shop.bulog, D(100), D(300))
    reorder.check(rule.id)
    assert reorder.suggestions() == []
    login("manager")
    page = client.get("/purchasing/reorder").get_data(as_text=True)
    assert "ditambah pesanan yang sedang datang" in page
