from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import clock
from app.db import db
from app.errors import DomainError, Forbidden, ValidationFailed
from app.models import AuditEntry
from suppliers import services
from suppliers.models import PO_STATUSES

ACTIONS = ["submit", "approve", "cancel", "close"]
LEGAL = {  # (status, action) -> new status
    ("draft", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("draft", "cancel"): "cancelled",
    ("submitted", "cancel"): "cancelled",
    ("approved", "cancel"): "cancelled",
    ("partially_received", "close"): "closed",
    ("received", "close"): "closed",
}


def bulog_order(shop, packs_sphp=Decimal(10)):
    order = services.create_order(shop.bulog, shop.warehouse, shop.clerk)
    services.set_line(order, shop.items["SPHP5"].id, packs_sphp, shop.clerk)
    return order


@pytest.mark.parametrize("status", PO_STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_transition_legal_and_illegal(shop, status, action):
    order = bulog_order(shop)
    order.status = status  # put the order where the test needs it
    db.session.flush()
    if (status, action) in LEGAL:
        services.transition(order, action, shop.manager)
        assert order.status == LEGAL[(status, action)]
    else:
        with pytest.raises(DomainError) as refused:
            services.transition(order, action, shop.manager)
        assert refused.value.code == "illegal_transition"
        assert order.number in refused.value.message
        assert order.status == status


def test_the_whole_happy_path_records_who_and_when(shop):
    order = bulog_order(shop)
    assert order.number == f"PO-{clock.today().year}-00001"
    assert order.lines[0].quantity == Decimal(100)  # 10 bales of 10 packs
    assert order.lines[0].unit_cost == 565000 and order.total == 5650000
    services.transition(order, "submit", shop.clerk)
    services.transition(order, "approve", shop.manager)
    assert (order.status, order.approved_by_id) == ("approved", shop.manager.id)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "purchase_order")).all()
    assert actions == ["create", "set_line", "submit", "approve"]


def test_numbers_follow_one_another(shop):
    numbers = [services.create_order(shop.bulog, shop.warehouse, shop.clerk).number for _ in range(3)]
    year = clock.today().year
    assert numbers == [f"PO-{year}-00001", f"PO-{year}-00002", f"PO-{year}-00003"]


def test_only_a_manager_approves_cancels_and_closes(shop):
    order = bulog_order(shop)
    services.transition(order, "submit", shop.clerk)
    with pytest.raises(Forbidden):
        services.transition(order, "approve", shop.clerk)
    with pytest.raises(Forbidden):
        services.transition(order, "cancel", shop.clerk)
    draft = bulog_order(shop)
    services.transition(draft, "cancel", shop.clerk)  # but whoever started a draft may throw it away
    assert draft.status == "cancelled"


def test_changing_an_approved_order_sends_it_back_to_approval(shop):
    order = bulog_order(shop)
    services.transition(order, "submit", shop.clerk)
    services.transition(order, "approve", shop.manager)
    services.set_line(order, shop.items["GULA1"].id, Decimal(2), shop.clerk)
    assert order.status == "submitted" and order.approved_by_id is None
    assert [(ln.item.sku, ln.packs, ln.quantity) for ln in order.lines] == [
        ("SPHP5", Decimal(10), Decimal(100)),
        ("GULA1", Decimal(2), Decimal(40)),
    ]
    services.set_line(order, shop.items["GULA1"].id, Decimal(0), shop.clerk)
    assert [ln.item.sku for ln in order.lines] == ["SPHP5"]


def test_a_received_order_cannot_change(shop):
    order = bulog_order(shop)
    order.status = "received"
    with pytest.raises(DomainError, match="tidak bisa diubah lagi"):
        services.set_line(order, shop.items["SPHP5"].id, Decimal(1), shop.manager)


def test_bulog_takes_at_most_two_tonnes_per_order(shop):
    order = bulog_order(shop, Decimal(41))  # 41 bales × 10 packs × 5 kg = 2,050 kg
    with pytest.raises(DomainError) as refused:
        services.transition(order, "submit", shop.clerk)
    assert refused.value.message == (
        "Perum Bulog Kantor Cabang Balikpapan menerima paling banyak 2000 kg per pesanan; pesanan ini 2050 kg."
    )
    assert order.status == "draft"
    services.set_line(order, shop.items["SPHP5"].id, Decimal(40), shop.clerk)  # exactly 2,000 kg
    services.transition(order, "submit", shop.clerk)
    assert order.status == "submitted"


def test_order_multiples_and_minimum_value(shop):
    order = services.create_order(shop.agent, shop.warehouse, shop.clerk)
    services.set_line(order, shop.items["LPG3"].id, Decimal(25), shop.clerk)
    with pytest.raises(ValidationFailed, match="kelipatan 10"):
        services.transition(order, "submit", shop.clerk)
    services.update_supplier(shop.agent, {"min_order_value": 1_000_000})
    services.set_line(order, shop.items["LPG3"].id, Decimal(30), shop.clerk)  # Rp382.500
    with pytest.raises(DomainError, match="Rp1.000.000"):
        services.transition(order, "submit", shop.clerk)


def test_the_monthly_quota_counts_every_order_sent_this_month(shop):
    lpg = shop.items["LPG3"].id
    first = services.create_order(shop.agent, shop.warehouse, shop.clerk)
    services.set_line(first, lpg, Decimal(240), shop.clerk)
    services.transition(first, "submit", shop.clerk)
    second = services.create_order(shop.agent, shop.warehouse, shop.clerk)
    services.set_line(second, lpg, Decimal(20), shop.clerk)
    with pytest.raises(DomainError) as refused:
        services.transition(second, "submit", shop.clerk)
    assert refused.value.code == "quota_exceeded"
    assert "Kuota bulanan LPG 3 kg (isi)" in refused.value.message and "paling banyak 10 lagi" in refused.value.message
    services.set_line(second, lpg, Decimal(10), shop.clerk)
    services.transition(second, "submit", shop.clerk)  # 240 + 10 = 250: exactly the quota
    services.transition(first, "cancel", shop.manager)  # a cancelled order frees its share
    third = services.create_order(shop.agent, shop.warehouse, shop.clerk)
    services.set_line(third, lpg, Decimal(240), shop.clerk)
    services.transition(third, "submit", shop.clerk)
    assert services.quota_used(shop.agent.id, lpg, date(2000, 1, 1), date(2100, 1, 1)) == Decimal(250)


def test_the_cost_in_force_on_the_order_date_is_used(shop):
    entry = next(e for e in shop.bulog.catalogue if e.item.sku == "GULA1")
    today = clock.today()  # the cooperative's date (after 16:00 UTC it is already tomorrow in WITA)
    services.set_cost(entry, today + timedelta(days=1), 330000)  # a rise from tomorrow: not yet
    order = services.create_order(shop.bulog, shop.warehouse, shop.clerk)
    services.set_line(order, entry.item_id, Decimal(1), shop.clerk)
    assert order.lines[0].unit_cost == 310000
    services.set_cost(entry, today, 320000)  # a new cost from today
    services.transition(order, "submit", shop.clerk)  # submitting takes the cost in force that day
    assert order.lines[0].unit_cost == 320000
    changes = db.session.scalars(select(AuditEntry.changes).where(AuditEntry.action == "set_cost")).all()
    assert changes[-1]["cost"] == [None, 320000]


def test_an_item_the_supplier_does_not_sell_is_refused(shop):
    order = services.create_order(shop.agent, shop.warehouse, shop.clerk)
    with pytest.raises(ValidationFailed, match="tidak menjual Beras SPHP 5 kg"):
        services.set_line(order, shop.items["SPHP5"].id, Decimal(1), shop.clerk)


def test_an_order_sent_just_after_midnight_wita_is_dated_that_day_on_a_utc_server(shop, monkeypatch):
    """At 00:30 WITA on 1 December the server's UTC clock still says 30 November: the order takes the
    cooperative's date (and its quota month), not the server's."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from app import clock
    from tests.suppliers.test_receiving import approved_order

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 1, 0, 30, tzinfo=ZoneInfo("Asia/Makassar")))
    order = approved_order(shop, shop.agent, [("LPG3", 10)])
    assert order.order_date == date(2026, 12, 1)
