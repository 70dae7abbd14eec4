"""A Hypothesis state machine of receipts, transfers, adjustments, sales and reversals against a simple model:
balances always equal the ledger sum, never go negative, and the moving-average cost follows the receipts."""

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from app.db import db
from inventory import ledger
from inventory.ledger import InsufficientStock, Move, post_moves, reverse_moves
from inventory.models import Item, StockBalance, StockMove
from tests.inventory.conftest import build_world

QTY = st.integers(min_value=1, max_value=40).map(Decimal)
COST = st.integers(min_value=1000, max_value=20000).map(Decimal)


def test_the_ledger_against_a_model(session):
    world = build_world()
    internal = [world.bin1, world.bin2, world.shop, world.transit]
    items = [world.sugar, world.rice]
    outside = {world.supplier.id, world.customer.id, world.loss.id}

    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.savepoint = db.session.begin_nested()
            self.stock = {(i.id, loc.id): Decimal(0) for i in items for loc in internal}
            self.cost = {i.id: Decimal(0) for i in items}
            self.postings: list[tuple[list[int], list[tuple]]] = []  # move ids and their model effect

        def teardown(self):
            self.savepoint.rollback()

        def _post(self, moves: list[Move], effect: list[tuple]):
            try:
                ids = post_moves(moves)
            except InsufficientStock:
                assert any(self.stock[(i, lc)] + d < 0 for i, lc, d in effect), "refused although stock was there"
                return
            for item_id, loc_id, delta in effect:
                self.stock[(item_id, loc_id)] += delta
            self.postings.append((ids, effect))

        def _revalue(self, item_id, qty, cost):
            """Stock coming in from outside at a cost moves the average (the model of the rule)."""
            on_hand = sum(q for (i, _loc), q in self.stock.items() if i == item_id)
            self.cost[item_id] = ((on_hand * self.cost[item_id] + qty * cost) / (on_hand + qty)).quantize(
                Decimal("0.0001"), ROUND_HALF_UP
            )

        @rule(item=st.sampled_from(items), to=st.sampled_from([world.bin1, world.bin2, world.shop]), qty=QTY, cost=COST)
        def receive(self, item, to, qty, cost):
            self._revalue(item.id, qty, cost)  # against the stock before the receipt
            self._post(
                [Move(item.id, world.supplier.id, to.id, qty, "receipt", "PO", unit_cost=cost)], [(item.id, to.id, qty)]
            )

        @rule(item=st.sampled_from(items), source=st.sampled_from(internal), dest=st.sampled_from(internal), qty=QTY)
        def transfer(self, item, source, dest, qty):
            if source.id == dest.id:
                return
            self._post(
                [Move(item.id, source.id, dest.id, qty, "transfer", "T")],
                [(item.id, source.id, -qty), (item.id, dest.id, qty)],
            )

        @rule(item=st.sampled_from(items), at=st.sampled_from(internal), qty=QTY, found=st.booleans())
        def adjust(self, item, at, qty, found):
            source, dest = (world.loss, at) if found else (at, world.loss)
            self._post(
                [Move(item.id, source.id, dest.id, qty, "adjustment", "ADJ")],
                [(item.id, at.id, qty if found else -qty)],
            )

        @rule(item=st.sampled_from(items), at=st.sampled_from([world.shop, world.bin1]), qty=QTY)
        def sell(self, item, at, qty):
            self._post([Move(item.id, at.id, world.customer.id, qty, "sale", "S")], [(item.id, at.id, -qty)])

        @precondition(lambda self: self.postings)
        @rule(data=st.data())
        def reverse(self, data):
            index = data.draw(st.integers(min_value=0, max_value=len(self.postings) - 1))
            ids, effect = self.postings[index]
            inverse = [(i, lc, -d) for i, lc, d in effect]
            originals = db.session.scalars(select(StockMove).where(StockMove.id.in_(ids))).all()
            try:
                reverse_moves(ids, "REV")
            except InsufficientStock:
                assert any(self.stock[(i, lc)] + d < 0 for i, lc, d in inverse)
                return
            for move in originals:  # a sale or a loss coming back returns at the cost it left with
                if move.to_location_id in outside and move.from_location_id not in outside:
                    self._revalue(move.item_id, move.quantity, move.unit_cost)
            for item_id, loc_id, delta in inverse:
                self.stock[(item_id, loc_id)] += delta
            self.postings.pop(index)  # a move is reversed once

        @invariant()
        def balances_match_the_model_and_the_ledger(self):
            rows = db.session.execute(select(StockBalance.item_id, StockBalance.location_id, StockBalance.quantity))
            actual = {(i, lc): q for i, lc, q in rows}
            for key, expected in self.stock.items():
                assert actual.get(key, Decimal(0)) == expected
                assert expected >= 0
            assert ledger.verify() == []

        @invariant()
        def average_cost_follows_the_receipts(self):
            for item in items:
                cost = db.session.scalar(select(Item.average_cost).where(Item.id == item.id))
                assert cost == self.cost[item.id]

    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
