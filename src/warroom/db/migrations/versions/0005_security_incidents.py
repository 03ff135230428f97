"""private security incidents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 19:45:00
"""

import sqlalchemy as sa
from alembic import op

import warroom.db.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident_participants',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_incident_participants_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_participants_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_incident_participants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'user_id', name=op.f('pk_incident_participants'))
    )
    with op.batch_alter_table('incident_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_participants_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_participants_user_id'))

    op.drop_table('incident_participants')
