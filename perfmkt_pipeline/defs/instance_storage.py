"""The local Dagster instance (dagster.yaml's `instance_class`): Dagster's own, on Dagster's own
SQLite storage in the same files, except that the event log keeps the SQLAlchemy engine of each
database file for the life of the process instead of making one for every connection.

Issue #18: Dagster's `SqliteEventLogStorage` creates an engine for every connection it opens, and
SQLAlchemy caches compiled statements per engine, so every statement it ran was compiled afresh:
each event stored, and each read of an asset's latest materialization (Dagster reads one for
every asset check result and for the inputs of every materialization, to record data
versions) compiled its query again, about 20 ms of CPU each. That was the largest share of a
step's Dagster overhead. Keeping the engine keeps the cache.

The engine also keeps one connection to its file open between units of work (`QueuePool` of
one; Dagster's `NullPool` opened and closed one per unit of work). Dagster keeps its SQLite
files in WAL mode, where closing a file's last connection checkpoints the write-ahead log into
the database and deletes it: with a connection per unit of work, every event stored paid an
open, a checkpoint and a close besides its commit (issue #18: about as much CPU as the commit
itself). An idle connection holds no lock in WAL mode, so other processes (the webserver, the
daemon, other runs) read and write the files as before and see every committed event; SQLite
checkpoints the log as it grows. Units of work stay one at a time per storage (Dagster's lock),
so one connection a file serves them all. Nothing else changes: the files, tables and
migrations are Dagster's, and every read and write is the superclass's.

Dagster also initialises each database file once per process: it reads the file's schema
revision and Dagster's head revision, and creates the tables only when either is missing. The
head revision is always there, but reading it parses every one of Dagster's migration scripts
(in every step process). Here a file that has a revision is left as it is without reading the
scripts, exactly what Dagster then does; a file without one goes to Dagster's own
initialisation, unchanged.

`LocalInstance` is how dagster.yaml names it: a `DagsterInstance` whose only difference is its
default storage (`config_defaults`, Dagster's defaults with this event log); Dagster's storage
layout under DAGSTER_HOME is kept, so an existing local instance keeps its history. A
`storage:` or `event_log_storage:` given in dagster.yaml still wins, as with Dagster's own.

At most `_ENGINES` engines, and so open files, are kept (the index file's and the most recently
used run files'), so a long-lived process that reads many runs (the webserver) holds no more.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import yaml
from alembic.runtime.migration import MigrationContext
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite import SqliteRunStorage
from dagster._core.storage.schedules.sqlite import SqliteScheduleStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

_ENGINES = 8
# Connections of one file beyond the kept one, should a unit of work ever be opened while another
# holds it (Dagster's lock serialises them); closed again when returned.
_OVERFLOW = 4


class CachedEngineSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log storage, one engine per database file and process."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # type: ignore[override]
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=_OVERFLOW,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            self._engines[shard] = engine
            while len(self._engines) > _ENGINES:
                oldest = next(s for s in self._engines if s != INDEX_SHARD_NAME)
                self._engines.pop(oldest).dispose()
        else:
            self._engines.move_to_end(shard)
        return engine

    def _initdb(self, engine: Engine, for_index_shard: bool = False) -> None:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        if current is None:  # Dagster creates (and stamps) the tables
            super()._initdb(engine, for_index_shard=for_index_shard)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:  # type: ignore[override]
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()


class SqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (the same files under `base_dir`), with the event log above."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = CachedEngineSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        DagsterStorage.__init__(self)

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # type: ignore[override]
        return cls.from_local(inst_data=inst_data, **config_value)


class LocalInstance(DagsterInstance):
    """Dagster's instance; by default on `SqliteStorage` instead of Dagster's SQLite storage."""

    @classmethod
    def config_schema(cls) -> Mapping[str, Any]:
        return {}

    @classmethod
    def config_defaults(cls, base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        def data(name: str, folder: str) -> ConfigurableClassData:
            return ConfigurableClassData(
                __name__, name, yaml.dump({"base_dir": folder}, default_flow_style=False)
            )

        return {
            **InstanceRef.config_defaults(base_dir),
            "storage": data(SqliteStorage.__name__, base_dir),
            "event_log_storage": data(
                CachedEngineSqliteEventLogStorage.__name__, _event_logs_directory(base_dir)
            ),
        }
