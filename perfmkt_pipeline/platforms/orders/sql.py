"""Orders from the shop's database: any SQLAlchemy URL, read-only, streamed in chunks.

The URL comes from the environment variable the source names (`sql.url_env`): it may hold a
password, so it is never in the configuration, a log line or an error message. The session is
made read-only where the database allows it (MySQL/MariaDB and PostgreSQL: a read-only
transaction; SQLite: `query_only`; DuckDB: opened read-only); on any other database give the
pipeline a role that can only read. The query is the configured table or SELECT, filtered by the
run's window on `updated_at` and `ordered_at` (widened by a day each side, then filtered exactly
once each order's time is known), and fetched with a server-side (unbuffered) cursor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from perfmkt_pipeline.config import OrderSourceSettings
from perfmkt_pipeline.platforms.orders.errors import OrderFatalError, OrderSourceError
from perfmkt_pipeline.platforms.orders.window import ReadWindow

_ALIAS = "perfmkt_orders"
# Times in the database may be naive in any zone the source did not say: a day either side
# of the window holds every such reading; the exact filter follows in Python.
_MARGIN = dt.timedelta(days=1)


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def _connect_args(backend: str, timeout: float) -> dict[str, Any]:
    if backend == "mysql":
        return {"connect_timeout": max(1, round(timeout)), "read_timeout": 3600}
    if backend == "postgresql":
        return {"connect_timeout": max(1, round(timeout))}
    if backend == "duckdb":
        return {"read_only": True}
    if backend == "sqlite":
        return {"timeout": timeout}
    return {}


def engine_for(source: OrderSourceSettings, url: str) -> sa.Engine:
    """An engine for the source's database (no pool: one connection per read)."""
    assert source.sql is not None
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise OrderFatalError(
            source.name, f"${source.sql.url_env} is not a SQLAlchemy URL"
        ) from None
    backend = parsed.get_backend_name()
    connect_args = _connect_args(backend, source.sql.connect_timeout_seconds)
    try:
        return sa.create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    except (ImportError, sa.exc.NoSuchModuleError) as error:
        raise OrderFatalError(
            source.name, f"${source.sql.url_env}: no driver for {backend!r} ({error})"
        ) from None


def make_read_only(conn: sa.Connection) -> None:
    """Switch the session to read-only where the database has such a switch."""
    backend = conn.dialect.name
    if backend in ("mysql", "mariadb"):
        conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
    elif backend == "postgresql":
        conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    elif backend == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")
    else:
        return
    conn.commit()  # the next statement starts a transaction with the new characteristics


def _statement(source: OrderSourceSettings, engine: sa.Engine) -> str:
    assert source.sql is not None
    quote = engine.dialect.identifier_preparer.quote
    if source.sql.table is not None:
        relation = ".".join(quote(part) for part in source.sql.table.split("."))
        prefix = ""
    else:
        relation = f"({source.sql.query.strip().rstrip(';')}) AS {_ALIAS}"
        prefix = f"{_ALIAS}."
    updated = prefix + quote(source.columns["updated_at"])
    ordered = prefix + quote(source.columns["ordered_at"])
    return (
        f"SELECT * FROM {relation} WHERE ({updated} >= :changed_since AND {updated} < :until) "
        f"OR ({ordered} >= :placed_since AND {ordered} < :until)"
    )


def _parameters(source: OrderSourceSettings, window: ReadWindow) -> dict[str, dt.datetime]:
    zone = ZoneInfo(source.timezone)

    def naive(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(zone).replace(tzinfo=None)

    return {
        "changed_since": naive(window.changed_since - _MARGIN),
        "placed_since": naive(window.placed_since - _MARGIN),
        "until": naive(window.until + _MARGIN),
    }


def sql_rows(
    source: OrderSourceSettings, url: str, window: ReadWindow
) -> Iterator[tuple[list[str], list[Mapping[str, Any]]]]:
    """(result columns, rows) per chunk of the source's answer for `window`."""
    assert source.sql is not None
    what = "sql.table" if source.sql.table is not None else "sql.query"
    engine = engine_for(source, url)
    try:
        try:
            conn = engine.connect()
        except sa.exc.SQLAlchemyError as error:
            raise OrderSourceError(
                source.name,
                f"cannot connect to the database in ${source.sql.url_env}: {_first_line(error)}",
            ) from None
        with conn:
            try:
                make_read_only(conn)
                result = conn.execution_options(
                    stream_results=True, max_row_buffer=source.sql.chunk_rows
                ).execute(sa.text(_statement(source, engine)), _parameters(source, window))
                names = list(result.keys())
                for part in result.partitions(source.sql.chunk_rows):
                    yield names, [dict(zip(names, row, strict=True)) for row in part]
            except sa.exc.OperationalError as error:  # the connection broke off: may be transient
                raise OrderSourceError(
                    source.name, f"{what}: the query failed: {_first_line(error)}"
                ) from None
            except sa.exc.SQLAlchemyError as error:  # refused: a missing table or column, syntax
                raise OrderFatalError(
                    source.name, f"{what}: the query failed: {_first_line(error)}"
                ) from None
    finally:
        engine.dispose()
