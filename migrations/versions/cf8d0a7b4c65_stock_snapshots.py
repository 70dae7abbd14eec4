"""Stock snapshots per day (valuation at a past date), moves found by the time they were posted

Revision ID: cf8d0a7b4c65
Revises: be7c9f6a3b54
Create Date: 2026-12-03 08:10:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = 'cf8d0a7b4c65'
down_revision = 'be7c9f6a3b54'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'snapshot_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('last_move_id', sa.Integer(), nullable=False),
        sa.Column('made_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_snapshot_day')),
    )
    op.create_table(
        'stock_snapshot',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column('value', sa.Numeric(precision=20, scale=4), nullable=False),
        sa.ForeignKeyConstraint(['day'], ['snapshot_day.day'], name=op.f('fk_stock_snapshot_day_snapshot_day'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_stock_snapshot_item_id_item')),
        sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_stock_snapshot_location_id_location')),
        sa.PrimaryKeyConstraint('day', 'item_id', 'location_id', name=op.f('pk_stock_snapshot')),
    )
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_move_posted_at'), ['posted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_move_posted_at'))
    op.drop_table('stock_snapshot')
    op.drop_table('snapshot_day')
