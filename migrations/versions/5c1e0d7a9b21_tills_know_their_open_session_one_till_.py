"""tills know their open session; one open till per cashier; one waiting return per receipt; empties have a
balance row wherever their full cylinders are

Revision ID: 5c1e0d7a9b21
Revises: 8222661eb20a
Create Date: 2026-12-02 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e0d7a9b21'
down_revision = '8222661eb20a'
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    twice = conn.execute(sa.text(
        "SELECT cashier_id FROM till_session WHERE closed_at IS NULL GROUP BY cashier_id HAVING count(*) > 1"
    )).first()
    if twice is not None:
        raise RuntimeError("A cashier has two tills open: close one of them, then upgrade again.")
    waiting = conn.execute(sa.text(
        "SELECT sale_id FROM sale_return WHERE status = 'requested' GROUP BY sale_id HAVING count(*) > 1"
    )).first()
    if waiting is not None:
        raise RuntimeError("A receipt has two returns waiting for a manager: decide one of them, then upgrade again.")
    with op.batch_alter_table('till', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_session_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_till_open_session_id_till_session', 'till_session', ['open_session_id'], ['id'], use_alter=True
        )
    conn.execute(sa.text(
        "UPDATE till SET open_session_id = (SELECT s.id FROM till_session AS s"
        " WHERE s.till_id = till.id AND s.closed_at IS NULL)"
    ))
    with op.batch_alter_table('till_session', schema=None) as batch_op:
        batch_op.create_index(
            'uq_till_session_open_cashier', ['cashier_id'], unique=True,
            postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'),
        )
    with op.batch_alter_table('sale_return', schema=None) as batch_op:
        batch_op.create_index(
            'uq_sale_return_requested', ['sale_id'], unique=True,
            postgresql_where=sa.text("status = 'requested'"), sqlite_where=sa.text("status = 'requested'"),
        )
    # The ledger now makes an empty cylinder's row wherever its full one arrives; make the ones it missed.
    conn.execute(sa.text(
        "INSERT INTO stock_balance (item_id, location_id, lot_id, quantity)"
        " SELECT DISTINCT i.empty_item_id, b.location_id, CAST(NULL AS INTEGER), 0 FROM stock_balance AS b"
        " JOIN item AS i ON i.id = b.item_id WHERE i.empty_item_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM stock_balance AS e WHERE e.item_id = i.empty_item_id"
        " AND e.location_id = b.location_id AND e.lot_id IS NULL)"
    ))


def downgrade():
    with op.batch_alter_table('sale_return', schema=None) as batch_op:
        batch_op.drop_index('uq_sale_return_requested')
    with op.batch_alter_table('till_session', schema=None) as batch_op:
        batch_op.drop_index('uq_till_session_open_cashier')
    with op.batch_alter_table('till', schema=None) as batch_op:
        batch_op.drop_constraint('fk_till_open_session_id_till_session', type_='foreignkey')
        batch_op.drop_column('open_session_id')
