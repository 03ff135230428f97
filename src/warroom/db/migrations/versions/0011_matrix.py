"""Matrix: what the Matrix adapter keeps beside the chat tables

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 23:00:00
"""

import sqlalchemy as sa
from alembic import op

import warroom.db.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('matrix_sync',
    sa.Column('account', sa.String(length=255), nullable=False),
    sa.Column('next_batch', sa.Text(), nullable=False),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account', name=op.f('pk_matrix_sync'))
    )


def downgrade() -> None:
    op.drop_table('matrix_sync')
