"""insights indexes and follow-up reminders

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 22:40:00
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import warroom.db.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TIMED = ('investigating', 'identified', 'monitoring', 'resolved')


def upgrade() -> None:
    op.create_table('incident_status_periods',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('investigating', 'identified', 'monitoring', 'resolved', 'closed', name='status', native_enum=False, length=32), nullable=False),
    sa.Column('started_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seconds', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_status_periods_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_status_periods'))
    )
    with op.batch_alter_table('incident_status_periods', schema=None) as batch_op:
        batch_op.create_index('ix_incident_status_periods_incident_id_ended_at', ['incident_id', 'ended_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_status_periods_started_at'), ['started_at'], unique=False)

    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_reminded_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_followups_created_at_status', ['created_at', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_done_at'), ['done_at'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=True))

    _backfill_status_periods()


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('body')

    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followups_done_at'))
        batch_op.drop_index('ix_followups_created_at_status')
        batch_op.drop_column('last_reminded_on')

    with op.batch_alter_table('incident_status_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_status_periods_started_at'))
        batch_op.drop_index('ix_incident_status_periods_incident_id_ended_at')

    op.drop_table('incident_status_periods')


def _backfill_status_periods() -> None:
    """Rebuild every existing incident's status periods from its timeline's status changes."""
    incidents = sa.table('incidents', sa.column('id', sa.Integer()), sa.column('declared_at', warroom.db.types.UTCDateTime()))
    entries = sa.table('timeline_entries', sa.column('id', sa.Integer()), sa.column('incident_id', sa.Integer()),
                       sa.column('kind', sa.String()), sa.column('data', sa.JSON()),
                       sa.column('created_at', warroom.db.types.UTCDateTime()))
    periods = sa.table('incident_status_periods', sa.column('incident_id', sa.Integer()), sa.column('status', sa.String()),
                       sa.column('started_at', warroom.db.types.UTCDateTime()), sa.column('ended_at', warroom.db.types.UTCDateTime()),
                       sa.column('seconds', sa.Integer()))
    bind = op.get_bind()
    changes: dict[int, list[tuple[str, datetime]]] = {}
    query = (sa.select(entries.c.incident_id, entries.c.kind, entries.c.data, entries.c.created_at)
             .where(entries.c.kind.in_(('status_changed', 'resolved', 'closed'))).order_by(entries.c.incident_id, entries.c.id))
    for incident_id, kind, data, at in bind.execute(query):
        after = {'resolved': 'resolved', 'closed': 'closed'}.get(kind) or (data or {}).get('after', '')
        changes.setdefault(incident_id, []).append((after, at))
    rows: list[dict[str, Any]] = []
    for incident_id, declared_at in bind.execute(sa.select(incidents.c.id, incidents.c.declared_at)).all():
        status, since = 'investigating', declared_at
        for after, at in changes.get(incident_id, []):
            if after == status or after not in (*TIMED, 'closed'):
                continue
            rows.append({'incident_id': incident_id, 'status': status, 'started_at': since, 'ended_at': at,
                         'seconds': max(0, int((at - since).total_seconds()))})
            status, since = after, at
        if status in TIMED:
            rows.append({'incident_id': incident_id, 'status': status, 'started_at': since, 'ended_at': None,
                         'seconds': None})
        if len(rows) >= 5000:
            bind.execute(sa.insert(periods), rows)
            rows = []
    if rows:
        bind.execute(sa.insert(periods), rows)
