"""The Google Ads raw assets materialised against the sandbox into DuckDB and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from dagster import AssetKey, BackfillPolicy, DagsterInstance, EnvVar, materialize
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.platforms.google_ads import tables as google_ads_tables
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.defs.google_ads_assets_support import (
    ACCOUNTS,
    CAMPAIGN_DAILY,
    CONVERSION_DAILY,
    build_google_ads_assets,
    google_ads_resource,
)
from perfmkt_pipeline_tests.sandbox_fixtures import (  # noqa: F401 (registers `sandbox`)
    AS_OF,
    sandbox,
    sandbox_env,
)

MANAGER = "1000000001"
CLIENTS = ["1234567890", "2345678901", "3456789012"]
PLATFORM = "google_ads"
# 90 days ending the day before the sandbox's as-of date, so recent days are still restating.
START, END = AS_OF - timedelta(days=90), AS_OF - timedelta(days=1)
WRONG_REFRESH_TOKEN = "1//not-the-refresh-token-5e2d"


@pytest.fixture
def box(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    started = request.getfixturevalue("sandbox")()
    sandbox_env(monkeypatch, started)
    return started


def settings_for(box: Sandbox):
    return parse_settings(
        {
            "start_date": "2026-01-01",
            "google_ads": {"manager_customer_id": MANAGER, "backoff_seconds": 0.01},
        },
        environ=box.env(),
    )


def run(box: Sandbox, warehouse_url: str, start: date, end: date, **kwargs):
    assets = build_google_ads_assets(settings_for(box), "duckdb")
    return materialize(
        assets,
        resources={
            "google_ads": google_ads_resource(),
            "warehouse": WarehouseResource(url=warehouse_url),
        },
        instance=DagsterInstance.ephemeral(),
        tags={
            ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
        },
        **kwargs,
    )


def every_action_rows(warehouse_url: str) -> list[tuple]:
    """raw.google_ads_conversion_daily counting every action (all_conversions), sorted."""
    t = google_ads_tables.google_ads_conversion_daily
    wh = Warehouse(warehouse_url)
    try:
        with wh.begin() as conn:
            columns = [t.c.account_id, t.c.date, t.c.campaign_id, t.c.conversion_action_name,
                       t.c.all_conversions, t.c.all_conversions_value]  # fmt: skip
            return sorted(tuple(r) for r in conn.execute(sa.select(*columns)))
    finally:
        wh.dispose()


def rows(warehouse_url: str, table: sa.Table) -> list[tuple]:
    """Every row of a raw table except its load time, sorted."""
    wh = Warehouse(warehouse_url)
    try:
        with wh.begin() as conn:
            columns = [c for c in table.c if c.name != "loaded_at"]
            return sorted(tuple(r) for r in conn.execute(sa.select(*columns)))
    finally:
        wh.dispose()


def totals_by_account_day(campaign_rows: list[tuple]) -> dict[tuple, tuple]:
    """(account, day) -> (spend, impressions, clicks, conversions, conversion value)."""
    index = {
        c.name: i
        for i, c in enumerate(
            c for c in google_ads_tables.google_ads_campaign_daily.c if c.name != "loaded_at"
        )
    }
    out: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, Decimal(0), Decimal(0)])
    for r in campaign_rows:
        t = out[(r[index["account_id"]], r[index["date"]])]
        t[0] += r[index["cost_micros"]]
        t[1] += r[index["impressions"]]
        t[2] += r[index["clicks"]]
        t[3] += r[index["conversions"]]
        t[4] += r[index["conversions_value"]]
    return {k: (Decimal(v[0]).scaleb(-6), v[1], v[2], v[3], v[4]) for k, v in out.items()}


def truth_by_account_day(box: Sandbox, start: date, end: date) -> dict[tuple, tuple]:
    truth = box.world.ground_truth(PLATFORM, start, end, level="account")
    return {
        (r.account_id, r.day): (r.spend, r.impressions, r.clicks, r.conversions, r.conversion_value)
        for r in truth.itertuples()
    }


def test_a_backfill_through_quota_and_server_errors_lands_exactly_the_ground_truth(
    box, warehouse_url
):
    # Acceptance 3: raw totals per account and day equal the sandbox's ground truth exactly.
    box.faults.set(PLATFORM, rate_limit_first_n=2, retry_delay_seconds=0.05, fail_first_n=3)
    result = run(box, warehouse_url, START, END)

    assert result.success
    assert box.counters.faults(PLATFORM, "rate_limit") == 2
    assert box.counters.faults(PLATFORM, "server_error") == 1
    campaign = rows(warehouse_url, google_ads_tables.google_ads_campaign_daily)
    assert totals_by_account_day(campaign) == truth_by_account_day(box, START, END)
    assert len(campaign) == len(set((r[0], r[1], r[2]) for r in campaign))  # grain holds
    # `record` is the row as received: its metrics are the typed columns' values.
    for r in campaign:
        metrics = json.loads(r[-1])["metrics"]
        assert int(metrics.get("costMicros", 0)) == r[5]
        assert Decimal(repr(metrics.get("conversions", 0.0))) == r[8]
    conversions = every_action_rows(warehouse_url)
    truth = box.world.ground_truth_conversions(PLATFORM, START, END)
    assert sorted((r[0], r[1], r[2], r[3], r[4], r[5]) for r in conversions) == sorted(
        (t.account_id, t.day, t.campaign_id, t.conversion_name, t.conversions, t.conversion_value)
        for t in truth.itertuples()
    )
    accounts = rows(warehouse_url, google_ads_tables.google_ads_accounts)
    assert [r[:4] for r in accounts] == [
        ("1234567890", "Acme US Search", "USD", "America/New_York"),
        ("2345678901", "Acme DE Search", "EUR", "Europe/Berlin"),
        ("3456789012", "Acme JP Search", "JPY", "Asia/Tokyo"),
    ]

    # Metadata: rows, accounts, days, spend by account in local currency.
    metadata = result.asset_materializations_for_node("google_ads_raw")
    by_key = {m.asset_key: m.metadata for m in metadata}
    spend = box.world.ground_truth(PLATFORM, START, END, level="account").groupby("account_id")
    assert by_key[CAMPAIGN_DAILY]["dagster/row_count"].value == len(campaign)
    assert by_key[CONVERSION_DAILY]["dagster/row_count"].value == len(conversions)
    assert by_key[ACCOUNTS]["dagster/row_count"].value == 3
    assert by_key[CAMPAIGN_DAILY]["accounts"].value == 3
    assert by_key[CAMPAIGN_DAILY]["days"].value == 90
    shown = by_key[CAMPAIGN_DAILY]["spend_by_account"].value
    assert {k: (Decimal(v.split()[0]), v.split()[1]) for k, v in shown.items()} == {
        account: (sum(group.spend), group.currency.iloc[0]) for account, group in spend
    }

    # Idempotence: the same range again, through faults again, leaves the same rows.
    box.faults.set(PLATFORM, rate_limit_first_n=1, retry_delay_seconds=0.05, fail_first_n=2)
    assert run(box, warehouse_url, START, END).success
    assert rows(warehouse_url, google_ads_tables.google_ads_campaign_daily) == campaign
    assert every_action_rows(warehouse_url) == conversions
    assert rows(warehouse_url, google_ads_tables.google_ads_accounts) == accounts


def test_ninety_days_for_three_accounts_cost_one_query_per_report_per_account(box, warehouse_url):
    # Acceptance 1, through the asset: the account listing is the manager's one query. Per
    # account: the six daily reports (campaigns, ads and keywords, each with its conversions per
    # action) of the one 90-day chunk, and the three listings without metrics (campaigns, ad
    # groups, ads) that are read once per run (issue #17).
    assert run(box, warehouse_url, START, END).success
    for customer in CLIENTS:
        assert box.counters.count(PLATFORM, "google_ads.search_stream", customer) == 6 + 3
    assert box.counters.count(PLATFORM, "google_ads.search_stream", MANAGER) == 1


def test_re_pulling_a_day_after_the_as_of_date_moves_leaves_exactly_the_new_values(
    box, warehouse_url
):
    # Acceptance 2.
    day = AS_OF - timedelta(days=5)
    before = day - timedelta(days=1)
    assert run(box, warehouse_url, before, day).success
    first = every_action_rows(warehouse_url)

    box.world.as_of = AS_OF + timedelta(days=10)
    assert run(box, warehouse_url, day, day).success

    again = every_action_rows(warehouse_url)
    old_day = [r[:6] for r in first if r[1] == day]
    new_day = [r[:6] for r in again if r[1] == day]
    truth = box.world.ground_truth_conversions(PLATFORM, day, day)
    assert new_day == sorted(
        (t.account_id, t.day, t.campaign_id, t.conversion_name, t.conversions, t.conversion_value)
        for t in truth.itertuples()
    )
    assert new_day != old_day  # the day restated
    assert [r for r in again if r[1] == before] == [r for r in first if r[1] == before]
    campaign = rows(warehouse_url, google_ads_tables.google_ads_campaign_daily)
    assert {k: v for k, v in totals_by_account_day(campaign).items() if k[1] == day} == (
        truth_by_account_day(box, day, day)
    )


def test_a_wrong_refresh_token_fails_the_run_within_seconds_naming_the_account(
    box, warehouse_url, monkeypatch, caplog, capfd
):
    # Acceptance 4.
    monkeypatch.setenv("GOOGLE_ADS_REFRESH_TOKEN", WRONG_REFRESH_TOKEN)
    started = time.monotonic()
    result = run(box, warehouse_url, START, END, raise_on_error=False)
    elapsed = time.monotonic() - started

    assert not result.success
    assert elapsed < 10
    (failure,) = result.get_step_failure_events()
    error = failure.step_failure_data.error
    message = error.to_string()
    assert f"customer {MANAGER}" in message and "invalid_grant" in message
    assert "GoogleAdsAuthError" in message
    assert box.counters.count("google_oauth", "google_oauth.token") == 1  # no retry loop
    assert box.counters.count(PLATFORM) == 0
    assert rows(warehouse_url, google_ads_tables.google_ads_campaign_daily) == []
    captured = capfd.readouterr()
    events = "\n".join(str(e) for e in result.all_events)
    for output in (message, events, caplog.text, captured.out, captured.err):
        assert WRONG_REFRESH_TOKEN not in output


def test_definitions_are_partitioned_single_run_and_read_no_secret():
    settings = parse_settings(
        {"start_date": "2026-01-01", "google_ads": {"customer_ids": ["1234567890"]}}, environ={}
    )
    (asset,) = build_google_ads_assets(settings, "postgres")
    below = {AssetKey(["raw", name]) for name in (
        "google_ads_ad_daily", "google_ads_keyword_daily", "google_ads_campaigns",
        "google_ads_ad_groups", "google_ads_ads", "google_ads_ad_conversion_daily",
        "google_ads_keyword_conversion_daily",
    )}  # fmt: skip
    assert set(asset.keys) == {CAMPAIGN_DAILY, CONVERSION_DAILY, ACCOUNTS, *below}
    assert asset.backfill_policy == BackfillPolicy.single_run()
    assert asset.partitions_def.start.date() == date(2026, 1, 1)
    assert asset.node_def.pool == "google_ads"
    for key in asset.keys:
        spec = asset.specs_by_key[key]
        assert spec.group_name == "google_ads"
        assert spec.kinds == {"python", "postgres", "googleads"}
        assert spec.metadata["dagster/table_name"] == f"raw.{key.path[-1]}"
    unconfigured = parse_settings({"start_date": "2026-01-01"}, environ={})
    assert build_google_ads_assets(unconfigured, "duckdb") == []

    resource = google_ads_resource(environ={})
    assert resource.refresh_token == EnvVar("GOOGLE_ADS_REFRESH_TOKEN")
    assert resource.login_customer_id is None
    with_login = google_ads_resource(environ={"GOOGLE_ADS_LOGIN_CUSTOMER_ID": "1000000001"})
    assert with_login.login_customer_id == EnvVar("GOOGLE_ADS_LOGIN_CUSTOMER_ID")
    assert AssetKey(["raw", "google_ads_accounts"]) == ACCOUNTS
