"""The write-path benchmark (benchmarks/write_path.py) end to end through its own `run()` at 3,000
rows (`ROWS`; 1,000,000 at full scale) and one repeat: `replace_slice` lands every generated row
in `core.ad_performance_daily` on DuckDB and on PostgreSQL, beside each engine's native load of
the same rows, and each engine's figure says what it measures."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from benchmarks import write_path

ROWS = 3000


def test_write_path_lands_every_row_on_both_engines(postgres_server, monkeypatch, capsys):
    monkeypatch.setattr(write_path, "ROWS", ROWS)
    monkeypatch.setattr(write_path, "REPEATS", 1)
    landed = []
    real = write_path.replace_slice

    def replace_slice(warehouse, table, rows, where):
        result = real(warehouse, table, rows, where)
        with warehouse.begin() as conn:
            counted = sa.select(
                sa.func.count(), sa.func.sum(table.c.spend), sa.func.max(table.c.date)
            )
            landed.append((warehouse.backend, tuple(conn.execute(counted).one())))
        return result

    monkeypatch.setattr(write_path, "replace_slice", replace_slice)

    figures = write_path.run()

    # 3,000 rows: 3 days of 1,000 campaigns; the spend is the generator's (seed 7).
    rows = write_path.fact_rows(ROWS)
    spend = sum(rows.column("spend").to_pylist(), Decimal(0))
    last = write_path.START.replace(day=3)
    assert landed == [("duckdb", (ROWS, spend, last)), ("postgresql", (ROWS, spend, last))]
    assert [(f.name, f.unit, f.higher_is_better, f.target_ratio) for f in figures] == [
        ("write path, DuckDB (rows/s)", "r/s", True, 0.5),
        ("write path, PostgreSQL (rows/s)", "r/s", True, 0.5),
    ]
    assert all(f.value > 0 and f.baseline > 0 for f in figures)
    assert capsys.readouterr().out.startswith(
        "write path: 3,000 rows of core.ad_performance_daily, best of 1"
    )
