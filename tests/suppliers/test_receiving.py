from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db import db
from app.errors import DomainError, ValidationFailed
from demo import ean13
from inventory import ledger
from inventory import services as inventory
from inventory.ledger import InsufficientStock, Move, post_moves
from inventory.models import Item, Lot, StockBalance
from suppliers import receiving, services

SPHP_BALE = ean13("899100000031")
SUGAR_CARTON = ean13("899100000051")
LPG_FULL = ean13("899100000011")


def approved_order(shop, supplier, lines, destination=None):
    order = services.create_order(supplier, destination or shop.warehouse, shop.clerk)
    for sku, packs in lines:
        services.set_line(order, shop.items[sku].id, Decimal(packs), shop.clerk)
    services.transition(order, "submit", shop.clerk)
    services.transition(order, "approve", shop.manager)
    return order


def on_hand(item, location, lot_id=None) -> Decimal:
    stmt = select(StockBalance.quantity).where(StockBalance.item_id == item.id, StockBalance.location_id == location.id)
    if lot_id is not None:
        stmt = stmt.where(StockBalance.lot_id == lot_id)
    return sum(db.session.scalars(stmt), Decimal(0))


def test_a_partial_receipt_by_scan_leaves_a_backorder(shop):
    order = approved_order(shop, shop.bulog, [("GULA1", 3)])  # 3 cartons of 20
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk)
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk)
    [row] = receiving.progress(receipt)
    assert (row.expected, row.received, row.state) == (Decimal(60), Decimal(40), "short")
    receiving.post(receipt.id, shop.clerk)
    assert order.status == "partially_received"
    assert order.lines[0].received_quantity == Decimal(40) and order.lines[0].open_quantity == Decimal(20)
    assert on_hand(shop.items["GULA1"], shop.locations["GDG-A-02"]) == Decimal(100)  # put away with the 60
    second = receiving.open_receipt(order, shop.clerk)
    assert second.id != receipt.id
    receiving.scan_into(second, SUGAR_CARTON, shop.clerk)
    receiving.post(second.id, shop.clerk)
    assert order.status == "received"
    assert ledger.verify() == []


def test_the_receipt_moves_the_average_cost(shop):
    sugar = shop.items["GULA1"]  # demo: 72 on hand at Rp15.500
    order = approved_order(shop, shop.bulog, [("GULA1", 1)])
    entry = next(e for e in shop.bulog.catalogue if e.item_id == sugar.id)
    order.lines[0].unit_cost = 360000  # Rp18.000 a bag this time
    db.session.flush()
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk)
    receiving.post(receipt.id, shop.clerk)
    db.session.refresh(sugar)
    assert sugar.average_cost == ((72 * Decimal(15500) + 20 * Decimal(18000)) / 92).quantize(Decimal("0.0001"))
    assert entry.packaging.factor == Decimal(20)


def test_lot_and_expiry_come_from_a_gs1_code_or_are_asked_for(shop):
    order = approved_order(shop, shop.bulog, [("SPHP5", 2)])
    receipt = receiving.open_receipt(order, shop.clerk)
    with pytest.raises(ValidationFailed, match="Beras SPHP 5 kg"):
        receiving.scan_into(receipt, SPHP_BALE, shop.clerk)  # a plain EAN: no lot
    receiving.scan_into(receipt, f"]C101{'0' + SPHP_BALE}17270630\x1d10SPHP-2612C", shop.clerk, times=Decimal(2))
    receiving.post(receipt.id, shop.clerk)
    lot = db.session.scalar(select(Lot).where(Lot.code == "SPHP-2612C"))
    assert lot.expiry_date == date(2027, 6, 30)
    assert on_hand(shop.items["SPHP5"], shop.locations["GDG-A-01"], lot.id) == Decimal(20)


def test_an_unexpected_item_needs_a_manager(shop):
    order = approved_order(shop, shop.bulog, [("GULA1", 1)])
    receipt = receiving.open_receipt(order, shop.clerk)
    with pytest.raises(DomainError) as refused:
        receiving.scan_into(receipt, ean13("899100000061"), shop.clerk, lot_code="MK-1", expiry=date(2027, 1, 1))
    assert refused.value.code == "unexpected_item"
    receiving.scan_into(receipt, ean13("899100000061"), shop.manager, lot_code="MK-1", expiry=date(2027, 1, 1))
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk)
    with pytest.raises(DomainError) as refused:
        receiving.post(receipt.id, shop.clerk)
    assert refused.value.code == "needs_manager"
    receiving.approve(receipt, shop.manager)
    receiving.post(receipt.id, shop.clerk)
    assert receipt.status == "posted"


def test_over_receipt_beyond_the_tolerance_needs_a_manager(shop):
    order = approved_order(shop, shop.bulog, [("GULA1", 20)])  # 400 bags; 5 % tolerance = 420
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk, times=Decimal(21))  # 420: within
    assert receiving.needs_manager(receipt) == []
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk)  # 440: over
    assert len(receiving.needs_manager(receipt)) == 1
    with pytest.raises(DomainError):
        receiving.post(receipt.id, shop.clerk)
    receiving.post(receipt.id, shop.manager)  # a manager posting accepts it
    assert order.lines[0].received_quantity == Decimal(440) and order.status == "received"


def test_damaged_goods_go_to_quarantine_and_rejected_ones_go_back(shop):
    order = approved_order(shop, shop.bulog, [("GULA1", 3)])
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk)
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk, condition="damaged", reason="basah")
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk, condition="rejected", reason="sobek")
    receiving.post(receipt.id, shop.clerk)
    sugar = shop.items["GULA1"]
    assert on_hand(sugar, shop.locations["GDG-A-02"]) == Decimal(80)
    assert on_hand(sugar, shop.locations["V-KARANTINA"]) == Decimal(20)
    assert order.lines[0].received_quantity == Decimal(40)  # the rejected carton is still owed


def test_an_lpg_delivery_takes_the_empties_back(shop):
    cage = shop.locations["GDG-B-01"]  # demo: 60 full, 10 empty
    order = approved_order(shop, shop.agent, [("LPG3", 10)], destination=cage)
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, LPG_FULL, shop.clerk, times=Decimal(9))
    receiving.scan_into(receipt, LPG_FULL, shop.clerk, condition="rejected", reason="bocor")
    receiving.hand_back_empties(receipt, Decimal(10))
    receiving.post(receipt.id, shop.clerk)
    empty = db.session.scalar(select(Item).where(Item.sku == "LPG3-KSG"))
    assert on_hand(shop.items["LPG3"], cage) == Decimal(69)
    assert on_hand(empty, cage) == Decimal(0)
    assert order.status == "partially_received"


def test_posting_twice_posts_once_and_a_posted_receipt_cannot_change(shop):
    order = approved_order(shop, shop.bulog, [("GULA1", 1)])
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk)
    receiving.post(receipt.id, shop.clerk)
    receiving.post(receipt.id, shop.clerk)
    assert on_hand(shop.items["GULA1"], shop.locations["GDG-A-02"]) == Decimal(80)
    with pytest.raises(DomainError) as refused:
        receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk)
    assert refused.value.code == "posted"


def test_only_approved_orders_are_received(shop):
    order = services.create_order(shop.bulog, shop.warehouse, shop.clerk)
    with pytest.raises(DomainError) as refused:
        receiving.open_receipt(order, shop.clerk)
    assert refused.value.code == "not_receivable"


def test_returning_goods_of_a_receipt_to_the_supplier(shop):
    order = approved_order(shop, shop.bulog, [("GULA1", 2)])
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk, times=Decimal(2))
    with pytest.raises(DomainError):
        receiving.return_to_supplier(
            receipt, shop.items["GULA1"].id, Decimal(5), "semut", shop.locations["GDG-A-02"], shop.clerk
        )
    receiving.post(receipt.id, shop.clerk)
    [entry] = receiving.return_to_supplier(
        receipt, shop.items["GULA1"].id, Decimal(5), "ada semut", shop.locations["GDG-A-02"], shop.clerk
    )
    assert on_hand(shop.items["GULA1"], shop.locations["GDG-A-02"]) == Decimal(95)
    assert (entry.reference, entry.reason, entry.receipt_id) == (f"RET-{entry.id}", "ada semut", receipt.id)
    with pytest.raises(ValidationFailed, match="35"):  # at most what came in on the receipt, less what went back
        receiving.return_to_supplier(
            receipt, shop.items["GULA1"].id, Decimal(36), "lagi", shop.locations["GDG-A-02"], shop.clerk
        )
    with pytest.raises(ValidationFailed):
        receiving.return_to_supplier(
            receipt, shop.items["GULA1"].id, Decimal(1), " ", shop.locations["GDG-A-02"], shop.clerk
        )
    assert order.lines[0].received_quantity == Decimal(40)  # what was delivered stays delivered
    assert ledger.verify() == []


def test_empties_go_back_from_the_places_under_the_destination(shop):
    """The order is for the warehouse (GDG) and the empties stand in its cage GDG-B-01; an order for the shop
    (TKO) takes them from its LPG shelf. Taken from the destination alone, both were refused ('ada 0')."""
    cage, shelf = shop.locations["GDG-B-01"], shop.locations["TKO-LPG"]
    empty = shop.items["LPG3-KSG"]
    shelf_empties = Decimal(4)
    post_moves([Move(empty.id, inventory.location_of_kind("customer").id, shelf.id, shelf_empties, "exchange", "S-0")])
    for destination, where, count, full in ((shop.warehouse, cage, 5, 70), (shop.locations["TKO"], shelf, 3, 25)):
        before = on_hand(empty, where)
        order = approved_order(shop, shop.agent, [("LPG3", 10)], destination=destination)
        receipt = receiving.open_receipt(order, shop.clerk)
        receiving.scan_into(receipt, LPG_FULL, shop.clerk, times=Decimal(10))
        receiving.hand_back_empties(receipt, Decimal(count))
        receiving.post(receipt.id, shop.clerk)
        assert on_hand(empty, where) == before - count
        assert on_hand(shop.items["LPG3"], where) == full  # put away where its cylinders stand


def test_more_empties_than_the_destination_holds_are_refused_with_what_is_there(shop):
    order = approved_order(shop, shop.agent, [("LPG3", 10)])  # the warehouse: 10 empties in its cage
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, LPG_FULL, shop.clerk, times=Decimal(10))
    receiving.hand_back_empties(receipt, Decimal(11))
    with pytest.raises(InsufficientStock) as refused:
        receiving.post(receipt.id, shop.clerk)
    assert (refused.value.extra["available"], refused.value.extra["requested"]) == ("10.000", "11.000")


def test_goods_are_put_away_in_their_usual_bin_or_the_bin_scanned_before_them(shop):
    """Before, received goods landed on the warehouse itself (GDG). Sugar goes where sugar is (GDG-A-02); after
    the clerk scans the label of bin GDG-A-01, the next cartons go there; a bin of another place is refused."""
    sugar, a01, a02 = shop.items["GULA1"], shop.locations["GDG-A-01"], shop.locations["GDG-A-02"]
    assert receiving.proposed_bin(sugar.id, shop.warehouse.id) == a02.id
    order = approved_order(shop, shop.bulog, [("GULA1", 3)])
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk)
    assert receiving.scan_into(receipt, "GDG-A-01", shop.clerk) is None
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk, times=Decimal(2))
    assert [(ln.location_id, ln.quantity) for ln in receipt.lines] == [(None, 20), (a01.id, 40)]
    with pytest.raises(ValidationFailed):
        receiving.scan_into(receipt, "TKO-R1", shop.clerk)
    receiving.post(receipt.id, shop.clerk)
    assert (on_hand(sugar, a02), on_hand(sugar, a01), on_hand(sugar, shop.warehouse)) == (80, 40, 0)


def test_with_no_stock_under_the_destination_the_last_bin_used_is_proposed(shop):
    sugar, a01, a02 = shop.items["GULA1"], shop.locations["GDG-A-01"], shop.locations["GDG-A-02"]
    customer = inventory.location_of_kind("customer")
    post_moves([Move(sugar.id, a02.id, a01.id, Decimal(10), "transfer", "T-1")])
    post_moves([Move(sugar.id, a02.id, customer.id, Decimal(50), "sale", "S-1")])
    post_moves([Move(sugar.id, a01.id, customer.id, Decimal(10), "sale", "S-2")])
    assert receiving.proposed_bin(sugar.id, shop.warehouse.id) == a01.id  # the last bin sugar went into
    assert receiving.proposed_bin(shop.items["BG55"].id, shop.locations["TKO"].id) == shop.locations["TKO"].id


def test_the_receiving_screen_counts_in_the_units_the_clerk_scans_too(shop, client, login):
    """Sugar is counted in packs (40), the clerk scans cartons: the line says 2 of 3 cartons as well."""
    order = approved_order(shop, shop.bulog, [("GULA1", 3)])
    receipt = receiving.open_receipt(order, shop.clerk)
    receiving.scan_into(receipt, SUGAR_CARTON, shop.clerk, times=Decimal(2))
    login("warehouse")
    page = client.get(f"/purchasing/receipts/{receipt.id}").get_data(as_text=True)
    assert '<td class="packs muted">2 / 3 × Karton 20</td>' in page
