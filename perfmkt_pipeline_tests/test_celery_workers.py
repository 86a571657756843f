"""Beyond one machine (issue #19): with `executor.kind: celery`, two Celery workers (`perfmkt
worker`, separate processes, one step at a time each) fed through the local RabbitMQ (a virtual
host of the test's own) run a 7-day backfill of every asset against the sandbox, with the
PostgreSQL warehouse and the PostgreSQL Dagster instance, Meta's accounts fanned out over two
account steps (`executor.accounts_per_step`). The run's events show every step ran
in a worker, some on each; the warehouse holds exactly what the sandbox served.

The run worker is `dagster asset materialize`, as in the README; it only sends the steps to the
broker and follows them. Outside CI an unreachable RabbitMQ skips the test; with CI=true it fails.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, DagsterRunStatus

from perfmkt_pipeline.config import bundled_sandbox_config
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline_tests import chaos_support as truth
from perfmkt_pipeline_tests.celery_support import (
    Broker,
    CeleryWorkers,
    broker_problem,
    celery_step_workers,
    pipeline_env,
    private_broker,
)
from perfmkt_pipeline_tests.conftest import IN_CI
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
FIRST, LAST = dt.date(2026, 11, 13), dt.date(2026, 11, 19)
DAYS = [FIRST + dt.timedelta(days=n) for n in range(7)]
RUN_TIMEOUT_SECONDS = 540
WORKERS = ["perfmkt-w1", "perfmkt-w2"]


@pytest.fixture
def broker() -> Iterator[Broker]:
    problem = broker_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"{problem} (CI=true: the Celery tests must run)", pytrace=False)
        pytest.skip(problem)
    with private_broker() as private:
        yield private


@pytest.fixture
def dagster_db(postgres_server: sa.Engine) -> Iterator[sa.URL]:
    """A database of its own for the Dagster instance (runs, events), dropped after the test."""
    name = f"perfmkt_test_dagster_{uuid.uuid4().hex[:12]}"
    with postgres_server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield postgres_server.url.set(database=name)
    with postgres_server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _core_rows(url: str, platform: str) -> list[tuple]:
    """(account, campaign, day, currency, spend, impressions, clicks, conversions, value) of one
    platform's core.ad_performance_daily, in local currency, within the backfilled days."""
    return sorted(
        (r["account_id"], r["campaign_id"], r["date"], r["currency"], r["spend_local"],
         r["impressions"], r["clicks"], r["conversions"], r["conversion_value_local"])
        for r in truth.rows(url, tables.ad_performance_daily)
        if r["platform"] == platform and FIRST <= r["date"] <= LAST
    )  # fmt: skip


def _core_truth(box: Sandbox, platform: str) -> list[tuple]:
    frame = box.world.ground_truth(platform, FIRST, LAST, level="campaign")
    return sorted(
        (r.account_id, r.campaign_id, r.day, r.currency, r.spend, r.impressions, r.clicks,
         r.conversions, r.conversion_value)
        for r in frame.itertuples()
    )  # fmt: skip


def test_two_celery_workers_run_a_seven_day_backfill_of_every_asset_against_the_sandbox(
    broker: Broker,
    postgres_url: str,
    dagster_db: sa.URL,
    sandbox,  # noqa: F811
    tmp_path: Path,
) -> None:
    box = sandbox(orders="mariadb")  # the bundled configuration reads the shop's orders
    config = tmp_path / "perfmkt.yaml"
    config.write_text(
        bundled_sandbox_config()
        + f"executor:\n  kind: celery\n  celery:\n    queue: {broker.queue}\n"
        # Meta's three accounts fanned out: two account steps, any worker may take either.
        + "  accounts_per_step:\n    meta: 2\n"
    )
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.postgres.yaml", home / "dagster.yaml")
    env = pipeline_env(
        box.env(),
        config=config,
        warehouse_url=postgres_url,
        broker_url=broker.url,
        dagster_home=home,
        dagster_db_url=dagster_db,
    )
    workers = CeleryWorkers(WORKERS, env, tmp_path, concurrency=1, broker_url=broker.url)
    run = None
    try:
        # The run worker starts while the two workers do (each of the three takes seconds to
        # import Dagster and load the definitions): steps it submits before a worker is ready
        # wait in the broker's queue. The workers start together, well before the run's last
        # steps, so each still takes some (asserted below).
        with open(tmp_path / "run.log", "wb") as log:
            run = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "dagster"), "asset", "materialize",
                    "-m", "perfmkt_pipeline.definitions", "--select", "*",
                    "--partition-range", f"{FIRST}...{LAST}",
                ],
                env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        nodes = workers.wait_until_ready()
        returncode = run.wait(timeout=RUN_TIMEOUT_SECONDS)
        trees = {name: workers.process_tree(name) for name in WORKERS}
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.wait()
        codes = workers.stop()
    run_log = (tmp_path / "run.log").read_text(errors="replace")
    assert returncode == 0, f"{run_log[-6000:]}\n{workers.log_tail()}"
    assert codes == {name: 0 for name in WORKERS}, workers.log_tail()

    with pytest.MonkeyPatch.context() as env_patch:
        for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER",
                     "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"):  # fmt: skip
            env_patch.setenv(name, env[name])
        with DagsterInstance.from_config(str(home)) as instance:
            [dagster_run] = instance.get_runs()
            events = instance.all_logs(dagster_run.run_id)
    assert dagster_run.status == DagsterRunStatus.SUCCESS
    assert dagster_run.tags["dagster/asset_partition_range_start"] == FIRST.isoformat()
    assert dagster_run.tags["dagster/asset_partition_range_end"] == LAST.isoformat()

    # Every step ran in one of the two workers, each worker ran some: the node dagster-celery's
    # task reports, and the process the step's events come from, one of that worker's own.
    started = {
        e.step_key: e.dagster_event.pid
        for e in events
        if e.dagster_event and e.dagster_event.event_type_value == "STEP_START"
    }
    ran_on = celery_step_workers(events)
    assert len(started) >= 30 and set(ran_on) == set(started)
    assert {"meta_raw.meta_raw_accounts_1", "meta_raw.meta_raw_accounts_2",
            "meta_raw.meta_raw_landed"} <= set(started) and "meta_raw" not in started  # fmt: skip
    assert set(ran_on.values()) == set(nodes.values())
    by_worker = {name: sorted(k for k, n in ran_on.items() if n == nodes[name]) for name in WORKERS}
    assert all(by_worker.values()), by_worker
    for step, pid in started.items():
        worker = next(name for name in WORKERS if ran_on[step] == nodes[name])
        assert pid in trees[worker][1:], (step, pid, trees)  # a task process, not the main one

    def asset_keys(kind: str) -> set[str]:
        return {
            e.dagster_event.asset_key.to_user_string()
            for e in events
            if e.dagster_event and e.dagster_event.event_type_value == kind
        }

    # Every asset of the definitions (the run selected them all) was materialised.
    planned = asset_keys("ASSET_MATERIALIZATION_PLANNED")
    assert asset_keys("ASSET_MATERIALIZATION") == planned
    assert {"raw/meta_ad_insights", "raw/google_ads_campaign_daily", "core/ad_performance_daily",
            "marts/channel_daily", "marts/campaign_daily"} <= planned  # fmt: skip
    checks = [
        e.dagster_event.event_specific_data
        for e in events
        if e.dagster_event and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert checks and all(check.passed for check in checks), [
        (c.asset_key, c.check_name) for c in checks if not c.passed
    ]

    # The warehouse equals what the sandbox served: raw as received, core in local currency.
    url = postgres_url
    assert truth.google_campaign_landed(url) == truth.google_campaign_truth(box, FIRST, LAST)
    assert truth.google_conversion_keys_landed(url) == truth.google_conversion_keys_truth(
        box, FIRST, LAST
    )
    for network in ("impact", "cj", "awin"):
        assert truth.affiliate_landed(url, network) == truth.affiliate_truth(
            box, network, FIRST, LAST
        ), network
    for platform in ("google_ads", "meta"):
        landed, expected = _core_rows(url, platform), _core_truth(box, platform)
        assert landed == expected, platform
        assert {row[2] for row in landed} == set(DAYS), platform
    # Marts: each platform's spend per day is the sum of its core rows (in reporting currency).
    core_spend: dict[tuple, Decimal] = {}
    for r in truth.rows(url, tables.ad_performance_daily):
        key = (r["platform"], r["date"])
        core_spend[key] = core_spend.get(key, Decimal(0)) + r["spend"]
    channel = truth.rows(url, tables.channel_daily)
    assert {(r["platform"], r["date"]): r["spend"] for r in channel} == core_spend
    assert {d for (p, d) in core_spend if p in ("google_ads", "meta")} == set(DAYS)
