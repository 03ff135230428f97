"""imported users, teams, schedules and escalation policies keep the ids they had in Opsgenie, PagerDuty or
Grafana OnCall

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'source_ids',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.Enum('user', 'team', 'schedule', 'escalation', name='sourcekind',
                                  native_enum=False, length=32), nullable=False),
        sa.Column('source_id', sa.String(length=200), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_source_ids')),
        sa.UniqueConstraint('source', 'kind', 'source_id', name='uq_source_ids_source_kind_id'),
    )
    op.create_index('ix_source_ids_kind_source_id', 'source_ids', ['kind', 'source_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_source_ids_kind_source_id', table_name='source_ids')
    op.drop_table('source_ids')
