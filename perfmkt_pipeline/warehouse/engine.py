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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.ddl.impl import DefaultImpl
from filelock import FileLock
from sqlalchemy import schema
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

    def create_table(self, table: sa.Table, **kw: Any) -> None:
        """As Alembic's, but the table's and its columns' comments (DuckDB has no inline
        comments: one `COMMENT ON` each, most of a new warehouse's ~600 DDL statements) go to
        DuckDB as one list of statements, in one call, not one SQLAlchemy execution each."""
        if self.as_sql or not self.dialect.supports_comments or self.dialect.inline_comments:
            super().create_table(table, **kw)
            return
        table.dispatch.before_create(table, self.connection, checkfirst=False, _ddl_runner=self)
        self._exec(schema.CreateTable(table, **kw))
        table.dispatch.after_create(table, self.connection, checkfirst=False, _ddl_runner=self)
        for index in table.indexes:
            self._exec(schema.CreateIndex(index))
        comments: list[schema.ExecutableDDLElement] = []
        if table.comment is not None:
            comments.append(schema.SetTableComment(table))
        comments += [schema.SetColumnComment(c) for c in table.columns if c.comment is not None]
        if comments:
            statements = [str(c.compile(dialect=self.dialect)) for c in comments]
            assert self.connection is not None
            self.connection.exec_driver_sql(";\n".join(statements))


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
        """One transaction: committed when the block ends, rolled back on any exception.
        Inside `connections_shared()` on DuckDB, a transaction on the block's one connection."""
        scope = _current_scope() if self._lock is not None else None
        held = scope.held.get(self) if scope is not None else None
        if scope is None or (held is not None and held.busy):  # a unit begun inside another
            with self._process_lock(), self._connect() as conn, conn.begin():
                yield conn
            return
        if held is None:
            held = scope.hold(self)
        held.busy = True
        try:
            with held.conn.begin():
                yield held.conn
        except BaseException:
            scope.release(self)  # rolled back; the next unit opens a new connection
            raise
        finally:
            held.busy = False

    def _hold(self) -> _Held:
        """The writer lock and an open connection, for `connections_shared`."""
        stack = contextlib.ExitStack()
        stack.enter_context(self._process_lock())
        try:
            return _Held(self._connect(), stack)
        except BaseException:
            stack.close()
            raise

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


# --- connections shared by the units of work of a block (a step) --------------------------------


@dataclass
class _Held:
    conn: sa.Connection
    lock: contextlib.ExitStack  # the writer lock, held while the connection is open
    busy: bool = False  # a unit of work is running on it

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            self.lock.close()


@dataclass
class _Scope:
    pid: int  # a process forked inside the block does not share its parent's connections
    held: dict[Warehouse, _Held] = field(default_factory=dict)

    def hold(self, warehouse: Warehouse) -> _Held:
        held = self.held[warehouse] = warehouse._hold()
        return held

    def release(self, warehouse: Warehouse) -> None:
        held = self.held.pop(warehouse, None)
        if held is not None:
            held.close()

    def release_all(self) -> None:
        errors = []
        for warehouse in list(self.held):
            try:
                self.release(warehouse)
            except Exception as error:  # close the others; the first error is raised
                errors.append(error)
        if errors:
            raise errors[0]


_scopes = threading.local()


def _current_scope() -> _Scope | None:
    scope = getattr(_scopes, "scope", None)
    return scope if scope is not None and scope.pid == os.getpid() else None


@contextlib.contextmanager
def connections_shared() -> Iterator[None]:
    """Within the block, this thread's units of work on a DuckDB warehouse (`begin()`) are
    transactions on one connection per warehouse: opened, with the writer lock taken, at the
    first unit, closed and the lock released when the block ends. Opening the file and closing it
    again costs about 20 ms of CPU (DuckDB starts a database instance each time), so a step whose
    units follow one another without waiting on anything outside the warehouse (checks, core,
    marts; never a step that waits on a platform's API) opens it once.

    Each unit is still its own transaction: one that fails is rolled back alone (the units before
    it stay committed) and its connection closed, and the next unit opens a new one. A unit begun
    inside another gets a connection of its own, as outside the block. Other threads, other
    processes and other backends (whose pool keeps connections) are unaffected, but for waiting
    for the lock until the block ends. Blocks nest: the outermost releases. No thread is
    started."""
    if _current_scope() is not None:
        yield
        return
    scope = _Scope(os.getpid())
    _scopes.scope = scope
    try:
        yield
    finally:
        _scopes.scope = None
        scope.release_all()
