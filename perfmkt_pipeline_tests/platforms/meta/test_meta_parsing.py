"""Meta records -> raw rows, and range planning: pure functions with hand-worked values."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from perfmkt_pipeline.platforms.meta import (
    Chunk,
    MetaDataError,
    action_rows,
    insight_row,
    plan_chunks,
)
from perfmkt_pipeline.platforms.meta.parsing import action_columns, counted_in_columns

RECORD = {
    "account_currency": "EUR",
    "account_id": "101",
    "campaign_id": "c1",
    "campaign_name": "Prospecting",
    "adset_id": "s1",
    "ad_id": "a1",
    "spend": "12.34",
    "impressions": "1000",
    "clicks": "25",
    "actions": [
        {"action_type": "link_click", "value": "20", "1d_click": "18", "7d_click": "20"},
        {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "3", "7d_click": "2", "1d_view": "1"},
        {"action_type": "omni_purchase", "value": "3", "7d_click": "2", "1d_view": "1"},
    ],
    "action_values": [
        {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "89.97", "7d_click": "59.98", "1d_view": "29.99"},
    ],
    "date_start": "2026-11-02",
    "date_stop": "2026-11-02",
}  # fmt: skip
DAY = dt.date(2026, 11, 2)


def test_an_insights_record_becomes_a_typed_row_keeping_the_record_and_actions_whole() -> None:
    row = insight_row("101", RECORD)

    assert {k: v for k, v in row.items() if k not in ("actions", "action_values", "record")} == {
        "account_id": "101",
        "date": DAY,
        "campaign_id": "c1",
        "campaign_name": "Prospecting",
        "adset_id": "s1",
        "ad_id": "a1",
        "currency": "EUR",
        "spend": Decimal("12.34"),
        "impressions": 1000,
        "clicks": 25,
    }
    assert json.loads(row["record"]) == RECORD
    assert list(json.loads(row["record"])) == list(RECORD)  # key order as received
    assert json.loads(row["actions"]) == RECORD["actions"]
    assert json.loads(row["action_values"]) == RECORD["action_values"]


def test_actions_are_broken_out_per_action_type_and_attribution() -> None:
    rows = action_rows("101", RECORD)

    assert [
        (r["action_type"], r["attribution"], r["actions"], r["action_value"]) for r in rows
    ] == [
        ("link_click", "value", Decimal(20), None),
        ("link_click", "1d_click", Decimal(18), None),
        ("link_click", "7d_click", Decimal(20), None),
        ("offsite_conversion.fb_pixel_purchase", "value", Decimal(3), Decimal("89.97")),
        ("offsite_conversion.fb_pixel_purchase", "7d_click", Decimal(2), Decimal("59.98")),
        ("offsite_conversion.fb_pixel_purchase", "1d_view", Decimal(1), Decimal("29.99")),
        ("omni_purchase", "value", Decimal(3), None),
        ("omni_purchase", "7d_click", Decimal(2), None),
        ("omni_purchase", "1d_view", Decimal(1), None),
    ]
    assert {(r["account_id"], r["date"], r["campaign_id"], r["ad_id"]) for r in rows} == {
        ("101", DAY, "c1", "a1")
    }


def test_only_the_configured_action_types_count_as_conversions() -> None:
    columns = action_columns("101", [RECORD], [insight_row("101", RECORD)])

    assert counted_in_columns(columns, ["offsite_conversion.fb_pixel_purchase"]) == (
        Decimal(3),
        Decimal("89.97"),
    )
    # omni_purchase repeats the pixel purchases: counting both doubles them.
    purchases = ["offsite_conversion.fb_pixel_purchase", "omni_purchase"]
    assert counted_in_columns(columns, purchases) == (Decimal(6), Decimal("89.97"))


def test_a_row_without_actions_has_no_action_rows_and_null_action_columns() -> None:
    record = {k: v for k, v in RECORD.items() if k not in ("actions", "action_values")}

    assert action_rows("101", record) == []
    row = insight_row("101", record)
    assert row["actions"] is None and row["action_values"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"spend": "12,34"}, "meta: account 101, day 2026-11-02: field 'spend' is not a decimal number: '12,34'"),
        ({"clicks": "2.5"}, "meta: account 101, day 2026-11-02: field 'clicks' is not an integer: '2.5'"),
        ({"date_start": "02/11/2026"}, "meta: account 101, day ?: field 'date_start' is not a date: '02/11/2026'"),
        ({"date_stop": "2026-11-08"}, "meta: account 101, day 2026-11-02: field 'date_stop' is '2026-11-08': daily rows (time_increment=1) start and stop on one day"),
        ({"ad_id": None}, "meta: account 101, day 2026-11-02: field 'ad_id' is missing"),
        ({"account_id": "999"}, "meta: account 101, day 2026-11-02: field 'account_id' is '999'"),
        ({"actions": [{"action_type": "lead", "value": "x"}]}, "meta: account 101, day 2026-11-02: field 'actions[lead].value' is not a decimal number: 'x'"),
    ],
)  # fmt: skip
def test_a_record_that_does_not_parse_names_account_day_and_field(change, message) -> None:
    with pytest.raises(MetaDataError) as caught:
        insight_row("101", {**RECORD, **change})
        action_rows("101", {**RECORD, **change})
    assert str(caught.value) == message


def test_a_pages_action_columns_are_its_records_action_rows_in_order() -> None:
    """Issue #18: the sync lands a page's actions as columns; they are exactly the rows of
    `action_rows`, record after record, and count the same conversions."""
    other = {
        **RECORD,
        "ad_id": "a2",
        "campaign_id": None,
        "actions": [{"action_type": "lead", "value": "2", "7d_click": None, "28d_view": "1.50"}],
        "action_values": [{"action_type": "lead", "7d_click": "10"}],
    }
    bare = {k: v for k, v in RECORD.items() if k not in ("actions", "action_values")}
    page = [RECORD, bare, other]

    columns = action_columns("101", page, [insight_row("101", r) for r in page])

    rows = [row for record in page for row in action_rows("101", record)]
    landed = zip(*columns.values(), strict=True)
    assert [dict(zip(columns, values, strict=True)) for values in landed] == rows
    assert [(r["ad_id"], r["action_type"], r["attribution"]) for r in rows[-3:]] == [
        ("a2", "lead", "value"),
        ("a2", "lead", "28d_view"),
        ("a2", "lead", "7d_click"),
    ]
    assert rows[-1]["actions"] is None and rows[-1]["action_value"] == Decimal(10)
    assert rows[-2]["actions"] == Decimal("1.50")
    purchases = ["offsite_conversion.fb_pixel_purchase", "lead"]
    assert counted_in_columns(columns, purchases) == (Decimal(5), Decimal("89.97"))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"action_type": "lead", "value": "x"}, "field 'actions[lead].value' is not a decimal number: 'x'"),
        ({"action_type": "lead", "1d_view": "Infinity"}, "field 'actions[lead].1d_view' is not a finite number: 'Infinity'"),
        ({"action_type": "lead", "7d_click": 2.5e400}, "field 'actions[lead].7d_click' is not a finite number: inf"),
        ({"value": "1"}, "field 'actions[].action_type' is missing"),
    ],
)  # fmt: skip
def test_a_bad_action_fails_a_page_as_it_fails_its_record(entry, message) -> None:
    bad = {**RECORD, "actions": [*RECORD["actions"], entry]}
    page = [RECORD, bad]

    with pytest.raises(MetaDataError) as by_record:
        action_rows("101", bad)
    with pytest.raises(MetaDataError) as by_page:
        action_columns("101", page, [insight_row("101", r) for r in page])
    assert (
        str(by_page.value)
        == str(by_record.value)
        == (f"meta: account 101, day 2026-11-02: {message}")
    )


def test_a_range_within_sync_max_days_is_one_sync_chunk() -> None:
    assert plan_chunks(dt.date(2026, 1, 1), dt.date(2026, 1, 7), 7, 30) == [
        Chunk(dt.date(2026, 1, 1), dt.date(2026, 1, 7), False)
    ]


def test_a_long_range_is_cut_into_async_chunks_with_a_short_tail_fetched_synchronously() -> None:
    chunks = plan_chunks(dt.date(2026, 1, 1), dt.date(2026, 4, 3), 7, 30)

    assert chunks == [
        Chunk(dt.date(2026, 1, 1), dt.date(2026, 1, 30), True),
        Chunk(dt.date(2026, 1, 31), dt.date(2026, 3, 1), True),
        Chunk(dt.date(2026, 3, 2), dt.date(2026, 3, 31), True),
        Chunk(dt.date(2026, 4, 1), dt.date(2026, 4, 3), False),
    ]
    assert sum(c.days for c in chunks) == 93


def test_a_backwards_range_is_refused() -> None:
    with pytest.raises(ValueError, match="after its end"):
        plan_chunks(dt.date(2026, 1, 2), dt.date(2026, 1, 1), 7, 30)
