"""The write path's row-loss guard on both engines: an empty or shrunken answer for a slice that
held rows is refused before commit (the warehouse stays exactly as it was), unless the loss is
within the source's tolerance, or allowed (then logged)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from perfmkt_pipeline.warehouse import raw, tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.loss import LossGuard, RowLossError
from perfmkt_pipeline.warehouse.write import Slice, replace_slice
from perfmkt_pipeline_tests.warehouse.test_write import perf_rows

JAN = Slice(
    {"platform": "meta", "account_id": "1"}, "date", dt.date(2026, 1, 1), dt.date(2026, 1, 10)
)
LOADED = dt.datetime(2026, 1, 11, 6, 0, tzinfo=dt.UTC)
META = LossGuard(
    "meta", max_loss_pct=10, setting="meta.allow_row_loss", why="Meta omits zero-activity rows"
)


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple]]:
    """Every row of the table written and of the load log, every column."""
    found = {}
    with warehouse.begin() as conn:
        for table in (tables.ad_performance_daily, raw.load_log):
            columns = list(table.c)
            found[table.fullname] = [
                tuple(r) for r in conn.execute(sa.select(*columns).order_by(*columns)).all()
            ]
    return found


def loaded(warehouse: Warehouse, days: int) -> dict[str, list[tuple]]:
    replace_slice(
        warehouse, tables.ad_performance_daily, perf_rows(list(range(1, days + 1))), JAN,
        loaded_at=LOADED,
    )  # fmt: skip
    return snapshot(warehouse)


def test_a_shrunken_answer_beyond_the_tolerance_is_refused_and_changes_nothing(
    warehouse: Warehouse,
) -> None:
    before = loaded(warehouse, 10)
    with pytest.raises(RowLossError) as refused:
        replace_slice(
            warehouse, tables.ad_performance_daily, perf_rows([1, 2, 3, 4, 5, 6, 7, 8]), JAN,
            guard=META,
        )  # fmt: skip
    assert str(refused.value) == (
        "meta, account 1, 2026-01-01..2026-01-10: core.ad_performance_daily: the warehouse held "
        "10 rows, the answer has 8: 2 fewer; at most 10% may vanish on a re-read (Meta omits "
        "zero-activity rows); nothing was written. If the source really dropped those rows, set "
        "meta.allow_row_loss: true for the load that should accept it"
    )
    assert snapshot(warehouse) == before


def test_a_loss_within_the_tolerance_loads(warehouse: Warehouse) -> None:
    loaded(warehouse, 10)
    result = replace_slice(
        warehouse, tables.ad_performance_daily, perf_rows(list(range(1, 10))), JAN, guard=META
    )
    assert (result.rows_deleted, result.rows_inserted) == (10, 9)  # 1 of 10: exactly 10%


def test_an_empty_answer_for_a_slice_that_held_rows_is_refused_whatever_the_tolerance(
    warehouse: Warehouse,
) -> None:
    before = loaded(warehouse, 3)
    feed = LossGuard("rakuten", read_from=("/exports/a.csv", "/exports/b.csv"))
    with pytest.raises(RowLossError) as refused:
        replace_slice(warehouse, tables.ad_performance_daily, perf_rows([])[:0], JAN, guard=feed)
    assert str(refused.value).startswith(
        "rakuten, account 1, 2026-01-01..2026-01-10, read from /exports/a.csv, /exports/b.csv: "
        "core.ad_performance_daily: the warehouse held 3 rows, the answer has 0 (an empty "
        "answer): 3 fewer; at most 0% may vanish on a re-read; nothing was written."
    )
    assert snapshot(warehouse) == before
    with pytest.raises(RowLossError, match="held 3 rows, the answer has 0 .an empty answer.: 3"):
        tolerant = LossGuard("meta", max_loss_pct=99.9)
        replace_slice(
            warehouse, tables.ad_performance_daily, perf_rows([])[:0], JAN, guard=tolerant
        )


def test_an_allowed_loss_loads_and_is_reported_as_a_warning(warehouse: Warehouse) -> None:
    loaded(warehouse, 10)
    warnings: list[str] = []
    allowed = LossGuard(
        "meta", max_loss_pct=10, allow=True, setting="meta.allow_row_loss", warn=warnings.append
    )
    result = replace_slice(
        warehouse, tables.ad_performance_daily, perf_rows([1, 2]), JAN, guard=allowed
    )
    assert (result.rows_deleted, result.rows_inserted) == (10, 2)
    assert warnings == [
        "meta, account 1, 2026-01-01..2026-01-10: core.ad_performance_daily: the warehouse held "
        "10 rows, the answer has 2: 8 fewer; at most 10% may vanish on a re-read; loaded anyway "
        "(meta.allow_row_loss: true)"
    ]


def test_a_first_load_and_a_growing_answer_pass_the_guard(warehouse: Warehouse) -> None:
    strict = LossGuard("cj")
    first = replace_slice(
        warehouse, tables.ad_performance_daily, perf_rows([])[:0], JAN, guard=strict
    )
    grown = replace_slice(
        warehouse, tables.ad_performance_daily, perf_rows([1, 2]), JAN, guard=strict
    )
    assert (first.rows_deleted, first.rows_inserted, grown.rows_deleted, grown.rows_inserted) == (
        0, 0, 0, 2,
    )  # fmt: skip


def test_a_refusal_rolls_back_the_callers_whole_transaction(warehouse: Warehouse) -> None:
    before = loaded(warehouse, 3)
    other = Slice({"platform": "meta", "account_id": "2"}, "date", JAN.start, JAN.end)
    with pytest.raises(RowLossError), warehouse.begin() as conn:
        replace_slice(
            warehouse, tables.ad_performance_daily, perf_rows([1], account="2"), other,
            connection=conn,
        )  # fmt: skip
        replace_slice(
            warehouse, tables.ad_performance_daily, perf_rows([1]), JAN, guard=LossGuard("meta"),
            connection=conn,
        )  # fmt: skip
    assert snapshot(warehouse) == before
