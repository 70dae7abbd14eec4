from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from app.db import db
from inventory import ledger, services
from inventory.ledger import InsufficientStock, Move, post_moves, reverse_moves
from inventory.models import StockBalance, StockMove
from tests.inventory.conftest import D


def balance(item, location, lot=None) -> Decimal:
    stmt = select(StockBalance.quantity).where(StockBalance.item_id == item.id, StockBalance.location_id == location.id)
    stmt = stmt.where(StockBalance.lot_id.is_(None) if lot is None else StockBalance.lot_id == lot.id)
    return db.session.scalar(stmt) or Decimal(0)


def receive(w, item, location, qty, cost, lot=None):
    return post_moves(
        [
            Move(
                item.id,
                w.supplier.id,
                location.id,
                D(qty),
                "receipt",
                "PO-1",
                lot_id=lot.id if lot else None,
                unit_cost=D(cost),
            )
        ]
    )


def test_receipt_adds_stock_and_sets_the_average_cost(world):
    receive(world, world.rice, world.bin1, "50", "12400")
    assert balance(world.rice, world.bin1) == D("50")
    db.session.refresh(world.rice)
    assert world.rice.average_cost == D("12400")
    assert ledger.verify() == []


def test_moving_average_follows_each_receipt_and_ignores_issues(world):
    receive(world, world.sugar, world.bin1, 10, 100)
    receive(world, world.sugar, world.bin1, 10, 130)
    db.session.refresh(world.sugar)
    assert world.sugar.average_cost == D("115")
    post_moves([Move(world.sugar.id, world.bin1.id, world.customer.id, D(5), "sale", "S-1")])
    db.session.refresh(world.sugar)
    assert world.sugar.average_cost == D("115")  # issues leave the average alone
    receive(world, world.sugar, world.bin2, 5, 200)  # on hand anywhere counts: 15 @ 115 + 5 @ 200
    db.session.refresh(world.sugar)
    assert world.sugar.average_cost == D("136.25")
    sale = db.session.scalars(select(StockMove).where(StockMove.reference == "S-1")).one()
    assert sale.unit_cost == D("115")  # an issue is valued at the average of its moment


def test_two_receipts_of_one_item_in_one_batch_average_in_order(world):
    post_moves(
        [
            Move(world.sugar.id, world.supplier.id, world.bin1.id, D(1), "receipt", "PO-2", unit_cost=D(90)),
            Move(world.sugar.id, world.supplier.id, world.bin1.id, D(3), "receipt", "PO-2", unit_cost=D(110)),
        ]
    )
    db.session.refresh(world.sugar)
    assert world.sugar.average_cost == D("105")
    assert balance(world.sugar, world.bin1) == D(4)


def test_not_enough_stock_names_item_location_and_what_is_there_and_writes_nothing(world):
    receive(world, world.sugar, world.bin1, 3, 100)
    with pytest.raises(InsufficientStock) as error:
        post_moves(
            [
                Move(world.sugar.id, world.bin1.id, world.shop.id, D(1), "transfer", "T-1"),
                Move(world.sugar.id, world.bin1.id, world.customer.id, D(3), "sale", "S-9"),
            ]
        )
    assert error.value.message == "Stok Gula 1 kg di Rak 1 tidak cukup: ada 3, perlu 4."
    assert error.value.extra["available"] == "3.000"
    # The check comes before any stock is written: no move, no quantity anywhere but the bin's 3 (the shop's
    # new balance row was made at zero before the lock, and goes with the refused transaction).
    assert db.session.scalar(select(func.count()).select_from(StockMove)) == 1
    assert db.session.execute(
        select(StockBalance.location_id, StockBalance.quantity).where(StockBalance.quantity != 0)
    ).all() == [(world.bin1.id, D(3))]


def test_no_stock_row_at_all_is_insufficient_too(world):
    with pytest.raises(InsufficientStock) as error:
        post_moves([Move(world.rice.id, world.shop.id, world.customer.id, D("0.5"), "sale", "S-1")])
    assert "ada 0, perlu 0.5" in error.value.message


def test_transfer_moves_between_internal_locations(world):
    receive(world, world.rice, world.bin1, 100, 12000)
    post_moves([Move(world.rice.id, world.bin1.id, world.shop.id, D("37.5"), "transfer", "T-1")])
    assert balance(world.rice, world.bin1) == D("62.5")
    assert balance(world.rice, world.shop) == D("37.5")
    assert ledger.verify() == []


def test_quantities_must_fit_the_unit(world):
    with pytest.raises(services.ValidationFailed, match="Satuan pak dihitung sampai 0 angka"):
        post_moves([Move(world.sphp.id, world.supplier.id, world.bin1.id, D("1.5"), "receipt", "PO")])
    with pytest.raises(services.ValidationFailed, match="Satuan kg dihitung sampai 3 angka"):
        post_moves([Move(world.rice.id, world.supplier.id, world.bin1.id, D("1.2345"), "receipt", "PO")])


def test_zero_negative_and_same_location_moves_are_refused(world):
    for qty in ("0", "-1"):
        with pytest.raises(services.ValidationFailed):
            post_moves([Move(world.rice.id, world.supplier.id, world.bin1.id, D(qty), "receipt", "PO")])
    with pytest.raises(services.ValidationFailed):
        post_moves([Move(world.rice.id, world.bin1.id, world.bin1.id, D(1), "transfer", "T")])


def test_reversal_undoes_a_receipt_once(world):
    ids = receive(world, world.sugar, world.bin1, 10, 100)
    reverse_moves(ids, "REV-PO-1")
    assert balance(world.sugar, world.bin1) == D(0)
    reversal = db.session.scalars(select(StockMove).where(StockMove.reverses_move_id == ids[0])).one()
    assert (reversal.from_location_id, reversal.to_location_id) == (world.bin1.id, world.supplier.id)
    with pytest.raises(services.DomainError, match="sudah pernah dibalik"):
        reverse_moves(ids, "REV-AGAIN")
    with pytest.raises(services.DomainError, match="tidak bisa dibalik"):
        reverse_moves([reversal.id], "REV-REV")


def test_a_reversal_that_would_go_negative_is_refused(world):
    ids = receive(world, world.sugar, world.bin1, 10, 100)
    post_moves([Move(world.sugar.id, world.bin1.id, world.customer.id, D(8), "sale", "S-1")])
    with pytest.raises(InsufficientStock):
        reverse_moves(ids, "REV-PO-1")


def test_lots_are_kept_apart_and_picked_first_expiring_first(world):
    late = services.get_or_create_lot(world.sphp, "L-LATE", date(2027, 6, 30))
    early = services.get_or_create_lot(world.sphp, "L-EARLY", date(2027, 1, 31))
    receive(world, world.sphp, world.shop, 5, 56500, lot=late)
    receive(world, world.sphp, world.shop, 3, 56500, lot=early)
    assert balance(world.sphp, world.shop, early) == D(3)
    assert ledger.pick_lots(world.sphp.id, world.shop.id, D(4)) == [(early.id, D(3)), (late.id, D(1))]
    with pytest.raises(InsufficientStock):
        ledger.pick_lots(world.sphp.id, world.shop.id, D(9))


def test_the_check_constraint_backs_up_the_ledger(world):
    receive(world, world.sugar, world.bin1, 1, 100)
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE stock_balance SET quantity = -1"))
        db.session.flush()


def test_verify_finds_drift_and_the_command_exits_1(world, runner):
    receive(world, world.sugar, world.bin1, 5, 100)
    assert runner.invoke(args=["inventory", "verify"]).exit_code == 0
    db.session.execute(text("UPDATE stock_balance SET quantity = 4"))
    drift = ledger.verify()
    assert drift == [
        {
            "item_id": world.sugar.id,
            "location_id": world.bin1.id,
            "lot_id": None,
            "ledger": D("5.000"),
            "balance": D("4.000"),
        }
    ]
    result = runner.invoke(args=["inventory", "verify"])
    assert result.exit_code == 1
    assert "ledger 5.000 != balance 4.000" in result.output


class StatementCounter:
    def __init__(self, connection):
        self.connection = connection
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(self.connection, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.connection, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


def test_a_three_line_batch_costs_at_most_eight_statements(world):
    receive(world, world.rice, world.bin1, 100, 12000)
    receive(world, world.sugar, world.bin1, 100, 15000)
    receive(world, world.sphp, world.bin1, 100, 56500)
    lines = [
        Move(world.rice.id, world.bin1.id, world.shop.id, D(5), "transfer", "T-1"),
        Move(world.sugar.id, world.bin1.id, world.shop.id, D(2), "transfer", "T-1"),
        Move(world.sphp.id, world.bin1.id, world.shop.id, D(1), "transfer", "T-1"),
    ]
    with StatementCounter(db.session.connection()) as counter:
        post_moves(lines)  # first time: the shop's balance rows are created
    assert len(counter.statements) <= 8, counter.statements
    with StatementCounter(db.session.connection()) as counter:
        post_moves(lines)  # facts, lock, then balances, moves and the outbox (one statement on PG, three on SQLite)
    expected = 3 if db.session.get_bind().dialect.name == "postgresql" else 5
    assert len(counter.statements) == expected, "\n".join(counter.statements)
    receipts = [
        Move(m.item_id, world.supplier.id, world.bin2.id, D(3), "receipt", "PO-9", unit_cost=D(1000)) for m in lines
    ]
    with StatementCounter(db.session.connection()) as counter:
        post_moves(receipts)  # the worst case: new balance rows and three new average costs
    assert len(counter.statements) <= (8 if expected == 3 else 10), "\n".join(counter.statements)
