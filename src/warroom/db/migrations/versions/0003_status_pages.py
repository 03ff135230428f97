"""status pages, public updates and subscribers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:45:00
"""

import sqlalchemy as sa
from alembic import op

import warroom.db.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('status_pages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('editor_team_id', sa.Integer(), nullable=True),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['editor_team_id'], ['teams.id'], name=op.f('fk_status_pages_editor_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_pages')),
    sa.UniqueConstraint('slug', name=op.f('uq_status_pages_slug'))
    )
    with op.batch_alter_table('status_pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_pages_editor_team_id'), ['editor_team_id'], unique=False)

    op.create_table('status_update_templates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('status', sa.Enum('investigating', 'identified', 'monitoring', 'resolved', name='publicstatus', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_status_update_templates_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_update_templates')),
    sa.UniqueConstraint('status', name=op.f('uq_status_update_templates_status'))
    )
    op.create_table('status_component_groups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['page_id'], ['status_pages.id'], name=op.f('fk_status_component_groups_page_id_status_pages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_component_groups')),
    sa.UniqueConstraint('page_id', 'name', name='uq_status_component_groups_page_name')
    )
    with op.batch_alter_table('status_component_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_component_groups_page_id'), ['page_id'], unique=False)

    op.create_table('status_incidents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('investigating', 'identified', 'monitoring', 'resolved', name='publicstatus', native_enum=False, length=32), nullable=False),
    sa.Column('started_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_status_incidents_incident_id_incidents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['page_id'], ['status_pages.id'], name=op.f('fk_status_incidents_page_id_status_pages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_incidents')),
    sa.UniqueConstraint('page_id', 'incident_id', name='uq_status_incidents_page_incident')
    )
    with op.batch_alter_table('status_incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_incidents_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_status_incidents_page_id_started_at', ['page_id', 'started_at'], unique=False)

    op.create_table('status_maintenances',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('starts_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_status_maintenances_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['page_id'], ['status_pages.id'], name=op.f('fk_status_maintenances_page_id_status_pages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_maintenances'))
    )
    with op.batch_alter_table('status_maintenances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_maintenances_page_id'), ['page_id'], unique=False)

    op.create_table('status_subscribers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('email', 'webhook', name='subscriberkind', native_enum=False, length=32), nullable=False),
    sa.Column('address', sa.String(length=1000), nullable=False),
    sa.Column('component_ids', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('confirmed_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmation_sent_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_status_subscribers_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['page_id'], ['status_pages.id'], name=op.f('fk_status_subscribers_page_id_status_pages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_subscribers')),
    sa.UniqueConstraint('page_id', 'kind', 'address', name='uq_status_subscribers_page_kind_address')
    )
    with op.batch_alter_table('status_subscribers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_subscribers_page_id'), ['page_id'], unique=False)

    op.create_table('status_updates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'published', 'discarded', name='updatestate', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('investigating', 'identified', 'monitoring', 'resolved', name='publicstatus', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', warroom.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_status_updates_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_status_updates_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_status_updates_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_updates'))
    )
    with op.batch_alter_table('status_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_updates_incident_id'), ['incident_id'], unique=False)

    op.create_table('status_components',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance', name='componentstate', native_enum=False, length=32), nullable=False),
    sa.Column('state_since', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['status_component_groups.id'], name=op.f('fk_status_components_group_id_status_component_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['page_id'], ['status_pages.id'], name=op.f('fk_status_components_page_id_status_pages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_components')),
    sa.UniqueConstraint('page_id', 'name', name='uq_status_components_page_name')
    )
    with op.batch_alter_table('status_components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_components_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_components_page_id'), ['page_id'], unique=False)

    op.create_table('status_update_postings',
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('public_incident_id', sa.Integer(), nullable=False),
    sa.Column('affected', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['public_incident_id'], ['status_incidents.id'], name=op.f('fk_status_update_postings_public_incident_id_status_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['update_id'], ['status_updates.id'], name=op.f('fk_status_update_postings_update_id_status_updates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('update_id', 'public_incident_id', name=op.f('pk_status_update_postings'))
    )
    with op.batch_alter_table('status_update_postings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_update_postings_public_incident_id'), ['public_incident_id'], unique=False)

    op.create_table('status_component_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance', name='componentstate', native_enum=False, length=32), nullable=False),
    sa.Column('at', warroom.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('public_incident_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_status_component_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['component_id'], ['status_components.id'], name=op.f('fk_status_component_changes_component_id_status_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['public_incident_id'], ['status_incidents.id'], name=op.f('fk_status_component_changes_public_incident_id_status_incidents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_component_changes'))
    )
    with op.batch_alter_table('status_component_changes', schema=None) as batch_op:
        batch_op.create_index('ix_status_component_changes_component_id_at', ['component_id', 'at'], unique=False)

    op.create_table('status_incident_components',
    sa.Column('public_incident_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance', name='componentstate', native_enum=False, length=32), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['status_components.id'], name=op.f('fk_status_incident_components_component_id_status_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['public_incident_id'], ['status_incidents.id'], name=op.f('fk_status_incident_components_public_incident_id_status_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('public_incident_id', 'component_id', name=op.f('pk_status_incident_components'))
    )
    with op.batch_alter_table('status_incident_components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_incident_components_component_id'), ['component_id'], unique=False)

    op.create_table('status_maintenance_components',
    sa.Column('maintenance_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['status_components.id'], name=op.f('fk_status_maintenance_components_component_id_status_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['maintenance_id'], ['status_maintenances.id'], name=op.f('fk_status_maintenance_components_maintenance_id_status_maintenances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('maintenance_id', 'component_id', name=op.f('pk_status_maintenance_components'))
    )
    with op.batch_alter_table('status_maintenance_components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_maintenance_components_component_id'), ['component_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('status_maintenance_components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_maintenance_components_component_id'))

    op.drop_table('status_maintenance_components')
    with op.batch_alter_table('status_incident_components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_incident_components_component_id'))

    op.drop_table('status_incident_components')
    with op.batch_alter_table('status_component_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_status_component_changes_component_id_at')

    op.drop_table('status_component_changes')
    with op.batch_alter_table('status_update_postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_update_postings_public_incident_id'))

    op.drop_table('status_update_postings')
    with op.batch_alter_table('status_components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_components_page_id'))
        batch_op.drop_index(batch_op.f('ix_status_components_group_id'))

    op.drop_table('status_components')
    with op.batch_alter_table('status_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_updates_incident_id'))

    op.drop_table('status_updates')
    with op.batch_alter_table('status_subscribers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_subscribers_page_id'))

    op.drop_table('status_subscribers')
    with op.batch_alter_table('status_maintenances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_maintenances_page_id'))

    op.drop_table('status_maintenances')
    with op.batch_alter_table('status_incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_status_incidents_page_id_started_at')
        batch_op.drop_index(batch_op.f('ix_status_incidents_incident_id'))

    op.drop_table('status_incidents')
    with op.batch_alter_table('status_component_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_component_groups_page_id'))

    op.drop_table('status_component_groups')
    op.drop_table('status_update_templates')
    with op.batch_alter_table('status_pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_pages_editor_team_id'))

    op.drop_table('status_pages')
