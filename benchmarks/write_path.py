"""Write-path benchmark: 1,000,000 fact rows through `replace_slice` beside each engine's own
native bulk load of the very same rows, in the same run.

Native baselines: DuckDB ingesting the Arrow table directly (`INSERT ... SELECT FROM arrow`);
PostgreSQL `COPY ... FROM STDIN` of the rows already serialised as CSV (serialisation untimed).
The pipeline's figure includes everything it does: type casting, the slice check, the delete,
serialisation, the load and the audit row. Target: at least half of native speed.

Run: `make bench-write` (PostgreSQL from PERFMKT_BENCH_POSTGRES_URL, default the local server).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import tempfile
import uuid

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from benchmarks.common import Figure, best_of, report
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice

ROWS = int(os.environ.get("PERFMKT_BENCH_ROWS", "1000000"))
REPEATS = 3
POSTGRES_URL = os.environ.get(
    "PERFMKT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TABLE = tables.ad_performance_daily
START = dt.date(2024, 1, 1)


def _decimal(micros: np.ndarray) -> pa.Array:
    """Integer micros as exact decimals with 6 places (via their decimal text)."""
    text = np.char.add(
        np.char.add((micros // 1_000_000).astype(str), "."),
        np.char.zfill((micros % 1_000_000).astype(str), 6),
    )
    return pa.array(text).cast(pa.decimal128(20, 6))


def fact_rows(n: int) -> pa.Table:
    """n rows of core.ad_performance_daily: ~2.7 years x 1,000 campaigns, typed as the table."""
    rng = np.random.default_rng(7)
    index = np.arange(n)
    days = index // 1000
    spend_micros = rng.integers(0, 50_000_000_000, n)
    value_micros = spend_micros * 3
    table = pa.table(
        {
            "date": pa.array(np.datetime64(START) + days.astype("timedelta64[D]")),
            "platform": pa.array(np.where(index % 2, "meta", "google_ads")),
            "channel": pa.array(np.where(index % 2, "social", "search")),
            "account_id": pa.array((index % 10).astype(str)),
            "campaign_id": pa.array((index % 1000).astype(str)),
            "impressions": pa.array(rng.integers(0, 1_000_000, n)),
            "clicks": pa.array(rng.integers(0, 10_000, n)),
            "conversions": _decimal(rng.integers(0, 500_000_000, n)),
            "currency": pa.array(np.full(n, "EUR")),
            "spend_local": _decimal(spend_micros),
            "conversion_value_local": _decimal(value_micros),
            "reporting_currency": pa.array(np.full(n, "USD")),
            "fx_rate": pa.array(np.full(n, "1.1")).cast(pa.decimal128(24, 12)),
            "spend": _decimal(spend_micros),
            "conversion_value": _decimal(value_micros),
            "settled": pa.array(days < days.max() - 30),
            "loaded_at": pa.array(
                np.full(n, np.datetime64("2026-01-01T06:00:00", "us")), pa.timestamp("us", tz="UTC")
            ),
        }
    )
    return table.cast(arrow_schema(TABLE, table.column_names))


def slice_for(rows: pa.Table) -> Slice:
    last = START + dt.timedelta(days=(rows.num_rows - 1) // 1000)
    return Slice({}, "date", START, last)


def truncate(warehouse: Warehouse) -> None:
    with warehouse.begin() as conn:
        conn.execute(sa.delete(TABLE))


def bench_duckdb(rows: pa.Table) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        warehouse = Warehouse(f"duckdb:///{folder}/bench.duckdb")
        warehouse.ensure_schema()

        def native() -> None:
            with warehouse.begin() as conn:
                duck = conn.connection.driver_connection
                duck.register("bench_rows", rows)
                conn.exec_driver_sql(f"INSERT INTO {TABLE.fullname} SELECT * FROM bench_rows")
                duck.unregister("bench_rows")

        native_s = best_of(REPEATS, native, setup=lambda: truncate(warehouse))
        ours_s = best_of(
            REPEATS,
            lambda: replace_slice(warehouse, TABLE, rows, slice_for(rows)),
            setup=lambda: truncate(warehouse),
        )
        warehouse.dispose()
    return [
        Figure(
            "write path, DuckDB (rows/s)",
            rows.num_rows / ours_s,
            rows.num_rows / native_s,
            "r/s",
            True,
            0.5,
        )
    ]


def bench_postgresql(rows: pa.Table) -> list[Figure]:
    admin = sa.create_engine(Warehouse(POSTGRES_URL).url, isolation_level="AUTOCOMMIT")
    name = f"perfmkt_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        warehouse = Warehouse(admin.url.set(database=name))
        warehouse.ensure_schema()
        buffer = io.BytesIO()
        pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False))
        csv_bytes = buffer.getvalue()
        columns = ", ".join(rows.column_names)

        def native() -> None:
            with warehouse.begin() as conn:
                cursor = conn.connection.driver_connection.cursor()
                with cursor.copy(
                    f"COPY {TABLE.fullname} ({columns}) FROM STDIN (FORMAT csv)"
                ) as copy:
                    copy.write(csv_bytes)

        native_s = best_of(REPEATS, native, setup=lambda: truncate(warehouse))
        ours_s = best_of(
            REPEATS,
            lambda: replace_slice(warehouse, TABLE, rows, slice_for(rows)),
            setup=lambda: truncate(warehouse),
        )
        warehouse.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return [
        Figure(
            "write path, PostgreSQL (rows/s)",
            rows.num_rows / ours_s,
            rows.num_rows / native_s,
            "r/s",
            True,
            0.5,
        )
    ]


def run() -> list[Figure]:
    rows = fact_rows(ROWS)
    print(f"write path: {rows.num_rows:,} rows of {TABLE.fullname}, best of {REPEATS}")
    return [*bench_duckdb(rows), *bench_postgresql(rows)]


def main() -> int:
    return 0 if report(run()) else 1


if __name__ == "__main__":
    sys.exit(main())
