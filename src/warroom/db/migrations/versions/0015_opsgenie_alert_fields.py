"""alerts have an owner (Opsgenie's assign)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_alerts_owner_id_users', 'users', ['owner_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_alerts_owner_id_users', type_='foreignkey')
        batch_op.drop_column('owner_id')
