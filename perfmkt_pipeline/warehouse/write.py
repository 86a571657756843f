"""The one write path: replace a slice of a table atomically, or upsert a dimension table, with a
fast bulk load per engine.

A slice is a set of equality filters (source, accounts, ...) plus an optional inclusive date window.
`replace_slice` deletes the slice and inserts the new rows in one transaction, so re-running any
window leaves the same rows, and a failure anywhere leaves the previous rows in place. Rows outside
the slice are refused: they could never be replaced by a re-run, so they would be loaded twice. A
`LossGuard` (warehouse/loss.py) refuses, before commit, an answer that lost more of the slice's
rows than its source may legitimately drop.

`upsert_rows` writes dimension rows by the table's grain: keys absent from the new rows keep their
rows, and a stored row is replaced only by one whose evidence (`info["evidence"]`) is not older.

Bulk paths: DuckDB ingests an Arrow table registered on the same connection; PostgreSQL receives
CSV written by Arrow's C++ writer through psycopg 3's COPY; other SQLAlchemy engines fall back to
an executemany insert.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.loss import LossGuard
from perfmkt_pipeline.warehouse.raw import load_log
from perfmkt_pipeline.warehouse.tables import arrow_schema

Frame = pd.DataFrame | pa.Table
# Bytes of CSV handed to COPY per write call: large enough to amortise calls, small enough to stream.
_COPY_CHUNK_ROWS = 100_000
_GENERIC_CHUNK_ROWS = 5_000
_ARROW_VIEW = "_perfmkt_incoming"
_STAGED_TABLE = "_perfmkt_upsert"


class SliceViolation(ValueError):
    """A row to write lies outside the slice being replaced."""


@dataclass(frozen=True)
class Slice:
    """What a write replaces: rows matching every filter and, if given, the date window."""

    filters: Mapping[str, Any | Sequence[Any]] = field(default_factory=dict)
    date_column: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive

    def __post_init__(self) -> None:
        if (self.start is None) != (self.end is None) or (
            self.start is not None and self.date_column is None
        ):
            raise ValueError("a date window needs date_column, start and end together")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"window start {self.start} is after its end {self.end}")

    def _values(self, name: str) -> list[Any]:
        value = self.filters[name]
        if isinstance(value, str) or not isinstance(value, Sequence):
            return [value]
        return list(value)

    def where(self, table: sa.Table) -> sa.ColumnElement[bool]:
        clauses: list[sa.ColumnElement[bool]] = [
            table.c[name].in_(self._values(name)) for name in self.filters
        ]
        if self.date_column is not None:
            clauses.append(table.c[self.date_column].between(self.start, self.end))
        return sa.and_(sa.true(), *clauses)

    def describe(self) -> str:
        parts = {name: self._values(name) for name in sorted(self.filters)}
        if self.date_column is not None:
            parts[self.date_column] = [str(self.start), str(self.end)]
        return json.dumps(parts, default=str, sort_keys=True)


@dataclass(frozen=True)
class WriteResult:
    table: str
    rows_deleted: int
    rows_inserted: int
    rows_kept: int = 0  # upsert: stored rows kept because their evidence is newer


def to_arrow(table: sa.Table, frame: Frame, loaded_at: dt.datetime) -> pa.Table:
    """The frame as Arrow with the table's exact column types; `loaded_at` filled in if absent."""
    unknown = [name for name in _column_names(frame) if name not in table.c]
    if unknown:
        raise ValueError(f"{table.fullname} has no column(s) {unknown}")
    if len(frame) == 0:  # an empty pandas frame has no usable dtypes; nothing to cast anyway
        return arrow_schema(table, _column_names(frame)).empty_table()
    if isinstance(frame, pd.DataFrame):
        frame = pa.Table.from_pandas(frame, preserve_index=False)
    if "loaded_at" in table.c and "loaded_at" not in frame.column_names:
        # One scalar repeated: a Python list of a datetime per row cost about 1 CPU-s per 4 M
        # rows (a year of the benchmark's largest raw backfill; issue #18).
        stamp = pa.scalar(loaded_at, pa.timestamp("us", tz="UTC"))
        frame = frame.append_column("loaded_at", pa.repeat(stamp, frame.num_rows))
    missing = [c.name for c in table.columns if not c.nullable and c.name not in frame.column_names]
    if missing:
        raise ValueError(f"{table.fullname} needs column(s) {missing}")
    try:
        return frame.cast(arrow_schema(table, frame.column_names))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise ValueError(f"{table.fullname}: rows do not fit the column types: {error}") from None


def _column_names(frame: Frame) -> list[str]:
    return list(frame.columns) if isinstance(frame, pd.DataFrame) else frame.column_names


def _check_inside(table: sa.Table, data: pa.Table, slice_: Slice) -> None:
    """Refuse rows the slice would not delete on a re-run (they would be loaded twice)."""
    if data.num_rows == 0:
        return
    for name in slice_.filters:
        allowed = pa.array(slice_._values(name), data.schema.field(name).type)
        column = data.column(name)
        outside = pc.invert(pc.is_in(column, value_set=allowed))
        if pc.any(pc.fill_null(outside, True)).as_py():
            bad = column.filter(pc.fill_null(outside, True))[0].as_py()
            raise SliceViolation(f"{table.fullname}: a row has {name}={bad!r}, outside the slice")
    if slice_.date_column is not None:
        column = data.column(slice_.date_column)
        low, high = pc.min(column).as_py(), pc.max(column).as_py()
        if column.null_count or low < slice_.start or high > slice_.end:
            raise SliceViolation(
                f"{table.fullname}: rows dated {low}..{high} fall outside the window "
                f"{slice_.start}..{slice_.end}"
            )


def replace_slice(
    warehouse: Warehouse,
    table: sa.Table,
    frames: Frame | Iterable[Frame],
    slice_: Slice,
    *,
    loaded_at: dt.datetime | None = None,
    connection: sa.Connection | None = None,
    guard: LossGuard | None = None,
) -> WriteResult:
    """Delete `slice_` from `table` and insert `frames` in one transaction.

    `frames` may be one frame or an iterable of frames (streamed: each is converted and loaded in
    turn, so memory stays at one batch). Pass `connection` to join a transaction the caller holds
    (several tables replaced atomically together); otherwise one is opened here. With `guard`, an
    answer that lost too many of the slice's rows raises `RowLossError` before anything commits.
    """
    loaded_at = loaded_at or dt.datetime.now(dt.UTC)
    batches = [frames] if isinstance(frames, pd.DataFrame | pa.Table) else frames
    if connection is None:
        with warehouse.begin() as conn:
            return _replace(warehouse, conn, table, batches, slice_, loaded_at, guard)
    return _replace(warehouse, connection, table, batches, slice_, loaded_at, guard)


def _replace(
    warehouse: Warehouse,
    conn: sa.Connection,
    table: sa.Table,
    batches: Iterable[Frame],
    slice_: Slice,
    loaded_at: dt.datetime,
    guard: LossGuard | None,
) -> WriteResult:
    deleted = conn.execute(sa.delete(table).where(slice_.where(table))).rowcount
    inserted = 0
    for batch in batches:
        data = to_arrow(table, batch, loaded_at)
        _check_inside(table, data, slice_)
        if data.num_rows:
            _BULK_LOADERS.get(warehouse.backend, _load_generic)(conn, table, data)
            inserted += data.num_rows
    if guard is not None:
        window = None if slice_.start is None else (slice_.start, slice_.end)
        guard.check(table.fullname, slice_.filters, window, max(deleted, 0), inserted)
    conn.execute(
        sa.insert(load_log).values(
            table_name=table.fullname,
            slice=slice_.describe(),
            window_start=slice_.start,
            window_end=slice_.end,
            rows_deleted=max(deleted, 0),
            rows_inserted=inserted,
            loaded_at=loaded_at,
        )
    )
    return WriteResult(table.fullname, max(deleted, 0), inserted)


def upsert_rows(
    warehouse: Warehouse,
    table: sa.Table,
    frame: Frame,
    *,
    loaded_at: dt.datetime | None = None,
    connection: sa.Connection | None = None,
) -> WriteResult:
    """Write `frame`'s rows into `table` by its grain (`info["grain"]`), in one transaction.

    A key absent from `frame` keeps its stored row: a load never deletes what its source did not
    say is gone. A key present replaces its stored row unless the stored row is backed by newer
    evidence (the column `info["evidence"]`, when the table has one): a new row without evidence
    never replaces one with it, a stored row without evidence is always replaced. Equal evidence
    replaces, so writing the same rows twice leaves the same rows. `frame` holds each key once.
    """
    loaded_at = loaded_at or dt.datetime.now(dt.UTC)
    if connection is None:
        with warehouse.begin() as conn:
            return _upsert(warehouse, conn, table, frame, loaded_at)
    return _upsert(warehouse, connection, table, frame, loaded_at)


def _upsert(
    warehouse: Warehouse, conn: sa.Connection, table: sa.Table, frame: Frame, loaded_at: dt.datetime
) -> WriteResult:
    grain = list(table.info["grain"])
    evidence = table.info.get("evidence")
    data = to_arrow(table, frame, loaded_at)
    _check_keys(table, data, grain)
    replaced = kept = 0
    if data.num_rows:
        with _staged(warehouse, conn, table, data) as staged:
            same_key = sa.and_(*[table.c[k] == staged.c[k] for k in grain])
            replaceable = sa.true()
            if evidence is not None:
                replaceable = sa.or_(
                    table.c[evidence].is_(None), staged.c[evidence] >= table.c[evidence]
                )
            replaced = conn.execute(
                sa.delete(table).where(sa.exists().where(same_key, replaceable))
            ).rowcount
            kept = conn.execute(
                sa.select(sa.func.count()).select_from(staged).where(sa.exists().where(same_key))
            ).scalar_one()
            names = data.column_names
            conn.execute(
                sa.insert(table).from_select(
                    [table.c[n] for n in names],
                    sa.select(*[staged.c[n] for n in names]).where(~sa.exists().where(same_key)),
                )
            )
    inserted = data.num_rows - kept
    conn.execute(
        sa.insert(load_log).values(
            table_name=table.fullname,
            slice=json.dumps({"upsert_by": grain}),
            window_start=None,
            window_end=None,
            rows_deleted=max(replaced, 0),
            rows_inserted=inserted,
            loaded_at=loaded_at,
        )
    )
    return WriteResult(table.fullname, max(replaced, 0), inserted, kept)


def _check_keys(table: sa.Table, data: pa.Table, grain: list[str]) -> None:
    """Every row names its whole key, and no key twice (which of two rows would win?)."""
    if data.num_rows == 0:
        return
    absent = [k for k in grain if k not in data.column_names]
    if absent:
        raise ValueError(f"{table.fullname}: an upsert needs the grain column(s) {absent}")
    for key in grain:
        if data.column(key).null_count:
            raise ValueError(f"{table.fullname}: a row has no {key} (part of the grain {grain})")
    counts = data.group_by(grain, use_threads=False).aggregate([([], "count_all")])
    doubled = counts.filter(pc.greater(counts["count_all"], 1))
    if doubled.num_rows:
        key = {k: doubled.column(k)[0].as_py() for k in grain}
        raise ValueError(f"{table.fullname}: the rows to upsert hold the key {key} twice")


@contextlib.contextmanager
def _staged(
    warehouse: Warehouse, conn: sa.Connection, table: sa.Table, data: pa.Table
) -> Iterator[sa.Table]:
    """The rows to upsert as a table the statement can join: DuckDB reads the Arrow table in
    place; other engines get a temporary table filled by the same bulk path as the slices."""
    name = _ARROW_VIEW if warehouse.backend == "duckdb" else _STAGED_TABLE
    staged = sa.Table(
        name, sa.MetaData(), *[sa.Column(n, table.c[n].type) for n in data.column_names]
    )
    if warehouse.backend == "duckdb":
        duck = conn.connection.driver_connection
        duck.register(_ARROW_VIEW, data)
        try:
            yield staged
        finally:
            duck.unregister(_ARROW_VIEW)
        return
    columns = _quoted_columns(conn, data)
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {_STAGED_TABLE} AS SELECT {columns} FROM {table.fullname} "
        "WHERE 1 = 0"
    )
    _BULK_LOADERS.get(warehouse.backend, _load_generic)(conn, staged, data)
    yield staged
    # Not on failure: the caller's rollback drops it, and an aborted transaction refuses DDL.
    conn.exec_driver_sql(f"DROP TABLE {_STAGED_TABLE}")


def _quoted_columns(conn: sa.Connection, data: pa.Table) -> str:
    quote = conn.dialect.identifier_preparer.quote
    return ", ".join(quote(name) for name in data.column_names)


def _load_duckdb(conn: sa.Connection, table: sa.Table, data: pa.Table) -> None:
    duck = conn.connection.driver_connection
    columns = _quoted_columns(conn, data)
    duck.register(_ARROW_VIEW, data)
    try:
        conn.exec_driver_sql(
            f"INSERT INTO {table.fullname} ({columns}) SELECT {columns} FROM {_ARROW_VIEW}"
        )
    finally:
        duck.unregister(_ARROW_VIEW)


def _csv_chunks(data: pa.Table) -> Iterator[memoryview]:
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in data.to_batches(max_chunksize=_COPY_CHUNK_ROWS):
        buffer = io.BytesIO()
        pacsv.write_csv(pa.Table.from_batches([batch], data.schema), buffer, options)
        yield buffer.getbuffer()


def _load_postgresql(conn: sa.Connection, table: sa.Table, data: pa.Table) -> None:
    columns = _quoted_columns(conn, data)
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="perfmkt-csv") as pool,
        conn.connection.driver_connection.cursor() as cursor,
        cursor.copy(f"COPY {table.fullname} ({columns}) FROM STDIN (FORMAT csv)") as copy,
    ):
        # Arrow writes the next chunk of CSV (without the GIL) while psycopg sends this one, so
        # serialising overlaps with the server's parsing instead of adding to it.
        chunks = _csv_chunks(data)
        pending = pool.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(next, chunks, None)
            copy.write(chunk)


def _load_generic(conn: sa.Connection, table: sa.Table, data: pa.Table) -> None:
    for batch in data.to_batches(max_chunksize=_GENERIC_CHUNK_ROWS):
        conn.execute(sa.insert(table), batch.to_pylist())


_BULK_LOADERS = {"duckdb": _load_duckdb, "postgresql": _load_postgresql}
