"""The write path's upsert of dimension tables on both engines: keys not written keep their rows,
an older reading never overwrites a newer one, and every upsert is logged and idempotent."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import sqlalchemy as sa

from perfmkt_pipeline.warehouse import raw, tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import upsert_rows

T1 = dt.datetime(2026, 10, 2, 6, 0, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)
LOADED = dt.datetime(2026, 11, 21, 7, 0, tzinfo=dt.UTC)
COLUMNS = ["platform", "account_id", "campaign_id", "campaign_name", "campaign_status"]


def campaigns(*rows: tuple) -> pa.Table:
    """core.campaigns rows: (campaign_id, name, status, source_loaded_at), Google Ads account 1."""
    return pa.Table.from_pylist(
        [
            {
                "platform": "google_ads",
                "account_id": "1234567890",
                "campaign_id": cid,
                "campaign_name": name,
                "campaign_status": status,
                "source_loaded_at": seen,
            }
            for cid, name, status, seen in rows
        ],
        schema=pa.schema(
            [
                *[(c, pa.string()) for c in COLUMNS],
                ("source_loaded_at", pa.timestamp("us", tz="UTC")),
            ]
        ),
    )


def stored(warehouse: Warehouse) -> list[tuple]:
    table = tables.campaigns
    with warehouse.begin() as conn:
        found = conn.execute(
            sa.select(table.c.campaign_id, table.c.campaign_name, table.c.campaign_status,
                      table.c.source_loaded_at).order_by(table.c.campaign_id)
        ).all()  # fmt: skip
    return [(cid, name, status, seen.astimezone(dt.UTC) if seen else None) for cid, name, status, seen in found]  # fmt: skip


def logged(warehouse: Warehouse) -> list[tuple]:
    log = raw.load_log
    with warehouse.begin() as conn:
        query = sa.select(log.c.table_name, log.c.slice, log.c.rows_deleted, log.c.rows_inserted)
        return [tuple(r) for r in conn.execute(query.order_by(log.c.loaded_at)).all()]


def test_keys_the_new_rows_do_not_name_keep_their_rows(warehouse: Warehouse) -> None:
    upsert_rows(
        warehouse,
        tables.campaigns,
        campaigns(("111", "Brand", "ENABLED", T1), ("222", "Generic", "ENABLED", T1)),
        loaded_at=T1,
    )
    result = upsert_rows(
        warehouse,
        tables.campaigns,
        campaigns(("222", "Generic UK", "PAUSED", T2), ("333", "Shopping", "ENABLED", T2)),
        loaded_at=LOADED,
    )

    assert (result.rows_deleted, result.rows_inserted, result.rows_kept) == (1, 2, 0)
    assert stored(warehouse) == [
        ("111", "Brand", "ENABLED", T1),  # not in the second load: kept as it was
        ("222", "Generic UK", "PAUSED", T2),
        ("333", "Shopping", "ENABLED", T2),
    ]
    grain = '{"upsert_by": ["platform", "account_id", "campaign_id"]}'
    assert logged(warehouse) == [
        ("core.campaigns", grain, 0, 2),
        ("core.campaigns", grain, 1, 2),
    ]


def test_an_older_reading_never_overwrites_a_newer_row(warehouse: Warehouse) -> None:
    upsert_rows(
        warehouse,
        tables.campaigns,
        campaigns(("111", "Brand JP", "PAUSED", T2), ("222", "Generic", "ENABLED", None)),
    )
    # A rebuild from raw rows loaded long ago (T1), and one from configuration (no evidence).
    result = upsert_rows(
        warehouse,
        tables.campaigns,
        campaigns(("111", "Brand", "ENABLED", T1), ("222", "Generic", "REMOVED", T1)),
    )
    assert (result.rows_deleted, result.rows_inserted, result.rows_kept) == (1, 1, 1)
    assert stored(warehouse) == [
        ("111", "Brand JP", "PAUSED", T2),  # T1 is older: the stored row stays
        ("222", "Generic", "REMOVED", T1),  # any evidence beats none
    ]

    without = upsert_rows(warehouse, tables.campaigns, campaigns(("111", "Brand", "REMOVED", None)))
    assert (without.rows_deleted, without.rows_inserted, without.rows_kept) == (0, 0, 1)
    assert stored(warehouse)[0] == ("111", "Brand JP", "PAUSED", T2)


def test_the_same_rows_twice_leave_the_same_rows(warehouse: Warehouse) -> None:
    rows = campaigns(("111", "Brand JP", "PAUSED", T2), ("222", "Generic", "ENABLED", None))
    upsert_rows(warehouse, tables.campaigns, rows, loaded_at=T2)
    first = stored(warehouse)
    again = upsert_rows(warehouse, tables.campaigns, rows, loaded_at=LOADED)

    assert (again.rows_deleted, again.rows_inserted, again.rows_kept) == (2, 2, 0)
    assert stored(warehouse) == first


def test_a_key_twice_is_refused_and_nothing_changes(warehouse: Warehouse) -> None:
    upsert_rows(warehouse, tables.campaigns, campaigns(("111", "Brand", "ENABLED", T1)))
    twice = campaigns(("111", "Brand JP", "PAUSED", T2), ("111", "Brand UK", "PAUSED", T2))
    with pytest.raises(
        ValueError,
        match=r"core.campaigns: the rows to upsert hold the key \{'platform': 'google_ads', "
        r"'account_id': '1234567890', 'campaign_id': '111'\} twice",
    ):
        upsert_rows(warehouse, tables.campaigns, twice)
    assert stored(warehouse) == [("111", "Brand", "ENABLED", T1)]


def test_an_upsert_joins_the_callers_transaction(warehouse: Warehouse) -> None:
    upsert_rows(warehouse, tables.campaigns, campaigns(("111", "Brand", "ENABLED", T1)))
    with pytest.raises(RuntimeError, match="after the upsert"), warehouse.begin() as conn:
        upsert_rows(
            warehouse,
            tables.campaigns,
            campaigns(("111", "Brand JP", "PAUSED", T2), ("222", "Generic", "ENABLED", T2)),
            connection=conn,
        )
        raise RuntimeError("after the upsert")
    assert stored(warehouse) == [("111", "Brand", "ENABLED", T1)]
    assert len(logged(warehouse)) == 1


def test_the_generic_fallback_upserts_the_same_rows(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perfmkt_pipeline.warehouse import write

    first = campaigns(("111", "Brand", "ENABLED", T1), ("222", "Generic", "ENABLED", T2))
    second = campaigns(("111", "Brand JP", "PAUSED", T2), ("222", "Generic", "REMOVED", T1))
    upsert_rows(warehouse, tables.campaigns, first)
    upsert_rows(warehouse, tables.campaigns, second)
    bulk = stored(warehouse)
    with warehouse.begin() as conn:
        conn.execute(sa.delete(tables.campaigns))
    monkeypatch.setattr(write, "_BULK_LOADERS", {})
    upsert_rows(warehouse, tables.campaigns, first)
    upsert_rows(warehouse, tables.campaigns, second)

    assert (
        stored(warehouse)
        == bulk
        == [
            ("111", "Brand JP", "PAUSED", T2),
            ("222", "Generic", "ENABLED", T2),
        ]
    )


def test_an_empty_upsert_changes_nothing_and_is_logged(warehouse: Warehouse) -> None:
    upsert_rows(warehouse, tables.campaigns, campaigns(("111", "Brand", "ENABLED", T1)))
    result = upsert_rows(warehouse, tables.campaigns, campaigns())
    assert (result.rows_deleted, result.rows_inserted) == (0, 0)
    assert stored(warehouse) == [("111", "Brand", "ENABLED", T1)]
    assert len(logged(warehouse)) == 2
