"""alerts keep the responders Warroom could not resolve, whether they were routed to the catch-all, and who
acknowledged or closed them as named

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unresolved_responders', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('unrouted', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('acknowledged_by_label', sa.String(length=100), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('closed_by_label', sa.String(length=100), nullable=False,
                                      server_default=''))
        batch_op.create_index('ix_alerts_unrouted_id', ['id'], unique=False,
                              sqlite_where=sa.text('unrouted'), postgresql_where=sa.text('unrouted'))


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_unrouted_id', sqlite_where=sa.text('unrouted'),
                            postgresql_where=sa.text('unrouted'))
        batch_op.drop_column('closed_by_label')
        batch_op.drop_column('acknowledged_by_label')
        batch_op.drop_column('unrouted')
        batch_op.drop_column('unresolved_responders')
