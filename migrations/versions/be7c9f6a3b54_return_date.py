"""A return's own business date (when its refund was paid), for the reports

Revision ID: be7c9f6a3b54
Revises: ad6b8e5f2a43
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'be7c9f6a3b54'
down_revision = 'ad6b8e5f2a43'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sale_return', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_date', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sale_return_return_date'), ['return_date'], unique=False)
    # Returns approved before: their date on the cooperative's clock (WITA, UTC+8 all year).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "UPDATE sale_return SET return_date = (decided_at AT TIME ZONE 'Asia/Makassar')::date "
            "WHERE status = 'approved'"
        )
    else:
        op.execute("UPDATE sale_return SET return_date = date(decided_at, '+8 hours') WHERE status = 'approved'")


def downgrade():
    with op.batch_alter_table('sale_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sale_return_return_date'))
        batch_op.drop_column('return_date')
