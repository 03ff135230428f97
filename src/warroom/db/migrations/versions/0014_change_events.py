"""change events: what monitoring and CI report changed on a service (PagerDuty Change Events)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import warroom.db.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('change_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('service', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=1024), nullable=False),
    sa.Column('source', sa.String(length=512), nullable=False),
    sa.Column('happened_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('integration_key_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['integration_key_id'], ['integration_keys.id'],
                            name=op.f('fk_change_events_integration_key_id_integration_keys'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_change_events_team_id_teams'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_events'))
    )
    with op.batch_alter_table('change_events', schema=None) as batch_op:
        batch_op.create_index('ix_change_events_service_happened_at', ['service', 'happened_at'], unique=False)
        batch_op.create_index('ix_change_events_team_id_happened_at', ['team_id', 'happened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_events_integration_key_id'), ['integration_key_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('change_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_events_integration_key_id'))
        batch_op.drop_index('ix_change_events_team_id_happened_at')
        batch_op.drop_index('ix_change_events_service_happened_at')
    op.drop_table('change_events')
