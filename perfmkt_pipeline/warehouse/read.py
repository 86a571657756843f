"""Reading the warehouse back, for transforms and checks.

`read_arrow`/`read_query` return Arrow tables with each column's exact declared type. Fast paths
mirror the write path: DuckDB hands its result over as Arrow natively; PostgreSQL streams
`COPY (SELECT ...) TO STDOUT` as CSV, which Arrow's C++ reader parses straight into the declared
types (decimals exactly, from their text). Other engines return rows through SQLAlchemy, turned
into Arrow column by column. Whatever the path, a transform sees the same types on every engine.
`read_window` returns a small date window as pandas.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from perfmkt_pipeline.warehouse.write import arrow_schema


def read_window(
    conn: sa.Connection,
    table: sa.Table,
    date_column: str,
    start: dt.date,
    end: dt.date,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Rows of `table` whose `date_column` lies in [start, end] (inclusive), as a DataFrame
    (through Arrow: dates as `datetime.date`, decimals as `Decimal`, as the rows themselves
    would give them, at a small part of the cost of building it from rows)."""
    where = table.c[date_column].between(start, end)
    return read_arrow(conn, table, where, columns).to_pandas()


def read_arrow(
    conn: sa.Connection,
    table: sa.Table,
    where: sa.ColumnElement[bool] | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """Rows of `table` matching `where` (all rows when None), as Arrow with exact column types."""
    names = list(columns) if columns else [c.name for c in table.columns]
    query = sa.select(*[table.c[name] for name in names])
    if where is not None:
        query = query.where(where)
    return read_query(conn, query, arrow_schema(table, names))


def read_query(conn: sa.Connection, query: sa.Select, schema: pa.Schema) -> pa.Table:
    """Any select whose result columns are named and typed by `schema`."""
    reader = _READERS.get(conn.dialect.name, _read_rows)
    return reader(conn, query, schema)


def _compiled(conn: sa.Connection, query: sa.Select) -> sa.engine.Compiled:
    return query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})


def _read_duckdb(conn: sa.Connection, query: sa.Select, schema: pa.Schema) -> pa.Table:
    compiled = _compiled(conn, query)
    params = [compiled.params[key] for key in compiled.positiontup or []]
    duck = conn.connection.driver_connection
    result = duck.sql(str(compiled), params=params).to_arrow_table()
    return result.rename_columns(schema.names).cast(schema)


def _read_postgresql(conn: sa.Connection, query: sa.Select, schema: pa.Schema) -> pa.Table:
    compiled = _compiled(conn, query)
    buffer = io.BytesIO()
    with (
        conn.connection.driver_connection.cursor() as cursor,
        cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT csv)", compiled.params) as copy,
    ):
        for chunk in copy:
            buffer.write(chunk)
    if buffer.tell() == 0:
        return schema.empty_table()
    buffer.seek(0)
    return pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=schema.names),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        # COPY writes NULL unquoted and empty; an empty string comes quoted ("").
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            true_values=["t"],
            false_values=["f"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    ).cast(schema)


def _read_rows(conn: sa.Connection, query: sa.Select, schema: pa.Schema) -> pa.Table:
    rows = conn.execute(query).all()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = [
        pa.array(list(values), type=field.type)
        for values, field in zip(columns, schema, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


_READERS = {"duckdb": _read_duckdb, "postgresql": _read_postgresql}
