"""Versioned schema migrations (Alembic), run on first use of a warehouse.

Migrations run inside one transaction that also holds a lock (PostgreSQL advisory lock; on DuckDB
the warehouse's file lock), so two processes starting at once upgrade the schema exactly once.

Every step process uses the warehouse, and nearly always finds it at the latest version: so
`is_current` first reads the recorded version with one query (no Alembic environment, no lock,
no migration scripts run), and only a warehouse behind this code (or without a schema) goes
through `upgrade`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from perfmkt_pipeline.warehouse.tables import SCHEMAS

if TYPE_CHECKING:
    from perfmkt_pipeline.warehouse.engine import Warehouse

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "schema_version"
VERSION_TABLE_SCHEMA = "raw"
# Arbitrary constant key for pg_advisory_xact_lock, unique to this project.
_PG_MIGRATION_LOCK_KEY = 724_551_090


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(warehouse: Warehouse, revision: str = "head") -> None:
    """Bring the warehouse to `revision` (default: the latest), keeping every row."""
    with warehouse.begin() as conn:
        if warehouse.backend == "postgresql":
            conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY}
            )
        for schema in SCHEMAS:
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        command.upgrade(alembic_config(conn), revision)


def is_current(warehouse: Warehouse) -> bool:
    """Whether the warehouse records exactly this code's latest version (one query; False when
    it has no version table yet)."""
    table = f"{VERSION_TABLE_SCHEMA}.{VERSION_TABLE}"
    try:
        with warehouse.begin() as conn:
            versions = conn.execute(sa.text(f"SELECT version_num FROM {table}")).scalars().all()
    except sa.exc.DBAPIError:  # no schema or version table yet: the upgrade creates them
        return False
    return versions == [head_revision()]


def current_revision(warehouse: Warehouse) -> str | None:
    with warehouse.begin() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"version_table": VERSION_TABLE, "version_table_schema": VERSION_TABLE_SCHEMA},
        )
        return context.get_current_revision()


@functools.cache
def head_revision() -> str:
    """The latest schema version this code knows (read from the scripts once per process)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
