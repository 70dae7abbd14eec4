"""Stock counts (stock opname): blind counting by scanning, the recount rule, posting exactly the variance."""

from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import settings
from app.db import db
from app.errors import DomainError, Forbidden, ValidationFailed
from app.models import AuditEntry
from inventory import counts, ledger, services
from inventory.ledger import Move, post_moves
from inventory.models import Item, Lot, StockBalance, StockCountLine, StockMove
from tests.inventory.conftest import D

SUGAR_PACK = "8991000000508"  # Gula pasir 1 kg: 1 piece
SUGAR_CARTON = "8991000000515"  # 20 pieces
RICE_SACK = "8991000000409"  # Beras medium: 50 kg
RICE_PER_KG = "BRSMED-KG"  # 1 kg
OIL_CARTON = "8991000000614"  # MinyaKita: 12 pouches, lot-tracked
SPHP_GS1 = "(01)08991000000300(17)270531(10)SPHP-2611A"  # one pack of lot SPHP-2611A
EMPTY_LPG3 = "8991000000102"  # an empty 3 kg cylinder


@pytest.fixture(autouse=True)
def english(session):
    """The services' messages in English (outside a request they are Indonesian), to match on them here."""
    with force_locale("en"):
        yield


@pytest.fixture
def people(demo, make_user):
    return make_user("warehouse"), make_user("manager")


def loc(code):
    return services.location_by_code(code)


def item(sku) -> Item:
    return db.session.scalar(select(Item).where(Item.sku == sku))


def on_hand(sku, code, lot_code=None) -> Decimal:
    stmt = select(StockBalance.quantity).where(
        StockBalance.item_id == item(sku).id, StockBalance.location_id == loc(code).id
    )
    if lot_code is None:
        stmt = stmt.where(StockBalance.lot_id.is_(None))
    else:
        stmt = stmt.join(Lot, Lot.id == StockBalance.lot_id).where(Lot.code == lot_code)
    return db.session.scalar(stmt) or Decimal(0)


def count_moves(count) -> list[tuple[str, str, str, Decimal]]:
    moves = db.session.scalars(select(StockMove).where(StockMove.reference == count.reference).order_by(StockMove.id))
    return [(m.item.sku, m.from_location.code, m.to_location.code, m.quantity) for m in moves]


def scan(count, code, user, times=1, bin_code="GDG-A-02", **kw):
    line = None
    for _ in range(times):
        line = counts.record_scan(count, loc(bin_code), code, user, **kw)
    return line


def count_bin_a02(count, clerk, sugar=60, rice_sacks=10, oil_cartons=4):
    """Count GDG-A-02 (demo: 60 sugar, 500 kg rice, 48 MinyaKita of lot MK-2609)."""
    scan(count, SUGAR_PACK, clerk, packs=D(sugar))
    scan(count, RICE_SACK, clerk, times=rice_sacks)
    scan(count, OIL_CARTON, clerk, times=oil_cartons, lot_code="MK-2609")


# --- counting --------------------------------------------------------------------------------------------


def test_each_scan_adds_its_packaging_factor_and_snapshots_the_balance(people):
    clerk, _manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    scan(count, SUGAR_CARTON, clerk)
    scan(count, SUGAR_PACK, clerk)
    sugar = scan(count, SUGAR_PACK, clerk, packs=D(3))
    scan(count, RICE_SACK, clerk)
    rice = scan(count, RICE_PER_KG, clerk, packs=D("2.5"))
    oil = scan(count, OIL_CARTON, clerk, lot_code="MK-2609")

    assert (sugar.counted_quantity, sugar.expected_quantity) == (D(24), D(60))
    assert (rice.counted_quantity, rice.expected_quantity) == (D("52.5"), D(500))
    assert (oil.counted_quantity, oil.expected_quantity, oil.lot.code) == (D(12), D(48), "MK-2609")
    assert len(count.lines) == 3  # one line per item, bin and lot, however many scans
    assert {ln.counted_by_id for ln in count.lines} == {clerk.id}


def test_a_gs1_label_gives_the_lot_and_a_pack_is_whole(people):
    clerk, _manager = people
    count = counts.create_count(loc("GDG-A-01"), clerk)
    scan(count, SPHP_GS1, clerk, bin_code="GDG-A-01")
    line = scan(count, SPHP_GS1, clerk, bin_code="GDG-A-01", lot_code="SPHP-2610B")  # a lot left typed: the label wins
    assert (line.lot.code, line.counted_quantity, line.expected_quantity) == ("SPHP-2611A", D(2), D(40))
    found = scan(count, "(01)08991000000300(17)280131(10)SPHP-2801X", clerk, bin_code="GDG-A-01")
    assert (found.lot.code, str(found.lot.expiry_date), found.expected_quantity) == ("SPHP-2801X", "2028-01-31", 0)
    with pytest.raises(ValidationFailed, match="needs a lot"):
        scan(count, "8991000000300", clerk, bin_code="GDG-A-01")
    with pytest.raises(ValidationFailed, match="not known"):
        scan(count, "8991000000300", clerk, bin_code="GDG-A-01", lot_code="NO-SUCH-LOT")
    with pytest.raises(ValidationFailed):
        scan(count, "8991000000300", clerk, bin_code="GDG-A-01", lot_code="SPHP-2610B", packs=D("1.5"))
    assert len(count.lines) == 2


def test_only_the_locations_of_the_count_can_be_counted(people):
    clerk, _manager = people
    count = counts.create_count(loc("GDG-A"), clerk)
    scan(count, SUGAR_PACK, clerk, bin_code="GDG-A-02")
    with pytest.raises(ValidationFailed, match="GDG-B-01"):
        scan(count, SUGAR_PACK, clerk, bin_code="GDG-B-01")
    with pytest.raises(ValidationFailed, match="is a location"):
        scan(count, "GDG-A-01", clerk)  # a bin label in the item field
    with pytest.raises(ValidationFailed, match="TKO-R1"):
        scan(count, "TKO-R1", clerk)


def test_two_counts_may_not_cover_the_same_place(people):
    clerk, _manager = people
    whole = counts.create_count(loc("GDG"), clerk)
    with pytest.raises(DomainError, match=whole.reference):
        counts.create_count(loc("GDG-A-02"), clerk)
    shop = counts.create_count(loc("TKO"), clerk)
    assert shop.status == "open"
    with pytest.raises(ValidationFailed):
        counts.create_count(loc("V-SUSUT"), clerk)


# --- the recount rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bin_code", "code", "packs", "flagged"),
    [
        ("GDG-A-02", RICE_PER_KG, "490", False),  # 500 kg expected: 2 % is 10 kg, exactly at the threshold
        ("GDG-A-02", RICE_PER_KG, "489.999", True),  # a gram over it
        ("GDG-A-02", RICE_PER_KG, "510", False),
        ("GDG-A-02", RICE_PER_KG, "510.001", True),
        ("GDG-A-02", SUGAR_PACK, "59", False),  # 60 expected: 2 % is 1.2
        ("GDG-A-02", SUGAR_PACK, "58", True),
        ("GDG-B-01", EMPTY_LPG3, "9", True),  # 10 expected: one cylinder off is 10 %, and a whole unit
        ("GDG-B-01", EMPTY_LPG3, "10", False),
    ],
)
def test_a_line_goes_to_a_recount_when_it_is_off_by_more_than_the_threshold(people, bin_code, code, packs, flagged):
    clerk, _manager = people
    count = counts.create_count(loc(bin_code), clerk)
    line = scan(count, code, clerk, bin_code=bin_code, packs=D(packs))
    counts.close_count(count, clerk)
    assert (count.recount_percent, count.recount_minimum) == (D(2), D(1))
    assert line.needs_recount is flagged
    assert count.status == "review"


def test_the_recount_rule_comes_from_the_settings_when_the_count_starts(app, people):
    clerk, _manager = people
    settings.update({"count_recount_percent": "10", "count_recount_minimum": "0"})
    count = counts.create_count(loc("GDG-A-02"), clerk)
    assert counts.needs_recount(count, D(60), D(54)) is False  # 6 off is 10 %: not more
    assert counts.needs_recount(count, D(60), D(53)) is True
    sugar = scan(count, SUGAR_PACK, clerk, packs=D(54))
    counts.close_count(count, clerk)
    assert sugar.needs_recount is False


def test_the_recount_is_blind_again_replaces_the_count_and_only_flagged_lines_take_one(people):
    clerk, manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    count_bin_a02(count, clerk, sugar=50)
    counts.close_count(count, clerk)
    sugar = next(ln for ln in count.lines if ln.item.sku == "GULA1")
    assert [ln.item.sku for ln in count.lines if ln.needs_recount] == ["GULA1"]
    with pytest.raises(DomainError, match="still needs a recount"):
        counts.post_count(count, manager)
    with pytest.raises(DomainError, match="does not need a recount"):
        scan(count, RICE_SACK, clerk)

    scan(count, SUGAR_CARTON, clerk, times=2)
    scan(count, SUGAR_PACK, clerk, packs=D(19))
    assert (sugar.counted_quantity, sugar.recount_quantity, sugar.recount_expected_quantity) == (D(50), D(59), D(60))
    counts.post_count(count, manager)
    assert count_moves(count) == [("GULA1", "GDG-A-02", "V-SUSUT", D(1))]
    assert on_hand("GULA1", "GDG-A-02") == D(59)


# --- posting ---------------------------------------------------------------------------------------------


def test_a_count_posts_exactly_the_variance(people):
    clerk, manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    count_bin_a02(count, clerk, sugar=59)
    scan(count, RICE_PER_KG, clerk, packs=D("3.5"))  # 503.5 kg of 500
    counts.close_count(count, clerk)
    assert count.lines_to_recount == 0
    counts.post_count(count, manager)

    assert count.status == "posted" and count.posted_by_id == manager.id
    assert sorted(count_moves(count)) == [
        ("BRS-MED", "V-SUSUT", "GDG-A-02", D("3.5")),
        ("GULA1", "GDG-A-02", "V-SUSUT", D(1)),
    ]
    assert {m.reason for m in db.session.scalars(select(StockMove).where(StockMove.reference == count.reference))} == {
        "count"
    }
    assert (on_hand("GULA1", "GDG-A-02"), on_hand("BRS-MED", "GDG-A-02")) == (D(59), D("503.5"))
    assert on_hand("MKITA1", "GDG-A-02", "MK-2609") == D(48)
    values = {ln.item.sku: (ln.unit_cost, ln.value) for ln in count.lines}
    assert values == {"GULA1": (D(15500), -15500), "BRS-MED": (D(12400), 43400), "MKITA1": (None, 0)}
    assert counts.totals(count.lines) == counts.Totals(gained=43400, lost=-15500, net=27900)
    assert ledger.verify() == []
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "stock_count", AuditEntry.action == "post")
    ).one()
    assert audit.entity_id == str(count.id) and audit.changes["value"] == 27900


def test_stock_moved_after_a_line_was_counted_is_not_counted_twice(people):
    clerk, manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    count_bin_a02(count, clerk, sugar=59)  # one short of the 60 there at this moment
    sugar_id, bin_id = item("GULA1").id, loc("GDG-A-02").id
    post_moves([Move(sugar_id, bin_id, loc("TKO-R2").id, D(10), "transfer", "TRF-T")])  # 10 go to the shop
    post_moves([Move(sugar_id, loc("V-PEMASOK").id, bin_id, D(5), "receipt", "PO-T", unit_cost=D(15500))])
    assert on_hand("GULA1", "GDG-A-02") == D(55)
    counts.close_count(count, clerk)
    counts.post_count(count, manager)

    assert count_moves(count) == [("GULA1", "GDG-A-02", "V-SUSUT", D(1))]  # the variance at count time
    assert on_hand("GULA1", "GDG-A-02") == D(54)  # counted 59, less 10 out, plus 5 in
    assert ledger.verify() == []


def test_a_line_counted_after_a_move_is_measured_against_the_balance_of_that_moment(people):
    clerk, manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    scan(count, SUGAR_PACK, clerk, packs=D(30))  # half counted so far: the line's snapshot is 60
    post_moves([Move(item("GULA1").id, loc("GDG-A-02").id, loc("TKO-R2").id, D(10), "transfer", "TRF-T")])
    sugar = scan(count, SUGAR_PACK, clerk, packs=D(20))  # the rest: 50 counted, as there are now
    assert (sugar.counted_quantity, sugar.expected_quantity) == (D(50), D(50))
    scan(count, RICE_SACK, clerk, times=10)
    scan(count, OIL_CARTON, clerk, times=4, lot_code="MK-2609")
    counts.close_count(count, clerk)
    counts.post_count(count, manager)
    assert count_moves(count) == []
    assert on_hand("GULA1", "GDG-A-02") == D(50)


def test_uncounted_stock_goes_in_at_zero_and_waits_for_someone_to_look(people):
    clerk, manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    scan(count, SUGAR_PACK, clerk, packs=D(60))
    counts.close_count(count, manager)

    added = sorted(
        (ln.item.sku, ln.lot.code if ln.lot else None, ln.counted_quantity, ln.expected_quantity, ln.counted_by_id)
        for ln in count.lines
        if ln.added_at_close
    )
    assert added == [("BRS-MED", None, D(0), D(500), manager.id), ("MKITA1", "MK-2609", D(0), D(48), manager.id)]
    assert count.lines_to_recount == 2
    with pytest.raises(DomainError, match="2 lines still need a recount"):
        counts.post_count(count, manager)

    lines = {ln.item.sku: ln for ln in count.lines}
    counts.set_line_quantity(count, lines["BRS-MED"], D(500), clerk)  # it was there after all
    counts.set_line_quantity(count, lines["MKITA1"], D(0), manager)  # really gone
    with pytest.raises(DomainError, match="does not need a recount"):
        counts.set_line_quantity(count, lines["GULA1"], D(61), clerk)
    counts.post_count(count, manager)
    assert count_moves(count) == [("MKITA1", "GDG-A-02", "V-SUSUT", D(48))]
    assert on_hand("MKITA1", "GDG-A-02", "MK-2609") == 0 and on_hand("BRS-MED", "GDG-A-02") == D(500)
    assert ledger.verify() == []


def test_a_whole_warehouse_counts_every_bin_under_it(people):
    clerk, manager = people
    count = counts.create_count(loc("GDG"), clerk)
    scope = [x.code for x in counts.scope_locations(count)]
    assert scope == ["GDG", "GDG-A", "GDG-A-01", "GDG-A-02", "GDG-B", "GDG-B-01"]
    count_bin_a02(count, clerk, sugar=60)
    counts.close_count(count, clerk)
    added = sorted(
        (ln.location.code, ln.item.sku, ln.lot.code if ln.lot else "") for ln in count.lines if ln.added_at_close
    )
    assert added == [
        ("GDG-A-01", "SPHP5", "SPHP-2610B"),
        ("GDG-A-01", "SPHP5", "SPHP-2611A"),
        ("GDG-B-01", "BG55", ""),
        ("GDG-B-01", "LPG3", ""),
        ("GDG-B-01", "LPG3-KSG", ""),
    ]


def test_posting_is_for_a_manager_and_happens_once(people):
    clerk, manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    count_bin_a02(count, clerk, sugar=59)
    with pytest.raises(DomainError, match="open"):
        counts.post_count(count, manager)  # still counting
    counts.close_count(count, clerk)
    with pytest.raises(Forbidden):
        counts.post_count(count, clerk)
    counts.post_count(count, manager)
    with pytest.raises(DomainError, match=count.reference):
        counts.post_count(count, manager)
    with pytest.raises(DomainError):
        counts.cancel_count(count, manager)
    with pytest.raises(DomainError):
        scan(count, SUGAR_PACK, clerk)
    assert count_moves(count) == [("GULA1", "GDG-A-02", "V-SUSUT", D(1))]
    assert on_hand("GULA1", "GDG-A-02") == D(59)


def test_a_cancelled_count_posts_nothing_and_counts_no_more(people):
    clerk, manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    scan(count, SUGAR_PACK, clerk, packs=D(3))
    with pytest.raises(Forbidden):
        counts.cancel_count(count, clerk)
    counts.cancel_count(count, manager)
    assert count.status == "cancelled" and count.cancelled_by_id == manager.id
    with pytest.raises(DomainError):
        scan(count, SUGAR_PACK, clerk)
    with pytest.raises(DomainError):
        counts.close_count(count, clerk)
    assert count_moves(count) == [] and on_hand("GULA1", "GDG-A-02") == D(60)
    assert counts.create_count(loc("GDG-A-02"), clerk).status == "open"  # the place is free again


def _twin(count, line, clerk, quantity):
    return StockCountLine(
        count_id=count.id,
        item_id=line.item_id,
        location_id=line.location_id,
        lot_id=line.lot_id,
        counted_quantity=quantity,
        expected_quantity=D(60),
        counted_by_id=clerk.id,
        counted_at=line.counted_at,
    )


def test_the_table_refuses_a_count_below_zero(people):
    clerk, _manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    line = scan(count, SUGAR_PACK, clerk)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        line.counted_quantity = D(-1)
        db.session.flush()


@pytest.mark.postgres
def test_the_table_holds_one_line_per_item_bin_and_lot(people):
    clerk, _manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    line = scan(count, SUGAR_PACK, clerk)  # no lot: NULLS NOT DISTINCT makes the unique constraint hold
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(_twin(count, line, clerk, D(1)))
        db.session.flush()


def test_the_count_sheet_lists_each_bin_and_what_it_holds(people):
    clerk, _manager = people
    count = counts.create_count(loc("GDG"), clerk)
    sheet = [
        (location.code, [(b.item.sku, b.lot.code if b.lot else "") for b in balances])
        for location, balances in counts.sheet(count)
    ]
    assert sheet == [  # the warehouse and its zones hold nothing themselves, so they get no section
        ("GDG-A-01", [("SPHP5", "SPHP-2611A"), ("SPHP5", "SPHP-2610B")]),
        ("GDG-A-02", [("BRS-MED", ""), ("GULA1", ""), ("MKITA1", "MK-2609")]),
        ("GDG-B-01", [("BG55", ""), ("LPG3", ""), ("LPG3-KSG", "")]),
    ]


@pytest.mark.parametrize(
    ("expected", "counted", "recount"),
    [
        (D(20), D(19), True),  # 1 pack of 20: at least 1 unit and 5 %
        (D(20), D(20), False),
        (D(100), D(98), False),  # 2 % is not more than 2 %
        (D(100), D(97), True),
        (D("20.000"), D("19.500"), False),  # half a kg: under the 1-unit minimum, whatever the percentage
        (D(0), D(1), True),  # found where nothing was expected
    ],
)
def test_the_recount_rule_at_its_boundaries(people, expected, counted, recount):
    """docs/warehouse.md: more than 2 % and at least 1 unit. Before, a 1-pack difference (a Rp56.500 SPHP pack
    of 20) was never recounted: the rule was 'more than the larger of 1 unit and 2 %'."""
    clerk, _manager = people
    count = counts.create_count(loc("GDG-A-02"), clerk)
    assert counts.needs_recount(count, expected, counted) is recount
