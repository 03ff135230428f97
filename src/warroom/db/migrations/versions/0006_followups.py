"""follow-ups and their GitHub issues

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 21:15:00
"""

import sqlalchemy as sa
from alembic import op

import warroom.db.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('followups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('priority', sa.Enum('low', 'medium', 'high', name='priority', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', name='followupstatus', native_enum=False, length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issue_link', sa.Enum('none', 'pending', 'attached', 'failed', name='issuelink', native_enum=False, length=32), nullable=False),
    sa.Column('github_repo', sa.String(length=140), nullable=True),
    sa.Column('github_number', sa.Integer(), nullable=True),
    sa.Column('github_url', sa.String(length=500), nullable=True),
    sa.Column('github_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_followups_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_followups_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_followups_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followups'))
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index('ix_followups_github_repo_github_number', ['github_repo', 'github_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_followups_status_due_on', ['status', 'due_on'], unique=False)

    op.create_table('github_deliveries',
    sa.Column('delivery_id', sa.String(length=100), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('received_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('delivery_id', name=op.f('pk_github_deliveries'))
    )


def downgrade() -> None:
    op.drop_table('github_deliveries')
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_status_due_on')
        batch_op.drop_index(batch_op.f('ix_followups_incident_id'))
        batch_op.drop_index('ix_followups_github_repo_github_number')

    op.drop_table('followups')
