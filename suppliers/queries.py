"""Purchasing's look-ups and lists for the screens and the API: reads only, nothing here writes or flushes (the
rules are in services.py, receiving.py, reorder.py; the purchasing report in reports.py)."""

from sqlalchemy import Select, select

from app.db import db
from suppliers import receiving, reorder, services
from suppliers.models import PurchaseOrder, Receipt, ReorderRule, Supplier


def supplier(supplier_id: int | None) -> Supplier | None:
    """A supplier by its id; None for no id (a form left empty) or an unknown one."""
    return db.session.get(Supplier, supplier_id) if supplier_id else None


def suppliers_statement(active_only: bool = False) -> Select:
    """The suppliers by code (the active ones only if asked), as a statement for a page of it."""
    stmt = select(Supplier).order_by(Supplier.code)
    return stmt.where(Supplier.is_active) if active_only else stmt


def suppliers() -> list[Supplier]:
    """Every supplier, active or not, by code."""
    return list(db.session.scalars(suppliers_statement()))


def active_suppliers() -> list[Supplier]:
    """The suppliers one may order from, by code."""
    return list(db.session.scalars(suppliers_statement(active_only=True)))


def purchase_order(order_id: int | None) -> PurchaseOrder | None:
    """A purchase order by its id; None for no id or one that is not there (any more)."""
    return db.session.get(PurchaseOrder, order_id) if order_id else None


def latest_orders(status: str | None = None, limit: int = 200) -> list[PurchaseOrder]:
    """The latest purchase orders, newest first, of one status if given (`services.orders`)."""
    return list(db.session.scalars(services.orders(status).limit(limit)))


def orders_to_approve() -> int:
    """How many purchase orders wait for a manager's approval."""
    return db.session.scalar(select(db.func.count()).where(PurchaseOrder.status == "submitted")) or 0


def receivable_orders() -> list[PurchaseOrder]:
    """The orders goods may be received against, the first expected first."""
    stmt = (
        select(PurchaseOrder)
        .where(PurchaseOrder.status.in_(receiving.RECEIVABLE))
        .order_by(PurchaseOrder.expected_date, PurchaseOrder.id)
    )
    return list(db.session.scalars(stmt))


def receipts_of(order: PurchaseOrder) -> list[Receipt]:
    """The receipts against an order, in the order they were opened."""
    return list(db.session.scalars(select(Receipt).where(Receipt.order_id == order.id).order_by(Receipt.id)))


def reorder_rule(rule_id: int | None) -> ReorderRule | None:
    """A reorder rule by its id; None for no id or an unknown one."""
    return db.session.get(ReorderRule, rule_id) if rule_id else None


def reorder_rules() -> list[ReorderRule]:
    """Every reorder rule, as `reorder.rules_query` orders them (the staples first)."""
    return list(db.session.scalars(reorder.rules_query()))
