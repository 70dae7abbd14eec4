"""Returns against a receipt: asked for at the till, approved by a manager, then stock (back to its shelf and lot
at the cost it left at, damaged goods to quarantine), empties, caps, subsidy records and the refund reversed."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import db
from app.errors import ValidationFailed
from inventory import ledger
from inventory.ledger import Move
from inventory.models import Lot, StockBalance, StockMove
from orders import returns, tills
from orders.caps import CapReached
from orders.models import CapRule, CapUsage, Payment, SaleReturn, SubsidyRecord
from orders.returns import ReturnLineIn, ReturnRefused

from .conftest import LPG3, SPHP, SUGAR

SITI = "KKMP-000001"


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def sale(shop):
    """Siti's receipt K1-000001: 2 packs of SPHP, 1 sugar, 1 LPG refill (her empty taken in), Rp160.000."""
    return shop.sell((SPHP, 2, None), (SUGAR, 1, None), (LPG3, 1, None), member=SITI)


def lines_of(sale) -> dict[str, object]:
    return {line.item.sku: line for line in sale.lines}


def cap_used(rule_name: str) -> Decimal:
    return db.session.scalar(
        select(CapUsage.used).join(CapRule, CapRule.id == CapUsage.rule_id).where(CapRule.name == rule_name)
    )


def ask(sale, user, *quantities, damaged=False, **kw):
    """Ask for a return of (sku, quantity) pairs of this sale."""
    by_sku = lines_of(sale)
    wanted = [ReturnLineIn(by_sku[sku].id, Decimal(q), damaged) for sku, q in quantities]
    return returns.request_return(sale, wanted, kw.pop("reason", "rusak"), user, **kw)


def moves_of(reference: str) -> list[tuple]:
    return [
        (m.item.sku, m.from_location.code, m.to_location.code, m.quantity, m.reason, m.lot_id, m.unit_cost)
        for m in db.session.scalars(select(StockMove).where(StockMove.reference == reference).order_by(StockMove.id))
    ]


def test_a_return_is_asked_for_with_quantities_and_waits_for_a_manager(shop, sale):
    asked = ask(sale, shop.cashier, ("SPHP5", 1), ("LPG3", 1))

    assert (asked.status, asked.amount, asked.session_id, asked.refund_method) == (
        "requested",
        80500,
        shop.session.id,
        "cash",
    )
    assert [(rl.sale_line.item.sku, rl.quantity, rl.amount, rl.empties_out) for rl in asked.lines] == [
        ("SPHP5", 1, 62500, 0),  # half of the line's Rp125.000
        ("LPG3", 1, 18000, 1),  # her empty goes back with the full cylinder
    ]
    assert returns.pending_returns() == [asked]
    # Nothing moves before the manager decides.
    assert shop.on_hand("SPHP5", "TKO-R1") == 8
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.return_id.is_not(None))) == 0
    assert [line.returned_quantity for line in sale.lines] == [0, 0, 0]
    with pytest.raises(ReturnRefused) as twice:
        ask(sale, shop.cashier, ("GULA1", 1))
    assert twice.value.message == "Retur untuk struk ini sudah menunggu manajer."


def test_an_approved_return_puts_everything_back(shop, sale, manager):
    sold = {m[0]: m for m in moves_of("K1-000001")}
    # Since the sale, SPHP came in dearer: the average cost moved, the returned packs keep the cost they left at.
    sphp = shop.items["SPHP5"]
    newer = db.session.scalar(select(Lot).where(Lot.item_id == sphp.id, Lot.code == "SPHP-2611A"))
    supplier, warehouse = shop.locations["V-PEMASOK"], shop.locations["GDG-A-01"]
    ledger.post_moves(
        [Move(sphp.id, supplier.id, warehouse.id, Decimal(10), "receipt", "PO-9", newer.id, Decimal(70000))]
    )
    assert sphp.average_cost != sold["SPHP5"][6]
    asked = ask(sale, shop.cashier, ("SPHP5", 1), ("LPG3", 1))

    approved = returns.approve_return(asked, manager)

    assert (approved.status, approved.decided_by_id) == ("approved", manager.id)
    assert moves_of(f"K1-000001/R{asked.id}") == [
        ("SPHP5", "V-PELANGGAN", "TKO-R1", 1, "return", sold["SPHP5"][5], sold["SPHP5"][6]),  # its shelf and lot
        ("LPG3", "V-PELANGGAN", "TKO-LPG", 1, "return", None, sold["LPG3"][6]),
        ("LPG3-KSG", "TKO-LPG", "V-PELANGGAN", 1, "exchange", None, sold["LPG3-KSG"][6]),  # her empty back out
    ]
    assert shop.on_hand("SPHP5", "TKO-R1") == 9
    assert shop.on_hand("LPG3", "TKO-LPG") == 15
    assert shop.on_hand("LPG3-KSG", "TKO-LPG") == 0
    assert [(ln.item.sku, ln.returned_quantity) for ln in sale.lines] == [("SPHP5", 1), ("GULA1", 0), ("LPG3", 1)]
    # The refund leaves the till it was asked at; the subsidy records are reversed.
    refund = db.session.scalar(select(Payment).where(Payment.return_id == asked.id))
    assert (refund.method, refund.amount, refund.session_id, refund.sale_id) == (
        "cash",
        -80500,
        shop.session.id,
        sale.id,
    )
    assert tills.totals(shop.session).refunds_total == 80500
    records = db.session.scalars(
        select(SubsidyRecord).where(SubsidyRecord.return_id == asked.id).order_by(SubsidyRecord.id)
    ).all()
    assert [(r.item.sku, r.quantity, r.nik, r.unit_price) for r in records] == [
        ("SPHP5", -1, "6499995508780001", 62500),
        ("LPG3", -1, "6499995508780001", 18000),
    ]
    assert ledger.verify() == []


def test_a_return_gives_the_cap_back_so_the_buyer_can_buy_again(shop, sale, manager):
    assert (cap_used("Batas SPHP"), cap_used("Kuota LPG 3 kg rumah tangga")) == (2, 1)
    with pytest.raises(CapReached), db.session.begin_nested():
        shop.sell((SPHP, 1, None), member=SITI)

    returns.approve_return(ask(sale, shop.cashier, ("SPHP5", 1), ("LPG3", 1)), manager)

    assert (cap_used("Batas SPHP"), cap_used("Kuota LPG 3 kg rumah tangga")) == (1, 0)
    assert shop.sell((SPHP, 1, None), member=SITI).total == 62500  # the pack given back is hers to buy again
    with pytest.raises(CapReached), db.session.begin_nested():
        shop.sell((SPHP, 1, None), member=SITI)  # but no more than that


def test_damaged_goods_go_to_quarantine(shop, sale, manager):
    lot = lines_of(sale)["SPHP5"]
    asked = ask(sale, shop.cashier, ("SPHP5", 2), damaged=True, reason="karung sobek")
    returns.approve_return(asked, manager)

    assert shop.on_hand("SPHP5", "TKO-R1") == 8  # not back on the shelf
    in_quarantine = db.session.execute(
        select(StockBalance.lot_id, StockBalance.quantity).where(
            StockBalance.item_id == shop.items["SPHP5"].id,
            StockBalance.location_id == shop.locations["V-KARANTINA"].id,
        )
    ).all()
    sold_lot = moves_of("K1-000001")[0][5]
    assert in_quarantine == [(sold_lot, 2)]
    assert lot.returned_quantity == 2
    assert ledger.verify() == []


def test_more_than_was_sold_is_refused(shop, sale):
    by_sku = lines_of(sale)
    for quantity, message in [("3", "Antara 0 dan 2."), ("-1", "Antara 0 dan 2."), ("0.5", "Hanya Pak 5 kg utuh.")]:
        with pytest.raises(ValidationFailed) as refused:
            ask(sale, shop.cashier, ("SPHP5", quantity))
        assert refused.value.fields == {f"line_{by_sku['SPHP5'].id}": [message]}, quantity
    with pytest.raises(ValidationFailed) as nothing:
        returns.request_return(sale, [], "rusak", shop.cashier)
    assert list(nothing.value.fields) == ["lines"]
    with pytest.raises(ValidationFailed) as qris:
        ask(sale, shop.cashier, ("GULA1", 1), refund_method="qris")
    assert qris.value.fields == {"refund_reference": ["Isi referensi pengembalian QRIS."]}
    assert db.session.scalar(select(func.count(SaleReturn.id))) == 0


def test_a_second_return_is_only_for_what_is_left(shop, sale, manager):
    sphp_line = lines_of(sale)["SPHP5"]
    returns.approve_return(ask(sale, shop.cashier, ("SPHP5", 1)), manager)
    with pytest.raises(ValidationFailed) as too_many:
        ask(sale, shop.cashier, ("SPHP5", 2))
    assert too_many.value.fields == {f"line_{sphp_line.id}": ["Antara 0 dan 1."]}

    second = ask(sale, shop.cashier, ("SPHP5", 1))
    assert second.amount == 62500  # the two halves add up to the line's Rp125.000
    returns.approve_return(second, manager)
    assert sphp_line.returned_quantity == 2
    assert shop.on_hand("SPHP5", "TKO-R1") == 10
    assert cap_used("Batas SPHP") == 0
    with pytest.raises(ValidationFailed) as none_left:
        ask(sale, shop.cashier, ("SPHP5", 1))
    assert none_left.value.fields == {f"line_{sphp_line.id}": ["Antara 0 dan 0."]}
    refunds = db.session.scalars(select(Payment.amount).where(Payment.return_id.is_not(None))).all()
    assert sorted(refunds) == [-62500, -62500]
    assert ledger.verify() == []


def test_a_rejected_return_changes_nothing_and_is_decided_once(shop, sale, manager):
    asked = ask(sale, shop.cashier, ("GULA1", 1))
    returns.reject_return(asked, manager, "sudah dibuka")
    assert (asked.status, asked.decision_note) == ("rejected", "sudah dibuka")
    with pytest.raises(ReturnRefused) as again:
        returns.approve_return(asked, manager)
    assert again.value.message == "Retur ini sudah diputuskan (ditolak)."
    assert shop.on_hand("GULA1", "TKO-R2") == 11
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.return_id.is_not(None))) == 0
    assert lines_of(sale)["GULA1"].returned_quantity == 0


def test_a_cashier_without_an_open_till_cannot_take_a_return(shop, sale, make_user):
    with pytest.raises(ReturnRefused) as refused:
        ask(sale, make_user("cashier"), ("GULA1", 1))
    assert refused.value.message == "Buka kasir Anda dulu: uang pengembalian dibayar dari sana."
