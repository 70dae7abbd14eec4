"""SHU by patronage: a closed year and its frozen shares

Revision ID: d1a9e0b5c276
Revises: cf8d0a7b4c65
Create Date: 2026-12-03 08:20:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = 'd1a9e0b5c276'
down_revision = 'cf8d0a7b4c65'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'shu_year',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('surplus', sa.BigInteger(), nullable=False),
        sa.Column('member_percent', sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('purchases', sa.BigInteger(), nullable=False),
        sa.Column('closed_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('closed_by_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('amount >= 0', name=op.f('ck_shu_year_amount')),
        sa.CheckConstraint('member_percent >= 0 AND member_percent <= 100', name=op.f('ck_shu_year_member_percent')),
        sa.CheckConstraint('surplus >= 0', name=op.f('ck_shu_year_surplus')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_shu_year_closed_by_id_user_account')),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_shu_year')),
    )
    op.create_table(
        'shu_share',
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('purchases', sa.BigInteger(), nullable=False),
        sa.Column('share', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_shu_share_member_id_member')),
        sa.ForeignKeyConstraint(['year'], ['shu_year.year'], name=op.f('fk_shu_share_year_shu_year')),
        sa.PrimaryKeyConstraint('year', 'member_id', name=op.f('pk_shu_share')),
    )


def downgrade():
    op.drop_table('shu_share')
    op.drop_table('shu_year')
