"""chat platforms: rooms, messages and people links

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 22:40:00
"""

import sqlalchemy as sa
from alembic import op

import warroom.db.types


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chat_rooms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('room_id', sa.String(length=64), nullable=True),
    sa.Column('room_name', sa.String(length=100), nullable=False),
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('invited', sa.JSON(), nullable=False),
    sa.Column('summary_message_id', sa.String(length=64), nullable=True),
    sa.Column('summary_text', sa.Text(), nullable=False),
    sa.Column('summary_pinned', sa.Boolean(), nullable=False),
    sa.Column('announce_room_id', sa.String(length=64), nullable=True),
    sa.Column('announcement_message_id', sa.String(length=64), nullable=True),
    sa.Column('announcement_text', sa.Text(), nullable=False),
    sa.Column('final_posted', sa.Boolean(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('syncing_until', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_chat_rooms_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_rooms')),
    sa.UniqueConstraint('incident_id', 'platform', name='uq_chat_rooms_incident_id_platform')
    )
    with op.batch_alter_table('chat_rooms', schema=None) as batch_op:
        batch_op.create_index('ix_chat_rooms_platform_room_id', ['platform', 'room_id'], unique=True)

    op.create_table('chat_people',
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('linked_by', sa.String(length=16), nullable=False),
    sa.Column('linked_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_people_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('platform', 'person_id', name=op.f('pk_chat_people'))
    )
    with op.batch_alter_table('chat_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_people_user_id'), ['user_id'], unique=False)

    op.create_table('chat_messages',
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('room_id', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['timeline_entries.id'], name=op.f('fk_chat_messages_entry_id_timeline_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_chat_messages_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('platform', 'room_id', 'message_id', name=op.f('pk_chat_messages'))
    )
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_messages_incident_id'), ['incident_id'], unique=False)

    op.create_table('chat_events',
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=100), nullable=False),
    sa.Column('received_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'event_id', name=op.f('pk_chat_events'))
    )
    with op.batch_alter_table('chat_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_events_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chat_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_events_received_at'))

    op.drop_table('chat_events')
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_messages_incident_id'))

    op.drop_table('chat_messages')
    with op.batch_alter_table('chat_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_people_user_id'))

    op.drop_table('chat_people')
    with op.batch_alter_table('chat_rooms', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_rooms_platform_room_id')

    op.drop_table('chat_rooms')
