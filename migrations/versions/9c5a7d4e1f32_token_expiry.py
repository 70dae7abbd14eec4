"""API tokens may expire

Revision ID: 9c5a7d4e1f32
Revises: 8b4f6c3d0e21
Create Date: 2026-12-03 03:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '9c5a7d4e1f32'
down_revision = '8b4f6c3d0e21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
