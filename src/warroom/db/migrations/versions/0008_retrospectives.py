"""retrospectives and related public GitHub issues

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 22:40:00
"""

import sqlalchemy as sa
from alembic import op

import warroom.db.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('related_github_issues',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('repository', sa.String(length=140), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('close_on_resolve', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum('linked', 'updated', 'failed', name='relatedissuestate', native_enum=False, length=32), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('comment_id', sa.BigInteger(), nullable=True),
    sa.Column('comment_url', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_related_github_issues_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_related_github_issues_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_related_github_issues')),
    sa.UniqueConstraint('incident_id', 'repository', 'number', name=op.f('uq_related_github_issues_incident_id'))
    )

    op.create_table('retrospectives',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('organiser_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=500), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('uid', sa.String(length=255), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'cancelled', name='retrospectivestatus', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_retrospectives_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organiser_id'], ['users.id'], name=op.f('fk_retrospectives_organiser_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retrospectives')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_retrospectives_incident_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_retrospectives_uid'))
    )

    op.create_table('retrospective_attendees',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('retrospective_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.Column('sent_sequence', sa.Integer(), nullable=True),
    sa.Column('sent_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['retrospective_id'], ['retrospectives.id'], name=op.f('fk_retrospective_attendees_retrospective_id_retrospectives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_retrospective_attendees_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retrospective_attendees')),
    sa.UniqueConstraint('retrospective_id', 'email', name=op.f('uq_retrospective_attendees_retrospective_id'))
    )


def downgrade() -> None:
    op.drop_table('retrospective_attendees')
    op.drop_table('retrospectives')
    op.drop_table('related_github_issues')
