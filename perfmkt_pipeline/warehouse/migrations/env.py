"""Alembic environment: always runs on a connection handed in by perfmkt_pipeline.warehouse.migrate."""

from alembic import context

from perfmkt_pipeline import platforms
from perfmkt_pipeline.warehouse import raw  # noqa: F401  (registers the raw tables)
from perfmkt_pipeline.warehouse.migrate import VERSION_TABLE, VERSION_TABLE_SCHEMA
from perfmkt_pipeline.warehouse.tables import metadata

platforms.all_specs()  # registers each platform's own raw tables (platforms/<name>/tables.py)

connection = context.config.attributes["connection"]
if connection is None:
    raise RuntimeError("run migrations through perfmkt_pipeline.warehouse.migrate.upgrade()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    include_schemas=True,
    version_table=VERSION_TABLE,
    version_table_schema=VERSION_TABLE_SCHEMA,
)
with context.begin_transaction():
    context.run_migrations()
