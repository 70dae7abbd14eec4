"""Inventory documents decided twice at the same moment, through the real HTTP API in processes released together
on a barrier: an adjustment approved by two managers or approved and rejected at once, a transfer received by two
clerks, a count posted by two managers or closed while it is cancelled. Each is decided once, under the lock on its
row (app.db.lock, counts._lock); each test says what went wrong without it."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import db
from inventory import ledger
from tests.parallel import http_posts, run_in_processes

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]

SUGAR_PACK, RICE_SACK, OIL_CARTON = "8991000000508", "8991000000409", "8991000000614"
CONFLICT = "/problems/conflict"


def _staff(role: str, n: int):
    """A new user of the role and an API token for them."""
    from app import auth

    user = auth.create_user(f"{role}-race-{n}", f"{role} {n}", role, "password-123")
    return user, auth.issue_api_token(user, "race")


def _race(database_url: str, clients: list[tuple[str, list[str]]], body: dict | None = None) -> list[list[tuple]]:
    """Each (token, urls) POSTs its urls in turn, all clients released together; per client, the
    (status, problem type, detail) of each answer."""
    results = run_in_processes(
        http_posts, [(database_url, token, [(url, body or {}) for url in urls]) for token, urls in clients]
    )
    return [[(status, answer.get("type"), answer.get("detail")) for status, answer in posts] for posts in results]


def _location(code: str):
    from inventory.services import location_by_code

    return location_by_code(code)


def _item_id(sku: str) -> int:
    from inventory.models import Item

    return db.session.scalar(select(Item.id).where(Item.sku == sku))


def _on_hand(sku: str, location_code: str) -> Decimal:
    from inventory.models import StockBalance

    return db.session.scalar(
        select(StockBalance.quantity).where(
            StockBalance.item_id == _item_id(sku), StockBalance.location_id == _location(location_code).id
        )
    )


def _moves(reference: str) -> int:
    from inventory.models import StockMove

    return db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.reference == reference))


def _pending_adjustment() -> int:
    """A clerk writes off 50 kg of rice at GDG-A-02 (Rp620.000, over the threshold): it waits for a manager."""
    from inventory import operations

    clerk, _token = _staff("warehouse", 0)
    line = operations.AdjustmentLineInput(_item_id("BRS-MED"), Decimal(-50))
    adjustment = operations.create_adjustment(_location("GDG-A-02"), "damaged", [line], "Karung basah", clerk)
    assert adjustment.status == "pending"
    return adjustment.id


def test_two_managers_approving_one_adjustment_post_it_once(app, database_url, committed_demo):
    """Two managers approve the same pending adjustment at the same moment: one posts it, the other is told it is
    posted, and 50 kg leave the bin once. Without lock(adjustment) in operations.approve_adjustment both read
    'pending', both answer 200 and 100 kg are written off (two moves for ADJ-n)."""
    with app.app_context():
        adjustment_id = _pending_adjustment()
        tokens = [_staff("manager", n)[1] for n in (1, 2)]
        db.session.commit()
    url = f"/api/stock/adjustments/{adjustment_id}/approve"
    outcomes = sorted(posts[0] for posts in _race(database_url, [(token, [url]) for token in tokens]))
    assert outcomes == [(200, None, None), (409, CONFLICT, "Penyesuaian ini sudah berstatus dibukukan.")]
    with app.app_context():
        assert _moves(f"ADJ-{adjustment_id}") == 1
        assert _on_hand("BRS-MED", "GDG-A-02") == 450
        assert ledger.verify() == []


def test_an_adjustment_approved_and_rejected_at_once_is_decided_once(app, database_url, committed_demo):
    """One manager approves while another rejects the same adjustment: one of them decides it, the other is told
    how it was decided, and the stock moved only if it was approved. Without lock(adjustment) both answer 200:
    the 50 kg are written off and the adjustment may still end 'rejected'."""
    from inventory.models import Adjustment

    with app.app_context():
        adjustment_id = _pending_adjustment()
        tokens = [_staff("manager", n)[1] for n in (1, 2)]
        db.session.commit()
    url = f"/api/stock/adjustments/{adjustment_id}"
    [approved], [rejected] = _race(database_url, [(tokens[0], [f"{url}/approve"]), (tokens[1], [f"{url}/reject"])])
    assert sorted([approved[0], rejected[0]]) == [200, 409]
    status, term, loser = ("posted", "dibukukan", rejected) if approved[0] == 200 else ("rejected", "ditolak", approved)
    assert loser == (409, CONFLICT, f"Penyesuaian ini sudah berstatus {term}.")
    with app.app_context():
        assert db.session.get(Adjustment, adjustment_id).status == status
        assert _moves(f"ADJ-{adjustment_id}") == (1 if status == "posted" else 0)
        assert _on_hand("BRS-MED", "GDG-A-02") == (450 if status == "posted" else 500)
        assert ledger.verify() == []


def test_two_clerks_receiving_one_transfer_receive_it_once(app, database_url, committed_demo):
    """Two transfers of 10 sugar are on the way from the warehouse to the shop; two clerks receive the first at
    the same moment: one receives it, the other is told it has been received, and the second transfer's 10 stay
    in transit. Without lock(transfer) in operations.receive_transfer both read 'in_transit' and the second
    receipt takes the other transfer's sugar: 20 arrive for a transfer of 10."""
    from inventory import operations

    with app.app_context():
        clerk, _token = _staff("warehouse", 0)
        sugar = [operations.TransferLineInput(_item_id("GULA1"), Decimal(10))]
        source, target = _location("GDG-A-02"), _location("TKO-R2")
        raced, _other = (operations.create_transfer(source, target, sugar, clerk, two_step=True) for _ in range(2))
        tokens = [_staff("warehouse", n)[1] for n in (1, 2)]
        db.session.commit()
        transfer_id, reference = raced.id, raced.reference
    url = f"/api/stock/transfers/{transfer_id}/receive"
    outcomes = sorted(posts[0] for posts in _race(database_url, [(token, [url]) for token in tokens]))
    assert outcomes == [(200, None, None), (409, CONFLICT, f"Transfer {reference} sudah diterima.")]
    with app.app_context():
        assert _moves(reference) == 2  # dispatched, received
        assert (_on_hand("GULA1", "TKO-R2"), _on_hand("GULA1", "V-TRANSIT")) == (22, 10)
        assert ledger.verify() == []


def _count(bin_code: str, clerk, scans=()):
    """A count of a bin with the scans (code, packs, lot) recorded."""
    from inventory import counts

    count = counts.create_count(_location(bin_code), clerk)
    for code, packs, lot in scans:
        counts.record_scan(count, count.location, code, clerk, Decimal(packs), lot)
    return count


def test_two_managers_posting_one_count_post_it_once(app, database_url, committed_demo):
    """A count of GDG-A-02 found 59 sugar of 60 and is in review; two managers post it at the same moment: one
    posts it, the other is told it is posted, and one sugar is written off once. Without counts._lock in
    post_count both read 'review' and the variance is posted twice (58 left, two moves for CNT-n)."""
    from inventory import counts

    with app.app_context():
        clerk, _token = _staff("warehouse", 0)
        count = _count("GDG-A-02", clerk, [(SUGAR_PACK, 59, None), (OIL_CARTON, 4, "MK-2609"), (RICE_SACK, 10, None)])
        counts.close_count(count, clerk)
        assert (count.status, count.lines_to_recount) == ("review", 0)
        tokens = [_staff("manager", n)[1] for n in (1, 2)]
        db.session.commit()
        count_id, reference = count.id, count.reference
    url = f"/api/stock/counts/{count_id}/post"
    outcomes = sorted(posts[0] for posts in _race(database_url, [(token, [url]) for token in tokens]))
    assert outcomes == [(200, None, None), (409, CONFLICT, f"Tidak bisa: {reference} berstatus dibukukan.")]
    with app.app_context():
        assert _moves(reference) == 1
        assert _on_hand("GULA1", "GDG-A-02") == 59
        assert ledger.verify() == []


def test_counts_closed_while_they_are_cancelled_end_cancelled(app, database_url, committed_demo):
    """A clerk closes three counts while a manager cancels the same three, count by count, the two released
    together. Closing first is allowed (a count in review may be cancelled: both 200, closed then cancelled);
    cancelling first refuses the close. Either way the count ends cancelled and nothing is posted. Without
    counts._lock both read 'open', and a close that saves after the cancel writes 'review' over 'cancelled':
    the database's check on cancelled_at refuses it and the clerk gets the 'saved elsewhere' 409, not the
    sentence saying the count is cancelled."""
    from inventory.models import StockCount, StockMove

    with app.app_context():
        clerk, clerk_token = _staff("warehouse", 0)
        _manager, manager_token = _staff("manager", 1)
        references = {c.id: c.reference for c in (_count(code, clerk) for code in ("GDG-A-01", "GDG-A-02", "GDG-B-01"))}
        db.session.commit()
    urls = {action: [f"/api/stock/counts/{n}/{action}" for n in references] for action in ("close", "cancel")}
    closed, cancelled = _race(database_url, [(clerk_token, urls["close"]), (manager_token, urls["cancel"])])
    assert cancelled == [(200, None, None)] * 3
    with app.app_context():
        for (count_id, reference), close in zip(references.items(), closed, strict=True):
            count = db.session.get(StockCount, count_id)
            refused = (409, CONFLICT, f"Tidak bisa: {reference} berstatus dibatalkan.")
            assert (close, count.closed_at is not None) in [((200, None, None), True), (refused, False)]
            assert count.status == "cancelled"
        assert db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.reason == "count")) == 0
