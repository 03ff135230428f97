"""insights: a weekly roll-up of past weeks' figures, and triggers that mark a week changed in the transaction
of every change to its incidents or their status periods (ADR 0026)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

SEVERITY = sa.Enum('critical', 'major', name='severity', native_enum=False, length=32)
STATUS = sa.Enum('investigating', 'identified', 'monitoring', 'resolved', 'closed', name='status',
                 native_enum=False, length=32)
# The incident columns the figures read; a change to any other column (title, status, timestamps of updates)
# leaves them as they were. Status changes reach the roll-up through the status periods.
FIGURE_COLUMNS = 'declared_at, severity, acknowledged_at, resolved_at, resolution, affected_services, security'
# A follow-up counts in the week it was created and the week it was done, under its incident's severity.
FOLLOWUP_COLUMNS = 'created_at, status, done_at, incident_id'


def upgrade() -> None:
    op.create_table('insight_weeks',
    sa.Column('week', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('ack_median', sa.Float(), nullable=True),
    sa.Column('resolve_median', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('week', name=op.f('pk_insight_weeks'))
    )
    op.create_table('insight_week_severities',
    sa.Column('week', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('severity', SEVERITY, nullable=False),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.Column('ack_seconds', sa.Float(), nullable=False),
    sa.Column('acknowledged', sa.Integer(), nullable=False),
    sa.Column('ack_median', sa.Float(), nullable=True),
    sa.Column('resolve_seconds', sa.Float(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('resolve_median', sa.Float(), nullable=True),
    sa.Column('false_positives', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('week', 'severity', name=op.f('pk_insight_week_severities'))
    )
    op.create_table('insight_week_statuses',
    sa.Column('week', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('severity', SEVERITY, nullable=False),
    sa.Column('status', STATUS, nullable=False),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.Column('ended_seconds', sa.BigInteger(), nullable=False),
    sa.Column('open_periods', sa.Integer(), nullable=False),
    sa.Column('open_since', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('week', 'severity', 'status', name=op.f('pk_insight_week_statuses'))
    )
    op.create_table('insight_week_services',
    sa.Column('week', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('severity', SEVERITY, nullable=False),
    sa.Column('service', sa.Text(), nullable=False),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('week', 'severity', 'service', name=op.f('pk_insight_week_services'))
    )
    op.create_table('insight_week_followups',
    sa.Column('week', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('severity', SEVERITY, nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('created_done', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('week', 'severity', name=op.f('pk_insight_week_followups'))
    )
    op.create_table('insight_week_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_week_changes'))
    )
    with op.batch_alter_table('insight_week_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insight_week_changes_week'), ['week'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS insight_incident_changed ON incidents')
        op.execute('DROP TRIGGER IF EXISTS insight_period_changed ON incident_status_periods')
        op.execute('DROP TRIGGER IF EXISTS insight_followup_changed ON followups')
        op.execute('DROP FUNCTION IF EXISTS insight_followup_changed()')
        op.execute('DROP FUNCTION IF EXISTS insight_incident_changed()')
        op.execute('DROP FUNCTION IF EXISTS insight_period_changed()')
        op.execute('DROP FUNCTION IF EXISTS insight_week(timestamptz)')
    else:
        for name in ('incident_inserted', 'incident_updated', 'incident_deleted', 'incident_severity_changed',
                     'period_inserted', 'period_updated', 'period_deleted', 'followup_inserted',
                     'followup_updated', 'followup_deleted'):
            op.execute(f'DROP TRIGGER IF EXISTS insight_{name}')
    with op.batch_alter_table('insight_week_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insight_week_changes_week'))
    op.drop_table('insight_week_changes')
    op.drop_table('insight_week_followups')
    op.drop_table('insight_week_services')
    op.drop_table('insight_week_statuses')
    op.drop_table('insight_week_severities')
    op.drop_table('insight_weeks')


def _postgresql_triggers() -> None:
    """Row triggers that append the week; never a read-modify-write of a shared row, so writers never wait on
    one another for it (a refresh removes only the change rows it could see, ADR 0026)."""
    op.execute("""
CREATE FUNCTION insight_week(moment timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT floor((floor(extract(epoch FROM moment) / 86400) + 3) / 7)::integer
$$""")
    op.execute("""
CREATE FUNCTION insight_incident_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO insight_week_changes (week) VALUES (insight_week(OLD.declared_at));
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND insight_week(NEW.declared_at) <> insight_week(OLD.declared_at)) THEN
    INSERT INTO insight_week_changes (week) VALUES (insight_week(NEW.declared_at));
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.severity IS DISTINCT FROM OLD.severity THEN
    INSERT INTO insight_week_changes (week)
      SELECT insight_week(created_at) FROM followups WHERE incident_id = NEW.id
      UNION SELECT insight_week(done_at) FROM followups WHERE incident_id = NEW.id AND done_at IS NOT NULL;
  END IF;
  RETURN NULL;
END
$$""")
    op.execute(f"""
CREATE TRIGGER insight_incident_changed AFTER INSERT OR DELETE OR UPDATE OF {FIGURE_COLUMNS} ON incidents
FOR EACH ROW EXECUTE FUNCTION insight_incident_changed()""")
    op.execute("""
CREATE FUNCTION insight_period_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO insight_week_changes (week)
      SELECT insight_week(declared_at) FROM incidents WHERE id = OLD.incident_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO insight_week_changes (week)
      SELECT insight_week(declared_at) FROM incidents WHERE id = NEW.incident_id;
  END IF;
  RETURN NULL;
END
$$""")
    op.execute("""
CREATE TRIGGER insight_period_changed AFTER INSERT OR DELETE OR UPDATE ON incident_status_periods
FOR EACH ROW EXECUTE FUNCTION insight_period_changed()""")
    op.execute("""
CREATE FUNCTION insight_followup_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO insight_week_changes (week) VALUES (insight_week(OLD.created_at));
    IF OLD.done_at IS NOT NULL THEN
      INSERT INTO insight_week_changes (week) VALUES (insight_week(OLD.done_at));
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO insight_week_changes (week) VALUES (insight_week(NEW.created_at));
    IF NEW.done_at IS NOT NULL THEN
      INSERT INTO insight_week_changes (week) VALUES (insight_week(NEW.done_at));
    END IF;
  END IF;
  RETURN NULL;
END
$$""")
    op.execute(f"""
CREATE TRIGGER insight_followup_changed AFTER INSERT OR DELETE OR UPDATE OF {FOLLOWUP_COLUMNS} ON followups
FOR EACH ROW EXECUTE FUNCTION insight_followup_changed()""")


def _sqlite_week(moment: str) -> str:
    """SQLite stores UTC datetimes as text: the week from the date part alone."""
    return f"CAST((julianday(substr({moment}, 1, 10)) - 2440584.5) / 7 AS INTEGER)"


def _sqlite_mark(week: str) -> str:
    """One writer at a time on SQLite (a refresh holds the write lock throughout), so one change row a week is
    enough."""
    return (f"INSERT INTO insight_week_changes (week) SELECT w FROM (SELECT {week} AS w) "  # noqa: S608  (constants)
            "WHERE w IS NOT NULL AND NOT EXISTS (SELECT 1 FROM insight_week_changes WHERE week = w);")


def _sqlite_mark_followups_of(incident: str) -> str:
    """The weeks an incident's follow-ups count in (a change of its severity moves them)."""
    weeks = (f"SELECT {_sqlite_week('created_at')} AS w FROM followups WHERE incident_id = {incident} "  # noqa: S608
             f"UNION SELECT {_sqlite_week('done_at')} FROM followups WHERE incident_id = {incident}")
    return (f"INSERT INTO insight_week_changes (week) SELECT w FROM ({weeks}) "  # noqa: S608  (constants)
            "WHERE w IS NOT NULL AND NOT EXISTS (SELECT 1 FROM insight_week_changes WHERE week = w);")


def _sqlite_triggers() -> None:
    of_incident = _sqlite_week("(SELECT declared_at FROM incidents WHERE id = {row}.incident_id)")
    followup = [_sqlite_mark(_sqlite_week('{row}.created_at')), _sqlite_mark(_sqlite_week('{row}.done_at'))]
    statements = {
        'incident_inserted': ('AFTER INSERT ON incidents', [_sqlite_mark(_sqlite_week('NEW.declared_at'))]),
        'incident_updated': (f'AFTER UPDATE OF {FIGURE_COLUMNS} ON incidents',
                             [_sqlite_mark(_sqlite_week('OLD.declared_at')),
                              _sqlite_mark(_sqlite_week('NEW.declared_at'))]),
        'incident_deleted': ('AFTER DELETE ON incidents', [_sqlite_mark(_sqlite_week('OLD.declared_at'))]),
        'period_inserted': ('AFTER INSERT ON incident_status_periods',
                            [_sqlite_mark(of_incident.format(row='NEW'))]),
        'period_updated': ('AFTER UPDATE ON incident_status_periods',
                           [_sqlite_mark(of_incident.format(row='OLD')), _sqlite_mark(of_incident.format(row='NEW'))]),
        'period_deleted': ('AFTER DELETE ON incident_status_periods', [_sqlite_mark(of_incident.format(row='OLD'))]),
        'incident_severity_changed': ('AFTER UPDATE OF severity ON incidents',
                                      [_sqlite_mark_followups_of('NEW.id')]),
        'followup_inserted': ('AFTER INSERT ON followups', [mark.format(row='NEW') for mark in followup]),
        'followup_updated': (f'AFTER UPDATE OF {FOLLOWUP_COLUMNS} ON followups',
                             [mark.format(row=row) for row in ('OLD', 'NEW') for mark in followup]),
        'followup_deleted': ('AFTER DELETE ON followups', [mark.format(row='OLD') for mark in followup]),
    }
    for name, (when, body) in statements.items():
        op.execute(f"CREATE TRIGGER insight_{name} {when} FOR EACH ROW BEGIN {' '.join(body)} END")
