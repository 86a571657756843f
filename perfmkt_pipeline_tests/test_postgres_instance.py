"""The shared Dagster instance (acceptance 3): dagster.postgres.yaml, its connection taken from
the DAGSTER_PG_* variables, keeps runs, events and schedule state in PostgreSQL; a partitioned
materialisation on it is recorded there, run and materialisations, partition by partition.
PERFMKT_DAGSTER_INSTANCE chooses which instance file `perfmkt` puts into DAGSTER_HOME."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, materialize
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from perfmkt_pipeline.cli import EVENT_BATCH_ENV_VAR, EVENT_BATCH_SIZE, ui_env
from perfmkt_pipeline.config import ConfigError, parse_settings
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.defs.run_launcher import MonitoredRunLauncher
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.defs.affiliate_assets_support import build_fx_assets
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
RANGE = {
    "dagster/asset_partition_range_start": "2026-11-16",
    "dagster/asset_partition_range_end": "2026-11-18",
}
DAYS = ["2026-11-16", "2026-11-17", "2026-11-18"]


@pytest.fixture
def postgres_instance(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    """The project's PostgreSQL instance file in a fresh DAGSTER_HOME, pointed by the documented
    environment variables at a throwaway database."""
    url = sa.make_url(postgres_url)
    monkeypatch.setenv("DAGSTER_PG_HOST", url.host or "127.0.0.1")
    monkeypatch.setenv("DAGSTER_PG_PORT", str(url.port or 5432))
    monkeypatch.setenv("DAGSTER_PG_USER", url.username or "postgres")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", url.password or "")
    monkeypatch.setenv("DAGSTER_PG_DB", url.database or "")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.postgres.yaml", home / "dagster.yaml")
    with DagsterInstance.from_config(str(home)) as instance:
        yield instance


def test_the_instance_keeps_runs_events_and_schedules_in_postgresql(
    postgres_instance: DagsterInstance,
) -> None:
    assert isinstance(postgres_instance.run_storage, PostgresRunStorage)
    assert isinstance(postgres_instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(postgres_instance.schedule_storage, PostgresScheduleStorage)
    assert postgres_instance.run_coordinator.__class__.__name__ == "QueuedRunCoordinator"
    concurrency = postgres_instance.get_concurrency_config()
    assert concurrency.run_queue_config is not None
    assert concurrency.run_queue_config.max_concurrent_runs == 4
    pools = concurrency.pool_config
    assert pools.pool_granularity is not None
    assert (pools.default_pool_limit, pools.pool_granularity.value) == (1, "op")
    assert postgres_instance.run_retries_max_retries == 1
    # Dead runs: the worker health check and the monitor (values in dagster.yaml's comments).
    assert isinstance(postgres_instance.run_launcher, MonitoredRunLauncher)
    assert postgres_instance.run_monitoring_enabled
    assert postgres_instance.run_monitoring_settings == {
        "enabled": True,
        "poll_interval_seconds": 30,
        "free_slots_after_run_end_seconds": 30,
        "max_resume_run_attempts": 0,
        "start_timeout_seconds": 300,
        "cancel_timeout_seconds": 300,
    }


# Issue #18: `perfmkt` has Dagster write a step's partition materialisations in batches
# (EVENT_BATCH_SIZE); the same events must be recorded as one by one.
@pytest.mark.parametrize("batch_size", ["0", EVENT_BATCH_SIZE])
def test_a_partition_range_materialisation_is_recorded_in_postgresql(
    postgres_instance: DagsterInstance,
    postgres_url: str,
    sandbox,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    batch_size: str,
) -> None:
    monkeypatch.setenv(EVENT_BATCH_ENV_VAR, batch_size)
    box = sandbox()
    settings = parse_settings({"start_date": "2026-01-01"}, environ=box.env())
    warehouse_url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    result = materialize(
        build_fx_assets(settings, "duckdb"),
        instance=postgres_instance,
        resources={"warehouse": WarehouseResource(url=warehouse_url)},
        tags=RANGE,
    )
    assert result.success

    # Straight from PostgreSQL, not through the instance: one run, succeeded, with the range.
    engine = sa.create_engine(Warehouse(postgres_url).url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT run_id, status FROM runs")).all()
            tags = conn.execute(
                sa.text("SELECT key, value FROM run_tags WHERE key LIKE 'dagster/asset_partition%'")
            ).all()
            events = conn.execute(
                sa.text(
                    "SELECT asset_key, partition FROM event_logs "
                    "WHERE dagster_event_type = 'ASSET_MATERIALIZATION' AND run_id = :run_id"
                ),
                {"run_id": result.run_id},
            ).all()
    finally:
        engine.dispose()
    assert runs == [(result.run_id, "SUCCESS")]
    assert sorted(tags) == sorted(RANGE.items())
    assert sorted(events) == sorted(
        (key, day) for key in ('["core", "fx_rates"]', '["raw", "ecb_rates"]') for day in DAYS
    )

    # And the instance reads them back from there.
    run = postgres_instance.get_run_by_id(result.run_id)
    assert run is not None and run.status == DagsterRunStatus.SUCCESS
    records = postgres_instance.fetch_materializations(AssetKey(["core", "fx_rates"]), limit=10)
    assert sorted(r.partition_key for r in records.records) == DAYS


def test_the_environment_chooses_the_instance_file_and_a_hand_written_one_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    local, shared = (
        (ROOT / "dagster.yaml").read_text(),
        (ROOT / "dagster.postgres.yaml").read_text(),
    )

    monkeypatch.delenv("PERFMKT_DAGSTER_INSTANCE", raising=False)
    assert ui_env(None)["DAGSTER_HOME"] == str(home)
    assert (home / "dagster.yaml").read_text() == local
    monkeypatch.setenv("PERFMKT_DAGSTER_INSTANCE", "postgres")
    ui_env(None)
    assert (home / "dagster.yaml").read_text() == shared
    monkeypatch.setenv("PERFMKT_DAGSTER_INSTANCE", "local")
    ui_env(None)
    assert (home / "dagster.yaml").read_text() == local

    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # a deployment's own
    monkeypatch.setenv("PERFMKT_DAGSTER_INSTANCE", "postgres")
    ui_env(None)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_an_unknown_instance_choice_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("PERFMKT_DAGSTER_INSTANCE", "postgress")
    with pytest.raises(ConfigError, match="PERFMKT_DAGSTER_INSTANCE='postgress': expected one of"):
        ui_env(None)
