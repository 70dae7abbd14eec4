"""The reorder check: the quantity, rounded to the supplier's multiple and cut by its limits, on the supplier's
single reorder draft, with its reasoning; running it again changes nothing."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.db import db, utcnow
from inventory import ledger
from suppliers import reorder, services
from suppliers.models import PurchaseOrder, PurchaseOrderLine

D = Decimal


def drafts() -> list[PurchaseOrder]:
    return db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.origin == "reorder")).all()


def test_below_the_reorder_point_orders_up_to_the_level_in_whole_bales(shop):
    # SPHP at the warehouse: 60 packs on hand, nothing on order; Bulog sells bales of 10 packs.
    rule = reorder.set_rule(shop.items["SPHP5"], shop.warehouse, shop.bulog, D(100), D(300), D(20))
    line = reorder.check(rule.id)
    assert (line.packs, line.quantity) == (D(24), D(240))  # 300 - 60 = 240 packs = 24 bales (1,200 kg)
    assert line.order.status == "draft" and line.order.origin == "reorder" and line.order.destination == shop.warehouse
    assert line.unit_cost == 565000
    assert line.reasoning == {
        "on_hand": "60",
        "on_order": "0",
        "position": "60",
        "reorder_point": "100",
        "order_up_to": "300",
        "safety_stock": "20",
        "lead_time_days": 3,
        "review_period_days": 7,
        "demand_days": None,
        "demand_per_day": None,
        "needed": "240",
        "pack_size": "10",
        "multiple": "1",
        "packs": "24",
        "cap": None,
        "cap_limit": None,
        "result": "24",
    }
    again = reorder.check(rule.id)  # idempotent: the same draft, the same line, the same quantity
    assert again.id == line.id and again.packs == D(24)
    assert len(drafts()) == 1 and db.session.scalar(select(func.count(PurchaseOrderLine.id))) == 1


def test_bulog_takes_at_most_two_tonnes_per_order_counting_the_other_lines(shop):
    rice = reorder.set_rule(shop.items["BRS-MED"], shop.warehouse, shop.bulog, D(600), D(1500))
    assert reorder.check(rice.id).packs == D(20)  # 1500 - 500 kg = 20 sacks of 50 kg = 1,000 kg
    sphp = reorder.set_rule(shop.items["SPHP5"], shop.warehouse, shop.bulog, D(100), D(600))
    line = reorder.check(sphp.id)  # would be 54 bales (2,700 kg); 1,000 kg of room is 20 bales
    assert line.packs == D(20)
    assert (line.reasoning["packs"], line.reasoning["cap"], line.reasoning["cap_limit"]) == ("54", "max_order_kg", "20")
    assert len(drafts()) == 1 and len(drafts()[0].lines) == 2


def test_the_agents_monthly_quota_cuts_the_suggestion(shop):
    # 100 cylinders already ordered (submitted) this month of a quota of 250: 150 are left.
    order = services.create_order(shop.agent, shop.warehouse, shop.clerk)
    services.set_line(order, shop.items["LPG3"].id, D(100), shop.clerk)
    services.transition(order, "submit", shop.clerk)
    rule = reorder.set_rule(shop.items["LPG3"], shop.locations["GDG-B"], shop.agent, D(200), D(500))
    line = reorder.check(rule.id, utcnow().date())
    # GDG-B holds 60; the submitted order goes to GDG, not GDG-B, so it is not on order here: 500 - 60 = 440.
    assert line.packs == D(150)
    assert (line.reasoning["needed"], line.reasoning["packs"], line.reasoning["cap"]) == ("440", "440", "quota")


def test_what_is_on_order_counts_and_a_line_no_longer_needed_goes(shop):
    rule = reorder.set_rule(shop.items["SPHP5"], shop.warehouse, shop.bulog, D(100), D(300))
    assert reorder.check(rule.id).packs == D(24)
    manual = services.create_order(shop.bulog, shop.warehouse, shop.clerk)
    services.set_line(manual, shop.items["SPHP5"].id, D(5), shop.clerk)  # 50 packs on order: position 110
    assert reorder.check(rule.id) is None
    assert drafts() == []  # its only line gone, the draft goes too
    services.set_line(manual, shop.items["SPHP5"].id, D(2), shop.clerk)  # 20 on order: position 80 <= 100
    assert reorder.check(rule.id).packs == D(22)  # 300 - 80 = 220 packs


def test_a_rule_needs_a_supplier_that_sells_the_item_and_sensible_levels(shop):
    import pytest

    from app.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        reorder.set_rule(shop.items["LPG3"], shop.warehouse, shop.bulog, D(10), D(5))
    assert set(refused.value.fields) == {"supplier_id", "order_up_to"}


def move(shop, sku, from_code, to_code, quantity, reason):
    item = shop.items[sku]
    lot = None
    if item.is_lot_tracked:
        lot = ledger.pick_lots(item.id, shop.locations[from_code].id, D(quantity))[0][0] if reason != "return" else None
    ledger.post_moves(
        [
            ledger.Move(
                item.id, shop.locations[from_code].id, shop.locations[to_code].id, D(quantity), reason, "T", lot_id=lot
            )
        ]
    )


def test_demand_mode_sets_the_reorder_point_from_the_last_days_sales(shop):
    # The shop sold 10 sugar, a customer brought 2 back, 1 went from one shelf to another (not demand).
    move(shop, "GULA1", "TKO-R2", "V-PELANGGAN", 10, "sale")
    move(shop, "GULA1", "V-PELANGGAN", "TKO-R1", 2, "return")
    move(shop, "GULA1", "TKO-R2", "TKO-R1", 1, "transfer")
    assert reorder.demand_per_day(shop.items["GULA1"].id, shop.locations["TKO"].id, 7) == D("1.1429")  # 8 / 7
    # Bulog's lead time is 3 days, the review period 7: 1.1429 x 10 + 5 safety = 16.43 -> 17; the order-up-to
    # level keeps the 30 the manager put between them.
    rule = reorder.set_rule(shop.items["GULA1"], shop.locations["TKO"], shop.bulog, D(50), D(80), D(5), 7, 7)
    assert (rule.demand_per_day, rule.reorder_point, rule.order_up_to) == (D("1.1429"), D(17), D(47))
    line = reorder.check(rule.id)  # 4 on hand: 47 - 4 = 43 -> 3 cartons of 20
    assert line.packs == D(3)
    assert {k: line.reasoning[k] for k in ("demand_days", "demand_per_day", "reorder_point", "on_hand")} == {
        "demand_days": 7,
        "demand_per_day": "1.1429",
        "reorder_point": "17",
        "on_hand": "4",
    }


def test_the_warehouse_demand_is_what_it_sends_to_the_shop_and_old_moves_fall_out_of_the_window(shop):
    move(shop, "GULA1", "GDG-A-02", "V-TRANSIT", 28, "transfer")
    move(shop, "GULA1", "GDG-A-02", "GDG-A-01", 10, "transfer")  # inside the warehouse: not demand
    assert reorder.demand_per_day(shop.items["GULA1"].id, shop.warehouse.id, 14) == D(2)  # 28 over 14 days
    later = utcnow() + timedelta(days=15)
    assert reorder.demand_per_day(shop.items["GULA1"].id, shop.warehouse.id, 14, later) == D(0)
    rule = reorder.set_rule(shop.items["GULA1"], shop.warehouse, shop.bulog, D(10), D(60), D(4), 7, 14)
    assert (rule.reorder_point, rule.order_up_to) == (D(24), D(74))  # 2 x (3 + 7) + 4; 50 above it
    reorder.recompute_demand(rule, later)  # no sales in the last 14 days: the safety stock alone
    assert (rule.demand_per_day, rule.reorder_point, rule.order_up_to) == (D(0), D(4), D(54))


def test_lines_sharing_the_weight_limit_come_out_the_same_whichever_rule_is_checked(shop):
    from suppliers import jobs

    rice = reorder.set_rule(shop.items["BRS-MED"], shop.warehouse, shop.bulog, D(600), D(1500))  # made first
    sphp = reorder.set_rule(shop.items["SPHP5"], shop.warehouse, shop.bulog, D(100), D(600))

    def lines():
        return sorted((ln.item.sku, ln.packs, ln.reasoning["cap"]) for ln in drafts()[0].lines)

    expected = [("BRS-MED", D(20), None), ("SPHP5", D(20), "max_order_kg")]  # rice sized first: 1,000 kg + 1,000
    assert reorder.check(sphp.id).packs == D(20) and lines() == expected
    assert reorder.check(rice.id).packs == D(20) and lines() == expected
    assert jobs.sweep() == 2 and lines() == expected
    assert jobs.sweep() == 2 and lines() == expected  # a second sweep changes nothing


def test_the_sweep_empties_a_draft_no_active_rule_asks_for(shop):
    from suppliers import jobs

    rule = reorder.set_rule(shop.items["SPHP5"], shop.warehouse, shop.bulog, D(100), D(300))
    reorder.check(rule.id)
    rule.is_active = False  # switched off behind the checks' back (switch_rule would check at once)
    assert jobs.sweep() == 0
    assert drafts() == []


def test_the_quota_left_counts_what_the_agents_other_suggestions_already_take(shop):
    # The agent's quota is 250 cylinders a month; the warehouse's suggestion takes 200 of them first.
    warehouse_rule = reorder.set_rule(shop.items["LPG3"], shop.warehouse, shop.agent, D(100), D(260))
    assert reorder.check(warehouse_rule.id).packs == D(200)  # 260 - 60, in tens
    shop_rule = reorder.set_rule(shop.items["LPG3"], shop.locations["TKO"], shop.agent, D(20), D(100))
    line = reorder.check(shop_rule.id)  # 100 - 15 = 85 -> 90, but only 50 are left for it
    assert (line.packs, line.reasoning["cap"], line.reasoning["cap_limit"]) == (D(50), "quota", "50")
    assert sorted(ln.packs for order in drafts() for ln in order.lines) == [D(50), D(200)]  # 250 together
