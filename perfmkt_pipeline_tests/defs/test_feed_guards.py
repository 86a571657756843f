"""A file feed's asset on DuckDB and PostgreSQL: an empty export for a window that held rows
leaves them and fails the run naming the file (issue 15, case 2), unless allowed; actions
decided after the window stay on their event day (no loss); a duplicate record fails naming the
file, line and action, or with `duplicates: warn` is counted in a warning."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, materialize

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline_tests.chaos_support import snapshot
from perfmkt_pipeline_tests.defs.affiliate_assets_support import build_affiliate_assets
from perfmkt_pipeline_tests.defs.affiliates_support import (
    FEED,
    FEED_HEADER,
    FEED_STATUSES,
    raw_rows,
)

PARTITION = "2026-10-02"  # the feed reads 2026-08-19..2026-10-02 (45 days)
WINDOW = "2026-08-19..2026-10-02"
ROWS = [
    "RK-1,2026-09-28,Pending,77,Coupon Hub,120.00,12.00,2026-09-28 14:20",
    "RK-2,2026-09-30,Pending,78,Deal Blog,40.00,4.00,2026-09-30 09:00",
    "RK-3,2026-10-01,Approved,77,Coupon Hub,80.00,8.00,2026-10-01 18:45",
]
REFUSAL = (
    "raw.affiliate_actions: the warehouse held 3 rows, the answer has 0 (an empty answer): 3 "
    "fewer; at most 0% may vanish on a re-read (feed records are never deleted and keep their "
    "event day)"
)


def _settings(folder: Path, **feed: Any):
    columns = ["Order ID", "Transaction Date", "Status", "Publisher ID", "Publisher Name",
               "Sales", "Commission", "Updated"]  # fmt: skip
    ours = ["action_id", "event_date", "status", "partner_id", "partner_name", "sale_amount",
            "commission", "updated_at"]  # fmt: skip
    return parse_settings(
        {
            "start_date": "2026-01-01",
            "file_feeds": [
                {
                    "name": FEED,
                    "location": str(folder),
                    "currency": "USD",
                    "updated_at_format": "%Y-%m-%d %H:%M",
                    "columns": dict(zip(ours, columns, strict=True)),
                    "status_map": FEED_STATUSES,
                    "account_id": "rk-001",
                    **feed,
                }
            ],
        },
        environ={},
    )


def _run(url: str, folder: Path, instance: DagsterInstance | None = None, **feed: Any):
    return materialize(
        build_affiliate_assets(_settings(folder, **feed), "duckdb"),
        resources={"warehouse": WarehouseResource(url=url)},
        partition_key=PARTITION,
        instance=instance or DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _export(folder: Path, *rows: str) -> Path:
    path = folder / "export.csv"
    path.write_text("\n".join([FEED_HEADER, *rows]) + "\n")
    return path


def _failure(result) -> str:
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    error, messages = failure.step_failure_data.error, []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    return "\n".join(messages)


def _warnings(instance: DagsterInstance, run_id: str) -> list[str]:
    return [e.user_message for e in instance.all_logs(run_id) if e.level == logging.WARNING]


def _landed(url: str) -> list[tuple]:
    return sorted(raw_rows(url, FEED)[["action_id", "status"]].itertuples(index=False, name=None))


@pytest.mark.parametrize(
    "empty",
    [
        [],  # the header alone
        ["RK-0,2025-06-01,Approved,77,Coupon Hub,10.00,1.00,2025-06-02 10:00"],  # long before
    ],
    ids=["header-only", "nothing-in-the-window"],
)
def test_an_empty_export_leaves_the_windows_rows_and_fails_naming_the_file(
    warehouse_url, tmp_path, empty
):
    _export(tmp_path, *ROWS)
    assert _run(warehouse_url, tmp_path).success
    before = snapshot(warehouse_url)
    path = _export(tmp_path, *empty)

    refused = _run(warehouse_url, tmp_path)

    assert not refused.success
    assert (
        f"{FEED}, account rk-001, {WINDOW}, read from {path}: {REFUSAL}; nothing was written. If "
        f"the source really dropped those rows, set file_feeds[{FEED}].allow_row_loss: true for "
        "the load that should accept it"
    ) in _failure(refused)
    assert snapshot(warehouse_url) == before
    assert _landed(warehouse_url) == [
        ("RK-1", "Pending"),
        ("RK-2", "Pending"),
        ("RK-3", "Approved"),
    ]

    instance = DagsterInstance.ephemeral()
    allowed = _run(warehouse_url, tmp_path, instance, allow_row_loss=True)

    assert allowed.success
    assert _landed(warehouse_url) == []
    assert _warnings(instance, allowed.run_id) == [
        f"{FEED}, account rk-001, {WINDOW}, read from {path}: {REFUSAL}; loaded anyway "
        f"(file_feeds[{FEED}].allow_row_loss: true)"
    ]


def test_actions_decided_after_the_window_stay_on_their_event_day(warehouse_url, tmp_path):
    _export(tmp_path, *ROWS)
    assert _run(warehouse_url, tmp_path).success
    # A current-state export: RK-1 and RK-2 were approved on 2026-10-04, after the window; they
    # are still read under their event days, in their new state: nothing is lost.
    _export(
        tmp_path,
        "RK-1,2026-09-28,Approved,77,Coupon Hub,120.00,12.00,2026-10-04 08:00",
        "RK-2,2026-09-30,Approved,78,Deal Blog,40.00,4.00,2026-10-04 08:00",
        ROWS[2],
    )
    assert _run(warehouse_url, tmp_path).success
    assert _landed(warehouse_url) == [
        ("RK-1", "Approved"),
        ("RK-2", "Approved"),
        ("RK-3", "Approved"),
    ]


DUPLICATE = "RK-2,2026-09-30,Pending,78,Deal Blog,45.00,4.50,2026-09-30 09:00"


def test_a_duplicate_record_fails_naming_file_line_and_action(warehouse_url, tmp_path):
    path = _export(tmp_path, *ROWS, DUPLICATE)

    result = _run(warehouse_url, tmp_path)

    assert not result.success
    assert (
        f"{FEED}: {path}, line 5: duplicate record: action 'RK-2' (2026-09-30T09:00:00+00:00) "
        "is already on line 3 (set duplicates: warn to keep the later line)"
    ) in _failure(result)
    assert _landed(warehouse_url) == []


def test_with_duplicates_set_to_warn_the_later_line_loads_and_the_count_is_logged(
    warehouse_url, tmp_path
):
    path = _export(tmp_path, *ROWS, DUPLICATE, ROWS[0])
    instance = DagsterInstance.ephemeral()

    result = _run(warehouse_url, tmp_path, instance, duplicates="warn")

    assert result.success
    rows = raw_rows(warehouse_url, FEED)
    assert sorted(zip(rows["action_id"], rows["commission"], strict=True)) == [
        ("RK-1", Decimal("12")), ("RK-2", Decimal("4.5")), ("RK-3", Decimal("8")),
    ]  # fmt: skip
    assert _warnings(instance, result.run_id) == [
        f"{FEED}: 2 duplicate record(s) (the same action and update time twice in one file), "
        f"the later line kept; the first: {path}, line 5, action 'RK-2' "
        "(2026-09-30T09:00:00+00:00)"
    ]
