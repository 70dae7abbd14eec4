"""SHU (sisa hasil usaha) by patronage: the part of the year's surplus the members' meeting (RAT) sets aside for
members' purchases (jasa anggota) is shared in proportion to each member's net purchases in the book year
(sales to them on their dates, less refunds paid that year), in whole rupiah that add up exactly to the amount
(largest remainder: each gets the whole rupiah of their exact share, and the rupiah left over go one each to the
largest fractions). A closed year is frozen: a later return does not change it; it shows as an adjustment."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.db import db, utcnow
from app.errors import DomainError, ValidationFailed
from members.models import Member
from orders.models import Sale, SaleReturn, ShuShare, ShuYear


@dataclass
class Share:
    member: Member
    purchases: int  # net, rupiah
    share: int  # rupiah
    now: int | None = None  # a closed year: the member's net purchases as the books say today

    @property
    def adjustment(self) -> int:
        """A closed year: purchases changed since (a later return), not in the share."""
        return 0 if self.now is None else self.now - self.purchases


@dataclass
class ShuResult:
    year: int
    surplus: int
    member_percent: Decimal
    amount: int
    shares: list[Share]  # every member, zero purchases included, largest share first
    closed: ShuYear | None = None

    @property
    def purchases(self) -> int:
        return sum(s.purchases for s in self.shares if s.purchases > 0)


def member_purchases(year: int) -> dict[int, int]:
    """Each member's net purchases in the book year: sales on their dates, less refunds paid in the year."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    net: dict[int, int] = {}
    sold = select(Sale.member_id, func.sum(Sale.total)).where(
        Sale.member_id.is_not(None), Sale.sale_date.between(first, last)
    )
    for member_id, total in db.session.execute(sold.group_by(Sale.member_id)):
        net[member_id] = int(total or 0)
    refunded = (
        select(Sale.member_id, func.sum(SaleReturn.amount))
        .join(Sale, Sale.id == SaleReturn.sale_id)
        .where(
            Sale.member_id.is_not(None), SaleReturn.status == "approved", SaleReturn.return_date.between(first, last)
        )
        .group_by(Sale.member_id)
    )
    for member_id, amount in db.session.execute(refunded):
        net[member_id] = net.get(member_id, 0) - int(amount or 0)
    return net


def split(amount: int, weights: dict[int, int]) -> dict[int, int]:
    """Whole rupiah proportional to the weights (only positive ones share), adding up exactly to the amount: the
    floor of each exact share, then one rupiah more each to the largest remainders (ties: the larger weight, then
    the lower key)."""
    positive = {k: w for k, w in weights.items() if w > 0}
    total = sum(positive.values())
    shares = dict.fromkeys(weights, 0)
    if amount <= 0 or total == 0:
        return shares
    remainders = []
    for key, weight in positive.items():
        shares[key], remainder = divmod(amount * weight, total)
        remainders.append((-remainder, -weight, key))
    left = amount - sum(shares.values())
    for _r, _w, key in sorted(remainders)[:left]:
        shares[key] += 1
    return shares


def compute(year: int, surplus: int, member_percent: Decimal) -> ShuResult:
    """The shares of an open year, as they would be closed now (nothing is written)."""
    errors = {}
    if not 1900 <= year <= 9999:
        errors["year"] = [_("A year like 2026.")]
    if surplus < 0:
        errors["surplus"] = [_("0 or more.")]
    if not Decimal(0) <= member_percent <= Decimal(100):
        errors["member_percent"] = [_("From 0 to 100.")]
    if errors:
        raise ValidationFailed(_("Check the SHU figures."), fields=errors)
    amount = int((Decimal(surplus) * member_percent / 100).to_integral_value(ROUND_FLOOR))
    members = {m.id: m for m in db.session.scalars(select(Member).order_by(Member.member_number))}
    purchases = member_purchases(year)
    weights = {member_id: purchases.get(member_id, 0) for member_id in members}
    shares = split(amount, weights)
    rows = [Share(members[k], weights[k], shares[k]) for k in members]
    rows.sort(key=lambda s: (-s.share, -s.purchases, s.member.member_number))
    return ShuResult(year, surplus, member_percent, amount, rows)


def closed_year(year: int) -> ShuResult | None:
    """A closed year as it was frozen, each member's purchases today beside it (the adjustments)."""
    closed = db.session.get(ShuYear, year)
    if closed is None:
        return None
    now = member_purchases(year)
    rows = [
        Share(row.member, row.purchases, row.share, now.get(row.member_id, 0))
        for row in db.session.scalars(select(ShuShare).where(ShuShare.year == year))
    ]
    rows.sort(key=lambda s: (-s.share, -s.purchases, s.member.member_number))
    return ShuResult(year, closed.surplus, closed.member_percent, closed.amount, rows, closed)


def close(year: int, surplus: int, member_percent: Decimal, user) -> ShuResult:
    """Freeze a year's shares (audited). Twice, or two managers at once: one closes it, the other is told."""
    if db.session.get(ShuYear, year) is not None:
        raise DomainError(_("SHU %(year)d is already closed.", year=year), code="shu_closed")
    result = compute(year, surplus, member_percent)
    db.session.add(
        ShuYear(
            year=year,
            surplus=surplus,
            member_percent=member_percent,
            amount=result.amount,
            purchases=result.purchases,
            closed_at=utcnow(),
            closed_by_id=user.id,
        )
    )
    db.session.flush()  # the year's row first: a second closing stops here on its primary key
    db.session.add_all(
        ShuShare(year=year, member_id=s.member.id, purchases=s.purchases, share=s.share) for s in result.shares
    )
    db.session.flush()
    audit.record(
        "close",
        "shu_year",
        year,
        {"surplus": surplus, "member_percent": member_percent, "amount": result.amount, "members": len(result.shares)},
    )
    return closed_year(year)
