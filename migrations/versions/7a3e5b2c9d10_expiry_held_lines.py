"""receipt lines can be held (a lot that expires too soon waits in quarantine for a manager); items know how many
days of shelf life a delivery must still have

Revision ID: 7a3e5b2c9d10
Revises: 5c1e0d7a9b21
Create Date: 2026-12-03 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3e5b2c9d10'
down_revision = '5c1e0d7a9b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_shelf_life_days', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('min_shelf_life_days', 'min_shelf_life_days BETWEEN 0 AND 3650')
    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_receipt_line_condition'), type_='check')
        batch_op.create_check_constraint('condition', "condition IN ('good','held','damaged','rejected')")


def downgrade():
    op.execute("UPDATE receipt_line SET condition = 'damaged' WHERE condition = 'held'")
    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_receipt_line_condition'), type_='check')
        batch_op.create_check_constraint('condition', "condition IN ('good','damaged','rejected')")
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_item_min_shelf_life_days'), type_='check')
        batch_op.drop_column('min_shelf_life_days')
