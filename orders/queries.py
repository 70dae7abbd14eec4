"""The shop's look-ups and lists for the screens and the API: reads only, nothing here writes or flushes (the rules
are in pricing.py, caps.py, tills.py, checkout.py, returns.py; the reports in reports.py, shu.py, programme.py)."""

from datetime import date

from sqlalchemy import Select, select

from app.db import db
from orders.models import CapRule, Sale, SaleReturn, Till, TillSession


def cap_rule(rule_id: int | None) -> CapRule | None:
    """A purchase cap by its id; None for no id or an unknown one."""
    return db.session.get(CapRule, rule_id) if rule_id else None


def cap_rules() -> list[CapRule]:
    """Every purchase cap, active or not, in the order they were added."""
    return list(db.session.scalars(select(CapRule).order_by(CapRule.id)))


def tills() -> list[Till]:
    """Every till, active or not, by code."""
    return list(db.session.scalars(select(Till).order_by(Till.code)))


def free_tills() -> list[Till]:
    """The active tills nobody has open, by code."""
    open_ids = set(db.session.scalars(select(TillSession.till_id).where(TillSession.closed_at.is_(None))))
    return [
        t for t in db.session.scalars(select(Till).where(Till.is_active).order_by(Till.code)) if t.id not in open_ids
    ]


def recent_sessions(limit: int = 50) -> list[TillSession]:
    """The till sessions opened last, newest first."""
    return list(db.session.scalars(select(TillSession).order_by(TillSession.opened_at.desc()).limit(limit)))


def sale_by_receipt(number: str) -> Sale | None:
    """The sale with this receipt number (spaces around it and the case do not matter)."""
    return db.session.scalar(select(Sale).where(Sale.receipt_number == (number or "").strip().upper()))


def sales_statement(receipt: str | None = None, day: date | None = None) -> Select:
    """Sales, newest first, narrowed to a receipt number or a day if given; as a statement for a page of it."""
    stmt = select(Sale).order_by(Sale.id.desc())
    if receipt:
        stmt = stmt.where(Sale.receipt_number == receipt.strip().upper())
    if day:
        stmt = stmt.where(Sale.sale_date == day)
    return stmt


def decided_returns(limit: int = 20) -> list[SaleReturn]:
    """The returns a manager approved or rejected, the latest first."""
    stmt = select(SaleReturn).where(SaleReturn.status != "requested").order_by(SaleReturn.id.desc()).limit(limit)
    return list(db.session.scalars(stmt))
