"""external reporters and announcement days

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 19:45:00
"""

import sqlalchemy as sa
from alembic import op

import warroom.db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('announcement_days',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('funding', 'launch', 'campaign', 'other', name='daykind', native_enum=False, length=32), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('all_day', sa.Boolean(), nullable=False),
    sa.Column('starts_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('reminder_minutes', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_announcement_days_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_announcement_days_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_days'))
    )
    with op.batch_alter_table('announcement_days', schema=None) as batch_op:
        batch_op.create_index('ix_announcement_days_starts_at_ends_at', ['starts_at', 'ends_at'], unique=False)

    op.create_table('announcement_day_incidents',
    sa.Column('day_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('how', sa.String(length=16), nullable=False),
    sa.Column('notified_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['day_id'], ['announcement_days.id'], name=op.f('fk_announcement_day_incidents_day_id_announcement_days'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_announcement_day_incidents_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day_id', 'incident_id', name=op.f('pk_announcement_day_incidents'))
    )
    with op.batch_alter_table('announcement_day_incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_day_incidents_incident_id'), ['incident_id'], unique=False)

    op.create_table('reports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('status', sa.Enum('new', 'acknowledged', 'declared', 'dismissed', name='reportstatus', native_enum=False, length=32), nullable=False),
    sa.Column('source', sa.Enum('form', 'email', name='reportsource', native_enum=False, length=32), nullable=False),
    sa.Column('reporter_name', sa.String(length=200), nullable=False),
    sa.Column('reporter_email', sa.String(length=254), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('affected_service', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.String(length=500), nullable=True),
    sa.Column('received_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledgement_sent_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('dismiss_reason', sa.Text(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_reports_acknowledged_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_reports_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_reports_incident_id_incidents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('message_id', name=op.f('uq_reports_message_id'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_status'))
        batch_op.drop_index(batch_op.f('ix_reports_received_at'))
        batch_op.drop_index(batch_op.f('ix_reports_incident_id'))

    op.drop_table('reports')
    with op.batch_alter_table('announcement_day_incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_day_incidents_incident_id'))

    op.drop_table('announcement_day_incidents')
    with op.batch_alter_table('announcement_days', schema=None) as batch_op:
        batch_op.drop_index('ix_announcement_days_starts_at_ends_at')

    op.drop_table('announcement_days')
