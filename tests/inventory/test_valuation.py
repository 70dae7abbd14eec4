"""Stock value at the end of any past day, from the snapshots plus the moves since: over random histories of
receipts at random costs, transfers, sales and losses across days (and across midnight WITA), it equals the ledger
summed to that day, whichever days were snapshotted; today it equals the balances at the moving-average cost."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.db import db
from inventory import valuation
from inventory.ledger import InsufficientStock, Move, post_moves
from inventory.models import UNTRACKED_KINDS, Location, StockMove
from tests.inventory.conftest import build_world

WITA = ZoneInfo("Asia/Makassar")
START = date(2026, 11, 1)
DAYS = 6

step = st.tuples(
    st.integers(0, DAYS - 1),  # the day
    st.sampled_from([(0, 30), (23, 59), (0, 1), (12, 0)]),  # the local time: around midnight too
    st.sampled_from(["receive", "transfer", "sell", "lose"]),
    st.integers(0, 1),  # rice or sugar
    st.integers(1, 40),  # quantity
    st.integers(9000, 15000),  # a purchase cost
)


def _brute_force(day: date) -> dict[int, tuple[Decimal, Decimal]]:
    """Every move before the end of the day, summed: quantity and value per item over our places."""
    tracked = set(db.session.scalars(select(Location.id).where(Location.kind.not_in(UNTRACKED_KINDS))))
    totals: dict[int, list[Decimal]] = {}
    for move in db.session.scalars(select(StockMove).where(StockMove.posted_at < valuation.end_of(day))):
        row = totals.setdefault(move.item_id, [Decimal(0), Decimal(0)])
        for place, sign in ((move.to_location_id, 1), (move.from_location_id, -1)):
            if place in tracked:
                row[0] += sign * move.quantity
                row[1] += sign * move.quantity * move.unit_cost
    return {k: (q, v.quantize(valuation.CENT)) for k, (q, v) in totals.items() if q or v.quantize(valuation.CENT)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(step, min_size=1, max_size=25), snapshot_days=st.sets(st.integers(0, DAYS - 1), max_size=3))
def test_the_value_at_a_date_is_the_ledger_summed_to_that_date(session, history, snapshot_days):
    savepoint = session.begin_nested()
    try:
        w = build_world()
        items = [w.rice, w.sugar]
        for day_no, (hour, minute), action, which, quantity, cost in sorted(history, key=lambda h: (h[0], h[1])):
            item, q = items[which], Decimal(quantity)
            move = {
                "receive": (w.supplier, w.bin1, Decimal(cost), "receipt"),
                "transfer": (w.bin1, w.shop, None, "transfer"),
                "sell": (w.shop, w.customer, None, "sale"),
                "lose": (w.bin1, w.loss, None, "adjustment"),
            }[action]
            moment = datetime.combine(START + timedelta(days=day_no), datetime.min.time()).replace(
                hour=hour, minute=minute, tzinfo=WITA
            )
            with time_machine.travel(moment, tick=False):
                try:
                    with session.begin_nested():
                        post_moves([Move(item.id, move[0].id, move[1].id, q, move[3], f"T{day_no}", unit_cost=move[2])])
                except InsufficientStock:
                    pass
        for day_no in sorted(snapshot_days):
            valuation.take_snapshot(START + timedelta(days=day_no))
        for day_no in range(DAYS):
            day = START + timedelta(days=day_no)
            got = {r.item.id: (r.quantity, r.value) for r in valuation.valuation(day)}
            assert got == _brute_force(day), (day, sorted(snapshot_days))
        now = {r.item.id: r for r in valuation.on_hand_value()}
        today = {r.item.id: r for r in valuation.valuation(date.today() + timedelta(days=400))}
        assert {k: r.quantity for k, r in now.items()} == {k: r.quantity for k, r in today.items()}
        for key, row in now.items():  # the moving average rounds to 4 decimals a unit: within a rupiah a unit
            assert abs(row.value - today[key].value) <= row.quantity * Decimal("0.01") + 1
    finally:
        savepoint.rollback()


def test_a_snapshot_taken_twice_is_the_same_and_a_later_move_is_seen_after_it(session, world):
    w = world
    with time_machine.travel(datetime(2026, 11, 2, 23, 59, tzinfo=WITA), tick=False):
        post_moves(
            [Move(w.rice.id, w.supplier.id, w.bin1.id, Decimal(100), "receipt", "PO-1", unit_cost=Decimal(12000))]
        )
    with time_machine.travel(datetime(2026, 11, 3, 0, 1, tzinfo=WITA), tick=False):
        post_moves([Move(w.rice.id, w.bin1.id, w.customer.id, Decimal(10), "sale", "K1-1")])
    first = valuation.take_snapshot(date(2026, 11, 2))
    again = valuation.take_snapshot(date(2026, 11, 2))
    assert first.last_move_id == again.last_move_id
    [nov2] = valuation.valuation(date(2026, 11, 2))
    [nov3] = valuation.valuation(date(2026, 11, 3))
    assert (nov2.quantity, nov2.value, nov3.quantity, nov3.value) == (
        100,
        Decimal("1200000.00"),
        90,
        Decimal("1080000.00"),
    )
    assert valuation.valuation(date(2026, 11, 1)) == []
    with time_machine.travel(datetime(2026, 11, 10, 12, 0, tzinfo=WITA), tick=False):
        assert valuation.rebuild(date(2026, 11, 1), date(2026, 11, 3)) == 3
    assert [r.quantity for r in valuation.valuation(date(2026, 11, 3))] == [90]


def test_a_move_counted_after_its_days_snapshot_is_still_in_that_day_and_the_next(session, world):
    """A sale posted at 23:59 whose transaction commits after the nightly snapshot of its day was taken."""
    w = world
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=WITA), tick=False):
        post_moves(
            [Move(w.rice.id, w.supplier.id, w.bin1.id, Decimal(100), "receipt", "PO-1", unit_cost=Decimal(1000))]
        )
    valuation.take_snapshot(date(2026, 11, 2))
    with time_machine.travel(datetime(2026, 11, 2, 23, 59, tzinfo=WITA), tick=False):
        post_moves([Move(w.rice.id, w.bin1.id, w.customer.id, Decimal(10), "sale", "K1-1")])
    assert [r.quantity for r in valuation.valuation(date(2026, 11, 2))] == [90]
    valuation.take_snapshot(date(2026, 11, 3))
    assert [r.quantity for r in valuation.valuation(date(2026, 11, 3))] == [90]
    assert [r.quantity for r in valuation.valuation(date(2026, 11, 4))] == [90]


def test_daily_snapshots_are_kept_62_days_and_month_ends_for_ever(session, world, runner):
    """The rebuild makes only the days kept; the nightly prune lets go of the rest; the value at any date is
    the same either way."""
    from inventory.jobs import take_daily_snapshot
    from inventory.models import SnapshotDay

    w = world
    day = date(2026, 11, 1)
    while day < date(2027, 3, 15):  # a receipt every day at 10:00 WITA, 1 kg more each day, at 1,000 + day
        with time_machine.travel(datetime.combine(day, datetime.min.time()).replace(hour=10, tzinfo=WITA)):
            n = (day - date(2026, 11, 1)).days + 1
            post_moves(
                [
                    Move(
                        w.rice.id,
                        w.supplier.id,
                        w.bin1.id,
                        Decimal(n),
                        "receipt",
                        f"PO-{n}",
                        unit_cost=Decimal(1000 + n),
                    )
                ]
            )
        day += timedelta(days=1)
    with time_machine.travel(datetime(2027, 3, 15, 2, 0, tzinfo=WITA), tick=False):
        made = valuation.rebuild(date(2026, 11, 1), date(2027, 3, 14))
        days = list(session.scalars(select(SnapshotDay.day).order_by(SnapshotDay.day)))
        assert made == 64 == len(days)  # 30 Nov and 31 Dec, then every day from 12 Jan (62 days)
        assert days[:3] == [date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 12)] and days[-1] == date(2027, 3, 14)
        for past in (date(2026, 11, 15), date(2026, 12, 31), date(2027, 1, 5), date(2027, 2, 1)):
            [row] = valuation.valuation(past)
            n = (past - date(2026, 11, 1)).days + 1
            assert row.quantity == n * (n + 1) // 2, past
            assert row.value == sum(k * (1000 + k) for k in range(1, n + 1)), past
        valuation.take_snapshot(date(2026, 12, 5))  # a day no longer kept, made by hand: the nightly job prunes it
        take_daily_snapshot()
        assert date(2026, 12, 5) not in set(session.scalars(select(SnapshotDay.day)))
        assert len(set(session.scalars(select(SnapshotDay.day)))) == 64


def test_the_value_screen_now_and_at_a_past_day_and_its_csv(client, login, session, world):
    w = world
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=WITA), tick=False):
        receipt = Move(w.rice.id, w.supplier.id, w.bin1.id, Decimal(50), "receipt", "PO-1", unit_cost=Decimal(12000))
        post_moves([receipt])
    post_moves([Move(w.rice.id, w.bin1.id, w.customer.id, Decimal(20), "sale", "K1-1")])  # today
    valuation.take_snapshot(date(2026, 11, 2))
    login("manager")
    now = client.get("/stock/valuation").get_data(as_text=True)
    assert 'id="valuation-total">Rp360.000<' in now  # 30 kg at 12.000
    before = client.get("/stock/valuation?day=2026-11-15").get_data(as_text=True)
    assert 'id="valuation-total">Rp600.000<' in before  # 50 kg on the 15th
    shop_only = client.get(f"/stock/valuation?day=2026-11-15&location_id={w.shop.id}").get_data(as_text=True)
    assert 'id="valuation-total">Rp0<' in shop_only
    csv_text = client.get("/stock/valuation?day=2026-11-15&format=csv").get_data(as_text=True)
    assert csv_text.splitlines()[1] == "RICE,Beras medium,50.000,kg,12000.00,600000.00"
    refused = client.get("/stock/valuation?day=15-11-2026")
    assert refused.status_code == 422 and 'id="error-day"' in refused.get_data(as_text=True)


def test_the_nightly_job_keeps_yesterday_and_the_command_rebuilds_a_range(session, world, runner):
    from inventory.jobs import take_daily_snapshot
    from inventory.models import SnapshotDay

    w = world
    post_moves([Move(w.rice.id, w.supplier.id, w.bin1.id, Decimal(5), "receipt", "PO-1", unit_cost=Decimal(100))])
    with time_machine.travel(datetime.now(WITA) + timedelta(days=1), tick=False):
        day = take_daily_snapshot()
        assert take_daily_snapshot() == day  # twice: the same day, made again
    assert [d.day.isoformat() for d in session.scalars(select(SnapshotDay))] == [day]
    with time_machine.travel(datetime(2026, 11, 10, 12, 0, tzinfo=WITA), tick=False):
        result = runner.invoke(args=["inventory", "snapshots", "--from", "2026-11-01", "--to", "2026-11-03"])
    assert result.exit_code == 0 and "3 day(s)" in result.output


def test_the_api_gives_the_same_value(api, session, world):
    w = world
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=WITA), tick=False):
        receipt = Move(w.rice.id, w.supplier.id, w.bin1.id, Decimal(50), "receipt", "PO-1", unit_cost=Decimal(12000))
        post_moves([receipt])
    post_moves([Move(w.rice.id, w.bin1.id, w.customer.id, Decimal(20), "sale", "K1-1")])
    manager = api("manager")
    past = manager.get("/api/stock/valuation?day=2026-11-15").get_json()
    assert (past["total"], past["rows"][0]["quantity"], past["rows"][0]["sku"]) == ("600000.00", "50.000", "RICE")
    assert manager.get("/api/stock/valuation").get_json()["total"] == "360000.00"
    assert api("cashier").get("/api/stock/valuation").status_code == 403
