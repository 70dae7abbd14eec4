"""put-away: a receipt line knows the bin its goods go to, a receipt the bin scanned last

Revision ID: 8b4f6c3d0e21
Revises: 7a3e5b2c9d10
Create Date: 2026-12-03 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b4f6c3d0e21'
down_revision = '7a3e5b2c9d10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bin_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_receipt_bin_id_location'), 'location', ['bin_id'], ['id'])
    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_receipt_line_location_id_location'), 'location', ['location_id'], ['id'])
        batch_op.drop_constraint(op.f('uq_receipt_line_receipt_id_item_id_lot_code_condition'), type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_receipt_line_receipt_id_item_id_lot_code_condition_location_id'),
            ['receipt_id', 'item_id', 'lot_code', 'condition', 'location_id'],
            postgresql_nulls_not_distinct=True,
        )


def downgrade():
    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f('uq_receipt_line_receipt_id_item_id_lot_code_condition_location_id'), type_='unique'
        )
        batch_op.create_unique_constraint(
            op.f('uq_receipt_line_receipt_id_item_id_lot_code_condition'),
            ['receipt_id', 'item_id', 'lot_code', 'condition'],
        )
        batch_op.drop_constraint(op.f('fk_receipt_line_location_id_location'), type_='foreignkey')
        batch_op.drop_column('location_id')
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_receipt_bin_id_location'), type_='foreignkey')
        batch_op.drop_column('bin_id')
