"""The cooperative's settings, a shop's own HET zone, a user's forced password change and last sign-in, CSV
import batches

Revision ID: ad6b8e5f2a43
Revises: 9c5a7d4e1f32
Create Date: 2026-12-03 07:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = 'ad6b8e5f2a43'
down_revision = '9c5a7d4e1f32'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'setting',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_setting')),
    )
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.add_column(sa.Column('het_zone', sa.String(length=40), nullable=True))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column('last_login_at', app.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        'import_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=True),
        sa.Column('errors', sa.JSON(), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('started_at', app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', app.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued','running','done','refused','failed')", name=op.f('ck_import_batch_status')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_import_batch_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch')),
    )


def downgrade():
    op.drop_table('import_batch')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('must_change_password')
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_column('het_zone')
    op.drop_table('setting')
