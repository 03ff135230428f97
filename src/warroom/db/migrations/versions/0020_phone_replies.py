"""pages by SMS and voice carry a short reply code (answer "4821 ack" by SMS, or press 1 on the call); the
provider's id for a send and the last delivery status it reported (Twilio's status callbacks)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('notifications', sa.Column('reply_code', sa.String(length=8), nullable=True))
    op.add_column('notifications', sa.Column('provider_reference', sa.String(length=64), server_default='',
                                             nullable=False))
    op.add_column('notifications', sa.Column('provider_status', sa.String(length=30), server_default='',
                                             nullable=False))
    op.create_index('ix_notifications_reply_code_user_id', 'notifications', ['reply_code', 'user_id'])


def downgrade() -> None:
    op.drop_index('ix_notifications_reply_code_user_id', table_name='notifications')
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('provider_status')
        batch.drop_column('provider_reference')
        batch.drop_column('reply_code')
