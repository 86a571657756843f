"""Engine handling: one `Warehouse` per SQLAlchemy URL, with DuckDB's one-writer rule respected.

DuckDB lets one process at a time open a database file for writing, and Dagster runs steps (and a
backfill beside a scheduled run) in separate processes. So on DuckDB every unit of work takes an
inter-process file lock beside the database, opens a connection, and closes it again when done
(no pool keeps the file open); opening is also retried when something outside the pipeline (an
analyst's DuckDB shell, say) holds the file. Other engines use an ordinary connection pool.

After a bulk load, `refresh_statistics` brings PostgreSQL's planner statistics up to date (the
next step reads the tables before autovacuum would have analysed them); DuckDB keeps its own.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic.ddl.impl import DefaultImpl
from filelock import FileLock
from sqlalchemy.pool import NullPool

from perfmkt_pipeline.warehouse.migrate import is_current, upgrade

log = logging.getLogger(__name__)

# How long a DuckDB unit of work waits for the writer lock held by another pipeline process.
LOCK_TIMEOUT_ENV_VAR = "PERFMKT_DUCKDB_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT_SECONDS = 1800.0
# DuckDB's message when another process holds the file (duckdb.IOException).
_DUCKDB_LOCK_MESSAGE = "Could not set lock on file"
_OPEN_RETRY_SECONDS = 120.0


class DuckDBAlembicImpl(DefaultImpl):
    """Alembic has no DuckDB dialect of its own; DuckDB's DDL is transactional like PostgreSQL's."""

    __dialect__ = "duckdb"
    transactional_ddl = True


def normalise_url(url: str | sa.URL) -> sa.URL:
    """Resolve the driver: PostgreSQL always through psycopg 3 (needed for COPY)."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


class Warehouse:
    """A warehouse reached through SQLAlchemy; use `begin()` for every read or write."""

    def __init__(self, url: str | sa.URL):
        self.url = normalise_url(url)
        self.backend = self.url.get_backend_name()
        self._lock: FileLock | None = None
        if self.backend == "duckdb":
            database = self.url.database or ":memory:"
            if database == ":memory:":
                raise ValueError("the DuckDB warehouse must be a file, not :memory:")
            path = Path(database).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(f"{path}.lock", thread_local=False)
            # A FileLock is re-entrant across threads of one process: this lock makes threads
            # (connectors loading accounts in parallel) queue as other processes do.
            self._thread_lock = threading.RLock()
            # NullPool: close the file after every unit of work so other processes can open it.
            self.engine = sa.create_engine(self.url, poolclass=NullPool)
        else:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        self._migrated = False

    def __repr__(self) -> str:  # never show a password
        return f"Warehouse({self.url.render_as_string(hide_password=True)})"

    @contextlib.contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        with self._process_lock(), self._connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def _process_lock(self) -> Iterator[None]:
        if self._lock is None:
            yield
            return
        timeout = float(os.environ.get(LOCK_TIMEOUT_ENV_VAR, DEFAULT_LOCK_TIMEOUT_SECONDS))
        if not self._thread_lock.acquire(timeout=timeout):
            raise TimeoutError(f"no DuckDB writer slot within {timeout:.0f}s")
        try:
            with self._lock.acquire(timeout=timeout):
                yield
        finally:
            self._thread_lock.release()

    def _connect(self) -> sa.Connection:
        if self.backend != "duckdb":
            return self.engine.connect()
        deadline = time.monotonic() + _OPEN_RETRY_SECONDS
        delay = 0.05
        while True:
            try:
                return self.engine.connect()
            except sa.exc.DBAPIError as error:
                if _DUCKDB_LOCK_MESSAGE not in str(error) or time.monotonic() > deadline:
                    raise
                log.info("DuckDB file is locked by another process; retrying in %.2fs", delay)
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 2.0)

    def refresh_statistics(self, tables: Iterable[sa.Table]) -> list[str]:
        """PostgreSQL: ANALYZE `tables`, so that reads right after a bulk load are planned on the
        rows now there, not on the empty or much smaller table autovacuum last saw (its
        activity counters lag the load by seconds, so they cannot tell). ANALYZE reads a fixed
        sample, whatever the table's size. Run it once the load has committed: a failure is
        logged, never raised, as the load stands without it. Returns the tables analysed.
        DuckDB keeps its statistics itself: nothing to do."""
        if self.backend != "postgresql":
            return []
        names = sorted({f"{t.schema}.{t.name}": t for t in tables}.items())
        try:
            with self.begin() as conn:
                for _, table in names:
                    conn.exec_driver_sql(f'ANALYZE "{table.schema}"."{table.name}"')
        except sa.exc.DBAPIError as error:
            log.warning("planner statistics not refreshed (the load stands): %s", error.orig)
            return []
        return [name for name, _ in names]

    def ensure_schema(self) -> None:
        """Create or upgrade the schema to the latest version (once per process; a warehouse
        already at it costs one query, migrate.is_current)."""
        if not self._migrated:
            if not is_current(self):
                upgrade(self)
            self._migrated = True

    def dispose(self) -> None:
        self.engine.dispose()
