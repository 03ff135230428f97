"""people keep the identities that sign them in: an OpenID Connect provider's subject, a SCIM client's userName

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from warroom.db.types import UTCDateTime


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'external_identities',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('provider', sa.String(length=64), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_external_identities_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_identities')),
        sa.UniqueConstraint('provider', 'subject', name='uq_external_identities_provider_subject'),
    )
    op.create_index('ix_external_identities_user_id', 'external_identities', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_external_identities_user_id', table_name='external_identities')
    op.drop_table('external_identities')
