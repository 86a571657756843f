"""Transform throughput, raw -> core -> marts, in raw rows per second, against a plain row-by-row
baseline computing the same numbers.

Input: the Google Ads and Meta raw rows of the 30-day benchmark backfill (`runs.month_backfill`,
in PostgreSQL), measured there and again on a DuckDB copy of those raw tables (the default
engine; copied untimed). Timed, the pipeline: reading the raw window as the core asset does
(`warehouse/core_io.read_raw`: the warehouse sums Meta's ad-level rows to campaigns in SQL and
counts every raw row of the window, Google Ads rows are read without their JSON; Arrow), then
`transform.core.build_core` (every core table: accounts, campaigns, ad performance, conversions
per action), then `transform.marts` (campaign_daily, channel_daily). The row count is the raw
rows both sides cover. Timed, the baseline: reading the same rows as dicts (SQLAlchemy rows), then a
straightforward loop over them with `decimal.Decimal`, computing core ad performance (spend in
the reporting currency with the latest ECB fix, counted conversions, settled) and both marts with
their ratios; it skips core.conversions_daily and the account and campaign dimensions, which the
pipeline's figure includes (so the comparison favours the baseline). Each is the best of
`REPEATS`; the transform alone (rows already in memory) is printed too. The baseline's
channel_daily must equal the pipeline's exactly, or the benchmark fails. Target: at least 20x the
baseline's rows per second, on each engine.
"""

from __future__ import annotations

import bisect
import datetime as dt
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from benchmarks import runs
from benchmarks.common import Figure, report
from benchmarks.transform_inputs import TransformInputs, read_transform_inputs
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.platforms.ecb import tables as ecb_tables
from perfmkt_pipeline.platforms.google_ads import tables as google_ads_tables
from perfmkt_pipeline.platforms.meta import tables as meta_tables
from perfmkt_pipeline.transform import marts
from perfmkt_pipeline.transform.core import build_core
from perfmkt_pipeline.transform.fx import FX_LOOKBACK_DAYS
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.measures import NAMES, RATIO_NAMES
from perfmkt_pipeline.warehouse.read import read_arrow

TARGET = 20.0
REPEATS = 3
MONEY = Decimal("0.000001")
FX = Decimal("0.000000000001")
RATIO = Decimal("0.0000000001")
MEASURES = list(NAMES)


def pipeline(inputs: TransformInputs) -> tuple[pa.Table, pa.Table]:
    """campaign_daily and channel_daily the pipeline's way."""
    core = build_core(inputs.raw, inputs.fx_rates, inputs.rules, inputs.as_of)
    campaign = marts.campaign_daily(core.ad_performance_daily, core.campaigns)
    return campaign, marts.channel_daily(core.ad_performance_daily)


# -- the baseline: one row at a time -------------------------------------------------------------


def _quotient(numerator: Any, denominator: Any) -> Decimal | None:
    if not denominator:
        return None
    with localcontext() as context:
        context.prec = 60
        return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, ROUND_HALF_EVEN)


def _ratios(spend, impressions, clicks, conversions, value) -> dict[str, Decimal | None]:
    return {
        "ctr": _quotient(clicks, impressions),
        "cpc": _quotient(spend, clicks),
        "cpm": _quotient(spend * 1000, impressions),
        "cvr": _quotient(conversions, clicks),
        "cpa": _quotient(spend, conversions),
        "roas": _quotient(value, spend),
    }


class _Rates:
    """units_per_eur by currency and day; a day takes the latest fix on or before it."""

    def __init__(self, rows: list[dict[str, Any]], reporting: str):
        self.reporting = reporting
        self.days: dict[str, list[dt.date]] = defaultdict(list)
        self.units: dict[str, list[Decimal]] = defaultdict(list)
        for row in sorted(rows, key=lambda r: (r["currency"], r["date"])):
            self.days[row["currency"]].append(row["date"])
            self.units[row["currency"]].append(row["units_per_eur"])
        self._memo: dict[tuple[str, dt.date], Decimal] = {}

    def _units(self, currency: str, day: dt.date) -> Decimal:
        if currency == "EUR":
            return Decimal(1)
        days = self.days[currency]
        index = bisect.bisect_right(days, day) - 1
        if index < 0 or (day - days[index]).days > FX_LOOKBACK_DAYS:
            raise ValueError(f"no {currency} fix for {day}")
        return self.units[currency][index]

    def rate(self, currency: str, day: dt.date) -> Decimal:
        if currency == self.reporting:
            return Decimal(1)
        key = (currency, day)
        if key not in self._memo:
            with localcontext() as context:
                context.prec = 60
                quotient = self._units(self.reporting, day) / self._units(currency, day)
            self._memo[key] = quotient.quantize(FX, ROUND_HALF_EVEN)
        return self._memo[key]


def baseline(rows: dict[str, list[dict[str, Any]]], inputs: TransformInputs) -> tuple[list, dict]:
    """campaign_daily rows and channel_daily {(date, channel, platform): measures and ratios},
    one row at a time."""
    rules = inputs.rules
    rates = _Rates(rows["fx"], rules.reporting_currency)
    currency = {r["account_id"]: r["currency"] for r in rows["google_accounts"]}
    currency.update({r["account_id"]: r["currency"] for r in rows["meta_accounts"]})
    local: dict[tuple, list] = {}
    for r in rows["google_campaign"]:
        key = ("google_ads", r["account_id"], r["date"], r["campaign_id"])
        local[key] = [
            Decimal(r["cost_micros"]).scaleb(-6),
            r["impressions"],
            r["clicks"],
            r["conversions"],
            r["conversions_value"],
        ]
    for r in rows["meta_insights"]:
        key = ("meta", r["account_id"], r["date"], r["campaign_id"])
        row = local.setdefault(key, [Decimal(0), 0, 0, Decimal(0), Decimal(0)])
        row[0] += r["spend"] or 0
        row[1] += r["impressions"] or 0
        row[2] += r["clicks"] or 0
    counted = set(rules.section("meta").conversion_action_types)
    for r in rows["meta_actions"]:
        if r["attribution"] == "value" and r["action_type"] in counted:
            key = ("meta", r["account_id"], r["date"], r["campaign_id"])
            row = local.setdefault(key, [Decimal(0), 0, 0, Decimal(0), Decimal(0)])
            row[3] += r["actions"] or 0
            row[4] += r["action_value"] or 0
    campaign_rows, channel = [], {}
    for (platform, account, day, campaign), (spend, imps, clicks, conv, value) in local.items():
        rate = rates.rate(currency[account], day)
        spend = (spend * rate).quantize(MONEY, ROUND_HALF_EVEN)
        value = (value * rate).quantize(MONEY, ROUND_HALF_EVEN)
        pulled = inputs.as_of[platform]
        settled = day <= pulled - dt.timedelta(days=rules.lookback_days[platform])
        measures = [spend, imps, clicks, conv, value]
        campaign_rows.append(
            (day, platform, account, campaign, *measures, settled, _ratios(*measures))
        )
        totals = channel.setdefault(
            (day, rules.channels[platform], platform),
            [Decimal(0), 0, 0, Decimal(0), Decimal(0), True],
        )
        for index, amount in enumerate(measures):
            totals[index] += amount
        totals[5] = totals[5] and settled
    channel_rows = {
        key: {**dict(zip(MEASURES, t[:5], strict=True)), "settled": t[5], **_ratios(*t[:5])}
        for key, t in channel.items()
    }
    return campaign_rows, channel_rows


def read_rows(url: str, inputs: TransformInputs) -> dict[str, list[dict[str, Any]]]:
    """The baseline's input: the same raw rows as dicts, read row by row."""
    start, end = inputs.start, inputs.end
    windowed = {
        "google_campaign": google_ads_tables.google_ads_campaign_daily,
        "meta_insights": meta_tables.meta_ad_insights,
        "meta_actions": meta_tables.meta_ad_actions,
    }
    whole = {
        "google_accounts": google_ads_tables.google_ads_accounts,
        "meta_accounts": meta_tables.meta_accounts,
    }
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            out = {
                name: [
                    dict(r)
                    for r in conn.execute(
                        sa.select(t).where(t.c.date.between(start, end))
                    ).mappings()
                ]
                for name, t in windowed.items()
            }
            out.update(
                {
                    name: [dict(r) for r in conn.execute(sa.select(t)).mappings()]
                    for name, t in whole.items()
                }
            )
    finally:
        warehouse.dispose()
    out["fx"] = inputs.fx_rates.to_pylist()  # a few hundred rows, read with the pipeline's
    return out


def _channel_dict(table: pa.Table) -> dict[tuple, dict[str, Any]]:
    names = [*MEASURES, "settled", *RATIO_NAMES]
    return {
        (r["date"], r["channel"], r["platform"]): {n: r[n] for n in names}
        for r in table.to_pylist()
    }


@dataclass(frozen=True)
class Measured:
    rows: int
    start: dt.date
    end: dt.date
    campaign_rows: int
    channel_rows: int
    ours: float  # read + transform, best of REPEATS (seconds)
    theirs: float
    ours_transform: float  # transform alone
    theirs_transform: float


def _best(run) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(REPEATS):
        began = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - began)
    return best, result


def measure(url: str, settings: Settings | None = None) -> Measured:
    """Time both on the warehouse at `url` (the inspect hook of the 30-day backfill); `settings`
    default to the benchmark world's."""
    ours, inputs = _best(lambda: read_transform_inputs(url, settings))
    ours_transform, (campaign, channel) = _best(lambda: pipeline(inputs))
    theirs, rows = _best(lambda: read_rows(url, inputs))
    theirs_transform, (their_campaign, their_channel) = _best(lambda: baseline(rows, inputs))
    if _channel_dict(channel) != their_channel or campaign.num_rows != len(their_campaign):
        raise AssertionError("the row-by-row baseline and the pipeline disagree on the marts")
    return Measured(
        inputs.rows,
        inputs.start,
        inputs.end,
        campaign.num_rows,
        channel.num_rows,
        ours + ours_transform,
        theirs + theirs_transform,
        ours_transform,
        theirs_transform,
    )


# The raw tables the campaign-level transform reads (no affiliates), copied to DuckDB for its
# measurement.
INPUT_TABLES = [
    google_ads_tables.google_ads_accounts,
    google_ads_tables.google_ads_campaign_daily,
    google_ads_tables.google_ads_conversion_daily,
    meta_tables.meta_accounts,
    meta_tables.meta_ad_insights,
    meta_tables.meta_ad_actions,
    ecb_tables.ecb_rates,
]


def copy_inputs(source_url: str, target_url: str) -> None:
    """Every row of INPUT_TABLES from the warehouse at `source_url` into a new one."""
    source, target = Warehouse(source_url), Warehouse(target_url)
    try:
        target.ensure_schema()
        with source.begin() as read, target.begin() as write:
            duck = write.connection.driver_connection
            for table in INPUT_TABLES:
                duck.register("_copied", read_arrow(read, table))
                duck.execute(f"INSERT INTO {table.fullname} BY NAME SELECT * FROM _copied")
                duck.unregister("_copied")
    finally:
        source.dispose()
        target.dispose()


def measure_engines(url: str) -> dict[str, Measured]:
    """`measure` on the PostgreSQL warehouse at `url` and on a DuckDB copy of its inputs."""
    out = {"PostgreSQL": measure(url)}
    with tempfile.TemporaryDirectory(prefix="perfmkt-bench-transform-") as folder:
        duckdb_url = f"duckdb:///{folder}/warehouse.duckdb"
        copy_inputs(url, duckdb_url)
        out["DuckDB"] = measure(duckdb_url)
    return out


def run(measured: dict[str, Measured] | None = None) -> list[Figure]:
    engines = measured or runs.month_backfill().inspected
    figures = []
    for engine, m in sorted(engines.items()):
        print(
            f"transform on {engine}: {m.rows:,} raw rows (Google Ads and Meta, "
            f"{m.start}..{m.end}) -> {m.campaign_rows:,} campaign_daily and {m.channel_rows:,} "
            f"channel_daily rows, best of {REPEATS}: pipeline {m.ours:.2f} s (Meta summed to "
            f"campaigns in the warehouse; transform alone {m.ours_transform:.2f} s), "
            f"row-by-row baseline {m.theirs:.2f} s (loop alone {m.theirs_transform:.2f} s); "
            "the same channel_daily"
        )
        figures.append(
            Figure(
                f"transform raw -> marts, {engine} (raw rows/s)",
                m.rows / m.ours,
                m.rows / m.theirs,
                "r/s",
                True,
                TARGET,
            )
        )
    return figures


def main() -> int:
    return 0 if report(run()) else 1


if __name__ == "__main__":
    sys.exit(main())
