"""calendar feeds: a nonce per person or schedule, from which (with the server's key) the secret feed URL is made

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import warroom.db.types

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendar_feeds',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('schedule_id', sa.Integer(), nullable=True),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('renewed_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('renewed_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('(user_id IS NULL) <> (schedule_id IS NULL)', name=op.f('ck_calendar_feeds_one_owner')),
        sa.ForeignKeyConstraint(['renewed_by_id'], ['users.id'], name=op.f('fk_calendar_feeds_renewed_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'],
                                name=op.f('fk_calendar_feeds_schedule_id_schedules'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
        sa.UniqueConstraint('schedule_id', name=op.f('uq_calendar_feeds_schedule_id')),
        sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feeds_user_id')),
    )


def downgrade() -> None:
    op.drop_table('calendar_feeds')
