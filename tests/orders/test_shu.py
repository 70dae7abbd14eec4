"""SHU by patronage: shares in whole rupiah proportional to members' net purchases, adding up exactly to the amount
(property test), figures by hand on the demo, a closed year frozen (a later return is an adjustment), closing raced
by two managers, and the screen, slip, CSV and API."""

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from app.errors import DomainError
from orders import returns, shu
from orders.returns import ReturnLineIn
from tests.conftest import csrf_token_from

from .conftest import SPHP, SUGAR

WITA = ZoneInfo("Asia/Makassar")
YEAR = 2026


@given(
    amount=st.integers(0, 10**9),
    weights=st.dictionaries(st.integers(1, 5000), st.integers(-(10**6), 10**8), min_size=1, max_size=60),
)
def test_shares_add_up_exactly_and_are_proportional(amount, weights):
    shares = shu.split(amount, weights)
    positive = {k: w for k, w in weights.items() if w > 0}
    total = sum(positive.values())
    if total == 0:
        assert set(shares.values()) == {0}
        return
    assert sum(shares.values()) == amount  # exactly, not a rupiah lost or made
    for key, weight in weights.items():
        exact = Fraction(amount * weight, total) if weight > 0 else Fraction(0)
        assert exact - 1 < shares[key] < exact + 1  # each within a rupiah of its exact share
    ranked = sorted(positive, key=lambda k: positive[k])
    assert all(shares[a] <= shares[b] for a, b in zip(ranked, ranked[1:], strict=False))  # more bought, not less


def _return_one(sale, sku, cashier, manager):
    line = next(ln for ln in sale.lines if ln.item.sku == sku)
    asked = returns.request_return(sale, [ReturnLineIn(line.id, Decimal(1))], "rusak", cashier)
    returns.approve_return(asked, manager)


def _year_of_sales(shop, make_user):
    """Siti (KKMP-000001) buys Rp142.000 and returns one sugar (Rp17.000) in December; Ahmad (KKMP-000002) buys
    Rp17.000; a walk-in's Rp18.000 is no member's."""
    manager = make_user("manager")
    with time_machine.travel(datetime(YEAR, 6, 1, 10, 0, tzinfo=WITA), tick=False):
        siti = shop.sell((SPHP, 2, None), (SUGAR, 1, None), member="KKMP-000001")
        shop.sell((SUGAR, 1, None), member="KKMP-000002")
        shop.sell((SUGAR, 1, None))
    with time_machine.travel(datetime(YEAR, 12, 2, 10, 0, tzinfo=WITA), tick=False):
        line = next(ln for ln in siti.lines if ln.item.sku == "GULA1")
        returns.approve_return(
            returns.request_return(siti, [ReturnLineIn(line.id, Decimal(1))], "rusak", shop.cashier), manager
        )
    return siti, manager


def test_the_years_shares_by_hand(shop, make_user):
    _year_of_sales(shop, make_user)
    # Rp1.000.001 of surplus, 40 % for purchases: Rp400.000 (rounded down) over 125.000 + 17.000 = 142.000.
    result = shu.compute(YEAR, 1_000_001, Decimal("40"))
    assert (result.amount, result.purchases) == (400_000, 142_000)
    by_number = {s.member.member_number: (s.purchases, s.share) for s in result.shares}
    # 400.000 x 125/142 = 352.112,67 and 400.000 x 17/142 = 47.887,32: the left-over rupiah to the larger fraction
    assert by_number["KKMP-000001"] == (125_000, 352_113)
    assert by_number["KKMP-000002"] == (17_000, 47_887)
    assert sum(s.share for s in result.shares) == 400_000
    assert all(
        share == 0 for number, (bought, share) in by_number.items() if number not in ("KKMP-000001", "KKMP-000002")
    )


def test_a_closed_year_is_frozen_and_a_later_return_shows_as_an_adjustment(shop, make_user):
    siti, manager = _year_of_sales(shop, make_user)
    with time_machine.travel(datetime(YEAR + 1, 1, 5, 9, 0, tzinfo=WITA), tick=False):
        shu.close(YEAR, 1_000_001, Decimal("40"), manager)
        with pytest.raises(DomainError):
            shu.close(YEAR, 2_000_000, Decimal("40"), manager)
    with time_machine.travel(datetime(YEAR, 12, 30, 10, 0, tzinfo=WITA), tick=False):  # a return dated in the year
        line = next(ln for ln in siti.lines if ln.item.sku == "SPHP5")
        returns.approve_return(
            returns.request_return(siti, [ReturnLineIn(line.id, Decimal(1))], "rusak", shop.cashier), manager
        )
    closed = shu.closed_year(YEAR)
    siti_share = next(s for s in closed.shares if s.member.member_number == "KKMP-000001")
    assert (siti_share.purchases, siti_share.share, siti_share.adjustment) == (125_000, 352_113, -62_500)
    assert sum(s.share for s in closed.shares) == 400_000


def test_the_shu_screen_closes_a_year_and_prints_a_slip(shop, make_user, client, login, api):
    _year_of_sales(shop, make_user)
    login("manager")
    page = client.get(f"/shop/shu?year={YEAR}&surplus=1000001&member_percent=40").get_data(as_text=True)
    assert 'id="shu-total">Rp400.000<' in page and 'id="shu-method"' in page
    refused = client.get(f"/shop/shu?year={YEAR}&surplus=-5&member_percent=140")
    assert refused.status_code == 422 and 'id="error-surplus"' in refused.get_data(as_text=True)
    form = {"csrf_token": csrf_token_from(page), "year": str(YEAR), "surplus": "1000001", "member_percent": "40"}
    assert client.post("/shop/shu", data={**form, "idempotency_key": "close-1"}).status_code == 302
    closed = client.get(f"/shop/shu?year={YEAR}").get_data(as_text=True)
    assert 'id="shu-closed"' in closed and 'id="shu-close"' not in closed
    csv_text = client.get(f"/shop/shu?year={YEAR}&format=csv").get_data(as_text=True)
    assert "KKMP-000001,Siti Aminah,125000,352113,0" in csv_text
    answer = api("manager").get(f"/api/shu/{YEAR}").get_json()
    assert (answer["amount"], answer["closed_at"] is not None) == (400_000, True)
    from sqlalchemy import select

    from app.db import db
    from members.models import Member

    siti = db.session.scalar(select(Member).where(Member.member_number == "KKMP-000001"))
    slip = client.get(f"/shop/shu/{YEAR}/slip/{siti.id}").get_data(as_text=True)
    assert 'id="slip-share">Rp352.113<' in slip
    again = api("manager").post(f"/api/shu/{YEAR}/close", json={"surplus": 5, "member_percent": "10"})
    assert again.status_code == 409


@pytest.mark.postgres
@pytest.mark.concurrency
def test_two_managers_closing_a_year_at_once_close_it_once(app, database_url, committed_demo):
    """Both see the year open and close it at the same moment: one 201, one 409, one set of shares. The year's row
    is the guard: the second insert of its primary key waits for the first transaction and then fails (409), so
    the check in Python (which both pass) is never what keeps a year from being closed twice."""
    from sqlalchemy import func, select

    from app import auth
    from app.db import db
    from orders.models import ShuShare, ShuYear
    from tests.parallel import http_posts, run_in_processes

    with app.app_context():
        tokens = [
            auth.issue_api_token(auth.create_user(f"mgr-shu-{n}", "M", "manager", "password-123"), "t") for n in (1, 2)
        ]
        db.session.commit()
    body = {"surplus": 1_000_000, "member_percent": "40"}
    answers = run_in_processes(
        http_posts, [(database_url, token, [(f"/api/shu/{YEAR}/close", body)]) for token in tokens]
    )
    assert sorted(status for [(status, _answer)] in answers) == [201, 409]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ShuYear)) == 1
        members = db.session.scalar(select(func.count()).select_from(ShuShare))
        assert members == db.session.scalar(
            select(func.count()).select_from(__import__("members.models", fromlist=["Member"]).Member)
        )
