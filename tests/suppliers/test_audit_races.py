"""Purchasing's state changes raced by several people at the same moment, in processes released together on a
barrier, through the real app where an API exists: an order approved twice, cancelled while its goods are being
posted, its receipt opened from two devices; goods sent back to the supplier from one receipt twice; one reorder
rule set by two managers. Each test says what it catches without its lock."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import db
from inventory import ledger
from inventory.models import StockMove
from tests.conftest import truncate_all
from tests.parallel import http_posts, run_in_processes

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]

LPG3 = "8991000000119"


@pytest.fixture
def shop(app):
    """The demo cooperative committed for real, with a clerk and two managers; emptied afterwards."""
    from types import SimpleNamespace

    from app import auth
    from demo import load_demo
    from inventory.models import Item, Location
    from suppliers.models import Supplier

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        clerk = auth.create_user("gudang-audit", "Gudang", "warehouse", "password-123")
        managers = [auth.create_user(f"manajer-audit-{n}", f"Manajer {n}", "manager", "password-123") for n in (1, 2)]
        world = SimpleNamespace(
            clerk_id=clerk.id,
            manager_ids=[m.id for m in managers],
            clerk_token=auth.issue_api_token(clerk, "race"),
            manager_tokens=[auth.issue_api_token(m, "race") for m in managers],
            agent_id=db.session.scalar(select(Supplier.id).where(Supplier.code == "AGEN-LPG")),
            warehouse_id=db.session.scalar(select(Location.id).where(Location.code == "GDG")),
            lpg_id=db.session.scalar(select(Item.id).where(Item.sku == "LPG3")),
        )
        db.session.commit()
    yield world
    with app.app_context():
        db.session.rollback()
        truncate_all(db.engine)


def _order(world, cylinders: int, until: str):
    """An order of LPG from the agent taken as far as `until` (draft, submitted, approved, scanned, posted)."""
    from app.models import User
    from inventory.models import Location
    from suppliers import receiving, services
    from suppliers.models import Supplier

    clerk, manager = db.session.get(User, world.clerk_id), db.session.get(User, world.manager_ids[0])
    order = services.create_order(
        db.session.get(Supplier, world.agent_id), db.session.get(Location, world.warehouse_id), clerk
    )
    services.set_line(order, world.lpg_id, Decimal(cylinders), clerk)
    steps = ["submitted", "approved", "scanned", "posted"]
    reached = steps[: steps.index(until) + 1] if until in steps else []
    if "submitted" in reached:
        services.transition(order, "submit", clerk)
    if "approved" in reached:
        services.transition(order, "approve", manager)
    receipt = None
    if "scanned" in reached:
        receipt = receiving.open_receipt(order, clerk)
        receiving.scan_into(receipt, LPG3, clerk, times=Decimal(cylinders))
    if "posted" in reached:
        receipt = receiving.post(receipt.id, clerk)
    db.session.commit()
    return order, receipt


def _received(receipt_id: int) -> Decimal:
    return db.session.scalar(
        select(func.coalesce(func.sum(StockMove.quantity), 0)).where(StockMove.reference == f"GR-{receipt_id}")
    )


def test_two_managers_approving_one_order_at_once_approve_it_once(app, database_url, shop):
    """Without `lock(order)` in `services.transition` both requests read 'submitted' (the order was loaded before
    the supplier's lock was taken) and both answer 200: two approvals audited, the second overwriting the first."""
    from app.models import AuditEntry

    with app.app_context():
        order, _ = _order(shop, 40, "submitted")
        order_id = order.id
    url = f"/api/purchase-orders/{order_id}/approve"
    outcomes = run_in_processes(http_posts, [(database_url, token, [(url, {})]) for token in shop.manager_tokens])
    (first,), (second,) = outcomes
    assert sorted([first[0], second[0]]) == [200, 409]
    loser = first if first[0] == 409 else second
    assert loser[1]["type"] == "/problems/illegal_transition", loser
    with app.app_context():
        approvals = db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.entity == "purchase_order",
                AuditEntry.entity_id == str(order_id),
                AuditEntry.action == "approve",
            )
        )
        assert approvals == 1


def test_an_order_cancelled_while_its_receipt_posts_is_either_cancelled_with_nothing_received_or_received(
    app, database_url, shop
):
    """A manager cancels an approved order at the moment the clerk posts its receipt. Without `lock(order)` in
    `receiving.post` (and in `transition`) both succeed: the order ends 'cancelled' with 40 cylinders received
    against it, or 'received' with its cancellation audited, depending on who commits last."""
    from suppliers.models import PurchaseOrder

    with app.app_context():
        order, receipt = _order(shop, 40, "scanned")
        order_id, receipt_id = order.id, receipt.id
    outcomes = run_in_processes(
        http_posts,
        [
            (database_url, shop.manager_tokens[0], [(f"/api/purchase-orders/{order_id}/cancel", {})]),
            (database_url, shop.clerk_token, [(f"/api/receipts/{receipt_id}/post", {})]),
        ],
    )
    (cancel,), (post,) = outcomes
    assert sorted([cancel[0], post[0]]) == [200, 409], outcomes
    with app.app_context():
        status = db.session.get(PurchaseOrder, order_id).status
        received = _received(receipt_id)
        if cancel[0] == 200:
            assert (status, received, post[1]["type"]) == ("cancelled", 0, "/problems/not_receivable")
        else:
            assert (status, received) == ("received", Decimal(40))
        assert ledger.verify() == []


def test_two_devices_opening_the_receipt_of_one_order_get_the_same_receipt(app, database_url, shop):
    """Without `lock(order)` in `receiving.open_receipt` both devices find no open receipt and each makes one:
    two open receipts for one delivery, which the clerks then count twice."""
    from suppliers.models import Receipt

    with app.app_context():
        order, _ = _order(shop, 40, "approved")
        order_id, number = order.id, order.number
    body = [("/api/receipts", {"order_number": number})]
    outcomes = run_in_processes(http_posts, [(database_url, shop.clerk_token, body)] * 2)
    (first,), (second,) = outcomes
    assert [first[0], second[0]] == [201, 201], outcomes
    assert first[1]["id"] == second[1]["id"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Receipt).where(Receipt.order_id == order_id)) == 1


def return_goods(gate, database_url: str, receipt_id: int, item_id: int, location_id: int, user_id: int, qty: int):
    """As one clerk: send `qty` of the item back to the supplier from this receipt; report 'ok' or the refusal."""
    from app.errors import DomainError
    from app.factory import create_app
    from app.models import User
    from inventory.models import Location
    from suppliers import receiving

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        user, location = db.session.get(User, user_id), db.session.get(Location, location_id)
        receipt = receiving.get_receipt(receipt_id)
        db.session.rollback()
        gate.wait()
        try:
            receiving.return_to_supplier(receipt, item_id, Decimal(qty), "Bocor", location, user)
            db.session.commit()
            outcome = "ok"
        except DomainError as refused:
            db.session.rollback()
            outcome = "refused: " + ",".join(refused.fields)
        db.engine.dispose()
    return outcome


def test_two_returns_from_one_receipt_at_once_never_send_back_more_than_it_brought(app, database_url, shop):
    """40 cylinders came in on the receipt (and 40 more from elsewhere lie beside them, so the ledger alone would
    let both go). Two clerks send 25 back each at the same moment: one goes, the other is told at most 15 can.
    Without `lock(receipt)` in `receiving.return_to_supplier` both read 'nothing returned yet' and 50 go back."""
    from inventory.models import Location
    from suppliers.models import SupplierReturn

    with app.app_context():
        _, receipt = _order(shop, 40, "posted")
        receipt_id = receipt.id
        landed = db.session.scalar(select(StockMove.to_location_id).where(StockMove.reference == f"GR-{receipt_id}"))
        supplier = db.session.scalar(select(Location.id).where(Location.kind == "supplier"))
        ledger.post_moves([ledger.Move(shop.lpg_id, supplier, landed, Decimal(40), "receipt", "EXTRA", unit_cost=1)])
        db.session.commit()
    args = (database_url, receipt_id, shop.lpg_id, landed, shop.clerk_id, 25)
    outcomes = run_in_processes(return_goods, [args, args])
    assert sorted(outcomes) == ["ok", "refused: quantity"], outcomes
    with app.app_context():
        returned = db.session.scalar(
            select(func.sum(SupplierReturn.quantity)).where(SupplierReturn.receipt_id == receipt_id)
        )
        assert returned == Decimal(25)
        assert ledger.verify() == []


def test_two_managers_setting_one_reorder_rule_at_once_leave_one_rule(app, database_url, shop):
    """Both managers set the rule for LPG at the warehouse (one pair, one rule) at the same moment: both are
    saved, one after the other, and one rule remains with one of their figures. Without `lock(item)` in
    `reorder.set_rule` both find no rule and both insert; the unique constraint refuses the second at commit."""
    from suppliers.models import ReorderRule

    def rule(point: int) -> tuple[str, dict]:
        return (
            "/api/reorder/rules",
            {
                "item_id": shop.lpg_id,
                "location_id": shop.warehouse_id,
                "supplier_id": shop.agent_id,
                "reorder_point": str(point),
                "order_up_to": str(point * 4),
            },
        )

    outcomes = run_in_processes(
        http_posts, [(database_url, token, [rule(n)]) for token, n in zip(shop.manager_tokens, (20, 30), strict=True)]
    )
    assert [o[0][0] for o in outcomes] == [200, 200], outcomes
    with app.app_context():
        rules = db.session.scalars(
            select(ReorderRule).where(ReorderRule.item_id == shop.lpg_id, ReorderRule.location_id == shop.warehouse_id)
        ).all()
        assert len(rules) == 1
        assert rules[0].reorder_point in (Decimal(20), Decimal(30))
