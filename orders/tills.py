"""Tills and their sessions: a cashier opens a till with a cash float and closes it with the counted money; the
difference per payment method is recorded. A till cannot close while sales or returns on it are not posted."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app import audit, clock
from app.db import db, utcnow
from app.errors import DomainError, NotFound, ValidationFailed
from app.formatting import format_rupiah
from app.models import User
from inventory.models import Location
from orders.models import PAYMENT_METHODS, Payment, Sale, SaleReturn, Till, TillCount, TillSession

SELLING_KINDS = ("shop", "shelf")


class TillRefused(DomainError):
    status = 409
    code = "till_refused"


def create_till(code: str, name: str, location: Location) -> Till:
    code = (code or "").strip().upper()
    if not code or len(code) > 10 or not code.replace("-", "").isalnum():
        raise ValidationFailed(
            _("A till code is 1 to 10 letters or digits, like K1."), fields={"code": [_("Letters or digits.")]}
        )
    if location.kind not in SELLING_KINDS:
        raise ValidationFailed(
            _("A till sells from the shop: choose a shop location."), fields={"location_id": [_("Not a shop.")]}
        )
    if db.session.scalar(select(Till.id).where(Till.code == code)):
        raise ValidationFailed(_("Till %(code)s already exists.", code=code), fields={"code": [_("Taken.")]})
    till = Till(code=code, name=(name or code).strip(), location=location)
    db.session.add(till)
    db.session.flush()
    audit.record("create", "till", till.id, {"code": code, "location_id": location.id})
    return till


def get_till(code: str) -> Till:
    till = db.session.scalar(select(Till).where(Till.code == (code or "").strip().upper()))
    if till is None:
        raise NotFound(_("No till has the code %(code)s.", code=code or "-"))
    return till


def get_session(session_id: int) -> TillSession:
    till_session = db.session.get(TillSession, session_id)
    if till_session is None:
        raise NotFound(_("Till session not found."))
    return till_session


def open_session_of(till: Till) -> TillSession | None:
    return db.session.scalar(select(TillSession).where(TillSession.till_id == till.id, TillSession.closed_at.is_(None)))


def sessions_of(user: User) -> list[TillSession]:
    """The tills this person has open now."""
    return db.session.scalars(
        select(TillSession)
        .where(TillSession.cashier_id == user.id, TillSession.closed_at.is_(None))
        .order_by(TillSession.opened_at)
    ).all()


def open_session(till: Till, cashier: User, opening_float: int) -> TillSession:
    """Open a till for a cashier with a cash float: one open session per till, one open till per cashier (both
    kept by unique indexes, so two devices opening at once get one session)."""
    if not till.is_active:
        raise TillRefused(_("Till %(code)s is not in use.", code=till.code))
    if opening_float < 0:
        raise ValidationFailed(_("The float cannot be negative."), fields={"opening_float": [_("0 or more.")]})
    _refuse_if_taken(till, cashier)
    till_session = TillSession(till=till, cashier_id=cashier.id, opening_float=opening_float, opened_at=utcnow())
    try:
        with db.session.begin_nested():  # added inside the savepoint, so a refusal leaves the transaction usable
            db.session.add(till_session)
            db.session.flush()
    except IntegrityError as exc:  # another device opened it (or this cashier another till) a moment ago
        _refuse_if_taken(till, cashier)
        raise TillRefused(_("Till %(code)s is already open; close it first.", code=till.code)) from exc
    db.session.execute(update(Till).where(Till.id == till.id).values(open_session_id=till_session.id))
    till.open_session_id = till_session.id
    audit.record("open", "till_session", till_session.id, {"till": till.code, "opening_float": opening_float})
    return till_session


def _refuse_if_taken(till: Till, cashier: User) -> None:
    current = open_session_of(till)
    if current is not None:
        raise TillRefused(
            _(
                "Till %(code)s is already open (%(cashier)s, since %(time)s); close it first.",
                code=till.code,
                cashier=current.cashier.full_name,
                time=clock.local(current.opened_at).strftime("%H:%M"),  # the shop's clock, not UTC
            )
        )
    mine = sessions_of(cashier)
    if mine:
        raise TillRefused(
            _("You already have till %(code)s open; close it before opening another.", code=mine[0].till.code),
            code="cashier_has_a_till",
        )


@dataclass
class SessionTotals:
    """What a till session took in, per method, and what it should hold at closing."""

    sales: int  # number of sales
    sales_total: int
    refunds_total: int  # approved returns paid out (positive)
    by_method: dict[str, int]  # net money in per method (refunds subtracted)
    opening_float: int
    pending_returns: int

    def expected(self, method: str) -> int:
        return self.by_method.get(method, 0) + (self.opening_float if method == "cash" else 0)


def totals(till_session: TillSession) -> SessionTotals:
    by_method = dict.fromkeys(PAYMENT_METHODS, 0)
    refunds = 0
    for method, is_refund, amount in db.session.execute(
        select(Payment.method, Payment.return_id.is_not(None), func.sum(Payment.amount))
        .where(Payment.session_id == till_session.id)
        .group_by(Payment.method, Payment.return_id.is_not(None))
    ):
        by_method[method] += int(amount)
        if is_refund:
            refunds -= int(amount)
    count, total = db.session.execute(
        select(func.count(Sale.id), func.coalesce(func.sum(Sale.total), 0)).where(Sale.session_id == till_session.id)
    ).one()
    pending = db.session.scalar(
        select(func.count(SaleReturn.id)).where(
            SaleReturn.session_id == till_session.id, SaleReturn.status == "requested"
        )
    )
    return SessionTotals(count, int(total), refunds, by_method, till_session.opening_float, pending or 0)


def close_session(
    till_session: TillSession, user: User, counted: dict[str, int], unsent_sales: int = 0, note: str = ""
) -> TillSession:
    """Close a till with the money counted per method; refused while the till's screen still holds sales it has
    not sent (its outbox) or a return on this till waits for a manager.

    The session row is locked first (a second closing waits, then finds it closed; a return's approval, which
    pays from this till, finishes first), then the till's row, where every sale takes its receipt number: a sale
    that got there first is in the report, one that comes after finds the till closed. The totals are read only
    then, so the report is exactly the sum of the session's own sales."""
    till_session = db.session.execute(
        select(TillSession)
        .where(TillSession.id == till_session.id)
        .with_for_update(key_share=True)  # NO KEY UPDATE: sales may still reference the row (their foreign key)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if till_session.closed_at is not None:
        raise TillRefused(_("This till session is already closed."))
    if user.id != till_session.cashier_id and user.role not in ("manager", "admin"):
        raise TillRefused(_("Only the cashier who opened the till, or a manager, can close it."))
    if unsent_sales > 0:
        raise TillRefused(
            _(
                "This till still has %(n)d sale(s) not sent to the server; wait until they are sent, then close.",
                n=unsent_sales,
            ),
            code="unsent_sales",
        )
    db.session.execute(
        update(Till).where(Till.id == till_session.till_id).values(open_session_id=None)
    )  # waits for the sales in flight on this till; later ones are refused
    summary = totals(till_session)
    if summary.pending_returns:
        raise TillRefused(
            _("A return on this till waits for a manager's decision; settle it before closing."),
            code="pending_returns",
        )
    errors = {}
    for method in PAYMENT_METHODS:
        value = counted.get(method)
        if value is None or value < 0:
            errors[method] = [_("Count it: 0 or more.")]
    if errors:
        raise ValidationFailed(_("Enter the money counted for every payment method."), fields=errors)
    for method in PAYMENT_METHODS:
        expected = summary.expected(method)
        db.session.add(
            TillCount(
                session_id=till_session.id,
                method=method,
                expected=expected,
                counted=counted[method],
                difference=counted[method] - expected,
            )
        )
    till_session.closed_at = utcnow()
    till_session.closed_by_id = user.id
    till_session.note = (note or "").strip()[:500]
    db.session.flush()
    db.session.refresh(till_session, ["counts"])
    audit.record(
        "close",
        "till_session",
        till_session.id,
        {m: {"counted": counted[m], "expected": summary.expected(m)} for m in PAYMENT_METHODS},
    )
    return till_session


def difference_sentence(count: TillCount) -> str:
    if count.difference == 0:
        return _("matches")
    if count.difference < 0:
        return _("%(amount)s short", amount=format_rupiah(-count.difference))
    return _("%(amount)s over", amount=format_rupiah(count.difference))
