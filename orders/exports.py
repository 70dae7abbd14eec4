"""The shop's CSV export of sales lines for a period (the local dates of the sales), streamed."""

from collections.abc import Iterator
from datetime import date

from flask import Response, stream_with_context
from sqlalchemy import select

from app.db import db
from app.formatting import csv_line_writer, format_local_time
from app.models import User
from inventory.models import Item, Packaging
from members.models import Member
from orders.models import Sale, SaleLine, Till

BATCH = 1000
COLUMNS = ["date", "time", "receipt", "till", "cashier", "member_number", "price_list", "sku", "item", "packaging",
           "quantity", "base_quantity", "unit_price", "amount", "returned_quantity"]  # fmt: skip


def sales_lines_rows(first: date, last: date) -> Iterator[str]:
    line = csv_line_writer()
    yield "\ufeff" + line(COLUMNS)
    stmt = (
        select(Sale, SaleLine, Till.code, User.username, Member.member_number, Item.sku, Item.name_id, Packaging.name)
        .join(SaleLine, SaleLine.sale_id == Sale.id)
        .join(Till, Till.id == Sale.till_id)
        .join(User, User.id == Sale.cashier_id)
        .outerjoin(Member, Member.id == Sale.member_id)
        .join(Item, Item.id == SaleLine.item_id)
        .join(Packaging, Packaging.id == SaleLine.packaging_id)
        .where(Sale.sale_date >= first, Sale.sale_date <= last)
        .order_by(Sale.id, SaleLine.line_no)
        .execution_options(yield_per=BATCH)
    )
    for sale, sale_line, till, cashier, member, sku, name, packaging in db.session.execute(stmt):
        yield line(
            [
                sale.sale_date.isoformat(),
                format_local_time(sale.sold_at)[-5:],
                sale.receipt_number,
                till,
                cashier,
                member or "",
                sale.price_list,
                sku,
                name,
                packaging,
                sale_line.quantity,
                sale_line.base_quantity,
                sale_line.unit_price,
                sale_line.amount,
                sale_line.returned_quantity,
            ]
        )


def csv_response(rows: Iterator[str], name: str) -> Response:
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
