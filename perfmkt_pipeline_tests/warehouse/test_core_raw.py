"""The core asset's raw reads on DuckDB and PostgreSQL: Meta summed to campaigns in the warehouse
gives exactly the roll-up (and the core tables) that the ad-level rows give, NULL sums included;
the rows covered and the pull day still count every raw row; a row without campaign_id is still
a data error naming its ad."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from perfmkt_pipeline import platforms
from perfmkt_pipeline.platforms.meta import core as meta
from perfmkt_pipeline.platforms.meta import tables as meta_tables
from perfmkt_pipeline.platforms.meta.core import MetaRaw
from perfmkt_pipeline.transform.core import CoreDataError, CoreRules, build_core
from perfmkt_pipeline.warehouse import core_io
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import Slice, replace_slice
from perfmkt_pipeline_tests import core_marts_fixture as fx

D = Decimal
THU, FRI, SAT = fx.THU, fx.FRI, fx.SAT
WINDOWS = {"google_ads": (fx.START, fx.END), "meta": (fx.START, fx.END)}
REGISTERED = [platforms.get("google_ads"), platforms.get("meta")]
# Loaded later than the fixture, on the next UTC day: the pull day comes from the newest row.
ACTIONS_LOADED_AT = dt.datetime(2026, 11, 21, 0, 30, tzinfo=dt.UTC)


def _insights() -> pa.Table:
    """The fixture's insights plus an ad without numbers beside one with them (SAT, M2) and a
    campaign whose only ad has none (FRI, M3)."""
    rows = fx.meta_ad_insights().to_pylist()
    empty = {"spend": None, "impressions": None, "clicks": None}
    rows.append({**rows[3], "ad_id": "A4", **empty})
    rows.append({**rows[3], "date": FRI, "campaign_id": "M3", "campaign_name": "Brand", **empty})
    return fx._table(meta_tables.meta_ad_insights, rows)


def _actions(campaign_of_a1: str | None = "M1") -> pa.Table:
    rows = fx.meta_ad_actions().to_pylist()
    for row in rows:
        if row["ad_id"] == "A1":
            row["campaign_id"] = campaign_of_a1
    return fx._table(meta_tables.meta_ad_actions, rows)


def _read(warehouse: Warehouse):
    with warehouse.begin() as conn:
        return core_io.read_raw(conn, fx.SETTINGS, WINDOWS, REGISTERED)


def _loaded(url: str, insights: pa.Table, actions: pa.Table) -> Warehouse:
    warehouse = Warehouse(url)
    warehouse.ensure_schema()
    fx.load_raw(warehouse, meta_ad_insights=insights)
    # The actions land in a later load (the pull day is the newest load of either table).
    days = Slice({}, "date", fx.START, fx.END)
    with warehouse.begin() as conn:
        replace_slice(
            warehouse, meta_tables.meta_ad_actions, actions, days, loaded_at=ACTIONS_LOADED_AT,
            connection=conn,
        )  # fmt: skip
    return warehouse


def _rows(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: tuple(str(v) for v in r.values()))


def test_meta_is_summed_to_campaigns_in_the_warehouse(warehouse_url: str):
    warehouse = _loaded(warehouse_url, _insights(), _actions())
    try:
        inputs, pulled, rows = _read(warehouse)
    finally:
        warehouse.dispose()
    m = inputs.platforms["meta"]
    insight = ["date", "campaign_id", "currency", "spend", "impressions", "clicks", "ad_id"]
    assert [tuple(r[c] for c in insight) for r in _rows(m.insights.select(insight))] == [
        (THU, "M1", "EUR", D("14.75"), 1500, 25, None),
        (FRI, "M3", "EUR", None, None, None, None),  # a sum over only NULLs is NULL
        (SAT, "M1", "EUR", D("7"), 700, 7, None),
        (SAT, "M2", "EUR", D("3.33"), 333, 3, None),  # A4's NULLs add nothing
    ]
    action = ["date", "campaign_id", "action_type", "attribution", "actions", "action_value"]
    assert [tuple(r[c] for c in action) for r in _rows(m.actions.select(action))] == [
        (THU, "M1", "link_click", "value", D("15"), None),
        (THU, "M1", fx.PURCHASE, "value", D("3"), D("110")),  # only `value`: A1 2 + A2 1
        (SAT, "M2", fx.PURCHASE, "value", D("1"), D("19.99")),
    ]
    assert m.insights.schema == meta.INSIGHTS_ROLLUP
    assert m.actions.schema == meta.ACTIONS_ROLLUP
    # Every raw row of the window is covered: Google 4 + 5, Meta 6 insights + 7 actions.
    assert rows == 4 + 5 + 6 + 7
    assert pulled == {"google_ads": dt.date(2026, 11, 20), "meta": dt.date(2026, 11, 21)}


def test_the_warehouse_roll_up_gives_the_core_tables_of_the_ad_rows(warehouse_url: str):
    insights, actions = _insights(), _actions()
    warehouse = _loaded(warehouse_url, insights, actions)
    try:
        inputs, pulled, _ = _read(warehouse)
    finally:
        warehouse.dispose()
    assert _rows(inputs.platforms["meta"].insights) == _rows(meta.rollup_insights(insights))
    assert _rows(inputs.platforms["meta"].actions) == _rows(meta.rollup_actions(actions))
    ad_level = MetaRaw(fx.meta_accounts(), insights, actions, insights)
    rules = CoreRules.from_settings(fx.SETTINGS)
    rolled = build_core(inputs, fx.fx_rates(), rules, pulled)
    direct = build_core(
        type(inputs)({**inputs.platforms, "meta": ad_level}, None), fx.fx_rates(), rules, pulled
    )
    for name in ("ad_performance_daily", "conversions_daily"):  # sorted by their grain
        assert getattr(rolled, name).equals(getattr(direct, name)), name
    for name in ("ad_accounts", "campaigns"):  # sets of rows
        assert _rows(getattr(rolled, name)) == _rows(getattr(direct, name)), name
    performance = {
        (r["date"], r["campaign_id"]): (r["spend_local"], r["impressions"], r["conversions"])
        for r in rolled.ad_performance_daily.to_pylist()
        if r["platform"] == "meta"
    }
    assert performance == {
        (THU, "M1"): (D("14.75"), 1500, D("3")),
        (FRI, "M3"): (D("0"), 0, D("0")),
        (SAT, "M1"): (D("7"), 700, D("0")),
        (SAT, "M2"): (D("3.33"), 333, D("1")),
    }


@pytest.mark.parametrize(
    ("insights_campaign", "actions_campaign", "message"),
    [
        (None, "M1", "meta account 101, day 2026-11-05: insights row of ad A2 has no campaign_id"),
        ("M1", None, "meta account 101, day 2026-11-05: actions row of ad A1 has no campaign_id"),
    ],
)
def test_a_meta_row_without_campaign_still_names_its_ad(
    warehouse_url: str, insights_campaign, actions_campaign, message
):
    insights = fx.meta_ad_insights().to_pylist()
    for row in insights:
        if row["ad_id"] == "A2":
            row["campaign_id"] = insights_campaign
    warehouse = _loaded(
        warehouse_url, fx._table(meta_tables.meta_ad_insights, insights), _actions(actions_campaign)
    )
    try:
        inputs, pulled, _ = _read(warehouse)
    finally:
        warehouse.dispose()
    with pytest.raises(CoreDataError, match=message):
        build_core(inputs, fx.fx_rates(), CoreRules.from_settings(fx.SETTINGS), pulled)


@pytest.mark.postgres
def test_postgresql_rolls_up_in_memory_for_the_reading_transaction_only(postgres_url: str):
    warehouse = _loaded(postgres_url, _insights(), _actions())

    def work_mem(conn) -> str:
        return conn.exec_driver_sql("SHOW work_mem").scalar_one()

    try:
        with warehouse.begin() as conn:
            before = work_mem(conn)
            conn.exec_driver_sql("SET LOCAL work_mem = '4MB'")  # PostgreSQL's default
            core_io.read_raw(conn, fx.SETTINGS, WINDOWS, REGISTERED)
            assert work_mem(conn) == "64MB"
        with warehouse.begin() as conn:
            assert work_mem(conn) == before  # the next transaction has the session's again
            conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")  # more already: kept
            core_io.read_raw(conn, fx.SETTINGS, WINDOWS, REGISTERED)
            assert work_mem(conn) == "256MB"
    finally:
        warehouse.dispose()
