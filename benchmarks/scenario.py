"""The benchmark scenario: the sandbox at benchmark scale with its limits enforced, the pipeline
configuration pointed at it, and backfills of the raw layer run in processes of their own.

World: `WorldSpec.benchmark()` (10 Meta ad accounts x 200 ads, 5 Google Ads accounts x 100
campaigns, impact.com, CJ and Awin with 1,000 actions a day each), pinned at `AS_OF`. Limits the
sandbox enforces (requests beyond them are refused and counted as violations): impact.com 1,000
calls an hour and Awin 20 a minute (`SandboxFaults.realistic_limits()`), and per account
`META_LIMIT` and `GOOGLE_ADS_LIMIT`. The sandbox runs in the benchmark's own process; each
backfill runs in a fresh Python process (`benchmarks.backfill_run`), so its peak memory is its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from perfmkt_pipeline import platforms
from perfmkt_pipeline.sandbox.faults import RateLimit, SandboxFaults, fault_types
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.warehouse.engine import Warehouse

AS_OF = dt.date(2026, 11, 20)
POSTGRES_URL = os.environ.get(
    "PERFMKT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
API_PLATFORMS = ("google_ads", "meta", "impact", "cj", "awin")
# The world the benchmarks' sandboxes serve and their settings name (`world()`): the benchmark
# world. A smoke test of a benchmark sets a smaller one (`WorldSpec.small`) for its own run.
WORLD: Callable[[], WorldSpec] = WorldSpec.benchmark
# Per-account limits enforced on top of the documented network limits: a minute's window, so a
# connector that bursts is caught within a benchmark run.
META_LIMIT = RateLimit(calls=60, per_seconds=60.0)
GOOGLE_ADS_LIMIT = RateLimit(calls=60, per_seconds=60.0)
# Settings for backfills (everything else is the pipeline's default). Meta: report runs of 90
# days and pages of 5,000 rows (the most Graph serves per page), so a year is 5 runs per account.
# Google Ads: 30-day chunks, so each SearchStream fits in one 10,000-row batch at this scale (a
# row takes about 7 KB once the library has decoded it, and the library keeps a stream's first
# batch until the stream ends: three 90-day batches in flight cost ~200 MB per thread).
META_BACKFILL = {"page_limit": 5000, "async_chunk_days": 90}
GOOGLE_ADS_BACKFILL = {"chunk_days": 30}
# Tables a backfill of the raw layer fills: every registered platform's raw tables, issue #17's
# listings and below-the-campaign reports among them (the load log is bookkeeping, not data).
RAW_TABLES = list(dict.fromkeys(t for spec in platforms.all_specs() for t in spec.raw_tables))
_LOG_TAIL_CHARS = 4000


def limited_faults(latency_seconds: float) -> SandboxFaults:
    """The enforced limits, plus `latency_seconds` added to every request of every stand-in."""
    faults = SandboxFaults.realistic_limits()
    faults.update("meta", enforce_limit=META_LIMIT)
    faults.update("google_ads", enforce_limit=GOOGLE_ADS_LIMIT)
    for platform in fault_types():
        faults.update(platform, latency_seconds=latency_seconds)
    return faults


def world() -> WorldSpec:
    """The benchmarks' world: `WORLD()`, `WorldSpec.benchmark()` unless a test set another."""
    return WORLD()


@contextlib.contextmanager
def benchmark_sandbox(latency_seconds: float) -> Iterator[Sandbox]:
    with Sandbox(world(), as_of=AS_OF, faults=limited_faults(latency_seconds)) as box:
        yield box


def pipeline_config(box: Sandbox, concurrency: int) -> dict:
    """The pipeline configuration for the sandbox's accounts (endpoints come from its env)."""
    ids = box.account_ids()
    programs = box.program_ids("impact")
    each = {"max_concurrent_accounts": concurrency}
    return {
        "reporting_currency": "USD",
        "start_date": box.world.spec.history_start.isoformat(),
        "google_ads": {
            "manager_customer_id": box.env()["GOOGLE_ADS_LOGIN_CUSTOMER_ID"],
            **GOOGLE_ADS_BACKFILL,
            **each,
        },
        "meta": {"account_ids": ids["meta"], **META_BACKFILL, **each},
        "impact": {
            "account_ids": ids["impact"],
            "timezone": box.world.accounts("impact")[0].timezone,
            "program_ids": {sid: [programs[sid]] for sid in ids["impact"]},
            **each,
        },
        "cj": {"account_ids": ids["cj"], "currency": box.world.accounts("cj")[0].currency, **each},
        "awin": {"account_ids": ids["awin"], **each},
    }


def day_range(days: int) -> tuple[dt.date, dt.date]:
    """The `days` days ending the day before the sandbox's as-of date."""
    end = AS_OF - dt.timedelta(days=1)
    return end - dt.timedelta(days=days - 1), end


@dataclass(frozen=True)
class Backfill:
    """One measured backfill of the raw layer."""

    engine: str
    days: int
    concurrency: int
    executor: str
    wall_seconds: float
    peak_rss_mb: float  # the largest process of the run
    cpu_seconds: float  # used by every process of the run (not the sandbox)
    rows: dict[str, int]  # per raw table
    requests: dict[tuple[str, str], int]  # (platform, endpoint kind) -> requests received
    violations: dict[str, int]  # platform -> requests beyond an enforced limit
    steps: dict[str, float]  # Dagster step -> seconds it ran
    inspected: Any = None  # what `inspect` returned
    sandbox_cpu_seconds: float = 0.0  # used by the sandbox (this process) while the run ran
    process_seconds: float = 0.0  # wall time of the run's process, start-up included

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def describe(self) -> str:
        return (
            f"{self.days} days into {self.engine}, {self.executor} executor, "
            f"{self.concurrency} account(s) at a time per platform: {self.wall_seconds:,.1f} s, "
            f"{self.total_rows:,} rows, CPU {self.cpu_seconds:,.0f} s, "
            f"peak RSS {self.peak_rss_mb:,.0f} MB, rate-limit violations "
            f"{sum(self.violations.values())}"
        )


def run_backfill(
    box: Sandbox,
    *,
    days: int,
    concurrency: int,
    executor: str,
    engine: str = "duckdb",
    inspect: Callable[[str], Any] | None = None,
    config: dict | None = None,
    selection: str = "raw",
    wrap: Sequence[str] = (),
) -> Backfill:
    """Backfill the raw layer for `days` days into a new, empty warehouse (`engine`: "duckdb",
    a file; "postgresql", a database on the server at POSTGRES_URL), in a new process.
    `inspect(url)` runs on the warehouse before it is dropped; its result is kept. `config`
    replaces `pipeline_config(box, concurrency)`; `selection` "all" runs every asset and check
    (backfill_run.py); `wrap` is a command the run is started under (a profiler)."""
    start, end = day_range(days)
    with (
        tempfile.TemporaryDirectory(prefix="perfmkt-bench-") as folder,
        empty_warehouse(engine, Path(folder)) as url,
    ):
        work = Path(folder)
        config_file = work / "perfmkt.yaml"
        config_file.write_text(yaml.safe_dump(config or pipeline_config(box, concurrency)))
        out, usage = work / "result.json", work / "usage.json"
        env = {
            **os.environ,
            **box.env(),
            "PERFMKT_CONFIG": str(config_file),
            "PERFMKT_WAREHOUSE_URL": url,
            "DAGSTER_HOME": str(work / "dagster_home"),
        }
        box.counters.reset()
        command = [*wrap, sys.executable, "-m", "benchmarks.measure", str(usage)]
        command += [sys.executable, "-m", "benchmarks.backfill_run"]
        command += [start.isoformat(), end.isoformat(), executor, str(out), selection]
        log = work / "run.log"
        began = time.monotonic()
        serving = resource.getrusage(resource.RUSAGE_SELF)
        with log.open("w") as sink:
            finished = subprocess.run(command, env=env, stdout=sink, stderr=sink, check=False)
        served = resource.getrusage(resource.RUSAGE_SELF)
        process_seconds = time.monotonic() - began
        if finished.returncode != 0 or not out.exists():
            tail = log.read_text()[-_LOG_TAIL_CHARS:]
            raise RuntimeError(
                f"backfill of {days} days ({executor}, concurrency {concurrency}) failed "
                f"after {time.monotonic() - began:.0f} s:\n{tail}"
            )
        result = {**json.loads(out.read_text()), **json.loads(usage.read_text())}
        rows = count_rows(url)
        steps = step_seconds(log.read_text())
        inspected = inspect(url) if inspect is not None else None
    snapshot = box.counters.snapshot()
    requests: dict[tuple[str, str], int] = {}
    for (platform, kind, _account), n in snapshot.items():
        requests[(platform, kind)] = requests.get((platform, kind), 0) + n
    return Backfill(
        engine=engine,
        days=days,
        concurrency=concurrency,
        executor=executor,
        wall_seconds=result["wall_seconds"],
        peak_rss_mb=result["peak_rss_kb"] / 1024,
        cpu_seconds=result["cpu_seconds"],
        rows=rows,
        requests=requests,
        violations={p: box.counters.violations(p) for p in API_PLATFORMS},
        steps=steps,
        inspected=inspected,
        sandbox_cpu_seconds=cpu_seconds(served) - cpu_seconds(serving),
        process_seconds=process_seconds,
    )


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def step_seconds(log: str) -> dict[str, float]:
    """Seconds each step ran, from Dagster's STEP_SUCCESS events ("in 1m2s", "in 3.4s")."""
    out = {}
    for match in re.finditer(r'Finished execution of step "([^"]+)" in ([0-9hms.]+)\.', log):
        out[match.group(1)] = _duration(match.group(2))
    return out


def _duration(text: str) -> float:
    seconds = 0.0
    for number, unit in re.findall(r"([0-9.]+)(ms|h|m|s)", text):
        seconds += float(number) * {"ms": 0.001, "h": 3600, "m": 60, "s": 1}[unit]
    return seconds


@contextlib.contextmanager
def empty_warehouse(engine: str, folder: Path) -> Iterator[str]:
    if engine == "duckdb":
        yield f"duckdb:///{folder / 'warehouse.duckdb'}"
        return
    if engine != "postgresql":
        raise ValueError(f"unknown engine {engine!r}")
    admin = sa.create_engine(Warehouse(POSTGRES_URL).url, isolation_level="AUTOCOMMIT")
    name = f"perfmkt_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def count_rows(url: str) -> dict[str, int]:
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            return {
                t.fullname: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in RAW_TABLES
            }
    finally:
        warehouse.dispose()
