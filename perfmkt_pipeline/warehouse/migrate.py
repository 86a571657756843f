"""Versioned schema migrations (Alembic), run on first use of a warehouse.

Migrations run inside one transaction that also holds a lock (PostgreSQL advisory lock; on DuckDB
the warehouse's file lock), so two processes starting at once upgrade the schema exactly once.

Every step process uses the warehouse, and nearly always finds it at the latest version: so
`is_current` first reads the recorded version with one query (no Alembic environment, no lock,
no migration scripts run), and only a warehouse behind this code (or without a schema) goes
through `upgrade`.

The built-in migrations are one line of versions (migrations/versions). A registered platform
may bring its own raw tables with a folder of migrations of its own (its spec's `migrations`):
a branch of its own (its first revision has no `down_revision`, names a branch label and
`depends_on` the built-in revision it needs), found among the version locations of every
registered platform. The warehouse is current when it records every branch's head. A
warehouse that records a version no installed code provides (a platform package with its own
migrations was uninstalled, or this code is older than the warehouse) is refused with an error
that names the version, never upgraded around it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
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


class UnknownSchemaVersion(ValueError):
    """The warehouse records a schema version that none of the installed migrations provide."""


def version_locations() -> tuple[str, ...]:
    """The folders of migration scripts: the built-in ones, then each registered platform's
    own (its spec's `migrations`), in registry order."""
    from perfmkt_pipeline import platforms

    own = [str(spec.migrations) for spec in platforms.all_specs() if spec.migrations is not None]
    return (str(MIGRATIONS_DIR / "versions"), *own)


def alembic_config(
    connection: sa.Connection | None = None, locations: tuple[str, ...] | None = None
) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    folders = version_locations() if locations is None else locations
    config.set_main_option("version_locations", os.pathsep.join(folders).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def upgrade(warehouse: Warehouse, revision: str = "heads") -> None:
    """Bring the warehouse to `revision` (default: the latest of every branch: the built-in
    schema and each registered platform's own), keeping every row."""
    with warehouse.begin() as conn:
        if warehouse.backend == "postgresql":
            conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY}
            )
        for schema in SCHEMAS:
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        config = alembic_config(conn)
        _refuse_unknown_versions(conn, ScriptDirectory.from_config(config), warehouse)
        command.upgrade(config, revision)


def _refuse_unknown_versions(
    conn: sa.Connection, script: ScriptDirectory, warehouse: Warehouse
) -> None:
    """Raise UnknownSchemaVersion when the warehouse records a version the scripts lack (Alembic
    itself would only say it "can't locate" it)."""
    context = MigrationContext.configure(
        conn, opts={"version_table": VERSION_TABLE, "version_table_schema": VERSION_TABLE_SCHEMA}
    )
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = sorted(set(context.get_current_heads()) - known)
    if unknown:
        where = warehouse.url.render_as_string(hide_password=True)
        raise UnknownSchemaVersion(
            f"warehouse {where} records schema version {', '.join(unknown)}, which none of the "
            "installed migrations (built-in and every registered platform's) provide: either a "
            "platform package that brought raw tables of its own was uninstalled (reinstall it, "
            f"or, to leave it for good, delete its row from {VERSION_TABLE_SCHEMA}.{VERSION_TABLE}: "
            "its raw tables stay), or this code is older than the warehouse"
        )


def is_current(warehouse: Warehouse) -> bool:
    """Whether the warehouse records exactly this code's latest version (one query; False when
    it has no version table yet)."""
    table = f"{VERSION_TABLE_SCHEMA}.{VERSION_TABLE}"
    try:
        with warehouse.begin() as conn:
            versions = conn.execute(sa.text(f"SELECT version_num FROM {table}")).scalars().all()
    except sa.exc.DBAPIError:  # no schema or version table yet: the upgrade creates them
        return False
    return sorted(versions) == list(head_revisions())


def current_revisions(warehouse: Warehouse) -> tuple[str, ...]:
    """The versions the warehouse records: one per branch (sorted)."""
    with warehouse.begin() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"version_table": VERSION_TABLE, "version_table_schema": VERSION_TABLE_SCHEMA},
        )
        return tuple(sorted(context.get_current_heads()))


def current_revision(warehouse: Warehouse) -> str | None:
    """The warehouse's version (the versions of several branches joined by ", ")."""
    return ", ".join(current_revisions(warehouse)) or None


def head_revisions() -> tuple[str, ...]:
    """The versions an up-to-date warehouse records (sorted): the head of every branch, but for
    one another branch depends on (Alembic records only the dependent's head then)."""
    return _heads(version_locations())


def head_revision() -> str:
    """The latest schema version this code knows (several branches' joined by ", ", as
    `current_revision` gives them)."""
    return ", ".join(head_revisions())


@functools.cache
def _heads(locations: tuple[str, ...]) -> tuple[str, ...]:
    """`head_revisions` of the scripts in `locations` (read once per process and set of
    folders)."""
    script = ScriptDirectory.from_config(alembic_config(locations=locations))
    heads = set(script.get_heads())
    needed = {ancestor for head in heads for ancestor in _below(script, head)}
    return tuple(sorted(heads - needed))


def _below(script: ScriptDirectory, revision: str) -> set[str]:
    """Every revision `revision` needs: its down revisions and dependencies, recursively."""
    found: set[str] = set()
    todo = [revision]
    while todo:
        current = script.get_revision(todo.pop())
        parents = _names(current.down_revision)
        for dependency in _names(current.dependencies):
            parents += [r.revision for r in script.get_revisions(dependency) if r is not None]
        for parent in parents:
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return found


def _names(value: str | Sequence[str] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or ())
