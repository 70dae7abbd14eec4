"""Purchase caps: how much of a subsidised item one person or household may buy per period, enforced across
tills. The usage row is raised with `UPDATE ... WHERE used + q <= max`, which PostgreSQL re-checks after any
concurrent update of the same row, so two tills selling to the same NIK at once can never pass the cap."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Date, bindparam, select, update

from app import audit
from app.db import db
from app.errors import DomainError, ValidationFailed
from app.formatting import format_qty
from app.terms import term
from inventory.models import Item
from orders.models import BUYER_CATEGORIES, CAP_PERIODS, CAP_SCOPES, CapRule, CapUsage

usage_t = CapUsage.__table__


class CapReached(DomainError):
    code = "cap_reached"


@dataclass(frozen=True)
class Buyer:
    """Who is buying, as far as the caps are concerned (a walk-in buyer of subsidised LPG gives NIK and category)."""

    category: str | None = None
    member_number: str | None = None
    nik: str | None = None
    kk_number: str | None = None

    def key(self, scope: str) -> str | None:
        return {"member": self.member_number, "nik": self.nik, "household": self.kk_number}[scope]


@dataclass(frozen=True)
class Taken:
    """One raise of a usage row, kept with the sale so a return can give it back."""

    usage_id: int
    quantity: Decimal
    item_id: int | None = None


def add_rule(
    name: str,
    item: Item,
    scope: str,
    period: str,
    max_quantity: Decimal,
    valid_from: date,
    buyer_category: str | None = None,
) -> CapRule:
    if scope not in CAP_SCOPES:
        raise ValidationFailed(_("Choose whom the cap counts per."), fields={"scope": list(CAP_SCOPES)})
    if period not in CAP_PERIODS:
        raise ValidationFailed(_("Choose the cap's period."), fields={"period": list(CAP_PERIODS)})
    if buyer_category is not None and buyer_category not in BUYER_CATEGORIES:
        raise ValidationFailed(_("Unknown buyer category."), fields={"buyer_category": list(BUYER_CATEGORIES)})
    if max_quantity <= 0:
        raise ValidationFailed(_("A cap is more than zero."), fields={"max_quantity": [_("More than 0.")]})
    rule = CapRule(
        name=name,
        item=item,
        scope=scope,
        period=period,
        max_quantity=max_quantity,
        valid_from=valid_from,
        buyer_category=buyer_category,
    )
    db.session.add(rule)
    db.session.flush()
    audit.record(
        "create",
        "cap_rule",
        rule.id,
        {
            "name": name,
            "item_id": item.id,
            "scope": scope,
            "period": period,
            "max_quantity": max_quantity,
            "buyer_category": buyer_category,
        },
    )
    return rule


def set_active(rule: CapRule, active: bool) -> CapRule:
    if rule.is_active != active:
        audit.record("enable" if active else "disable", "cap_rule", rule.id)
    rule.is_active = active
    db.session.flush()
    return rule


@cache
def _rules_statement():
    """Built once per process: it runs on every sale."""
    return (
        select(CapRule)
        .where(
            CapRule.item_id.in_(bindparam("items", expanding=True)),
            CapRule.is_active,
            CapRule.valid_from <= bindparam("day", type_=Date),
        )
        .order_by(CapRule.id)
    )


def rules_for(item_ids: list[int], buyer: Buyer, day: date, rules: list[CapRule] | None = None) -> list[CapRule]:
    """The caps on these items that bind this buyer; `rules`: the caps in force already read with the cart."""
    if rules is None:
        rules = db.session.scalars(_rules_statement(), {"items": item_ids, "day": day}).all()
    return [r for r in rules if r.item_id in item_ids and r.buyer_category in (None, buyer.category)]


def _period_key(period: str, day: date) -> str:
    return day.isoformat() if period == "day" else day.strftime("%Y-%m")


@dataclass(frozen=True)
class CapStatus:
    """Where a buyer stands under one cap, for the till's warning before the sale."""

    rule: CapRule
    used: Decimal
    wanted: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(self.rule.max_quantity - self.used, Decimal(0))

    @property
    def fits(self) -> bool:
        return self.used + self.wanted <= self.rule.max_quantity


def _key_or_refuse(rule: CapRule, buyer: Buyer) -> str | None:
    key = buyer.key(rule.scope)
    if not key and rule.scope != "member":  # a member cap does not bind a walk-in buyer; the others need the key
        raise ValidationFailed(
            _("%(name)s: this sale needs the buyer's %(what)s.", name=rule.name, what=term("cap_scope", rule.scope)),
            fields={rule.scope: [_("Required.")]},
            code="buyer_required",
        )
    return key


def take(quantities: dict[int, Decimal], buyer: Buyer, day: date, rules: list[CapRule] | None = None) -> list[Taken]:
    """Count a sale's quantities (item id -> base units) against every cap that applies, or refuse the sale with
    one sentence the cashier can read out. One statement per cap: an upsert whose update only happens while the
    new total stays within the cap (PostgreSQL re-checks it on the latest row version under the row lock)."""
    taken = []
    for rule in rules_for(list(quantities), buyer, day, rules):
        quantity = quantities[rule.item_id]
        if rule.period == "transaction":
            if quantity > rule.max_quantity:
                raise _reached(rule, Decimal(0))
            continue
        key = _key_or_refuse(rule, buyer)
        if not key:
            continue
        period_key = _period_key(rule.period, day)
        row = None
        if quantity <= rule.max_quantity:
            row = db.session.execute(*_raise_usage(rule, key, period_key, quantity)).first()
        if row is None:
            used = db.session.scalar(
                select(usage_t.c.used).where(
                    usage_t.c.rule_id == rule.id, usage_t.c.buyer_key == key, usage_t.c.period_key == period_key
                )
            )
            raise _reached(rule, Decimal(used or 0))
        taken.append(Taken(row.id, quantity, rule.item_id))
    return taken


def _raise_usage(rule: CapRule, key: str, period_key: str, quantity: Decimal):
    return _raise_usage_statement(db.session.get_bind().dialect.name), {
        "rule_id": rule.id,
        "buyer_key": key,
        "period_key": period_key,
        "quantity": quantity,
        "max": rule.max_quantity,
    }


@cache
def _raise_usage_statement(dialect: str):
    """INSERT ... ON CONFLICT DO UPDATE ... WHERE used + q <= max, built once per dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(usage_t).values(
        rule_id=bindparam("rule_id"),
        buyer_key=bindparam("buyer_key"),
        period_key=bindparam("period_key"),
        used=bindparam("quantity", type_=usage_t.c.used.type),
    )
    return stmt.on_conflict_do_update(
        index_elements=[usage_t.c.rule_id, usage_t.c.buyer_key, usage_t.c.period_key],
        set_={"used": usage_t.c.used + stmt.excluded.used},
        where=usage_t.c.used + stmt.excluded.used <= bindparam("max", type_=usage_t.c.used.type),
    ).returning(usage_t.c.id)


def preview(
    quantities: dict[int, Decimal], buyer: Buyer, day: date, rules: list[CapRule] | None = None
) -> list[CapStatus]:
    """What `take` would find, without taking anything: the till warns while the cart is being filled."""
    statuses = []
    for rule in rules_for(list(quantities), buyer, day, rules):
        used = Decimal(0)
        if rule.period != "transaction":
            key = buyer.key(rule.scope)
            if not key:
                continue  # checkout asks for the missing NIK or KK in its own words
            used = Decimal(
                db.session.scalar(
                    select(usage_t.c.used).where(
                        usage_t.c.rule_id == rule.id,
                        usage_t.c.buyer_key == key,
                        usage_t.c.period_key == _period_key(rule.period, day),
                    )
                )
                or 0
            )
        statuses.append(CapStatus(rule, used, quantities[rule.item_id]))
    return statuses


def give_back(taken: list[Taken]) -> None:
    """A return gives the quantities back to the caps they were counted against."""
    by_row: dict[int, Decimal] = defaultdict(Decimal)
    for t in taken:
        by_row[t.usage_id] += t.quantity
    for usage_id, quantity in by_row.items():
        db.session.execute(update(usage_t).where(usage_t.c.id == usage_id).values(used=usage_t.c.used - quantity))


def cap_message(status: CapStatus) -> str:
    return str(_reached(status.rule, status.used))


def _reached(rule: CapRule, used: Decimal) -> CapReached:
    unit = term("unit", rule.item.base_unit)
    return CapReached(
        _(
            "%(name)s %(max)s %(unit)s per %(period)s; %(used)s already %(when)s.",
            name=rule.name,
            max=format_qty(rule.max_quantity),
            unit=unit,
            period=term("cap_period", rule.period),
            used=format_qty(used),
            when=term("cap_when", rule.period),
        ),
        rule_id=rule.id,
        max=str(rule.max_quantity),
        used=str(used),
    )
