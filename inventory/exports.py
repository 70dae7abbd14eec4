"""The warehouse's CSV exports, streamed: stock on hand with its value, and an item's stock card at a place."""

from collections.abc import Iterator
from decimal import Decimal

from flask import Response, stream_with_context
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from app.clock import today
from app.db import db
from app.formatting import csv_line_writer, format_local_time
from inventory import services
from inventory.models import Location, Lot, StockMove

BATCH = 1000


def csv_response(rows: Iterator[str], name: str) -> Response:
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-{today().isoformat()}.csv"'},
    )


def on_hand_rows(location_id: int | None) -> Iterator[str]:
    """Every balance (a location includes the places under it) with the item's average cost and its value."""
    line = csv_line_writer()
    yield "\ufeff" + line(["sku", "item", "location", "lot", "expiry", "quantity", "unit", "average_cost", "value"])
    stmt = services.stock_on_hand_query(location_id=location_id).execution_options(yield_per=BATCH)
    for balance in db.session.scalars(stmt):
        item, lot = balance.item, balance.lot
        yield line(
            [
                item.sku,
                item.name_id,
                balance.location.code,
                lot.code if lot else "",
                lot.expiry_date.isoformat() if lot and lot.expiry_date else "",
                balance.quantity,
                item.base_unit,
                item.average_cost.quantize(Decimal("0.01")),
                int((balance.quantity * item.average_cost).to_integral_value()),
            ]
        )


def card_rows(item_id: int, location_id: int) -> Iterator[str]:
    """Every move of the item in or out of the place, oldest first, with the balance after each."""
    line = csv_line_writer()
    yield "\ufeff" + line(["time", "reference", "reason", "from", "to", "lot", "in", "out", "balance"])
    source, target = aliased(Location), aliased(Location)
    stmt = (
        select(StockMove, source.code, target.code, Lot.code)
        .join(source, source.id == StockMove.from_location_id)
        .join(target, target.id == StockMove.to_location_id)
        .outerjoin(Lot, Lot.id == StockMove.lot_id)
        .where(
            StockMove.item_id == item_id,
            or_(StockMove.from_location_id == location_id, StockMove.to_location_id == location_id),
        )
        .order_by(StockMove.id)
        .execution_options(yield_per=BATCH)
    )
    balance = Decimal(0)
    for move, from_code, to_code, lot_code in db.session.execute(stmt):
        incoming = move.to_location_id == location_id
        balance += move.quantity if incoming else -move.quantity
        yield line(
            [
                format_local_time(move.posted_at),
                move.reference,
                move.reason,
                from_code,
                to_code,
                lot_code or "",
                move.quantity if incoming else "",
                "" if incoming else move.quantity,
                balance,
            ]
        )
