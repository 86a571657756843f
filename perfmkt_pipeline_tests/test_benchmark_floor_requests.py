"""The floor benchmark's script (benchmarks/floor_script.py) does the pipeline's work: against the
small sandbox world, for the same three days, it makes the requests the pipeline's own Meta and
Google Ads syncs make, kind by kind (issue #17's listings of ad sets and ads, paged; Google Ads'
three listings and six reports per chunk), and lands as many rows in every raw table. If it did
not, `benchmarks.floor` would refuse its figure as not the same work. The affiliate networks of the
every-source scenario are held to the same: their request plans come from each network's own
settings (`floor.floor_plan`), which a change to those settings can break unnoticed."""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from benchmarks import floor, floor_script
from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.sandbox_fixtures import (  # noqa: F401
    AS_OF,
    sandbox,
    sandbox_env,
    sync_into,
)

PLATFORMS = ("meta", "google_ads")
DAYS = 3
# The small world: 3 Meta accounts of 4 ad sets and 8 ads (one archived ad in 8, listed only
# because every effective_status is asked for) and 3 Google Ads accounts under one manager.
REQUESTS = {
    ("meta", "meta.account"): 3,
    ("meta", "meta.adsets"): 3,  # 4 ad sets: one page of 7 each
    ("meta", "meta.ads"): 6,  # 8 ads: two pages of 7 each
    ("meta", "meta.insights_sync"): 8,  # 3 days in one sync call per account, pages of 7 rows
    ("google_oauth", "google_oauth.token"): 1,
    # The manager's customer_client listing, then per account 3 listings (campaign, ad_group,
    # ad_group_ad) and one 3-day chunk of 6 reports (campaign metrics and conversions, ad and
    # keyword metrics and their conversions per action): 1 + 3 x (3 + 6).
    ("google_ads", "google_ads.search_stream"): 28,
}
RAW_ROWS = {
    "raw.meta_accounts": 3, "raw.meta_ad_insights": 46, "raw.meta_ad_actions": 205,
    "raw.meta_adsets": 12, "raw.meta_ads": 24, "raw.google_ads_accounts": 3,
    "raw.google_ads_campaign_daily": 36, "raw.google_ads_conversion_daily": 94,
    "raw.google_ads_campaigns": 18, "raw.google_ads_ad_groups": 30, "raw.google_ads_ads": 60,
    "raw.google_ads_ad_daily": 108, "raw.google_ads_keyword_daily": 72,
    "raw.google_ads_ad_conversion_daily": 292, "raw.google_ads_keyword_conversion_daily": 198,
}  # fmt: skip


# One account per network in the small world; each network's windows (CJ's and Awin's 31 days,
# impact.com's 45) over the range and the look-back the pipeline re-reads.
NETWORK_REQUESTS = {
    ("impact", "impact.actions"): 3,
    ("cj", "cj.commissions"): 2,
    ("awin", "awin.transactions"): 2,
}
NETWORK_ROWS = {"awin": 518, "cj": 518, "impact": 981}


def _both_sides(box, env, settings, names, span, tmp_path):
    """The pipeline's own syncs of `names` over `span` into one warehouse, then the floor script
    with the plan `floor.floor_plan` gives into another: the requests the sandbox received from
    each (every counter reset before) and the plan (its `warehouse` the floor's file)."""
    start, end = span
    pipeline = Warehouse(f"duckdb:///{tmp_path / 'pipeline.duckdb'}")
    pipeline.ensure_schema()
    box.counters.reset()
    sync_into(pipeline, env, settings, names, start, end)
    pipeline.dispose()
    pipeline_requests = floor._requests(box)

    days = (end - start).days + 1
    plan = {
        **floor.floor_plan(settings, names, days, "raw"),
        "warehouse": str(tmp_path / "floor.duckdb"),
    }
    assert (plan["start"], plan["end"]) == (start.isoformat(), end.isoformat())
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    box.counters.reset()
    assert floor_script.main([str(tmp_path / "plan.json")]) == 0
    return pipeline_requests, floor._requests(box), plan


def _rows(path: str) -> dict[str, int]:
    """Rows per raw table, and how many of the listed ads are archived."""
    db = duckdb.connect(path, read_only=True)
    try:
        rows = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in RAW_ROWS}
        archived = "SELECT count(*) FROM raw.meta_ads WHERE effective_status = 'ARCHIVED'"
        return {**rows, "archived ads": db.execute(archived).fetchone()[0]}
    finally:
        db.close()


def test_floor_script_makes_the_pipelines_requests_and_lands_its_raw_rows(
    sandbox,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    box = sandbox(spec=WorldSpec.small())
    env = sandbox_env(monkeypatch, box)
    config = floor.scenario_config(box, PLATFORMS)
    config["meta"]["page_limit"] = 7  # listings and insights take several pages
    settings = parse_settings(config, environ=env)
    end = AS_OF - dt.timedelta(days=1)
    start = end - dt.timedelta(days=DAYS - 1)

    pipeline_requests, floor_requests, plan = _both_sides(
        box, env, settings, PLATFORMS, (start, end), tmp_path
    )

    assert pipeline_requests == REQUESTS
    # The floor also reads the ECB's rates, which the pipeline's FX asset reads.
    assert floor_requests == {**REQUESTS, ("ecb", "ecb.history_zip"): 1}
    assert _rows(str(tmp_path / "pipeline.duckdb")) == {**RAW_ROWS, "archived ads": 3}
    assert _rows(plan["warehouse"]) == {**RAW_ROWS, "archived ads": 3}
    assert box.counters.violations() == 0


NETWORKS = ("impact", "cj", "awin")
NETWORK_DAYS = 40  # more than CJ's and Awin's 31-day windows: two windows each


def _affiliate_rows(path: str) -> dict[str, int]:
    db = duckdb.connect(path, read_only=True)
    try:
        sql = "SELECT platform, count(*) FROM raw.affiliate_actions GROUP BY 1 ORDER BY 1"
        return dict(db.execute(sql).fetchall())
    finally:
        db.close()


def test_floor_script_makes_the_networks_requests_and_lands_their_raw_rows(
    sandbox,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    box = sandbox(spec=WorldSpec.small())
    env = sandbox_env(monkeypatch, box)
    settings = parse_settings(floor.scenario_config(box, NETWORKS), environ=env)
    end = AS_OF - dt.timedelta(days=1)
    start = end - dt.timedelta(days=NETWORK_DAYS - 1)

    pipeline_requests, floor_requests, plan = _both_sides(
        box, env, settings, NETWORKS, (start, end), tmp_path
    )

    assert pipeline_requests == NETWORK_REQUESTS
    assert floor_requests == {**NETWORK_REQUESTS, ("ecb", "ecb.history_zip"): 1}
    assert _affiliate_rows(str(tmp_path / "pipeline.duckdb")) == NETWORK_ROWS
    assert _affiliate_rows(plan["warehouse"]) == NETWORK_ROWS
    assert box.counters.violations() == 0
