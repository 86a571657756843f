"""Celery workers: a run of every asset and check for 40 Meta accounts over 30 days, with the
sandbox's latency (100 ms a request, Meta's per-account limit enforced), executed by one Celery
worker against the same run executed by two, each worker running one step at a time.

Target: two workers at least 1.7x faster (the run's own wall time, from its start event to its
end event in the Dagster instance). Each run gets a freshly started sandbox, a new PostgreSQL
warehouse and a new PostgreSQL Dagster instance; both share a RabbitMQ virtual host of the
benchmark's own (perfmkt_pipeline_tests/celery_support.py). The runs must land the same rows.

Both runs fan Meta's accounts out (`executor.accounts_per_step: {meta: 20}`, issue #19): two
account steps of twenty accounts (each reading `max_concurrent_accounts` at a time, as one step read
all forty before), so that a second worker takes half of the Meta work instead of only the steps
beside it. The printout gives each worker's steps and the account steps' share of the run.

PERFMKT_BENCH_CELERY_DAYS shortens the range (default 30).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
import yaml
from dagster import DagsterInstance, DagsterRunStatus

from benchmarks.common import Figure, report
from benchmarks.scenario import AS_OF, POSTGRES_URL, count_rows, empty_warehouse, limited_faults
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import SandboxAccount, WorldSpec
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.celery_support import (
    Broker,
    CeleryWorkers,
    broker_problem,
    celery_step_workers,
    pipeline_env,
    private_broker,
)

ROOT = Path(__file__).resolve().parents[1]
DAYS = int(os.environ.get("PERFMKT_BENCH_CELERY_DAYS", "30"))
META_ACCOUNTS = 40
LATENCY_SECONDS = 0.1
TARGET = 1.7
# Meta's accounts per step (executor.accounts_per_step): 40 accounts, two account steps of
# five rounds of `meta.max_concurrent_accounts` (4) accounts each.
ACCOUNTS_PER_STEP = 20
RUN_TIMEOUT_SECONDS = 3600
_ZONES = [("USD", "America/New_York"), ("EUR", "Europe/Berlin"), ("GBP", "Europe/London"),
          ("JPY", "Asia/Tokyo"), ("AUD", "Australia/Sydney")]  # fmt: skip


def world() -> WorldSpec:
    """The small world's shape (2 campaigns x 2 ad sets x 2 ads an account) with 40 Meta ad
    accounts: the run waits on requests (report runs, polls, pages), not on the CPU."""
    meta = tuple(
        SandboxAccount("meta", f"{303000000000001 + i}", f"Agency Meta {i + 1}", *_ZONES[i % 5])
        for i in range(META_ACCOUNTS)
    )
    return WorldSpec.small().with_platform("meta", accounts=meta)


def config(box: Sandbox, queue: str) -> dict:
    return {
        "reporting_currency": "USD",
        "start_date": box.world.spec.history_start.isoformat(),
        "meta": {"account_ids": box.account_ids()["meta"]},
        "executor": {
            "kind": "celery",
            "celery": {"queue": queue},
            "accounts_per_step": {"meta": ACCOUNTS_PER_STEP},
        },
    }


@dataclasses.dataclass(frozen=True)
class Measured:
    workers: int
    wall_seconds: float  # the run: its start event to its success event
    steps: dict[str, tuple[float, str]]  # step -> (seconds, the worker node that ran it)
    rows: dict[str, int]


@contextlib.contextmanager
def _dagster_database() -> Iterator[sa.URL]:
    admin = sa.create_engine(Warehouse(POSTGRES_URL).url, isolation_level="AUTOCOMMIT")
    name = f"perfmkt_bench_dagster_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _read_run(home: Path, env: dict[str, str]) -> tuple[float, dict[str, tuple[float, str]]]:
    saved = {k: os.environ.get(k) for k in env if k.startswith("DAGSTER_PG_")}
    os.environ.update({k: env[k] for k in saved})
    try:
        with DagsterInstance.from_config(str(home)) as instance:
            [run] = instance.get_runs()
            if run.status != DagsterRunStatus.SUCCESS:
                raise RuntimeError(f"the run ended {run.status.value}")
            record = instance.get_run_record_by_id(run.run_id)
            assert record is not None and record.start_time and record.end_time
            events = instance.all_logs(run.run_id)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nodes = celery_step_workers(events)
    began: dict[str, float] = {}
    steps: dict[str, tuple[float, str]] = {}
    for entry in events:
        kind = entry.dagster_event.event_type_value if entry.dagster_event else None
        if kind == "STEP_START":
            began[entry.step_key] = entry.timestamp
        elif kind == "STEP_SUCCESS":
            steps[entry.step_key] = (entry.timestamp - began[entry.step_key], nodes[entry.step_key])
    return record.end_time - record.start_time, steps


def measure(broker: Broker, workers: int) -> Measured:
    first = AS_OF - dt.timedelta(days=DAYS)
    last = AS_OF - dt.timedelta(days=1)
    with (
        Sandbox(world(), as_of=AS_OF, faults=limited_faults(LATENCY_SECONDS)) as box,
        tempfile.TemporaryDirectory(prefix="perfmkt-bench-celery-") as folder,
        empty_warehouse("postgresql", Path(folder)) as url,
        _dagster_database() as dagster_db,
    ):
        work = Path(folder)
        (work / "perfmkt.yaml").write_text(yaml.safe_dump(config(box, broker.queue)))
        home = work / "dagster_home"
        home.mkdir()
        shutil.copy(ROOT / "dagster.postgres.yaml", home / "dagster.yaml")
        env = pipeline_env(
            box.env(),
            config=work / "perfmkt.yaml",
            warehouse_url=url,
            broker_url=broker.url,
            dagster_home=home,
            dagster_db_url=dagster_db,
        )
        names = [f"bench{n + 1}-{uuid.uuid4().hex[:4]}" for n in range(workers)]
        pool = CeleryWorkers(names, env, work, concurrency=1, broker_url=broker.url)
        try:
            pool.wait_until_ready()
            with (work / "run.log").open("wb") as log:
                finished = subprocess.run(
                    [
                        str(Path(sys.executable).parent / "dagster"), "asset", "materialize",
                        "-m", "perfmkt_pipeline.definitions", "--select", "*",
                        "--partition-range", f"{first}...{last}",
                    ],
                    env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT,
                    timeout=RUN_TIMEOUT_SECONDS,
                )  # fmt: skip
        finally:
            pool.stop()
        if finished.returncode != 0:
            tail = (work / "run.log").read_text(errors="replace")[-4000:]
            raise RuntimeError(f"the run with {workers} worker(s) failed:\n{tail}")
        wall, steps = _read_run(home, env)
        return Measured(workers, wall, steps, count_rows(url))


def run() -> list[Figure]:
    problem = broker_problem()
    if problem is not None:
        raise RuntimeError(f"the Celery benchmark needs RabbitMQ: {problem}")
    with private_broker() as broker:
        one = measure(broker, 1)
        two = measure(broker, 2)
    if one.rows != two.rows:
        raise AssertionError(f"the runs landed different rows: {one.rows} != {two.rows}")
    print(
        f"celery: every asset and check, {META_ACCOUNTS} Meta accounts x {DAYS} days, "
        f"{LATENCY_SECONDS * 1000:.0f} ms a request; each worker one step at a time; "
        f"{sum(one.rows.values()):,} raw rows"
    )
    for measured in (one, two):
        busiest = max(measured.steps.items(), key=lambda item: item[1][0])
        per_worker: dict[str, int] = {}
        for _seconds, node in measured.steps.values():
            per_worker[node] = per_worker.get(node, 0) + 1
        print(
            f"  {measured.workers} worker(s): {measured.wall_seconds:,.1f} s; "
            f"{len(measured.steps)} steps, per worker {sorted(per_worker.values(), reverse=True)}; "
            f"steps' time summed {sum(s for s, _ in measured.steps.values()):,.1f} s; longest "
            f"step {busiest[0]} {busiest[1][0]:,.1f} s "
            f"({busiest[1][0] / measured.wall_seconds:.0%} of the run)"
        )
    for measured in (one, two):
        parts = {k: v for k, v in measured.steps.items() if k.startswith("meta_raw.meta_raw_acc")}
        nodes = sorted({node for _, node in parts.values()})
        print(
            f"  {measured.workers} worker(s): {len(parts)} Meta account steps of at most "
            f"{ACCOUNTS_PER_STEP} accounts, "
            + "; ".join(
                f"{sum(1 for _, n in parts.values() if n == node)} on {node.split('@')[0]} "
                f"({sum(s for s, n in parts.values() if n == node):,.1f} s)"
                for node in nodes
            )
        )
    print(f"  two workers against one: {one.wall_seconds / two.wall_seconds:.2f}x")
    return [
        Figure(
            f"celery, {META_ACCOUNTS} Meta accounts x {DAYS} days: 2 workers vs 1 (s)",
            two.wall_seconds,
            one.wall_seconds,
            "s",
            False,
            TARGET,
        )
    ]


def main() -> int:
    return 0 if report(run()) else 1


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"({time.monotonic() - started:,.0f} s)")
    sys.exit(code)
