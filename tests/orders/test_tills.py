"""Till sessions: opened once with a float, closed with the counted money per method and the differences kept;
only the cashier or a manager closes, and never while a return waits for a manager."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import db
from app.errors import ValidationFailed
from orders import returns, tills
from orders.checkout import PaymentIn
from orders.models import TillCount, TillSession
from orders.returns import ReturnLineIn
from orders.tills import TillRefused

from .conftest import SUGAR


def open_sessions_of(till) -> int:
    return db.session.scalar(
        select(func.count(TillSession.id)).where(TillSession.till_id == till.id, TillSession.closed_at.is_(None))
    )


def test_a_till_opens_once(shop, make_user):
    shop.session.opened_at = datetime(2026, 11, 29, 1, 5, tzinfo=UTC)  # 09:05 in Balikpapan (WITA)
    db.session.flush()
    with pytest.raises(TillRefused) as refused:
        tills.open_session(shop.till, make_user("cashier"), 100000)
    assert refused.value.message == "Kasir K1 sudah dibuka (Test cashier, sejak 09:05); tutup dulu."
    assert open_sessions_of(shop.till) == 1


def test_the_database_refuses_a_second_open_session_too(shop, make_user, monkeypatch):
    """Two devices opening the same till at once both pass the check; the partial unique index stops one."""
    monkeypatch.setattr(tills, "open_session_of", lambda till: None)
    with pytest.raises(TillRefused) as refused:
        tills.open_session(shop.till, make_user("cashier"), 100000)
    assert refused.value.message == "Kasir K1 sudah dibuka; tutup dulu."
    assert open_sessions_of(shop.till) == 1
    assert shop.sell((SUGAR, 1, None)).session_id == shop.session.id  # the transaction goes on


def test_closing_counts_the_float_sales_and_refunds_per_method(shop, make_user):
    first = shop.sell((SUGAR, 2, None))  # cash 36.000
    shop.sell((SUGAR, 1, None), pay=[PaymentIn("qris", amount=18000, reference="QR-1")])
    shop.sell(
        (SUGAR, 3, None), pay=[PaymentIn("qris", amount=20000, reference="QR-2"), PaymentIn("cash", tendered=50000)]
    )
    sugar_line = first.lines[0].id
    refund = returns.request_return(first, [ReturnLineIn(sugar_line, Decimal(1))], "kemasan sobek", shop.cashier)
    returns.approve_return(refund, make_user("manager"))  # 18.000 cash back out of this till

    summary = tills.totals(shop.session)
    assert (summary.sales, summary.sales_total, summary.refunds_total, summary.pending_returns) == (3, 108000, 18000, 0)
    assert summary.by_method == {"cash": 36000 + 34000 - 18000, "qris": 38000}
    closed = tills.close_session(shop.session, shop.cashier, {"cash": 250000, "qris": 38500}, note=" kurang 2 rb ")

    # cash: the float 200.000 + 70.000 of sales - 18.000 refunded
    assert [(c.method, c.expected, c.counted, c.difference) for c in closed.counts] == [
        ("cash", 252000, 250000, -2000),
        ("qris", 38000, 38500, 500),
    ]
    assert [tills.difference_sentence(c) for c in closed.counts] == ["kurang Rp2.000", "lebih Rp500"]
    assert closed.closed_at is not None and closed.closed_by_id == shop.cashier.id and closed.note == "kurang 2 rb"
    assert open_sessions_of(shop.till) == 0


def test_a_till_that_took_nothing_matches_its_float(shop):
    closed = tills.close_session(shop.session, shop.cashier, {"cash": 200000, "qris": 0})
    assert [(c.method, c.expected, c.difference) for c in closed.counts] == [("cash", 200000, 0), ("qris", 0, 0)]
    assert [tills.difference_sentence(c) for c in closed.counts] == ["cocok", "cocok"]


def test_only_its_cashier_or_a_manager_closes_a_till(shop, make_user):
    with pytest.raises(TillRefused) as refused:
        tills.close_session(shop.session, make_user("cashier"), {"cash": 200000, "qris": 0})
    assert refused.value.message == "Hanya kasir yang membuka, atau manajer, yang boleh menutupnya."
    assert db.session.scalar(select(func.count(TillCount.id))) == 0

    manager = make_user("manager")
    closed = tills.close_session(shop.session, manager, {"cash": 200000, "qris": 0})
    assert (closed.closed_by_id, closed.cashier_id) == (manager.id, shop.cashier.id)
    with pytest.raises(TillRefused) as again:
        tills.close_session(shop.session, manager, {"cash": 200000, "qris": 0})
    assert again.value.message == "Sesi kasir ini sudah ditutup."


def test_a_return_waiting_for_a_manager_blocks_closing(shop, make_user):
    sale = shop.sell((SUGAR, 1, None))
    waiting = returns.request_return(sale, [ReturnLineIn(sale.lines[0].id, Decimal(1))], "salah beli", shop.cashier)
    with pytest.raises(TillRefused) as refused:
        tills.close_session(shop.session, shop.cashier, {"cash": 218000, "qris": 0})
    assert refused.value.code == "pending_returns"
    assert shop.session.closed_at is None

    returns.reject_return(waiting, make_user("manager"), "kemasan sudah dibuka")
    closed = tills.close_session(shop.session, shop.cashier, {"cash": 218000, "qris": 0})
    assert [(c.method, c.expected, c.difference) for c in closed.counts] == [("cash", 218000, 0), ("qris", 0, 0)]


def test_unsent_sales_and_missing_counts_keep_the_till_open(shop):
    with pytest.raises(TillRefused) as unsent:
        tills.close_session(shop.session, shop.cashier, {"cash": 200000, "qris": 0}, unsent_sales=2)
    assert unsent.value.code == "unsent_sales" and "2" in unsent.value.message
    with pytest.raises(ValidationFailed) as missing:
        tills.close_session(shop.session, shop.cashier, {"cash": -1})
    assert missing.value.fields == {"cash": ["Hitung: 0 atau lebih."], "qris": ["Hitung: 0 atau lebih."]}
    assert shop.session.closed_at is None
    assert db.session.scalar(select(func.count(TillCount.id))) == 0


def test_a_till_opened_again_sells_on_its_new_session(shop, make_user):
    tills.open_session(tills.get_till("K2"), make_user("cashier"), 0)  # K2's session has id 2, the id of till K2
    tills.close_session(shop.session, shop.cashier, {"cash": 200000, "qris": 0})
    again = tills.open_session(shop.till, shop.cashier, 150000)
    sale = shop.sell((SUGAR, 1, None))
    assert sale.session_id == again.id
    assert tills.totals(again).sales == 1
