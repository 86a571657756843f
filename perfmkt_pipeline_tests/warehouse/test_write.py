"""The write path on both engines: atomic, idempotent slice replacement."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from perfmkt_pipeline.warehouse import raw, tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import Slice, SliceViolation, replace_slice, to_arrow

LOADED = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)
JAN = Slice(
    {"platform": "meta", "account_id": ["1", "2"]}, "date", dt.date(2026, 1, 1), dt.date(2026, 1, 3)
)


def perf_rows(
    days: list[int], account: str = "1", platform: str = "meta", spend: str = "10.5"
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": [dt.date(2026, 1, d) for d in days],
            "platform": platform,
            "channel": "social",
            "account_id": account,
            "campaign_id": "c1",
            "impressions": 1000,
            "clicks": 10,
            "conversions": Decimal("2.5"),
            "currency": "EUR",
            "spend_local": Decimal(spend),
            "conversion_value_local": Decimal("30.000001"),
            "reporting_currency": "USD",
            "fx_rate": Decimal("1.1"),
            "spend": Decimal(spend) * Decimal("1.1"),
            "conversion_value": Decimal("33.000001"),
            "settled": False,
        }
    )


def table_rows(warehouse: Warehouse, table: sa.Table) -> list[tuple]:
    with warehouse.begin() as conn:
        columns = [c for c in table.c if c.name != "loaded_at"]
        return [tuple(r) for r in conn.execute(sa.select(*columns).order_by(*columns)).all()]


def test_replacing_a_window_twice_leaves_identical_rows(warehouse: Warehouse) -> None:
    first = replace_slice(
        warehouse, tables.ad_performance_daily, perf_rows([1, 2, 3]), JAN, loaded_at=LOADED
    )
    after_first = table_rows(warehouse, tables.ad_performance_daily)
    second = replace_slice(
        warehouse, tables.ad_performance_daily, perf_rows([1, 2, 3]), JAN, loaded_at=LOADED
    )

    assert (first.rows_deleted, first.rows_inserted) == (0, 3)
    assert (second.rows_deleted, second.rows_inserted) == (3, 3)
    assert table_rows(warehouse, tables.ad_performance_daily) == after_first
    assert after_first[0] == (
        dt.date(2026, 1, 1),
        "meta",
        "social",
        "1",
        "c1",
        1000,
        10,
        Decimal("2.500000"),
        "EUR",
        Decimal("10.500000"),
        Decimal("30.000001"),
        "USD",
        Decimal("1.100000000000"),
        Decimal("11.550000"),
        Decimal("33.000001"),
        False,
    )


def test_an_exception_after_the_delete_leaves_the_previous_rows(warehouse: Warehouse) -> None:
    replace_slice(
        warehouse, tables.ad_performance_daily, perf_rows([1, 2, 3]), JAN, loaded_at=LOADED
    )
    before = table_rows(warehouse, tables.ad_performance_daily)

    def batches():
        yield perf_rows([1], spend="99")
        raise RuntimeError("source failed mid-window")

    with pytest.raises(RuntimeError, match="mid-window"):
        replace_slice(warehouse, tables.ad_performance_daily, batches(), JAN, loaded_at=LOADED)

    assert table_rows(warehouse, tables.ad_performance_daily) == before
    with warehouse.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(raw.load_log)).scalar() == 1


def test_rows_outside_the_window_are_untouched(warehouse: Warehouse) -> None:
    outside = pd.concat(
        [
            perf_rows([4], account="1"),  # day after the window
            perf_rows([2], account="3"),  # account not in the slice
            perf_rows([2], platform="google_ads"),  # other platform
        ]
    )
    replace_slice(warehouse, tables.ad_performance_daily, outside, Slice(), loaded_at=LOADED)
    replace_slice(warehouse, tables.ad_performance_daily, perf_rows([1, 2]), JAN, loaded_at=LOADED)
    replace_slice(warehouse, tables.ad_performance_daily, perf_rows([3]), JAN, loaded_at=LOADED)

    keys = [(r[0].day, r[1], r[3]) for r in table_rows(warehouse, tables.ad_performance_daily)]
    assert sorted(keys) == [
        (2, "google_ads", "1"),
        (2, "meta", "3"),
        (3, "meta", "1"),
        (4, "meta", "1"),
    ]


def test_rows_outside_the_slice_are_refused_and_nothing_changes(warehouse: Warehouse) -> None:
    replace_slice(warehouse, tables.ad_performance_daily, perf_rows([1]), JAN, loaded_at=LOADED)

    with pytest.raises(SliceViolation, match=r"rows dated 2026-01-02..2026-01-04 fall outside"):
        replace_slice(
            warehouse, tables.ad_performance_daily, perf_rows([2, 4]), JAN, loaded_at=LOADED
        )
    with pytest.raises(SliceViolation, match="account_id='9', outside the slice"):
        replace_slice(warehouse, tables.ad_performance_daily, perf_rows([2], account="9"), JAN)

    assert [r[0].day for r in table_rows(warehouse, tables.ad_performance_daily)] == [1]


def test_an_empty_replacement_clears_the_slice_and_logs_it(warehouse: Warehouse) -> None:
    replace_slice(warehouse, tables.ad_performance_daily, perf_rows([1, 2]), JAN, loaded_at=LOADED)
    result = replace_slice(
        warehouse, tables.ad_performance_daily, perf_rows([])[:0], JAN, loaded_at=LOADED
    )

    assert (result.rows_deleted, result.rows_inserted) == (2, 0)
    with warehouse.begin() as conn:
        log = conn.execute(
            sa.select(raw.load_log.c.slice, raw.load_log.c.rows_deleted).order_by(
                raw.load_log.c.rows_deleted
            )
        ).all()
    assert log[-1] == (
        '{"account_id": ["1", "2"], "date": ["2026-01-01", "2026-01-03"], "platform": ["meta"]}',
        2,
    )


def test_arrow_input_and_the_generic_fallback_write_the_same_rows(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perfmkt_pipeline.warehouse import write

    replace_slice(
        warehouse,
        tables.ad_performance_daily,
        pa.Table.from_pandas(perf_rows([1, 2])),
        JAN,
        loaded_at=LOADED,
    )
    bulk = table_rows(warehouse, tables.ad_performance_daily)
    monkeypatch.setattr(write, "_BULK_LOADERS", {})
    replace_slice(warehouse, tables.ad_performance_daily, perf_rows([1, 2]), JAN, loaded_at=LOADED)

    assert table_rows(warehouse, tables.ad_performance_daily) == bulk


def test_a_value_that_does_not_fit_its_column_is_a_clear_error(warehouse: Warehouse) -> None:
    rows = perf_rows([1]).assign(clicks="many")
    with pytest.raises(
        ValueError, match="core.ad_performance_daily: rows do not fit the column types"
    ):
        replace_slice(warehouse, tables.ad_performance_daily, rows, JAN)
    with pytest.raises(ValueError, match=r"has no column\(s\) \['spend_usd'\]"):
        replace_slice(
            warehouse, tables.ad_performance_daily, perf_rows([1]).assign(spend_usd=1), JAN
        )


def _write_many(url: str, account: str, rounds: int) -> None:
    warehouse = Warehouse(url)
    warehouse.ensure_schema()
    for _ in range(rounds):
        replace_slice(
            warehouse,
            tables.ad_performance_daily,
            perf_rows([1, 2, 3], account=account),
            Slice(
                {"platform": "meta", "account_id": account},
                "date",
                dt.date(2026, 1, 1),
                dt.date(2026, 1, 3),
            ),
        )


def test_two_processes_writing_one_duckdb_file_at_once_both_succeed(duckdb_url: str) -> None:
    Warehouse(duckdb_url).ensure_schema()
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_write_many, args=(duckdb_url, account, 15)) for account in "12"
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert [worker.exitcode for worker in workers] == [0, 0]
    keys = [
        (r[3], r[0].day) for r in table_rows(Warehouse(duckdb_url), tables.ad_performance_daily)
    ]
    assert sorted(keys) == [("1", 1), ("1", 2), ("1", 3), ("2", 1), ("2", 2), ("2", 3)]


def test_threads_of_one_process_writing_one_duckdb_file_take_turns(duckdb_url: str) -> None:
    import threading

    warehouse = Warehouse(duckdb_url)
    warehouse.ensure_schema()
    inside, overlaps = [0], []
    guard = threading.Lock()

    def write(account: str) -> None:
        for _ in range(5):
            with warehouse.begin() as conn:
                with guard:
                    inside[0] += 1
                    overlaps.append(inside[0])
                replace_slice(
                    warehouse,
                    tables.ad_performance_daily,
                    perf_rows([1, 2], account=account),
                    Slice(
                        {"platform": "meta", "account_id": account},
                        "date",
                        dt.date(2026, 1, 1),
                        dt.date(2026, 1, 3),
                    ),
                    connection=conn,
                )
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=write, args=(a,)) for a in "123"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert max(overlaps) == 1
    assert len(table_rows(warehouse, tables.ad_performance_daily)) == 6


@pytest.mark.parametrize(
    "stamp",
    [
        LOADED,
        dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.datetime(2026, 11, 1, 6, 0),  # naive: taken as UTC, as before
    ],
)
def test_every_row_of_a_frame_gets_the_loads_time(stamp) -> None:
    """Issue #18: `loaded_at` is one scalar repeated, the same instant as a datetime per row."""
    data = to_arrow(tables.ad_performance_daily, perf_rows([1, 2, 3]), stamp)

    assert data.column("loaded_at").type == pa.timestamp("us", tz="UTC")
    assert data.column("loaded_at").to_pylist() == [LOADED] * 3
