"""generations: a token per kind of data that triggers set anew with every change of its rows, so answers read
from them (who is on call, a policy's steps, a person's notification rules) can be kept until they change
(ADR 0029)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# The tables routing answers are read from, with the columns that matter where a table has others that change
# often or route nothing (a person's name, password or role).
WATCHED = {
    'users': 'handle, is_active',
    'teams': None,
    'memberships': None,
    'schedules': None,
    'schedule_layers': None,
    'schedule_overrides': None,
    'escalation_policies': None,
    'escalation_steps': None,
    'contact_methods': None,
    'notification_rules': None,
}
OPS = ('insert', 'update', 'delete')


def upgrade() -> None:
    op.create_table('generations',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_generations'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("INSERT INTO generations (name, token) VALUES ('routing', md5(random()::text || clock_timestamp()::text))")
        _postgresql_triggers()
    else:
        op.execute("INSERT INTO generations (name, token) VALUES ('routing', lower(hex(randomblob(16))))")
        _sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in WATCHED:
            op.execute(f'DROP TRIGGER IF EXISTS routing_changed ON {table}')
            op.execute(f'DROP TRIGGER IF EXISTS routing_changing ON {table}')
        op.execute('DROP FUNCTION IF EXISTS warroom_routing_changed()')
        op.execute('DROP FUNCTION IF EXISTS warroom_routing_changing()')
    else:
        for table in WATCHED:
            for operation in OPS:
                op.execute(f'DROP TRIGGER IF EXISTS routing_{table}_{operation}')
    op.drop_table('generations')


_RENEW_PG = """
  INSERT INTO generations (name, token) VALUES ('routing', md5(random()::text || clock_timestamp()::text))
  ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token;"""


def _postgresql_triggers() -> None:
    """The new token is set at commit (deferred row triggers, once a transaction), so concurrent writers of
    schedules or policies never wait on the token row while their transactions run; a statement trigger marks
    the transaction at once, so it does not keep answers read from its own uncommitted rows."""
    op.execute(f"""
CREATE FUNCTION warroom_routing_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('warroom.routing_token_set', true) IS DISTINCT FROM '1' THEN{_RENEW_PG}
    PERFORM set_config('warroom.routing_token_set', '1', true);
  END IF;
  RETURN NULL;
END
$$""")
    op.execute(f"""
CREATE FUNCTION warroom_routing_changing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('warroom.routing_changed', '1', true);
  IF TG_OP = 'TRUNCATE' THEN{_RENEW_PG}
  END IF;
  RETURN NULL;
END
$$""")
    for table, columns in WATCHED.items():
        update = f'UPDATE OF {columns}' if columns else 'UPDATE'
        op.execute(f"""
CREATE CONSTRAINT TRIGGER routing_changed AFTER INSERT OR {update} OR DELETE ON {table}
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION warroom_routing_changed()""")
        op.execute(f"""
CREATE TRIGGER routing_changing AFTER INSERT OR {update} OR DELETE OR TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION warroom_routing_changing()""")


_RENEW_SQLITE = "INSERT OR REPLACE INTO generations (name, token) VALUES ('routing', lower(hex(randomblob(16))));"


def _sqlite_triggers() -> None:
    """One writer at a time on SQLite: the token changes at once, and a rolled-back change takes it back."""
    for table, columns in WATCHED.items():
        for operation in OPS:
            event = f'UPDATE OF {columns}' if operation == 'update' and columns else operation.upper()
            trigger = f"CREATE TRIGGER routing_{table}_{operation} AFTER {event} ON {table} BEGIN {_RENEW_SQLITE} END"
            op.execute(trigger)
