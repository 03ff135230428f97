"""postmortems, their comments and publications

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 22:40:00
"""

import sqlalchemy as sa
from alembic import op

import warroom.db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('postmortems',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'in_review', 'published', name='postmortemstate', native_enum=False, length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_to', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_postmortems_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_postmortems_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_postmortems_published_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_postmortems_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postmortems')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_postmortems_incident_id'))
    )
    with op.batch_alter_table('postmortems', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postmortems_state'), ['state'], unique=False)

    op.create_table('postmortem_comments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('postmortem_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_postmortem_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['postmortem_id'], ['postmortems.id'], name=op.f('fk_postmortem_comments_postmortem_id_postmortems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postmortem_comments'))
    )
    with op.batch_alter_table('postmortem_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postmortem_comments_postmortem_id'), ['postmortem_id'], unique=False)

    op.create_table('postmortem_templates',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_postmortem_templates_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_postmortem_templates'))
    )


def downgrade() -> None:
    op.drop_table('postmortem_templates')
    with op.batch_alter_table('postmortem_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postmortem_comments_postmortem_id'))

    op.drop_table('postmortem_comments')
    with op.batch_alter_table('postmortems', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postmortems_state'))

    op.drop_table('postmortems')
