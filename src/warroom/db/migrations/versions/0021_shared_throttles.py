"""throttles and used form tokens live in the database, shared by every web process: sign-in failure counts,
hits of the report form and status page subscriptions, the public form's used tokens

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op



revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'throttle_counts',
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_counts')),
    )
    op.create_index(op.f('ix_throttle_counts_expires_at'), 'throttle_counts', ['expires_at'], unique=False)
    op.create_table(
        'throttle_hits',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_throttle_hits')),
    )
    op.create_index('ix_throttle_hits_key_at', 'throttle_hits', ['key', 'at'], unique=False)
    op.create_index(op.f('ix_throttle_hits_expires_at'), 'throttle_hits', ['expires_at'], unique=False)
    op.create_table(
        'used_form_tokens',
        sa.Column('nonce', sa.String(length=100), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('nonce', name=op.f('pk_used_form_tokens')),
    )
    op.create_index(op.f('ix_used_form_tokens_expires_at'), 'used_form_tokens', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_used_form_tokens_expires_at'), table_name='used_form_tokens')
    op.drop_table('used_form_tokens')
    op.drop_index(op.f('ix_throttle_hits_expires_at'), table_name='throttle_hits')
    op.drop_index('ix_throttle_hits_key_at', table_name='throttle_hits')
    op.drop_table('throttle_hits')
    op.drop_index(op.f('ix_throttle_counts_expires_at'), table_name='throttle_counts')
    op.drop_table('throttle_counts')
