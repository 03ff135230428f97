"""Matrix: what the Matrix adapter keeps beside the chat tables

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 23:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import warroom.db.types  # noqa: F401


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
