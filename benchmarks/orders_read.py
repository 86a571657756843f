"""Streaming first-party orders from MariaDB: peak memory reading 1,000,000 orders against
reading 100,000 (issue #20).

A database of its own on the MariaDB server (PERFMKT_SANDBOX_MARIADB_URL, default root on
127.0.0.1:3306) gets the sandbox shop's `orders` table with 1,000,000 generated orders (loaded
with LOAD DATA LOCAL INFILE) and a copy of its first 100,000. Each read runs in a fresh Python
process doing what the raw orders asset does: the SQL source read-only with a server-side
cursor, every row parsed and validated, chunks of `sql.chunk_rows` (20,000) upserted into
raw.orders of a new PostgreSQL warehouse (PERFMKT_BENCH_POSTGRES_URL; a separate server, so its
memory is not counted) in one transaction. The figure is the child's peak resident set
(getrusage). Target: the 1,000,000-order peak within 1.2x of the 100,000-order peak.
`PERFMKT_BENCH_ORDERS` sets the large count (default 1,000,000; the small one is a tenth).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from benchmarks.common import Figure, report
from perfmkt_pipeline.platforms.orders.standin import shop_table
from perfmkt_pipeline.platforms.orders.standin.mariadb import connect, server_url

TARGET = 1 / 1.2
FIRST_DAY = dt.date(2026, 1, 1)
POSTGRES_URL = os.environ.get(
    "PERFMKT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _orders_csv(path: Path, count: int) -> None:
    """`count` orders spread over 100 days, in the shop table's columns (times naive UTC)."""
    rng = np.random.default_rng(20)
    seconds = np.sort(rng.integers(0, 100 * 86_400, count))
    totals = rng.integers(100, 50_000, count)
    currencies = np.array(["USD", "EUR", "GBP", "JPY"])[rng.integers(0, 4, count)]
    first = rng.random(count) < 0.35
    base = dt.datetime.combine(FIRST_DAY, dt.time())
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        for i in range(count):
            created = base + dt.timedelta(seconds=int(seconds[i]))
            writer.writerow([
                f"B{i:09d}", created.isoformat(sep=" "), currencies[i], f"{totals[i] / 100:.2f}",
                "0.00", "paid", f"C{i % 200_000:07d}", int(first[i]),
                f"https://shop.example/p?utm_source=google&utm_medium=cpc&utm_campaign=c{i % 50}",
                (created + dt.timedelta(seconds=60)).isoformat(sep=" "),
            ])  # fmt: skip


def _fill(database: str, count: int) -> None:
    conn = connect(server_url(), database)
    conn.close()
    import pymysql

    from perfmkt_pipeline.platforms.orders.standin.mariadb import _connect_kwargs

    conn = pymysql.connect(**_connect_kwargs(server_url()), database=database, local_infile=True)
    with tempfile.TemporaryDirectory() as folder, conn.cursor() as cursor:
        path = Path(folder) / "orders.csv"
        _orders_csv(path, count)
        cursor.execute(shop_table.CREATE_TABLE)
        cursor.execute(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE orders FIELDS TERMINATED BY ',' "
            f"OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\r\\n' "
            f"({', '.join(shop_table.COLUMNS)})",
            (str(path),),
        )
        small = count // 10
        cursor.execute(shop_table.CREATE_TABLE.replace("TABLE orders", "TABLE orders_small"))
        cursor.execute(f"INSERT INTO orders_small SELECT * FROM orders ORDER BY id LIMIT {small}")
    conn.close()


def _child(url: str, table: str, warehouse_url: str) -> None:
    """Read the table as the raw orders asset does; print rows, seconds and peak RSS (MB)."""
    from perfmkt_pipeline.config import parse_settings
    from perfmkt_pipeline.platforms.orders.build import read_window
    from perfmkt_pipeline.platforms.orders.land import land_orders
    from perfmkt_pipeline.platforms.orders.reader import read_orders
    from perfmkt_pipeline.warehouse.engine import Warehouse

    settings = parse_settings(
        {
            "start_date": "2025-01-01",
            "orders": [shop_table.source_settings(sql={"table": table}, lookback_days=1)],
        },
        environ={},
    )
    source = settings.orders[0]
    window = read_window(settings, source.name, FIRST_DAY, FIRST_DAY + dt.timedelta(days=100))
    warehouse = Warehouse(warehouse_url)
    warehouse.ensure_schema()
    started = time.perf_counter()
    landed = land_orders(
        warehouse, read_orders(source, window, url=url), loaded_at=dt.datetime.now(dt.UTC)
    )
    seconds = time.perf_counter() - started
    warehouse.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": landed.rows, "chunks": landed.chunks, "seconds": seconds,
                      "peak_rss_mb": peak}))  # fmt: skip


def _postgres_database() -> tuple[sa.Engine, str, str]:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"perfmkt_bench_orders_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return admin, name, admin.url.set(database=name).render_as_string(hide_password=False)


def _read(url: str, table: str) -> dict:
    admin, name, warehouse_url = _postgres_database()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.orders_read", "--child", url, table, warehouse_url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> list[Figure]:
    count = int(os.environ.get("PERFMKT_BENCH_ORDERS", "1000000"))
    database = f"perfmkt_bench_orders_{uuid.uuid4().hex[:8]}"
    admin = connect()
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{database}`")
    try:
        began = time.perf_counter()
        _fill(database, count)
        print(
            f"orders from MariaDB: {count:,} orders loaded in {time.perf_counter() - began:.0f} s"
        )
        url = f"{server_url().rstrip('/')}/{database}"
        small, large = _read(url, "orders_small"), _read(url, "orders")
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        admin.close()
    for label, found in (("small", small), ("large", large)):
        print(
            f"  {label}: {found['rows']:,} orders in {found['chunks']} chunks, "
            f"{found['seconds']:.1f} s, peak {found['peak_rss_mb']:.0f} MB"
        )
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    print(f"  peak memory {large['rows']:,} / {small['rows']:,} orders: {ratio:.2f}x")
    return [
        Figure(
            f"peak memory, {large['rows']:,} vs {small['rows']:,} orders from MariaDB",
            large["peak_rss_mb"],
            small["peak_rss_mb"],
            "MB",
            False,
            TARGET,
            condition=f"every order read ({large['rows']:,} and {small['rows']:,})",
            condition_met=large["rows"] == count and small["rows"] == count // 10,
        )
    ]


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:5])
        return 0
    return 0 if report(run()) else 1


if __name__ == "__main__":
    sys.exit(main())
