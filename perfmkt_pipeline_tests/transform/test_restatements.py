"""core.restatements: every metric a reload changed on an already-loaded day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa

from perfmkt_pipeline.transform.restatements import restatements

D = Decimal
THU, FRI = dt.date(2026, 11, 5), dt.date(2026, 11, 6)
SEEN = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)
SCHEMA = pa.schema(
    [("date", pa.date32()), ("platform", pa.string()), ("account_id", pa.string()),
     ("campaign_id", pa.string()), ("impressions", pa.int64()), ("clicks", pa.int64()),
     ("conversions", pa.decimal128(20, 6)), ("spend_local", pa.decimal128(20, 6)),
     ("conversion_value_local", pa.decimal128(20, 6))]
)  # fmt: skip


def _rows(*rows):
    names = SCHEMA.names
    return pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows], schema=SCHEMA)


def _changes(table):
    return [
        (r["date"], r["platform"], r["campaign_id"], r["metric"], r["old_value"], r["new_value"])
        for r in table.to_pylist()
    ]


def test_changed_metrics_are_recorded_with_old_and_new_values():
    old = _rows(
        (THU, "google_ads", "1", "c1", 100, 10, D("2"), D("5.5"), D("40")),
        (THU, "impact", "IR", "P1", None, None, D("2"), D("17"), D("150")),
    )
    new = _rows(
        (THU, "google_ads", "1", "c1", 100, 10, D("2.5"), D("5.5"), D("50")),
        (THU, "impact", "IR", "P1", None, None, D("1"), D("12"), D("100")),
    )
    result = restatements(old, new, SEEN)
    assert _changes(result) == [
        (THU, "google_ads", "c1", "conversion_value_local", D("40"), D("50")),
        (THU, "google_ads", "c1", "conversions", D("2"), D("2.5")),
        (THU, "impact", "P1", "conversion_value_local", D("150"), D("100")),
        (THU, "impact", "P1", "conversions", D("2"), D("1")),
        (THU, "impact", "P1", "spend_local", D("17"), D("12")),
    ]  # NULL impressions on both sides are no change
    assert set(result["detected_at"].to_pylist()) == {SEEN}
    assert set(result["account_id"].to_pylist()) == {"1", "IR"}


def test_rows_appearing_or_disappearing_on_a_loaded_day_are_restatements():
    old = _rows((THU, "meta", "101", "M1", 10, 1, D("0"), D("1"), D("0")))
    new = _rows((THU, "meta", "101", "M2", 5, 0, D("0"), D("2"), D("0")))
    assert _changes(restatements(old, new, SEEN)) == [
        (THU, "meta", "M1", "clicks", D("1"), None),
        (THU, "meta", "M1", "conversion_value_local", D("0"), None),
        (THU, "meta", "M1", "conversions", D("0"), None),
        (THU, "meta", "M1", "impressions", D("10"), None),
        (THU, "meta", "M1", "spend_local", D("1"), None),
        (THU, "meta", "M2", "clicks", None, D("0")),
        (THU, "meta", "M2", "conversion_value_local", None, D("0")),
        (THU, "meta", "M2", "conversions", None, D("0")),
        (THU, "meta", "M2", "impressions", None, D("5")),
        (THU, "meta", "M2", "spend_local", None, D("2")),
    ]


def test_first_loads_and_unchanged_rows_record_nothing():
    thursday = _rows((THU, "meta", "101", "M1", 10, 1, D("0"), D("1.50"), D("0")))
    friday = _rows((FRI, "meta", "101", "M1", 10, 1, D("0"), D("1"), D("0")))
    same_value = _rows((THU, "meta", "101", "M1", 10, 1, D("0"), D("1.5"), D("0")))
    both = pa.concat_tables([same_value, friday])
    # Friday was never loaded for account 101: its row is a first load, not a restatement.
    assert restatements(thursday, both, SEEN).num_rows == 0
    assert restatements(SCHEMA.empty_table(), friday, SEEN).num_rows == 0
