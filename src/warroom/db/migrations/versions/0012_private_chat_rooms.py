"""chat rooms remember whether they were opened private

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chat_rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('chat_rooms', schema=None) as batch_op:
        batch_op.drop_column('private')
