"""Reorder checks at the same instant on PostgreSQL: one draft per supplier, one line per item, the right
quantity, however many checks run."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db import db
from suppliers.models import PurchaseOrder
from tests.conftest import truncate_all
from tests.parallel import run_in_processes

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]


def run_check(gate, database_url: str, rule_id: int) -> str:
    from app.factory import create_app
    from suppliers import reorder

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.session.connection()  # connected before the start
        gate.wait()
        line = reorder.check(rule_id)
        db.session.commit()
        outcome = "none" if line is None else format(line.packs.normalize(), "f")
        db.engine.dispose()
    return outcome


def two_bulog_rules(app) -> tuple[int, int]:
    """The demo committed afresh, with SPHP and sugar rules at the warehouse from Bulog; their ids."""
    from demo import load_demo
    from inventory.models import Item, Location
    from suppliers import reorder
    from suppliers.models import Supplier

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        bulog = db.session.scalar(select(Supplier).where(Supplier.code == "BULOG-BPN"))
        warehouse = db.session.scalar(select(Location).where(Location.code == "GDG"))
        items = {i.sku: i for i in db.session.scalars(select(Item))}
        sphp = reorder.set_rule(items["SPHP5"], warehouse, bulog, Decimal(100), Decimal(300)).id
        sugar = reorder.set_rule(items["GULA1"], warehouse, bulog, Decimal(100), Decimal(300)).id
        db.session.commit()
    return sphp, sugar


def test_six_checks_of_two_rules_at_once_make_one_draft_with_two_lines(app, database_url):
    sphp, sugar = two_bulog_rules(app)
    try:
        outcomes = run_in_processes(run_check, [(database_url, rule) for rule in [sphp, sugar] * 3])
        assert sorted(outcomes) == ["12"] * 3 + ["24"] * 3  # 240 pieces of sugar in cartons of 20; 240 packs
        with app.app_context():
            drafts = db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.origin == "reorder")).all()
            assert len(drafts) == 1
            assert sorted((ln.item.sku, ln.packs) for ln in drafts[0].lines) == [
                ("GULA1", Decimal(12)),
                ("SPHP5", Decimal(24)),
            ]
    finally:
        with app.app_context():
            truncate_all(db.engine)


def run_approve(gate, database_url: str, order_id: int, packs: dict, user_id: int) -> str:
    from app.errors import DomainError
    from app.factory import create_app
    from app.models import User
    from suppliers import reorder

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        user, order = db.session.get(User, user_id), db.session.get(PurchaseOrder, order_id)
        gate.wait()
        try:
            reorder.approve(order, {int(k): Decimal(v) for k, v in packs.items()}, user)
            db.session.commit()
            outcome = "approved"
        except DomainError as error:
            db.session.rollback()
            outcome = error.code
        db.engine.dispose()
    return outcome


def test_two_managers_approving_while_checks_run_send_one_order_and_leave_no_second_draft(app, database_url):
    from app import auth
    from suppliers import reorder

    sphp, _sugar = two_bulog_rules(app)
    with app.app_context():
        draft = reorder.check(sphp).order
        seen = {str(ln.item_id): format(ln.packs, "f") for ln in draft.lines}
        managers = [auth.create_user(f"manajer-{n}", "Manajer", "manager", "password-123").id for n in (1, 2)]
        db.session.commit()
        draft_id = draft.id
    try:
        jobs = [("approve", database_url, draft_id, seen, manager) for manager in managers]
        jobs += [("check", database_url, sphp)] * 2
        outcomes = run_in_processes(run_either, jobs, database_url)
        assert sorted(outcomes[:2]) == ["approved", "not_a_suggestion"]  # one manager's word counts
        assert set(outcomes[2:]) <= {"24", "none"}  # a check before the approval sees the draft, after it: on order
        with app.app_context():
            orders = db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.origin == "reorder")).all()
            assert [(o.id, o.status) for o in orders] == [(draft_id, "submitted")]  # no second draft
            assert sorted((ln.item.sku, ln.packs) for ln in orders[0].lines) == [
                ("GULA1", Decimal(12)),
                ("SPHP5", Decimal(24)),
            ]
    finally:
        with app.app_context():
            truncate_all(db.engine)


def run_either(gate, kind: str, database_url: str, *args) -> str:
    runner = run_approve if kind == "approve" else run_check
    return runner(gate, database_url, *args)
