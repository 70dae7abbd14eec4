"""Expiry in the warehouse's month: short-dated deliveries wait for a manager and go to quarantine, the
expiring-soon list, and one action to write a lot off or send it back to the supplier."""

from datetime import timedelta
from decimal import Decimal

import pytest

from app.clock import today
from app.errors import DomainError
from demo import ean13
from inventory.models import StockBalance
from suppliers import receiving
from tests.suppliers.test_receiving import approved_order, on_hand

BALE = ean13("899100000031")  # SPHP, Bal 10 pak


def _receipt(shop, *lots):
    """An open receipt of SPHP bales, one bale per (lot, days to expiry)."""
    order = approved_order(shop, shop.bulog, [("SPHP5", len(lots))])
    receipt = receiving.open_receipt(order, shop.clerk)
    for lot, days in lots:
        receiving.scan_into(receipt, BALE, shop.clerk, lot_code=lot, expiry=today() + timedelta(days=days))
    return receipt


def test_a_lot_expired_or_expiring_within_the_warning_days_is_held_for_a_manager_and_quarantined(shop):
    """Before: a lot that expired yesterday was accepted into stock like any other, and sold first."""
    receipt = _receipt(shop, ("OLD", -1), ("SOON", 29), ("FINE", 31))
    conditions = {ln.lot_code: ln.condition for ln in receipt.lines}
    assert conditions == {"OLD": "held", "SOON": "held", "FINE": "good"}
    assert len(receiving.needs_manager(receipt)) == 2
    with pytest.raises(DomainError) as refused:
        receiving.post(receipt.id, shop.clerk)
    assert refused.value.code == "needs_manager"
    receiving.take_into_stock(receipt, next(ln.id for ln in receipt.lines if ln.lot_code == "SOON"), shop.manager)
    receiving.approve(receipt, shop.manager)
    receiving.post(receipt.id, shop.clerk)
    sphp, quarantine = shop.items["SPHP5"], shop.locations["V-KARANTINA"]
    by_lot = {b.lot.code: (b.location.code, b.quantity) for b in _balances(sphp.id) if b.lot.code in conditions}
    assert by_lot == {"OLD": (quarantine.code, 10), "SOON": ("GDG-A-01", 10), "FINE": ("GDG-A-01", 10)}
    assert on_hand(sphp, quarantine) == Decimal(10)


def test_the_warning_days_are_the_items_own_when_it_has_them(shop):
    shop.items["SPHP5"].min_shelf_life_days = 90
    receipt = _receipt(shop, ("A", 60))
    assert [ln.condition for ln in receipt.lines] == ["held"]


def test_only_a_manager_takes_short_dated_goods_into_stock(shop):
    receipt = _receipt(shop, ("SOON", 3))
    with pytest.raises(DomainError):
        receiving.take_into_stock(receipt, receipt.lines[0].id, shop.clerk)


def _balances(item_id):
    from sqlalchemy import select

    from app.db import db

    return db.session.scalars(select(StockBalance).where(StockBalance.item_id == item_id, StockBalance.quantity > 0))


def test_the_expiring_list_and_its_two_actions(api, shop, client, login):
    """Two lots taken into stock by a manager (one expired, one with 5 days left) are on the list, the expired
    first; one is written off, the other goes back to Bulog whose receipt brought it, each in one action. The
    home page says how many lots need attention."""
    receipt = _receipt(shop, ("GONE", -2), ("NEAR", 5))
    for line in list(receipt.lines):
        receiving.take_into_stock(receipt, line.id, shop.manager)
    receiving.approve(receipt, shop.manager)
    receiving.post(receipt.id, shop.clerk)
    manager = api("manager")
    rows = manager.get("/api/stock/expiring").get_json()
    mine = [r for r in rows if r["lot_code"] in ("GONE", "NEAR")]
    assert [(r["lot_code"], r["days_left"], r["expired"], r["quantity"]) for r in mine] == [
        ("GONE", -2, True, "10.000"),
        ("NEAR", 5, False, "10.000"),
    ]
    assert all(r["days_left"] <= 30 for r in rows)
    login("manager")
    assert "2 lot sudah atau segera kedaluwarsa." in client.get("/").get_data(as_text=True)
    written = manager.post(f"/api/stock/expiring/{mine[0]['balance_id']}/write-off", json={})
    assert written.status_code == 201 and written.get_json()["status"] == "posted"
    back = manager.post(f"/api/stock/expiring/{mine[1]['balance_id']}/return", json={})
    assert back.status_code == 201, back.get_json()
    assert [(r["lot_code"], r["quantity"], r["receipt_id"]) for r in back.get_json()] == [
        ("NEAR", "10.000", receipt.id)
    ]
    left = {r["lot_code"] for r in manager.get("/api/stock/expiring").get_json()}
    assert not left & {"GONE", "NEAR"}
    again = manager.post(f"/api/stock/expiring/{mine[0]['balance_id']}/write-off", json={})
    assert again.status_code == 404


def test_the_expiring_screen_lists_a_lot_and_writes_it_off_in_one_click(shop, client, login):
    from tests.inventory.test_counts_api import form_post

    receipt = _receipt(shop, ("GONE", -1))
    receiving.take_into_stock(receipt, receipt.lines[0].id, shop.manager)
    receiving.approve(receipt, shop.manager)
    receiving.post(receipt.id, shop.clerk)
    [balance] = [b for b in _balances(shop.items["SPHP5"].id) if b.lot.code == "GONE"]
    login("manager")
    page = client.get("/stock/expiring").get_data(as_text=True)
    assert f'id="expiring-{balance.id}" class="expired"' in page and "kedaluwarsa 1 hari lalu" in page
    done = form_post(client, "/stock/expiring", f"/stock/expiring/{balance.id}/write-off")
    assert done.status_code == 302
    assert f'id="expiring-{balance.id}"' not in client.get("/stock/expiring").get_data(as_text=True)
    from app.db import db

    db.session.refresh(balance)
    assert balance.quantity == 0
