"""The pipeline against the floor: CPU-seconds and wall time of a backfill, next to those of the
least a hand-written script needs to do the same work (benchmarks/floor_script.py).

    python -m benchmarks.floor

Per scenario (`SCENARIOS`: Meta alone, 10 accounts x 200 ads; Google Ads alone, 5 accounts x 100
campaigns; every source), range (`DAYS`: 30 and 365 days) and layers (`LAYERS`: raw only; raw +
core + marts), each side runs once in a fresh process tree against a freshly started sandbox at
benchmark scale with its limits enforced (scenario.py), into a new DuckDB file:

- the pipeline: `benchmarks.backfill_run` with the project's executor (step processes forked
  from a preloaded server), the backfill settings of scenario.py and 4 accounts at a time; raw
  only materialises the `raw/*` assets, raw + core + marts every asset and every asset check,
  as a run of the whole graph from the UI or a schedule does;
- the floor: the same requests (the sandbox's counters must agree, kind by kind; issue #17's
  listings and ad and keyword reports included), decoded with `json`, bulk-loaded through Arrow
  into raw tables of the same columns, and for raw + core + marts every core table and mart
  (the campaign ones and those below the campaign) computed in DuckDB SQL. Its raw tables must
  hold as many rows, its marts.channel_daily must equal the pipeline's exactly, and every core
  and mart table must hold as many rows with the same aggregate of every column (`_contents`:
  sums of numbers, counts, distinct counts and total lengths of text), or it is not doing the
  same work and the figure does not count.

CPU-seconds are those of every process of each side's tree (`benchmarks.measure`), interpreter
start-up and imports included; wall time is the tree's, start to end. The sandbox runs in this
process and serves both sides the same requests: its CPU is printed for each side and counted
for neither. Target (issue #18), for every scenario at 365 days: the pipeline's CPU at most 2x
the floor's for raw only and 3x for raw + core + marts. At 30 days the ratios are printed
without a target: the fixed cost per run (fixed_cost.py) weighs more there.

Shorter runs: PERFMKT_BENCH_FLOOR_DAYS (e.g. "7" or "30,365"), PERFMKT_BENCH_FLOOR_SCENARIOS
(a comma list of meta, google_ads, every), PERFMKT_BENCH_FLOOR_LAYERS (raw, all). A range other
than 365 days prints its figures without a target.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.common import Figure, report
from benchmarks.scenario import (
    API_PLATFORMS,
    Backfill,
    benchmark_sandbox,
    cpu_seconds,
    day_range,
    pipeline_config,
    run_backfill,
)
from perfmkt_pipeline.config import Settings, parse_settings
from perfmkt_pipeline.sandbox.runner import Sandbox

CONCURRENCY = 4  # accounts at a time, on both sides (the pipeline's default)
TARGET_DAYS = 365
TARGETS = {"raw": 2.0, "all": 3.0}  # pipeline CPU / floor CPU, at most
LAYER_NAMES = {"raw": "raw", "all": "raw+core+marts"}
SCENARIOS = {
    "meta": ("Meta", ("meta",)),
    "google_ads": ("Google Ads", ("google_ads",)),
    "every": ("every source", API_PLATFORMS),
}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DAYS = [int(d) for d in _env_list("PERFMKT_BENCH_FLOOR_DAYS", "30,365")]
SCENARIO_KEYS = _env_list("PERFMKT_BENCH_FLOOR_SCENARIOS", ",".join(SCENARIOS))
LAYERS = _env_list("PERFMKT_BENCH_FLOOR_LAYERS", "raw,all")
# What the networks' APIs allow, as the pipeline's clients use it (PLATFORMS.md): impact.com
# windows of 45 days of elapsed time (floor_script.impact_windows) and pages of 20,000; CJ and
# Awin windows of 31 days; Awin 20 calls a minute.
NETWORK_PLAN = {
    "impact": {"page_size": 20_000},
    "cj": {"window_days": 31},
    "awin": {"window_days": 31, "calls_per_minute": 20},
}
# Rows compared between the two warehouses: the raw tables, and what core and marts hold.
RAW_TABLES = [
    "raw.ecb_rates", "raw.meta_accounts", "raw.meta_ad_insights", "raw.meta_ad_actions",
    "raw.meta_adsets", "raw.meta_ads", "raw.google_ads_accounts", "raw.google_ads_campaign_daily",
    "raw.google_ads_conversion_daily", "raw.google_ads_campaigns", "raw.google_ads_ad_groups",
    "raw.google_ads_ads", "raw.google_ads_ad_daily", "raw.google_ads_keyword_daily",
    "raw.google_ads_ad_conversion_daily", "raw.google_ads_keyword_conversion_daily",
    "raw.affiliate_actions",
]  # fmt: skip
BUILT_TABLES = [
    "core.ad_accounts", "core.campaigns", "core.ad_performance_daily", "core.conversions_daily",
    "core.affiliate_actions", "core.fx_rates", "core.ad_groups", "core.ads", "core.ad_daily",
    "core.keyword_daily", "marts.campaign_daily", "marts.channel_daily", "marts.account_daily",
    "marts.ad_group_daily", "marts.ad_daily", "marts.keyword_daily", "marts.url_daily",
]  # fmt: skip
CHANNEL_DAILY = (
    "SELECT date, channel, platform, reporting_currency, spend, impressions, clicks, "
    "conversions, conversion_value, ctr, cpc, cpm, cvr, cpa, roas, settled "
    "FROM marts.channel_daily ORDER BY date, channel, platform"
)


@dataclass(frozen=True)
class Side:
    """One measured run of one side."""

    cpu_seconds: float  # every process of its tree
    wall_seconds: float  # the tree's, start to end
    sandbox_cpu_seconds: float
    requests: dict[tuple[str, str], int]  # (platform, endpoint kind) -> requests
    violations: int
    tables: dict[str, int]  # table -> rows
    channel_daily: list[tuple]
    contents: dict[str, dict[str, Any]]  # built table -> column aggregate -> value


@dataclass(frozen=True)
class Compared:
    scenario: str
    days: int
    layers: str
    pipeline: Side
    floor: Side

    @property
    def ratio(self) -> float:
        return self.pipeline.cpu_seconds / self.floor.cpu_seconds

    @property
    def different_contents(self) -> list[str]:
        """Built tables whose row count or a column aggregate differs between the two sides."""
        return [
            t for t in BUILT_TABLES
            if self.pipeline.tables.get(t) != self.floor.tables.get(t)
            or not same_contents(self.pipeline.contents.get(t, {}), self.floor.contents.get(t, {}))
        ]  # fmt: skip

    @property
    def same_work(self) -> bool:
        raw_equal = all(self.pipeline.tables.get(t) == self.floor.tables.get(t) for t in RAW_TABLES)
        return (
            self.pipeline.requests == self.floor.requests
            and raw_equal
            and self.pipeline.channel_daily == self.floor.channel_daily
            and not self.different_contents
            and self.pipeline.violations == self.floor.violations == 0
        )


def same_contents(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Every aggregate of a column both sides have is equal (Decimals compare by value)."""
    return all(ours[k] == theirs[k] for k in ours.keys() & theirs.keys())


def scenario_config(box: Sandbox, platforms: tuple[str, ...]) -> dict:
    """The pipeline configuration of scenario.py with only `platforms` configured."""
    config = pipeline_config(box, CONCURRENCY)
    return {k: v for k, v in config.items() if k not in API_PLATFORMS or k in platforms}


def _counts(db: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    present = {
        f"{schema}.{name}"
        for schema, name in db.execute(
            "SELECT schema_name, table_name FROM duckdb_tables()"
        ).fetchall()
    }
    return {
        t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] if t in present else 0
        for t in tables
    }


# Columns left out of the content comparison: bookkeeping only the pipeline writes.
UNCOMPARED = ("loaded_at", "source_loaded_at")


def _contents(db: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    """Order-free aggregates of every column of a built table: sums of numbers, how many
    settled, and of text and dates how many, how many distinct and (text) their total length.
    Cheap to hold at any size, and any changed value of a compared column shows."""
    schema, name = table.split(".")
    columns = db.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, name],
    ).fetchall()
    parts: list[tuple[str, str]] = []
    for column, kind in columns:
        if column in UNCOMPARED:
            continue
        quoted = f'"{column}"'
        if kind == "BOOLEAN":
            parts.append((f"{column} true", f"count_if({quoted})"))
        elif kind.startswith(("DECIMAL", "BIGINT", "INTEGER", "HUGEINT", "DOUBLE", "SMALLINT")):
            parts.append((f"{column} sum", f"sum({quoted})"))
        else:
            parts += [(f"{column} count", f"count({quoted})"),
                      (f"{column} distinct", f"count(DISTINCT {quoted})")]  # fmt: skip
            if kind == "VARCHAR":
                parts.append((f"{column} length", f"sum(length({quoted}))"))
    values = db.execute(f"SELECT {', '.join(e for _, e in parts)} FROM {table}").fetchone()
    return dict(zip((label for label, _ in parts), values, strict=True))


def inspect_warehouse(
    path: str,
) -> tuple[dict[str, int], list[tuple], dict[str, dict[str, Any]]]:
    """Row counts of the compared tables, marts.channel_daily (empty without marts) and the
    column aggregates of every built table."""
    db = duckdb.connect(path, read_only=True)
    try:
        counts = _counts(db, RAW_TABLES + BUILT_TABLES)
        rows = db.execute(CHANNEL_DAILY).fetchall() if counts["marts.channel_daily"] else []
        contents = {t: _contents(db, t) for t in BUILT_TABLES if counts[t]}
    finally:
        db.close()
    return counts, rows, contents


def _duckdb_path(url: str) -> str:
    return url.removeprefix("duckdb:///")


def _requests(box: Sandbox) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = {}
    for (platform, kind, _account), n in box.counters.snapshot().items():
        totals[(platform, kind)] = totals.get((platform, kind), 0) + n
    return totals


def run_pipeline(platforms: tuple[str, ...], days: int, layers: str) -> Side:
    with benchmark_sandbox(latency_seconds=0.0) as box:
        backfill: Backfill = run_backfill(
            box,
            days=days,
            concurrency=CONCURRENCY,
            executor="multiprocess",
            config=scenario_config(box, platforms),
            selection=layers,
            inspect=lambda url: inspect_warehouse(_duckdb_path(url)),
        )
        tables, channel, contents = backfill.inspected
        return Side(
            backfill.cpu_seconds,
            backfill.process_seconds,
            backfill.sandbox_cpu_seconds,
            _requests(box),
            sum(backfill.violations.values()),
            tables,
            channel,
            contents,
        )


def floor_plan(settings: Settings, platforms: tuple[str, ...], days: int, layers: str) -> dict:
    """What the floor script needs: the run's range, the endpoints and accounts, and the request
    plan the pipeline's settings give (chunk sizes, pages, polls)."""
    start, end = day_range(days)
    ecb_first = min(start, settings.start_date) - dt.timedelta(days=366)
    endpoints = settings.endpoints
    plan: dict[str, Any] = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "layers": layers,
        "platforms": list(platforms),
        "reporting_currency": settings.reporting_currency,
        "max_concurrent_accounts": CONCURRENCY,
        "ecb": {"url": endpoints.ecb, "first": ecb_first.isoformat(), "last": end.isoformat()},
    }
    if "meta" in platforms:
        m = settings.meta
        plan["meta"] = {
            "url": endpoints.meta, "api_version": m.api_version, "accounts": m.account_ids,
            "sync_max_days": m.sync_max_days, "async_chunk_days": m.async_chunk_days,
            "page_limit": m.page_limit, "attribution_windows": m.attribution_windows,
            "poll_seconds": m.async_poll_seconds, "poll_max_seconds": m.async_poll_max_seconds,
            "conversion_action_types": m.conversion_action_types,
            "lookback_days": m.lookback_days,
        }  # fmt: skip
    if "google_ads" in platforms:
        g = settings.google_ads
        plan["google_ads"] = {
            "endpoint": endpoints.google_ads, "oauth_url": endpoints.google_oauth,
            "api_version": g.api_version, "manager": g.manager_customer_id,
            "chunk_days": g.chunk_days, "lookback_days": g.lookback_days,
        }  # fmt: skip
    for name, extra in NETWORK_PLAN.items():
        if name in platforms:
            n = getattr(settings, name)
            plan[name] = {
                "url": getattr(endpoints, name), "accounts": n.account_ids,
                "timezone": n.timezone, "currency": n.currency,
                "lookback_days": n.lookback_days,
                "conversion_action_types": n.conversion_action_types, **extra,
            }  # fmt: skip
            # Only impact.com's settings name programs (its own settings since c659578).
            if (programs := getattr(n, "program_ids", None)) is not None:
                plan[name]["program_ids"] = {a: ids[0] for a, ids in programs.items()}
    return plan


def run_floor(platforms: tuple[str, ...], days: int, layers: str) -> Side:
    with (
        benchmark_sandbox(latency_seconds=0.0) as box,
        tempfile.TemporaryDirectory(prefix="perfmkt-floor-") as folder,
    ):
        work = Path(folder)
        settings = parse_settings(scenario_config(box, platforms), environ=box.env())
        plan = {
            **floor_plan(settings, platforms, days, layers),
            "warehouse": str(work / "floor.duckdb"),
        }
        (work / "plan.json").write_text(json.dumps(plan))
        usage = work / "usage.json"
        command = [sys.executable, "-m", "benchmarks.measure", str(usage)]
        command += [sys.executable, "-m", "benchmarks.floor_script", str(work / "plan.json")]
        box.counters.reset()
        began = time.monotonic()
        serving = resource.getrusage(resource.RUSAGE_SELF)
        finished = subprocess.run(
            command, env={**os.environ, **box.env()}, capture_output=True, text=True, check=False
        )
        served = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.monotonic() - began
        if finished.returncode != 0:
            raise RuntimeError(f"the floor script failed:\n{finished.stderr[-4000:]}")
        tables, channel, contents = inspect_warehouse(plan["warehouse"])
        return Side(
            json.loads(usage.read_text())["cpu_seconds"],
            wall,
            cpu_seconds(served) - cpu_seconds(serving),
            _requests(box),
            box.counters.violations(),
            tables,
            channel,
            contents,
        )


def compare(key: str, days: int, layers: str) -> Compared:
    name, platforms = SCENARIOS[key]
    return Compared(
        name,
        days,
        layers,
        run_pipeline(platforms, days, layers),
        run_floor(platforms, days, layers),
    )


def describe(c: Compared) -> None:
    target = TARGETS[c.layers]
    aim = f"target <= {target:g}x" if c.days == TARGET_DAYS else "no target at this range"
    print(
        f"{c.scenario}, {c.days} days, {LAYER_NAMES[c.layers]}: pipeline "
        f"{c.pipeline.cpu_seconds:,.1f} CPU-s in {c.pipeline.wall_seconds:,.1f} s, floor "
        f"{c.floor.cpu_seconds:,.1f} CPU-s in {c.floor.wall_seconds:,.1f} s: "
        f"{c.ratio:.2f}x the floor's CPU ({aim}), {c.pipeline.wall_seconds / c.floor.wall_seconds:.2f}x "
        f"its wall time; sandbox CPU (counted for neither) {c.pipeline.sandbox_cpu_seconds:,.1f} "
        f"/ {c.floor.sandbox_cpu_seconds:,.1f} s",
        flush=True,
    )
    kinds = sorted(set(c.pipeline.requests) | set(c.floor.requests))
    print(
        "  requests (pipeline / floor): "
        + ", ".join(
            f"{kind} {c.pipeline.requests.get((p, kind), 0):,}/{c.floor.requests.get((p, kind), 0):,}"
            for p, kind in kinds
        )
        + f"; rate-limit violations {c.pipeline.violations}/{c.floor.violations}"
    )
    shown = [t for t in RAW_TABLES + BUILT_TABLES if c.pipeline.tables[t] or c.floor.tables[t]]
    print(
        "  rows (pipeline / floor): "
        + ", ".join(f"{t} {c.pipeline.tables[t]:,}/{c.floor.tables[t]:,}" for t in shown)
    )
    if c.layers == "all":
        same = c.pipeline.channel_daily == c.floor.channel_daily
        print(
            f"  marts.channel_daily: {len(c.pipeline.channel_daily):,} rows, "
            f"{'equal' if same else 'DIFFERENT'}"
        )
        if not same:
            _show_difference(c.pipeline.channel_daily, c.floor.channel_daily)
        different = c.different_contents
        compared = sum(1 for t in BUILT_TABLES if c.pipeline.tables[t] or c.floor.tables[t])
        print(
            f"  core and marts: {compared} tables, "
            + (f"DIFFERENT: {', '.join(different)}" if different else "every row count and "
               "column aggregate equal")
        )  # fmt: skip
        for table in different:
            ours, theirs = c.pipeline.contents.get(table, {}), c.floor.contents.get(table, {})
            for key in sorted(ours.keys() & theirs.keys()):
                if ours[key] != theirs[key]:
                    print(f"    {table} {key}: pipeline {ours[key]}, floor {theirs[key]}")


def _show_difference(ours: list[tuple], theirs: list[tuple]) -> None:
    for index, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        if a != b:
            print(f"    first difference, row {index}:\n      pipeline {a}\n      floor    {b}")
            return


def run() -> list[Figure]:
    figures = []
    for key in SCENARIO_KEYS:
        for days in DAYS:
            for layers in LAYERS:
                compared = compare(key, days, layers)
                describe(compared)
                if days != TARGET_DAYS:
                    continue
                condition = "the floor made the same requests, landed the same raw rows, "
                condition += "the same channel_daily and core and mart tables, no rate-limit "
                condition += "violation"
                figures.append(
                    Figure(
                        f"CPU vs floor, {compared.scenario}, {days} d, {LAYER_NAMES[layers]}",
                        compared.pipeline.cpu_seconds,
                        compared.floor.cpu_seconds,
                        "CPU-s",
                        False,
                        1 / TARGETS[layers],
                        condition=condition,
                        condition_met=compared.same_work,
                    )
                )
    if not figures:
        print(f"no {TARGET_DAYS}-day range in this run: the figures above have no target")
    return figures


def main() -> int:
    return 0 if report(run()) else 1


if __name__ == "__main__":
    sys.exit(main())
