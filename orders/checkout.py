"""Checkout: post a sale in one transaction.

Posting writes, in the caller's transaction and all or nothing: the receipt number (the till's own sequence,
taken under the till's row lock), cap usage (one conditional upsert per cap), the stock moves (first-expiring lot
first, from the till's shop and its shelves; empties in for an LPG exchange), the sale with its lines, payments
and subsidy records (on PostgreSQL in one statement). The benchmark's 3-line member sale costs 10 statements
from the token to the stored answer (tests/orders/test_sales_api.py).
"""

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.db import db, utcnow
from app.errors import NotFound, ValidationFailed
from app.formatting import format_rupiah
from app.models import User
from inventory import ledger
from inventory.models import Item, Packaging
from members.models import Member
from orders import caps, queries, subsidy
from orders.cart import Cart, Priced, SaleRefused, nik_fields, nik_problem, open_till, price_cart
from orders.models import PAYMENT_METHODS, Payment, Sale, SaleLine, SubsidyRecord, Till, TillSession

till_t = Till.__table__
session_t = TillSession.__table__


@dataclass(frozen=True)
class PaymentIn:
    method: str
    amount: int | None = None  # QRIS: what it paid; cash: what is left to pay
    tendered: int | None = None  # cash handed over (at least what is left to pay)
    reference: str = ""  # QRIS transaction reference


# --- posting ---------------------------------------------------------------------------------------------


def settle(total: int, payments: list[PaymentIn]) -> tuple[list[tuple[str, int, int | None, str]], int]:
    """Check the payments against the total; return (method, amount, tendered, reference) rows and the change."""
    if not payments:
        raise ValidationFailed(_("Choose how the buyer pays."), fields={"payments": [_("Required.")]})
    unknown = [p.method for p in payments if p.method not in PAYMENT_METHODS]
    if unknown:
        raise ValidationFailed(_("Pay in cash or by QRIS."), fields={"payments": [_("Cash or QRIS.")]})
    cash = [p for p in payments if p.method == "cash"]
    if len(cash) > 1:
        raise ValidationFailed(_("Enter cash once."), fields={"payments": [_("One cash payment.")]})
    rows = []
    qris_total = 0
    for p in payments:
        if p.method != "qris":
            continue
        if not p.amount or p.amount <= 0:
            raise ValidationFailed(_("Enter the amount paid by QRIS."), fields={"qris_amount": [_("More than 0.")]})
        reference = (p.reference or "").strip()
        if not reference:
            raise ValidationFailed(
                _("Enter the QRIS reference number from the payment notice."),
                fields={"qris_reference": [_("Required.")]},
            )
        qris_total += p.amount
        rows.append(("qris", p.amount, None, reference[:64]))
    if qris_total > total:
        raise ValidationFailed(
            _(
                "QRIS pays %(paid)s, more than the total %(total)s.",
                paid=format_rupiah(qris_total),
                total=format_rupiah(total),
            ),
            fields={"qris_amount": [_("At most %(total)s.", total=format_rupiah(total))]},
        )
    due = total - qris_total
    if due == 0:
        if cash and (cash[0].tendered or 0) > 0:
            raise ValidationFailed(_("QRIS already pays the whole total: take no cash."), fields={"tendered": ["0"]})
        return rows, 0
    if not cash:
        raise ValidationFailed(
            _("%(due)s is still to pay: take cash or another QRIS payment.", due=format_rupiah(due)),
            fields={"tendered": [_("At least %(due)s.", due=format_rupiah(due))]},
        )
    tendered = cash[0].tendered if cash[0].tendered is not None else due
    if tendered < due:
        raise ValidationFailed(
            _(
                "The cash handed over (%(tendered)s) is less than the %(due)s to pay.",
                tendered=format_rupiah(tendered),
                due=format_rupiah(due),
            ),
            fields={"tendered": [_("At least %(due)s.", due=format_rupiah(due))]},
        )
    rows.append(("cash", due, tendered, ""))
    return rows, tendered - due


@cache
def _receipt_number_statement():
    """`UPDATE till ... RETURNING`, built once per process: the next receipt number, only on a till whose open
    session is this cashier's. The open session is a column of the till row itself, so a sale that waited for the
    row while the till was being closed re-reads it (PostgreSQL re-checks the WHERE on the new row) and finds the
    till closed, instead of selling into a session whose report is already made."""
    mine = select(session_t.c.id).where(session_t.c.closed_at.is_(None), session_t.c.cashier_id == bindparam("user_id"))
    return (
        update(till_t)
        .where(till_t.c.code == bindparam("till_code"), till_t.c.is_active, till_t.c.open_session_id.in_(mine))
        .values(receipt_seq=till_t.c.receipt_seq + 1)
        .returning(till_t.c.id, till_t.c.location_id, till_t.c.code, till_t.c.receipt_seq, till_t.c.open_session_id)
    )


def _take_receipt_number(code: str, user: User) -> tuple[int, int, str, int]:
    """Raise the till's receipt sequence (locking the till row) if this cashier has the till open; return the
    till id, its location, the receipt number and the session id."""
    code = (code or "").strip().upper()
    row = db.session.execute(_receipt_number_statement(), {"till_code": code, "user_id": user.id}).first()
    if row is None:
        open_till(code, user)  # says why in the cashier's words
        raise SaleRefused(_("Till %(code)s is not open.", code=code))
    till_id, location_id, till_code, seq, session_id = row
    return till_id, location_id, f"{till_code}-{seq:06d}", session_id


@dataclass
class PostedLine:
    """A line of the sale just written, as the answer and the receipt read it (the sale is not loaded back)."""

    id: int
    line_no: int
    kind: str
    packaging: Packaging
    quantity: Decimal
    unit_price: int
    amount: int
    empties_in: Decimal
    returned_quantity: Decimal = Decimal(0)

    @property
    def item(self) -> Item:
        return self.packaging.item

    @property
    def packaging_id(self) -> int:
        return self.packaging.id


@dataclass
class PostedPayment:
    method: str
    amount: int
    tendered: int | None
    reference: str
    return_id: None = None


@dataclass
class PostedSale:
    """The sale just written, with what its answer and receipt show; `orders.models.Sale` is the stored one."""

    id: int
    receipt_number: str
    sold_at: datetime
    sale_date: date
    price_list: str
    member: Member | None
    cashier: User
    buyer_name: str
    buyer_nik: str | None
    buyer_category: str | None
    total: int
    change: int
    lines: list[PostedLine]
    payments: list[PostedPayment]


def post_sale(cart: Cart, payments: list[PaymentIn], key: str, user: User) -> PostedSale:
    """Post a sale, all or nothing: receipt number, caps, stock, the sale, its payments and subsidy records."""
    till_id, location_id, receipt_number, session_id = _take_receipt_number(cart.till, user)
    now = utcnow()
    day = clock.local(now).date()
    priced = price_cart(cart, day, location_id)
    problem = next(iter(priced.problems), None)
    if problem:
        raise SaleRefused(problem, code="line_refused")
    problem = nik_problem(priced)
    if problem:  # the buyer's missing fields named, as a malformed NIK's are
        raise SaleRefused(problem, code="line_refused", fields=nik_fields(priced))
    total = priced.total
    payment_rows, change = settle(total, payments)

    wanted = priced.base_quantities()
    taken = caps.take(wanted, priced.buyer, day, priced.cap_rules)
    exchanged = {line.item.id: line.item.empty_item_id for line in priced.lines if line.empties_in}
    pick = ledger.pick_under(location_id, wanted, exchanged, usable_on=day)  # never an expired lot; rows locked
    if priced.customer_location_id is not None:  # else the ledger says the location is unknown
        pick.held.add_place(priced.customer_location_id, "customer")
    moves, from_location = _moves(priced, pick.splits, receipt_number)

    buyer = priced.buyer
    sale = {
        "client_key": key,
        "receipt_number": receipt_number,
        "till_id": till_id,
        "session_id": session_id,
        "cashier_id": user.id,
        "sold_at": now,
        "sale_date": day,
        "price_list": priced.price_list,
        "member_id": priced.member.id if priced.member is not None else None,
        "buyer_name": priced.buyer_name,
        "buyer_nik": buyer.nik,
        "buyer_kk": buyer.kk_number,
        "buyer_category": buyer.category,
        "total": total,
        "change": change,
        "caps_taken": [[t.usage_id, t.item_id, str(t.quantity)] for t in taken],
    }
    lines = [
        {
            "line_no": line.line_no,
            "kind": line.kind,
            "item_id": line.item.id,
            "packaging_id": line.packaging.id,
            "quantity": line.quantity,
            "base_quantity": line.base_quantity,
            "unit_price": line.unit_price,
            "amount": line.amount,
            "empties_in": line.empties_in,
            "from_location_id": from_location.get(line.line_no),
        }
        for line in priced.lines
    ]
    paid = [
        {"method": method, "amount": amount, "tendered": tendered, "reference": reference}
        for method, amount, tendered, reference in payment_rows
    ]
    subsidised = [
        subsidy.row(sale, line.item.id, line.base_quantity, line.unit_price, line.packaging.factor)
        for line in priced.lines
        if priced.needs_nik and line.kind == "goods" and line.item.is_subsidised
    ]
    try:
        sale_id, line_ids = _write_sale(sale, lines, paid, subsidised)
    except IntegrityError as exc:  # the same cart posted by another login a moment ago; the request rolls back
        raise SaleRefused(
            _("This cart was already paid; find its receipt in today's sales."), code="cart_paid"
        ) from exc
    ledger.post_moves(moves, user.id, held=pick.held)  # the rows the pick locked, already held
    return PostedSale(
        id=sale_id,
        receipt_number=receipt_number,
        sold_at=now,
        sale_date=day,
        price_list=priced.price_list,
        member=priced.member,
        cashier=user,
        buyer_name=priced.buyer_name,
        buyer_nik=buyer.nik,
        buyer_category=buyer.category,
        total=total,
        change=change,
        lines=[
            PostedLine(
                line_id,
                line.line_no,
                line.kind,
                line.packaging,
                line.quantity,
                line.unit_price,
                line.amount,
                line.empties_in,
            )
            for line_id, line in zip(line_ids, priced.lines, strict=True)
        ],
        payments=[PostedPayment(**p) for p in paid],
    )


sale_t, line_t, payment_t, subsidy_t = (m.__table__ for m in (Sale, SaleLine, Payment, SubsidyRecord))

# PostgreSQL: the sale, its lines, payments and subsidy records in one statement (each data-modifying WITH runs
# to completion; unnest keeps the input order). Elsewhere (SQLite, the quick start) one INSERT per table.
_WRITE_SALE_PG = text(
    "WITH s AS (INSERT INTO sale (client_key, receipt_number, till_id, session_id, cashier_id, sold_at, sale_date,"
    " price_list, member_id, buyer_name, buyer_nik, buyer_kk, buyer_category, total, change, caps_taken,"
    " copies_printed) VALUES (:client_key, :receipt_number, :till_id, :session_id, :cashier_id,"
    " CAST(:sold_at AS timestamptz), CAST(:sale_date AS date), :price_list, CAST(:member_id AS integer),"
    " :buyer_name, :buyer_nik, :buyer_kk, :buyer_category, :total, :change, CAST(:caps_taken AS json), 0)"
    " RETURNING id),"
    " l AS (INSERT INTO sale_line (sale_id, line_no, kind, item_id, packaging_id, quantity, base_quantity,"
    " unit_price, amount, empties_in, returned_quantity, from_location_id)"
    " SELECT s.id, v.line_no, v.kind, v.item_id, v.packaging_id, v.quantity, v.base_quantity, v.unit_price,"
    " v.amount, v.empties_in, 0, v.from_location_id FROM s, unnest(CAST(:line_no AS integer[]),"
    " CAST(:kind AS varchar[]), CAST(:item_id AS integer[]), CAST(:packaging_id AS integer[]),"
    " CAST(:quantity AS numeric[]), CAST(:base_quantity AS numeric[]), CAST(:unit_price AS bigint[]),"
    " CAST(:amount AS bigint[]), CAST(:empties_in AS numeric[]), CAST(:from_location_id AS integer[]))"
    " AS v(line_no, kind, item_id, packaging_id, quantity, base_quantity, unit_price, amount, empties_in,"
    " from_location_id) RETURNING id, line_no),"
    " p AS (INSERT INTO payment (sale_id, session_id, method, amount, tendered, reference)"
    " SELECT s.id, :session_id, v.* FROM s, unnest(CAST(:method AS varchar[]), CAST(:paid AS bigint[]),"
    " CAST(:tendered AS bigint[]), CAST(:reference AS varchar[])) AS v),"
    " r AS (INSERT INTO subsidy_record (sale_id, item_id, sale_date, nik, kk_number, category, buyer_name,"
    " is_member, quantity, unit_price) SELECT s.id, v.item_id, CAST(:sale_date AS date), :buyer_nik, :buyer_kk,"
    " :buyer_category, :buyer_name, :price_list = 'member', v.quantity, v.unit_price FROM s,"
    " unnest(CAST(:subsidy_item AS integer[]), CAST(:subsidy_quantity AS numeric[]),"
    " CAST(:subsidy_price AS bigint[])) AS v(item_id, quantity, unit_price))"
    " SELECT s.id, (SELECT array_agg(l.id ORDER BY l.line_no) FROM l) FROM s"
)


def _write_sale(sale: dict, lines: list[dict], paid: list[dict], subsidised: list[dict]) -> tuple[int, list[int]]:
    """Insert the sale, its lines, payments and subsidy records; return the sale's id and its lines' ids."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        columns = lambda rows, name: [row[name] for row in rows]  # noqa: E731
        row = conn.execute(
            _WRITE_SALE_PG,
            {
                **sale,
                "caps_taken": json.dumps(sale["caps_taken"]),
                **{name: columns(lines, name) for name in lines[0]},
                "method": columns(paid, "method"),
                "paid": columns(paid, "amount"),
                "tendered": columns(paid, "tendered"),
                "reference": columns(paid, "reference"),
                "subsidy_item": columns(subsidised, "item_id"),
                "subsidy_quantity": columns(subsidised, "quantity"),
                "subsidy_price": columns(subsidised, "unit_price"),
            },
        ).one()
        return row[0], list(row[1])
    sale_id = conn.execute(insert(sale_t).returning(sale_t.c.id), {**sale, "copies_printed": 0}).scalar_one()
    line_ids = [
        conn.execute(
            insert(line_t).returning(line_t.c.id), {**line, "sale_id": sale_id, "returned_quantity": 0}
        ).scalar_one()
        for line in lines
    ]
    conn.execute(insert(payment_t), [{**p, "sale_id": sale_id, "session_id": sale["session_id"]} for p in paid])
    if subsidised:
        conn.execute(insert(subsidy_t), [{**r, "sale_id": sale_id} for r in subsidised])
    return sale_id, line_ids


def _moves(priced: Priced, picks: dict, reference: str) -> tuple[list[ledger.Move], dict[int, int]]:
    customer = priced.customer_location_id
    moves, from_location = [], {}
    remaining = {item_id: list(split) for item_id, split in picks.items()}
    for line in priced.lines:
        if line.kind != "goods":
            continue
        need = line.base_quantity
        while need > 0:  # the item's picks, shared out over its lines in order
            loc, lot, available = remaining[line.item.id][0]
            take = min(need, available)
            moves.append(ledger.Move(line.item.id, loc, customer, take, "sale", reference, lot_id=lot))
            from_location.setdefault(line.line_no, loc)
            need -= take
            if take == available:
                remaining[line.item.id].pop(0)
            else:
                remaining[line.item.id][0] = (loc, lot, available - take)
        if line.empties_in:
            moves.append(
                ledger.Move(
                    line.item.empty_item_id,
                    customer,
                    from_location[line.line_no],
                    line.empties_in,
                    "exchange",
                    reference,
                )
            )
    return moves, from_location


def get_sale(sale_id: int) -> Sale:
    sale = db.session.get(Sale, sale_id)
    if sale is None:
        raise NotFound(_("Sale not found."))
    return sale


def find_sale(receipt_number: str) -> Sale:
    code = (receipt_number or "").strip().upper()
    sale = queries.sale_by_receipt(code)
    if sale is None:
        raise NotFound(_("No sale has the receipt number %(number)s.", number=code or "-"))
    return sale
