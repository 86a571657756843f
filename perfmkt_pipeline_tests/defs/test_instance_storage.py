"""The local instance of the shipped dagster.yaml (defs/instance_storage.py): Dagster's instance
and SQLite files, with an event log that keeps one engine, and one open connection, per database
file and process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
import yaml
from dagster import AssetKey, DagsterInstance, asset, materialize

from perfmkt_pipeline.defs.instance_storage import (
    CachedEngineSqliteEventLogStorage,
    LocalInstance,
    SqliteStorage,
)

ROOT = Path(__file__).resolve().parents[2]


@asset
def upstream() -> int:
    return 1


@asset
def downstream(upstream: int) -> int:
    return upstream + 1


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def test_the_shipped_instance_keeps_dagsters_storage_layout(tmp_path: Path) -> None:
    home = _home(tmp_path)
    with DagsterInstance.from_config(str(home)) as instance:
        assert type(instance) is LocalInstance
        assert type(instance.event_log_storage) is CachedEngineSqliteEventLogStorage
        assert instance.event_log_storage._base_dir == str(home / "history" / "runs")
        ref = instance.get_ref()
        assert ref.storage_data is not None
        assert ref.storage_data.class_name == SqliteStorage.__name__
        assert yaml.safe_load(ref.storage_data.config_yaml) == {"base_dir": str(home)}
        assert DagsterInstance.from_ref(ref).__class__ is LocalInstance
    assert sorted(p.name for p in (home / "history").iterdir()) == ["runs", "runs.db"]
    assert (home / "history" / "runs" / "index.db").is_file()


def test_dagsters_own_storage_reads_what_the_local_instance_wrote(tmp_path: Path) -> None:
    home = _home(tmp_path)
    with DagsterInstance.from_config(str(home)) as instance:
        result = materialize([upstream, downstream], instance=instance)
        assert result.success
        run_id = result.run_id
        events = len(instance.all_logs(run_id))
    # The same files, opened by Dagster's default instance (no instance_class).
    plain = tmp_path / "plain"
    shutil.copytree(home, plain)
    (plain / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with DagsterInstance.from_config(str(plain)) as instance:
        assert type(instance) is DagsterInstance
        assert len(instance.all_logs(run_id)) == events
        records = instance.get_asset_records([AssetKey("upstream"), AssetKey("downstream")])
        assert sorted(r.asset_entry.asset_key.to_user_string() for r in records) == [
            "downstream",
            "upstream",
        ]
        assert all(r.asset_entry.last_materialization.run_id == run_id for r in records)


def test_each_database_file_keeps_its_engine_and_compiled_statements(tmp_path: Path) -> None:
    home = _home(tmp_path)
    with DagsterInstance.from_config(str(home)) as instance:
        assert materialize([upstream], instance=instance).success
        storage = instance.event_log_storage
        assert isinstance(storage, CachedEngineSqliteEventLogStorage)
        instance.get_asset_records([AssetKey("upstream")])
        engine = storage._engines["index"]
        cached = len(engine._compiled_cache)
        instance.get_asset_records([AssetKey("upstream")])
        assert storage._engines["index"] is engine
        assert len(engine._compiled_cache) == cached  # the same statement, not compiled again


def test_at_most_eight_engines_are_kept_the_index_always(tmp_path: Path) -> None:
    storage = CachedEngineSqliteEventLogStorage(str(tmp_path / "runs"))
    with storage.index_connection():
        pass
    for n in range(10):
        with storage.run_connection(f"run{n}"):
            pass
    assert list(storage._engines) == ["index", *(f"run{n}" for n in range(3, 10))]
    storage.dispose()
    assert storage._engines == {}


def test_each_database_file_keeps_one_connection_open_and_others_see_every_event(
    tmp_path: Path,
) -> None:
    home = _home(tmp_path)
    opened: list[str] = []
    with DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, CachedEngineSqliteEventLogStorage)
        result = materialize([upstream, downstream], instance=instance)
        assert result.success
        engine = storage._engines[result.run_id]
        sa.event.listen(engine, "connect", lambda *_: opened.append(result.run_id))
        events = len(instance.all_logs(result.run_id))
        for _ in range(3):
            with storage.run_connection(result.run_id):
                pass
        assert opened == []  # the kept connection, not a new one per unit of work
        assert engine.pool.checkedin() == 1
        # While it stays open, another process reads every event and writes its own run.
        script = (
            "import sys; from dagster import DagsterInstance, materialize; "
            "from perfmkt_pipeline_tests.defs.test_instance_storage import upstream; "
            "i = DagsterInstance.from_config(sys.argv[1]); "
            "print(len(i.all_logs(sys.argv[2]))); "
            "print(materialize([upstream], instance=i).run_id)"
        )
        seen, other_run = subprocess.run(
            [sys.executable, "-c", script, str(home), result.run_id],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert int(seen) == events
        other = instance.get_run_by_id(other_run)
        assert other is not None and other.is_success
        record = instance.get_latest_materialization_event(AssetKey("upstream"))
        assert record is not None and record.run_id == other_run
    storage.dispose()
    assert storage._engines == {}
