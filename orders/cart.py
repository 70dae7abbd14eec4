"""The cart at the till: what a scanned code is, and a cart priced for the member or general list with
everything that would refuse its sale (caps, stock, the legal ceiling, a missing NIK), for the screen to show
while the cashier scans. Nothing here writes; `orders.checkout` posts the sale."""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Date, and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from app import clock, settings
from app.db import db
from app.errors import DomainError, NotFound, ValidationFailed
from app.formatting import format_qty
from app.models import User
from inventory import ledger
from inventory.models import BASE_UNITS, Item, Location, Packaging
from inventory.services import UnknownCode, look_up_scan
from members.models import Member
from members.nik import kk_problems, nik_problems, only_digits
from members.services import MemberBrief, clean_code, find_member, find_member_brief
from orders import caps, pricing
from orders.models import BUYER_CATEGORIES, CapRule, Ceiling, Price, Sale, Till, TillSession


class SaleRefused(DomainError):
    status = 409
    code = "sale_refused"


@dataclass(frozen=True)
class CartLine:
    packaging_id: int
    quantity: Decimal
    empties: Decimal | None = None  # empty cylinders handed in; None: one for every full one (a plain refill)


@dataclass(frozen=True)
class WalkIn:
    """A buyer who is not a member (or has no card with them), as typed at the till."""

    nik: str | None = None
    kk_number: str | None = None
    category: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Cart:
    till: str
    lines: list[CartLine]
    member: str | None = None  # the number on the scanned member card
    buyer: WalkIn | None = None


@dataclass
class PricedLine:
    line_no: int
    kind: str  # "goods", or "cylinder": the price of a cylinder taken without an empty in exchange
    packaging: Packaging
    quantity: Decimal
    unit_price: int | None
    empties_in: Decimal = Decimal(0)
    problem: str | None = None

    @property
    def item(self) -> Item:
        return self.packaging.item

    @property
    def base_quantity(self) -> Decimal:
        return self.quantity * self.packaging.factor

    @property
    def amount(self) -> int:
        if self.unit_price is None:
            return 0
        return int((self.unit_price * self.quantity).quantize(Decimal(1), ROUND_HALF_UP))


@dataclass
class Priced:
    """A cart with its prices: what the till shows and what checkout posts."""

    price_list: str
    member: Member | None
    buyer: caps.Buyer
    buyer_name: str
    lines: list[PricedLine]
    customer_location_id: int | None
    problems: list[str] = field(default_factory=list)  # anything that would refuse the sale, in one sentence each
    cap_rules: list[CapRule] = field(default_factory=list)  # the caps in force on the cart's items

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def base_quantities(self) -> dict[int, Decimal]:
        wanted: dict[int, Decimal] = {}
        for line in self.lines:
            if line.kind == "goods":
                wanted[line.item.id] = wanted.get(line.item.id, Decimal(0)) + line.base_quantity
        return wanted

    @property
    def needs_nik(self) -> bool:
        return any(line.item.is_subsidised for line in self.lines if line.kind == "goods")


# --- pricing a cart ----------------------------------------------------------------------------------------


@cache
def _packagings_statement():
    """What a sale reads before it writes, in one statement built once per process (building it costs more than
    running it, as in the ledger): every packaging asked for with its item, member and general price, ceiling and
    the cylinder its empty is sold in; the customer location; the member on the card (by number, or a typed NIK;
    on every row); the caps on the items (one row per cap). No lock: a price, ceiling, cap rule or member
    suspension changed while the sale is written applies from the next sale (docs/architecture.md)."""
    shell = aliased(Packaging)
    day = bindparam("day", type_=Date)
    # The shop's own HET zone, else the cooperative's.
    own_zone = select(Location.het_zone).where(Location.id == bindparam("location_id")).scalar_subquery()
    _zone = func.coalesce(own_zone, bindparam("zone"))

    def price(price_list: str):
        return (
            select(Price.amount)
            .where(Price.packaging_id == Packaging.id, Price.price_list == price_list, Price.valid_from <= day)
            .order_by(Price.valid_from.desc())
            .limit(1)
            .scalar_subquery()
        )

    ceiling = (
        select(Ceiling.amount_per_unit)
        .where(Ceiling.item_id == Item.id, Ceiling.zone == _zone, Ceiling.valid_from <= day)
        .order_by(Ceiling.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )
    shell_id = (
        select(shell.id)
        .where(shell.item_id == Item.empty_item_id, shell.for_sale)
        .order_by(shell.factor, shell.id)
        .limit(1)
        .scalar_subquery()
    )
    customer = select(Location.id).where(Location.kind == "customer").order_by(Location.id).limit(1).scalar_subquery()
    member = or_(Member.member_number == bindparam("member_number"), Member.nik == bindparam("member_nik"))
    rules = and_(CapRule.item_id == Item.id, CapRule.is_active, CapRule.valid_from <= day)
    return (
        select(Packaging, price("member"), price("general"), ceiling, shell_id, customer, Member, CapRule)
        .join(Packaging.item)
        .outerjoin(Member, member)
        .outerjoin(CapRule, rules)
        .options(contains_eager(Packaging.item))
        .where(Packaging.id.in_(bindparam("ids", expanding=True)))
        .order_by(Packaging.id, CapRule.id)
    )


@dataclass
class _Facts:
    packagings: dict[int, tuple]  # id -> (packaging, member price, general price, ceiling, shell id)
    customer_location_id: int | None
    member: Member | None
    cap_rules: list[CapRule]


def _load_facts(ids: list[int], code: str | None, day: date, location_id: int) -> _Facts:
    """The cart's packagings, the member on its card and the caps on its items (see `_packagings_statement`)."""
    cleaned = clean_code(code or "")
    digits = only_digits(cleaned)
    values = {
        "ids": ids,
        "day": day,
        "zone": settings.get("het_zone"),
        "location_id": location_id,
        "member_number": cleaned.upper() if cleaned else None,
        "member_nik": digits if len(digits) == 16 and digits.isdigit() else None,
    }
    facts = _Facts({}, None, None, [])
    members = []
    for packaging, member_price, general_price, ceiling, shell_id, customer, member, rule in db.session.execute(
        _packagings_statement(), values
    ):
        facts.packagings[packaging.id] = (packaging, member_price, general_price, ceiling, shell_id)
        facts.customer_location_id = customer
        if member is not None and member not in members:
            members.append(member)
        if rule is not None and rule not in facts.cap_rules:
            facts.cap_rules.append(rule)
    # the card's number before a NIK typed at the till (a number is never 16 digits)
    members.sort(key=lambda m: m.member_number != values["member_number"])
    facts.member = members[0] if members else None
    return facts


def _line_problem(packaging: Packaging, quantity: Decimal, price: int | None, ceiling: int | None, day: date):
    item = packaging.item
    if not item.is_active or not packaging.for_sale:
        return _("%(item)s (%(packaging)s) is not sold at the shop.", item=item.name_id, packaging=packaging.name)
    if quantity <= 0:
        return _("%(item)s: the quantity must be more than zero.", item=item.name_id)
    if quantity != quantity.quantize(Decimal(1).scaleb(-BASE_UNITS.get(item.base_unit, 0))) or (
        packaging.factor != 1 and quantity != quantity.to_integral_value()
    ):
        return _("%(item)s is sold in whole %(packaging)s.", item=item.name_id, packaging=packaging.name)
    if price is None:
        return _(
            "%(item)s (%(packaging)s) has no price yet: ask a manager.", item=item.name_id, packaging=packaging.name
        )
    try:
        pricing.refuse_above_ceiling(packaging, price, ceiling, day, _("today"))
    except DomainError as error:
        return error.message
    return None


def price_cart(cart: Cart, day: date, location_id: int) -> Priced:
    """Price every line for the member or the general list under the HET zone of the shop (the till's
    location), and find what would stop the sale."""
    if not cart.lines:
        if cart.member:
            find_member(cart.member)  # an unknown card is said first
        raise ValidationFailed(_("The cart is empty: scan the goods first."), fields={"lines": [_("Required.")]})
    facts = _load_facts(sorted({ln.packaging_id for ln in cart.lines}), cart.member, day, location_id)
    member = facts.member
    if cart.member and member is None:
        find_member(cart.member)  # says which card or NIK is unknown
    price_list = "member" if member is not None and member.can_buy_as_member else "general"
    buyer, buyer_name = _buyer(member, cart.buyer)
    lines: list[PricedLine] = []
    for entry in cart.lines:
        if entry.packaging_id not in facts.packagings:
            raise NotFound(_("This product is not known (packaging %(id)s).", id=entry.packaging_id))
        packaging, member_price, general_price, ceiling, shell_id = facts.packagings[entry.packaging_id]
        price = member_price if price_list == "member" else general_price
        line = PricedLine(len(lines) + 1, "goods", packaging, entry.quantity, price)
        line.problem = _line_problem(packaging, entry.quantity, price, ceiling, day)
        lines.append(line)
        if packaging.item.empty_item_id is None:
            if entry.empties:
                line.problem = line.problem or _(
                    "%(item)s is not sold in exchange for an empty.", item=line.item.name_id
                )
            continue
        empties = entry.quantity if entry.empties is None else entry.empties
        if empties < 0 or empties > entry.quantity or empties != empties.to_integral_value():
            line.problem = line.problem or _(
                "%(item)s: between 0 and %(n)s empty cylinders can be taken in.",
                item=line.item.name_id,
                n=format_qty(entry.quantity),
            )
            continue
        line.empties_in = empties
        if empties < entry.quantity:  # the buyer has no empty to swap: the cylinder is sold too
            lines.append(
                _cylinder_line(len(lines) + 1, shell_id, entry.quantity - empties, price_list, day, line, location_id)
            )
    problems = [ln.problem for ln in lines if ln.problem]
    return Priced(price_list, member, buyer, buyer_name, lines, facts.customer_location_id, problems, facts.cap_rules)


def _cylinder_line(
    line_no: int, shell_id, quantity: Decimal, price_list: str, day: date, full: PricedLine, location_id: int
):
    shell = db.session.get(Packaging, shell_id) if shell_id else None
    if shell is None:
        line = PricedLine(line_no, "cylinder", full.packaging, quantity, None)
        line.problem = _("%(item)s: no cylinder is for sale to go with it.", item=full.item.name_id)
        return line
    price = pricing.price_on(shell, price_list, day)
    line = PricedLine(line_no, "cylinder", shell, quantity, price.amount if price else None)
    ceiling = pricing.ceiling_on(shell.item, day, pricing.zone(location_id))
    line.problem = _line_problem(shell, quantity, line.unit_price, ceiling.amount_per_unit if ceiling else None, day)
    return line


def _buyer(member: Member | None, walk_in: WalkIn | None) -> tuple[caps.Buyer, str]:
    if member is not None:
        return caps.Buyer(member.category, member.member_number, member.nik, member.kk_number), member.full_name
    walk_in = walk_in or WalkIn()
    nik = (walk_in.nik or "").strip() or None
    kk = (walk_in.kk_number or "").strip() or None
    category = walk_in.category or None
    errors = {}
    if nik and nik_problems(nik):
        errors["nik"] = nik_problems(nik)
    if kk and kk_problems(kk):
        errors["kk_number"] = kk_problems(kk)
    if category and category not in BUYER_CATEGORIES:
        errors["category"] = [_("Unknown buyer category.")]
    if errors:
        raise ValidationFailed(_("Check the buyer's details."), fields=errors)
    return caps.Buyer(category, None, nik, kk), (walk_in.name or "").strip()[:120]


def nik_fields(priced: Priced) -> dict[str, list[str]]:
    """Which of the buyer's fields a subsidised sale still needs, named as the API's body names them."""
    if not priced.needs_nik:
        return {}
    missing = {}
    if not priced.buyer.nik:
        missing["buyer.nik"] = [_("Required for a subsidised item.")]
    if not priced.buyer.category:
        missing["buyer.category"] = [_("Required for a subsidised item.")]
    return missing


def nik_problem(priced: Priced) -> str | None:
    if priced.needs_nik and not (priced.buyer.nik and priced.buyer.category):
        names = sorted({ln.item.name_id for ln in priced.lines if ln.kind == "goods" and ln.item.is_subsidised})
        return _(
            "%(items)s is subsidised: record the buyer's NIK and category (scan the member card, or type them).",
            items=", ".join(names),
        )
    return None


# --- what the till shows ----------------------------------------------------------------------------------


@dataclass
class Quote:
    priced: Priced
    caps: list[caps.CapStatus]
    available: dict[int, Decimal]

    @property
    def problems(self) -> list[str]:
        return self.priced.problems


def quote(cart: Cart, user: User) -> Quote:
    """The cart as the till should show it: prices, total, cap warnings and stock, without writing anything."""
    till, till_session = open_till(cart.till, user)
    day = clock.today()
    priced = price_cart(cart, day, till.location_id)
    nik = nik_problem(priced)
    if nik:
        priced.problems.append(nik)
    wanted = priced.base_quantities()
    statuses = caps.preview(wanted, priced.buyer, day, priced.cap_rules) if wanted else []
    priced.problems += [caps.cap_message(s) for s in statuses if not s.fits]
    available = ledger.available_under(till.location_id, sorted(wanted), usable_on=day) if wanted else {}
    short = [item_id for item_id, quantity in wanted.items() if available[item_id] < quantity]
    held = ledger.available_under(till.location_id, short) if short else {}
    for item_id in short:
        item = next(line.item for line in priced.lines if line.item.id == item_id)
        left, expired = format_qty(available[item_id]), format_qty(held[item_id] - available[item_id])
        if held[item_id] > available[item_id]:
            message = _(
                "Not enough %(item)s at the shop: %(available)s left; %(expired)s more are past their expiry date"
                " and cannot be sold.",
                item=item.name_id,
                available=left,
                expired=expired,
            )
        else:
            message = _("Not enough %(item)s at the shop: %(available)s left.", item=item.name_id, available=left)
        priced.problems.append(message)
    return Quote(priced, statuses, available)


def open_till(code: str, user: User) -> tuple[Till, TillSession]:
    """The till and this cashier's open session on it, or a sentence saying what to do."""
    till = db.session.scalar(select(Till).where(Till.code == (code or "").strip().upper()))
    if till is None or not till.is_active:
        raise NotFound(_("No till in use has the code %(code)s.", code=code or "-"))
    till_session = db.session.scalar(
        select(TillSession).where(TillSession.till_id == till.id, TillSession.closed_at.is_(None))
    )
    if till_session is None:
        raise SaleRefused(_("Till %(code)s is not open: open it with the cash float first.", code=till.code))
    if till_session.cashier_id != user.id:
        raise SaleRefused(
            _(
                "Till %(code)s is open for %(cashier)s: open your own till.",
                code=till.code,
                cashier=till_session.cashier.full_name,
            )
        )
    return till, till_session


@dataclass
class Identified:
    """What a code scanned at the till is: a member card, a product, or a receipt (for a return)."""

    kind: str
    member: MemberBrief | None = None
    packaging_id: int | None = None
    name: str | None = None
    packaging: str | None = None
    unit: str | None = None
    by_weight: bool = False
    quantity: Decimal | None = None
    receipt_number: str | None = None
    sale_id: int | None = None


@cache
def _receipt_statement():
    """The sale with a receipt number, its id and number only: built once per process."""
    sale = Sale.__table__  # plain columns: no ORM compilation
    return select(sale.c.id, sale.c.receipt_number).where(sale.c.receipt_number == bindparam("number"))


def identify(code: str) -> Identified:
    """Member cards first (their own prefix), then products (plain or GS1, with a weight from a scale label),
    then receipts; a typed 16-digit NIK finds the member too."""
    cleaned = (code or "").strip()
    prefix = current_app.config["MEMBER_NUMBER_PREFIX"]
    if cleaned.upper().startswith(prefix):
        return Identified("member", member=find_member_brief(cleaned))
    misread = None
    try:
        scan = look_up_scan(cleaned)  # plain values: nothing here changes them
    except UnknownCode as refused:
        scan, misread = None, refused if refused.code == "wrong_check_digit" else None
    if scan is not None and scan.kind == "item":
        item, packaging = scan.item, scan.packaging
        by_weight = item.base_unit == "kg" and packaging.factor == 1
        return Identified(
            "item",
            packaging_id=packaging.id,
            name=item.name_id,
            packaging=packaging.name,
            unit=item.base_unit,
            by_weight=by_weight,
            quantity=scan.quantity if by_weight and scan.source == "gs1" else None,  # a scale label's weight
        )
    sale = db.session.execute(_receipt_statement(), {"number": cleaned.upper()}).first()
    if sale is not None:
        return Identified("receipt", receipt_number=sale.receipt_number, sale_id=sale.id)
    digits = "".join(ch for ch in cleaned if ch.isdigit())
    if len(digits) == 16 and digits == cleaned:
        return Identified("member", member=find_member_brief(digits))
    if misread is not None:  # a misread EAN: said as the look-up screen says it
        raise misread
    raise NotFound(_("Nothing is known by the code %(code)s: scan again or type it.", code=cleaned or "-"))
