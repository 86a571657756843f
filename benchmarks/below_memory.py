"""Peak memory below the campaign (issue #17): a 365-day backfill of every asset and check
(raw, core, marts, the below-campaign assets and their checks among them) at 10 Meta accounts x
500 ads and 5 Google Ads accounts x 2,000 keywords, against the same for 30 days.

    python -m benchmarks.below_memory          # or: make bench-below-memory
    PERFMKT_BENCH_BELOW_DAYS=120 python -m benchmarks.below_memory   # a shorter long range

World: `WorldSpec.benchmark()` with Meta's 10 campaigns per account raised to 25 (x 4 ad sets x
5 ads: 500 ads an account) and Google Ads' keywords raised to 20 per ad group (50 keyword-
targeted Search campaigns x 2 ad groups x 20: 2,000 keywords an account; 332 ads an account).
Only Meta and Google Ads are configured (the networks have nothing below the campaign). Each
backfill runs as `benchmarks.memory`'s do: in a fresh process tree with the project's executor,
the sandbox's limits enforced, into PostgreSQL (the database's memory is not counted), and the
figure is the largest resident set of any process of the run. Target: the long range's peak at
most 1.2x the 30-day peak.
"""

from __future__ import annotations

import os
import sys

import sqlalchemy as sa

from benchmarks import scenario
from benchmarks.common import Figure, report
from benchmarks.runs import CONCURRENCY, ENGINE
from benchmarks.scenario import AS_OF, Backfill, limited_faults, pipeline_config, run_backfill
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse

TARGET = 1 / 1.2
MONTH = 30
YEAR = int(os.environ.get("PERFMKT_BENCH_BELOW_DAYS", "365"))
META_CAMPAIGNS = 25  # x 4 ad sets x 5 ads = 500 ads an account
GOOGLE_KEYWORDS_PER_AD_GROUP = 20  # x 2 ad groups x 50 keyword campaigns = 2,000 an account
PLATFORMS = ("meta", "google_ads")
COUNTED = (tables.ad_daily, tables.keyword_daily, tables.ad_daily_mart, tables.url_daily)


def world() -> WorldSpec:
    return (
        scenario.world()
        .with_platform("meta", campaigns_per_account=META_CAMPAIGNS)
        .with_platform("google_ads", keywords_per_ad_group=GOOGLE_KEYWORDS_PER_AD_GROUP)
    )


def _counts(url: str) -> dict[str, int]:
    """Rows of the below-campaign tables the run wrote."""
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            return {
                t.fullname: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in COUNTED
            }
    finally:
        warehouse.dispose()


def config(box: Sandbox) -> dict:
    """The benchmark configuration of Meta and Google Ads only."""
    every = pipeline_config(box, CONCURRENCY)
    return {k: v for k, v in every.items() if k not in ("impact", "cj", "awin")}


def backfill(days: int) -> Backfill:
    with Sandbox(world(), as_of=AS_OF, faults=limited_faults(0.0)) as box:
        return run_backfill(
            box, days=days, concurrency=CONCURRENCY, executor="multiprocess", engine=ENGINE,
            config=config(box), selection="all", inspect=_counts,
        )  # fmt: skip


def run() -> list[Figure]:
    month, year = backfill(MONTH), backfill(YEAR)
    print(
        "peak memory below the campaign (10 Meta accounts x 500 ads, 5 Google Ads accounts x "
        "2,000 keywords; every asset and check):"
    )
    for b in (month, year):
        rows = ", ".join(f"{name} {n:,}" for name, n in b.inspected.items())
        print(f"  {b.describe()}; {rows}; load average {_load()}")
    return [
        Figure(
            f"peak memory below the campaign, {YEAR}-day vs {MONTH}-day backfill",
            year.peak_rss_mb,
            month.peak_rss_mb,
            "MB",
            False,
            TARGET,
            condition=f"the {YEAR}-day peak is at most 1.2x the {MONTH}-day peak",
            condition_met=year.peak_rss_mb <= 1.2 * month.peak_rss_mb,
        )
    ]


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> int:
    return 0 if report(run()) else 1


if __name__ == "__main__":
    sys.exit(main())
