"""The shop's reads for reports (no writes here): sales by day, week or month, by item, by member (members and
non-members apart: the SHU shares members' purchases), by till and by cashier. A sale counts on its own business
date and a return on the day its refund was paid (`return_date`), so a later return never changes a closed period;
it is shown in its own column and netted."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, literal, select

from app.clock import zone
from app.db import db
from app.models import User
from inventory.models import Item, StockMove
from members.models import Member
from orders.models import ReturnLine, Sale, SaleLine, SaleReturn, Till, TillSession

PERIODS = ("day", "week", "month")
DIMENSIONS = (*PERIODS, "item", "member", "till", "cashier")
MAX_PERIODS = 1000  # a chart of more bars than this is not read; the range is refused


@dataclass
class SalesRow:
    key: str  # the period's first day (ISO) or the code of the item, member, till or cashier
    label: str
    receipts: int = 0
    gross: int = 0  # rupiah sold
    to_members: int = 0  # of which to members
    returns: int = 0  # rupiah refunded in the period
    quantity: str = ""  # base units sold (by item)

    @property
    def net(self) -> int:
        return self.gross - self.returns

    @property
    def to_others(self) -> int:
        return self.gross - self.to_members


@dataclass
class SalesReport:
    by: str
    first: date
    last: date
    rows: list[SalesRow]

    @property
    def total(self) -> SalesRow:
        total = SalesRow("total", "")
        for row in self.rows:
            total.receipts += row.receipts
            total.gross += row.gross
            total.to_members += row.to_members
            total.returns += row.returns
        return total


def period_start(day: date, by: str) -> date:
    if by == "week":
        return day - timedelta(days=day.weekday())  # Monday
    if by == "month":
        return day.replace(day=1)
    return day


def periods(first: date, last: date, by: str) -> list[date]:
    found, day = [], period_start(first, by)
    while day <= last:
        found.append(day)
        if by == "month":
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            day += timedelta(days=7 if by == "week" else 1)
    return found


def sales_report(by: str, first: date, last: date) -> SalesReport:
    if by in PERIODS:
        return SalesReport(by, first, last, _by_period(by, first, last))
    return SalesReport(by, first, last, _by_dimension(by, first, last))


_TO_MEMBERS = func.sum(case((Sale.member_id.is_not(None), Sale.total), else_=0))


def _by_period(by: str, first: date, last: date) -> list[SalesRow]:
    rows = {start: SalesRow(start.isoformat(), start.isoformat()) for start in periods(first, last, by)}
    sold = db.session.execute(
        select(Sale.sale_date, func.count(Sale.id), func.sum(Sale.total), _TO_MEMBERS)
        .where(Sale.sale_date.between(first, last))
        .group_by(Sale.sale_date)
    )
    for day, receipts, gross, to_members in sold:
        row = rows[period_start(day, by)]
        row.receipts += receipts
        row.gross += int(gross or 0)
        row.to_members += int(to_members or 0)
    refunded = db.session.execute(
        select(SaleReturn.return_date, func.sum(SaleReturn.amount))
        .where(SaleReturn.status == "approved", SaleReturn.return_date.between(first, last))
        .group_by(SaleReturn.return_date)
    )
    for day, amount in refunded:
        rows[period_start(day, by)].returns += int(amount or 0)
    return list(rows.values())


def _by_dimension(by: str, first: date, last: date) -> list[SalesRow]:
    in_period = Sale.sale_date.between(first, last)
    returned = (SaleReturn.status == "approved") & SaleReturn.return_date.between(first, last)
    if by == "item":
        key, label = Item.sku, Item.name_id
        sold = (
            select(
                key,
                label,
                func.count(func.distinct(Sale.id)),
                func.sum(SaleLine.amount),
                func.sum(case((Sale.member_id.is_not(None), SaleLine.amount), else_=0)),
                func.sum(SaleLine.base_quantity),
            )  # fmt: skip
            .join(SaleLine, SaleLine.sale_id == Sale.id)
            .join(Item, Item.id == SaleLine.item_id)
        )
        refunds = (
            select(key, func.sum(ReturnLine.amount))
            .join(SaleLine, SaleLine.id == ReturnLine.sale_line_id)
            .join(Item, Item.id == SaleLine.item_id)
            .join(SaleReturn, SaleReturn.id == ReturnLine.return_id)
        )
    else:
        key, label, sold_join, refund_join = _dimension(by)
        sold = sold_join(select(key, label, func.count(Sale.id), func.sum(Sale.total), _TO_MEMBERS, literal(None)))
        refunds = refund_join(select(key, func.sum(SaleReturn.amount)).select_from(SaleReturn))
    rows: dict[str, SalesRow] = {}
    for code, name, receipts, gross, to_members, quantity in db.session.execute(
        sold.where(in_period).group_by(key, label)
    ):
        code = code or ""
        quantity = "" if quantity is None else str(quantity)
        rows[code] = SalesRow(code, name or "", receipts, int(gross or 0), int(to_members or 0), quantity=quantity)
    for code, amount in db.session.execute(refunds.where(returned).group_by(key)):
        code = code or ""
        rows.setdefault(code, SalesRow(code, code)).returns += int(amount or 0)
    return sorted(rows.values(), key=lambda row: (-row.net, row.key))


def _dimension(by: str):
    """The key and label of a dimension, and how sales and refunds reach it. A refund counts for the till and
    cashier of the session that paid it, and for the member of the sale it returns."""
    if by == "member":
        return (
            Member.member_number,
            Member.full_name,
            lambda s: s.select_from(Sale).outerjoin(Member, Member.id == Sale.member_id),
            lambda s: s.join(Sale, Sale.id == SaleReturn.sale_id).outerjoin(Member, Member.id == Sale.member_id),
        )
    if by == "till":
        return (
            Till.code,
            Till.name,
            lambda s: s.select_from(Sale).join(Till, Till.id == Sale.till_id),
            lambda s: s.join(TillSession, TillSession.id == SaleReturn.session_id).join(
                Till, Till.id == TillSession.till_id
            ),
        )
    if by == "cashier":
        return (
            User.username,
            User.full_name,
            lambda s: s.select_from(Sale).join(User, User.id == Sale.cashier_id),
            lambda s: s.join(TillSession, TillSession.id == SaleReturn.session_id).join(
                User, User.id == TillSession.cashier_id
            ),
        )
    raise ValueError(by)


def sales_list(
    day: date | None, till_code: str | None = None, session_id: int | None = None, member_number: str | None = None
) -> list[Sale]:
    """A day's sales (or every day's of a session), newest first (at most 500), narrowed to a till, a till session
    or a member."""
    stmt = select(Sale).order_by(Sale.id.desc()).limit(500)
    if day is not None:
        stmt = stmt.where(Sale.sale_date == day)
    if till_code:
        stmt = stmt.join(Till, Till.id == Sale.till_id).where(Till.code == till_code)
    if session_id:
        stmt = stmt.where(Sale.session_id == session_id)
    if member_number:
        stmt = stmt.join(Member, Member.id == Sale.member_id).where(Member.member_number == member_number)
    return list(db.session.scalars(stmt))


# --- margins ---------------------------------------------------------------------------------------------------


@dataclass
class MarginRow:
    month: date
    item: Item
    revenue: int = 0  # sold less refunded, rupiah
    cost: Decimal = Decimal(0)  # the goods' cost as they moved: sold out less taken back (an empty taken in too)

    @property
    def margin(self) -> Decimal:
        return Decimal(self.revenue) - self.cost

    @property
    def percent(self) -> Decimal | None:
        return (self.margin * 100 / self.revenue).quantize(Decimal("0.1")) if self.revenue else None


def _local_day(moment: datetime) -> date:
    return moment.astimezone(zone()).date()


def margins(first: date, last: date) -> list[MarginRow]:
    """Per month and item: revenue (sales on their dates less refunds on theirs) less the cost of goods sold (the
    moves' cost when they left: a sale's goods out, a return's back in, an empty cylinder taken in exchange)."""
    rows: dict[tuple[date, int], MarginRow] = {}
    items = {item.id: item for item in db.session.scalars(select(Item))}

    def row(month: date, item_id: int) -> MarginRow:
        return rows.setdefault((month, item_id), MarginRow(month, items[item_id]))

    sold = (
        select(Sale.sale_date, SaleLine.item_id, func.sum(SaleLine.amount))
        .join(SaleLine, SaleLine.sale_id == Sale.id)
        .where(Sale.sale_date.between(first, last))
        .group_by(Sale.sale_date, SaleLine.item_id)
    )
    for day, item_id, amount in db.session.execute(sold):
        row(period_start(day, "month"), item_id).revenue += int(amount or 0)
    refunded = (
        select(SaleReturn.return_date, SaleLine.item_id, func.sum(ReturnLine.amount))
        .join(ReturnLine, ReturnLine.return_id == SaleReturn.id)
        .join(SaleLine, SaleLine.id == ReturnLine.sale_line_id)
        .where(SaleReturn.status == "approved", SaleReturn.return_date.between(first, last))
        .group_by(SaleReturn.return_date, SaleLine.item_id)
    )
    for day, item_id, amount in db.session.execute(refunded):
        row(period_start(day, "month"), item_id).revenue -= int(amount or 0)
    signs = {"sale": 1, "return": -1, "exchange": -1}
    # The months between the range's first and last move, not the range asked: "from 0001 to 9999" is a few
    # statements, not one per month of eight millennia.
    span_start = datetime.combine(first, time(), zone())
    span_end = datetime.combine(last + timedelta(days=1), time(), zone())
    earliest, latest = db.session.execute(
        select(func.min(StockMove.posted_at), func.max(StockMove.posted_at)).where(
            StockMove.reason.in_(signs), StockMove.posted_at >= span_start, StockMove.posted_at < span_end
        )
    ).one()
    months = [] if earliest is None else periods(_local_day(earliest), _local_day(latest), "month")
    for month in months:
        start = datetime.combine(max(month, first), time(), zone())
        end_day = min((month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1), last)
        end = datetime.combine(end_day + timedelta(days=1), time(), zone())
        moved = (
            select(StockMove.item_id, StockMove.reason, func.sum(StockMove.quantity * StockMove.unit_cost))
            .where(StockMove.reason.in_(signs), StockMove.posted_at >= start, StockMove.posted_at < end)
            .group_by(StockMove.item_id, StockMove.reason)
        )
        for item_id, reason, value in db.session.execute(moved):
            row(month, item_id).cost += signs[reason] * Decimal(value or 0)
    return sorted(rows.values(), key=lambda r: (r.month, r.item.sku))
