"""The benchmarks that time backfills of the pipeline (`benchmarks.scenario.run_backfill`: a run
in a process tree of its own against the sandbox), run through their own `run()` on the small
world (`scenario.WORLD`) over one day, so a change to the world, the settings, the backfill job or
the figures that stops one from starting fails the suite rather than the next `make bench`
(which takes hours). Full scale is unchanged: only module constants the benchmarks read at call
time are set here.

Each backfill is a run of its own (~8 CPU-seconds), so the suite runs three:

- memory, API efficiency and the transform's figures read the runs of `benchmarks.runs`: here one
  run of one day into PostgreSQL with the project's executor (which runs a one-day run's steps
  in its own process) serves as both the "month" and the "year" (`year_backfill` is the month's
  here; the transform's timings are taken on its warehouse);
- end to end: the in-process baseline and the concurrent run of one day into DuckDB;
- below the campaign and fixed cost: not run (each a run of every asset and check, ~10
  CPU-seconds, beyond the suite's budget); the world and the configuration each measures are
  checked against a started sandbox and the pipeline's settings parser.
"""

from __future__ import annotations

import datetime as dt

import pytest

from benchmarks import (
    api_efficiency,
    below_memory,
    end_to_end,
    fixed_cost,
    memory,
    runs,
    scenario,
    transform,
)
from benchmarks.common import Figure
from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401

DAY = dt.date(2026, 11, 19)  # the day before the sandbox's as-of date
# Every request of a one-day backfill of the small world's raw layer: Google Ads the manager's
# listing, then per account (3) its 3 listings and 6 reports, and one token; Meta per account (3) its lookup, ad sets, ads and one
# synchronous insights call; impact.com's 3 windows of its one account, CJ's and Awin's 2; the
# ECB's history once.
REQUESTS = {
    ("awin", "awin.transactions"): 2,
    ("cj", "cj.commissions"): 2,
    ("ecb", "ecb.history_zip"): 1,
    ("google_ads", "google_ads.search_stream"): 28,
    ("google_oauth", "google_oauth.token"): 1,
    ("impact", "impact.actions"): 3,
    ("meta", "meta.account"): 3,
    ("meta", "meta.ads"): 3,
    ("meta", "meta.adsets"): 3,
    ("meta", "meta.insights_sync"): 3,
}
# Raw rows of one day (the listings, the networks' trailing windows and the ECB's history among
# them).
ONE_DAY_ROWS = {
    "raw.affiliate_actions": 2017, "raw.ecb_rates": 18650, "raw.google_ads_accounts": 3,
    "raw.google_ads_ad_conversion_daily": 104, "raw.google_ads_ad_daily": 36,
    "raw.google_ads_ad_groups": 30, "raw.google_ads_ads": 60,
    "raw.google_ads_campaign_daily": 12, "raw.google_ads_campaigns": 18,
    "raw.google_ads_conversion_daily": 33, "raw.google_ads_keyword_conversion_daily": 66,
    "raw.google_ads_keyword_daily": 24, "raw.meta_accounts": 3, "raw.meta_ad_actions": 48,
    "raw.meta_ad_insights": 16, "raw.meta_ads": 24, "raw.meta_adsets": 12,
}  # fmt: skip
NO_VIOLATIONS = {p: 0 for p in scenario.API_PLATFORMS}


@pytest.fixture
def small_world(monkeypatch):
    """The benchmarks' sandbox serves (and their settings name) the small world; `runs`' cached
    backfills are dropped before and after."""
    monkeypatch.setattr(scenario, "WORLD", WorldSpec.small)
    runs.year_backfill.cache_clear()
    runs.month_backfill.cache_clear()
    yield
    runs.year_backfill.cache_clear()
    runs.month_backfill.cache_clear()


def _spy(monkeypatch, module) -> list[scenario.Backfill]:
    """Every Backfill `module`'s own `run_backfill` returns, kept for the test to read."""
    seen: list[scenario.Backfill] = []

    def run_backfill(*args, **kwargs):
        seen.append(scenario.run_backfill(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(module, "run_backfill", run_backfill)
    return seen


def test_memory_api_efficiency_and_transform_figures_from_the_shared_runs(
    small_world, postgres_server, monkeypatch, capsys
):
    monkeypatch.setattr(runs, "MONTH", 1)
    monkeypatch.setattr(runs, "YEAR", 1)
    monkeypatch.setattr(runs, "year_backfill", runs.month_backfill)
    monkeypatch.setattr(transform, "REPEATS", 1)

    [peak] = memory.run()
    month = year = runs.month_backfill()
    assert (month.days, month.engine, month.executor, month.concurrency) == (
        1, "postgresql", "multiprocess", 4,
    )  # fmt: skip
    assert month.rows == ONE_DAY_ROWS
    assert month.requests == REQUESTS
    assert month.violations == NO_VIOLATIONS
    assert peak == Figure(
        "peak memory, 365-day vs 30-day backfill", year.peak_rss_mb, month.peak_rss_mb, "MB",
        False, 1 / 1.2, condition="the 365-day peak is at most 1.2x the 30-day peak",
        condition_met=year.peak_rss_mb <= 1.2 * month.peak_rss_mb,
    )  # fmt: skip
    assert 100 < month.peak_rss_mb < 2000 and 100 < year.peak_rss_mb < 2000

    # API efficiency reads the year's run (the same, cached): requests per account-day
    # per daily report, the small world's 3 Google Ads and 3 Meta accounts and one per network.
    efficiency = api_efficiency.run()
    assert [(f.name, f.value, f.baseline, f.unit, f.higher_is_better, f.target_ratio)
            for f in efficiency] == [
        ("API requests per account-day per report, google_ads", 29 / 3 / 6, 1.0, "req", False,
         10.0),
        ("API requests per account-day per report, meta", 12 / 3, 1.0, "req", False, 10.0),
        ("API requests per account-day per report, impact", 3 / 1, 1.0, "req", False, 10.0),
        ("API requests per account-day per report, cj", 2 / 1, 1.0, "req", False, 10.0),
        ("API requests per account-day per report, awin", 2 / 1, 1.0, "req", False, 10.0),
    ]  # fmt: skip
    # CJ's 13 records of the day fit one response.
    assert api_efficiency.cj_least_requests(1) == (13, 1)
    printed = capsys.readouterr().out
    assert "  meta: 12 requests for 3 account-days x 1 daily report(s)" in printed
    assert "its 13 records need at least 1 requests" in printed

    # The transform's timings were taken on the month's warehouse (the inspect hook), on
    # PostgreSQL and a DuckDB copy: the day's 109 raw Google Ads and Meta rows on each.
    measured = month.inspected
    assert sorted(measured) == ["DuckDB", "PostgreSQL"]
    for m in measured.values():
        assert (m.rows, m.start, m.end, m.campaign_rows, m.channel_rows) == (109, DAY, DAY, 16, 2)
    assert [(f.name, f.unit, f.higher_is_better, f.target_ratio) for f in transform.run()] == [
        ("transform raw -> marts, DuckDB (raw rows/s)", "r/s", True, 20.0),
        ("transform raw -> marts, PostgreSQL (raw rows/s)", "r/s", True, 20.0),
    ]


def test_end_to_end_baseline_and_concurrent_runs_land_the_same_rows(
    small_world, monkeypatch, capsys
):
    monkeypatch.setattr(end_to_end, "DAYS", 1)
    monkeypatch.setattr(end_to_end, "LATENCY_SECONDS", 0.01)
    seen = _spy(monkeypatch, end_to_end)

    [figure] = end_to_end.run()

    base, fast = seen
    assert [(b.days, b.engine, b.executor, b.concurrency) for b in seen] == [
        (1, "duckdb", "in_process", 1),
        (1, "duckdb", "multiprocess", runs.CONCURRENCY),
    ]
    assert base.rows == ONE_DAY_ROWS and fast.rows == ONE_DAY_ROWS
    assert base.requests == REQUESTS and fast.requests == REQUESTS
    assert base.violations == NO_VIOLATIONS and fast.violations == NO_VIOLATIONS
    assert figure == Figure(
        "end-to-end backfill, 1 days (rows/s)",
        fast.total_rows / fast.wall_seconds,
        base.total_rows / base.wall_seconds,
        "r/s",
        True,
        4.0,
        condition="no request beyond the sandbox's rate limits (both runs)",
        condition_met=True,
    )
    assert fast.total_rows == sum(ONE_DAY_ROWS.values()) == 21156
    printed = capsys.readouterr().out
    assert "end-to-end: 1 days at benchmark scale, 10 ms per request:" in printed
    assert printed.count("21,156 rows") == 2


def test_below_memory_raises_the_counts_and_configures_meta_and_google_ads_only(
    small_world,
    sandbox,  # noqa: F811
    tmp_path,
):
    spec = below_memory.world()
    assert spec.of("meta").campaigns_per_account == 25
    assert spec.of("google_ads").keywords_per_ad_group == 20
    # Nothing else of the world changes.
    assert (
        spec.with_platform(
            "meta", campaigns_per_account=WorldSpec.small().of("meta").campaigns_per_account
        ).with_platform(
            "google_ads",
            keywords_per_ad_group=WorldSpec.small().of("google_ads").keywords_per_ad_group,
        )
        == WorldSpec.small()
    )
    box = sandbox(spec=spec)

    settings = parse_settings(below_memory.config(box), environ=box.env())

    assert [p.name for p in platforms.configured(settings)] == ["google_ads", "meta"]
    assert settings.meta.account_ids == box.account_ids()["meta"]
    assert settings.meta.max_concurrent_accounts == runs.CONCURRENCY
    # What the run is inspected for: its below-the-campaign tables, here empty.
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    Warehouse(url).ensure_schema()
    assert below_memory._counts(url) == {
        "core.ad_daily": 0, "core.keyword_daily": 0, "marts.ad_daily": 0, "marts.url_daily": 0,
    }  # fmt: skip


def test_fixed_cost_configures_one_account_of_each_platform(sandbox, monkeypatch):  # noqa: F811
    monkeypatch.setattr(fixed_cost, "IN_PROCESS_MAX_DAYS", None)
    box = sandbox(spec=WorldSpec.small())
    ids = box.account_ids()

    config = fixed_cost.one_account_config(box)
    settings = parse_settings(config, environ=box.env())

    assert settings.google_ads.customer_ids == [ids["google_ads"][0]]
    for platform in ("meta", "impact", "cj", "awin"):
        assert getattr(settings, platform).account_ids == [ids[platform][0]]
    assert list(config["impact"]["program_ids"]) == [ids["impact"][0]]
    assert "executor" not in config  # the project's default executor, unless the knob is set
    assert {platform: len(accounts) for platform, accounts in ids.items()} == {
        "google_ads": 3, "meta": 3, "impact": 1, "cj": 1, "awin": 1,
    }  # fmt: skip
    assert fixed_cost.BEFORE.cpu_seconds == 37.80
    assert fixed_cost.TARGET == 4.0
