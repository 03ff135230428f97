"""Migrations run from an empty database, down to nothing and up again, on the store under test."""

import sqlalchemy as sa

from warroom.db import migrate
from warroom.db.base import Base
from warroom.db.engine import make_engine


def test_upgrade_downgrade_upgrade_matches_models(database_url):
    migrate.downgrade(database_url, "base")
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(database_url)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert migrate.current(database_url) == migrate.head()


def test_models_and_migrations_agree(database_url):
    """Autogenerate against the migrated schema finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
