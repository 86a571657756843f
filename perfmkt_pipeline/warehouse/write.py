"""The one write path: replace a slice of a table atomically, with a fast bulk load per engine.

A slice is a set of equality filters (source, accounts, ...) plus an optional inclusive date window.
`replace_slice` deletes the slice and inserts the new rows in one transaction, so re-running any
window leaves the same rows, and a failure anywhere leaves the previous rows in place. Rows outside
the slice are refused: they could never be replaced by a re-run, so they would be loaded twice.

Bulk paths: DuckDB ingests an Arrow table registered on the same connection; PostgreSQL receives
CSV written by Arrow's C++ writer through psycopg 3's COPY; other SQLAlchemy engines fall back to
an executemany insert.
"""

from __future__ import annotations

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
from perfmkt_pipeline.warehouse.raw import load_log

Frame = pd.DataFrame | pa.Table
# Bytes of CSV handed to COPY per write call: large enough to amortise calls, small enough to stream.
_COPY_CHUNK_ROWS = 100_000
_GENERIC_CHUNK_ROWS = 5_000
_ARROW_VIEW = "_perfmkt_incoming"


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


def arrow_schema(table: sa.Table, columns: Iterable[str]) -> pa.Schema:
    return pa.schema([pa.field(name, _arrow_type(table.c[name].type)) for name in columns])


def _arrow_type(type_: sa.types.TypeEngine) -> pa.DataType:
    if isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float):
        return pa.decimal128(type_.precision or 38, type_.scale or 0)
    if isinstance(type_, sa.BigInteger | sa.Integer):
        return pa.int64()
    if isinstance(type_, sa.Boolean):
        return pa.bool_()
    if isinstance(type_, sa.DateTime):
        return pa.timestamp("us", tz="UTC") if type_.timezone else pa.timestamp("us")
    if isinstance(type_, sa.Date):
        return pa.date32()
    if isinstance(type_, sa.Float):
        return pa.float64()
    return pa.string()


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
        frame = frame.append_column(
            "loaded_at", pa.array([loaded_at] * frame.num_rows, pa.timestamp("us", tz="UTC"))
        )
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
) -> WriteResult:
    """Delete `slice_` from `table` and insert `frames` in one transaction.

    `frames` may be one frame or an iterable of frames (streamed: each is converted and loaded in
    turn, so memory stays at one batch). Pass `connection` to join a transaction the caller holds
    (several tables replaced atomically together); otherwise one is opened here.
    """
    loaded_at = loaded_at or dt.datetime.now(dt.UTC)
    batches = [frames] if isinstance(frames, pd.DataFrame | pa.Table) else frames
    if connection is None:
        with warehouse.begin() as conn:
            return _replace(warehouse, conn, table, batches, slice_, loaded_at)
    return _replace(warehouse, connection, table, batches, slice_, loaded_at)


def _replace(
    warehouse: Warehouse,
    conn: sa.Connection,
    table: sa.Table,
    batches: Iterable[Frame],
    slice_: Slice,
    loaded_at: dt.datetime,
) -> WriteResult:
    deleted = conn.execute(sa.delete(table).where(slice_.where(table))).rowcount
    inserted = 0
    for batch in batches:
        data = to_arrow(table, batch, loaded_at)
        _check_inside(table, data, slice_)
        if data.num_rows:
            _BULK_LOADERS.get(warehouse.backend, _load_generic)(conn, table, data)
            inserted += data.num_rows
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
