"""ArrowSpool (defs/spool.py): a chunk's rows on local disk until written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from perfmkt_pipeline.platforms.base.spool import ArrowSpool
from perfmkt_pipeline.platforms.meta import tables as meta_tables


def row(ad: str, spend: str) -> dict:
    return {
        "account_id": "101",
        "date": dt.date(2026, 11, 2),
        "campaign_id": "c1",
        "campaign_name": "Campaign 1",
        "adset_id": "s1",
        "ad_id": ad,
        "currency": "EUR",
        "spend": Decimal(spend),
        "impressions": 10,
        "clicks": 1,
        "actions": None,
        "action_values": None,
        "record": "{}",
    }


def read(spool: ArrowSpool) -> list[tuple]:
    return [(r["ad_id"], r["spend"]) for t in spool.frames() for r in t.to_pylist()]


def test_rows_come_back_page_by_page_with_the_table_types(tmp_path):
    spool = ArrowSpool(meta_tables.meta_ad_insights, tmp_path)
    spool.add([row("a1", "1.25"), row("a2", "0.10")])
    spool.add([row("a3", "7")])

    frames = list(spool.frames())

    assert [t.num_rows for t in frames] == [2, 1]
    assert frames[0].schema.field("spend").type == pa.decimal128(20, 6)
    assert "loaded_at" not in frames[0].column_names
    assert read(spool) == [("a1", Decimal("1.25")), ("a2", Decimal("0.1")), ("a3", Decimal(7))]
    assert spool.rows == 3


def test_a_rolled_back_attempt_is_not_written_and_clear_starts_over(tmp_path):
    spool = ArrowSpool(meta_tables.meta_ad_insights, tmp_path)
    spool.add([row("a1", "1")])
    mark = spool.mark()
    spool.add([row("a2", "2")])  # an attempt that is started over
    spool.rollback(mark)
    spool.add([row("a2", "3")])

    assert read(spool) == [("a1", Decimal(1)), ("a2", Decimal(3))]
    with pytest.raises(RuntimeError, match="cannot be added to"):
        spool.add([row("a4", "4")])

    spool.clear()
    assert list(spool.frames()) == [] and spool.rows == 0
    assert list(tmp_path.iterdir()) == []
    spool.add([row("a5", "5")])
    assert read(spool) == [("a5", Decimal(5))]


def test_rows_given_as_columns_land_as_the_same_rows_given_as_dicts(tmp_path):
    by_rows = ArrowSpool(meta_tables.meta_ad_insights, tmp_path)
    by_columns = ArrowSpool(meta_tables.meta_ad_insights, tmp_path)
    rows = [row("a1", "1.25"), row("a2", "0.10")]

    by_rows.add(rows)
    by_columns.add_columns({name: [r[name] for r in rows] for name in rows[0]})
    by_columns.add_columns({name: [] for name in rows[0]})  # an empty page adds nothing

    assert [t.to_pylist() for t in by_columns.frames()] == [t.to_pylist() for t in by_rows.frames()]
    assert by_columns.rows == 2
    with pytest.raises(pa.ArrowInvalid):  # a value the column cannot hold, as with `add`
        ArrowSpool(meta_tables.meta_ad_insights, tmp_path).add_columns(
            {name: [Decimal("0.1234567") if name == "spend" else v] for name, v in rows[0].items()}
        )
