"""The core asset's writes of the dimension tables (core.ad_accounts, core.campaigns): upserted
by grain with the evidence their rows carry (transform/core/evidence.py), never replaced by the
run's window."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from perfmkt_pipeline.transform.core import CoreTables
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import upsert_rows


def write_dimensions(
    warehouse: Warehouse, conn: sa.Connection, core: CoreTables, loaded_at: dt.datetime
) -> None:
    """Upsert the run's account and campaign rows (which carry their evidence) on the caller's
    connection."""
    for table, rows in ((tables.ad_accounts, core.ad_accounts), (tables.campaigns, core.campaigns)):
        upsert_rows(warehouse, table, rows, loaded_at=loaded_at, connection=conn)
