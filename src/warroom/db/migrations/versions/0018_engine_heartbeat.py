"""engine processes write a heartbeat row, read by /readyz and /metrics; retention may delete audit rows that are
at least 365 days older than the newest one, and the audit log still refuses every UPDATE and any other DELETE
(ADR 0011)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# The floor is warroom.config.RETENTION_FLOORS["audit"] (365 days), frozen here as this migration wrote it.


def upgrade() -> None:
    op.create_table(
        'engine_heartbeats',
        sa.Column('owner', sa.String(length=100), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('owner', name=op.f('pk_engine_heartbeats')),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_log_kept_for_its_floor() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF OLD.at > (SELECT max(at) FROM audit_log) - interval '365 days' THEN "
            "RAISE EXCEPTION 'audit_log is append-only: a row goes only 365 days after a newer one, by retention'; "
            "END IF; RETURN OLD; END $$")
        op.execute("CREATE TRIGGER audit_log_no_young_delete BEFORE DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_kept_for_its_floor()")
    else:
        op.execute("DROP TRIGGER audit_log_no_delete")
        op.execute("CREATE TRIGGER audit_log_no_young_delete BEFORE DELETE ON audit_log "
                   "WHEN old.at > datetime((SELECT max(at) FROM audit_log), '-365 days') "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: a row goes only 365 days after a newer one, by retention'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_young_delete ON audit_log")
        op.execute("DROP FUNCTION audit_log_kept_for_its_floor()")
        op.execute("DROP TRIGGER audit_log_no_update ON audit_log")
        op.execute("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_young_delete")
        op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    op.drop_table('engine_heartbeats')
