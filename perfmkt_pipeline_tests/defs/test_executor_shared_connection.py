"""A run executed in process shares one DuckDB connection between consecutive steps that work
only on the warehouse, and frees the file before a raw step starts and when its steps end."""

# No `from __future__ import annotations`: Dagster inspects the context annotations at runtime.

import json
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    ConfigurableResource,
    DagsterEventType,
    DagsterInstance,
    DailyPartitionsDefinition,
    Definitions,
    InitResourceContext,
    JobDefinition,
    asset,
    asset_check,
    define_asset_job,
    execute_job,
    reconstructable,
)
from filelock import FileLock, Timeout
from pydantic import PrivateAttr

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.defs.executor import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    run_executor,
    warehouse_steps_share_a_connection,
    works_in_the_warehouse,
)
from perfmkt_pipeline.warehouse.engine import Warehouse

DAYS = DailyPartitionsDefinition(start_date="2026-01-01")
SETTINGS = {"start_date": "2026-01-01", "max_concurrent_steps": 1}


class CountingWarehouse(ConfigurableResource):
    """A DuckDB warehouse (no schema: the test makes its one table) at the URL the run's tag
    names (the job is built once per process, and forked steps come from a server started by
    an earlier test with that test's environment), counting its opens."""

    _warehouse: Warehouse | None = PrivateAttr(default=None)
    _opens: int = PrivateAttr(default=0)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._warehouse = Warehouse(context.run.tags[URL_TAG])
        sa.event.listen(self._warehouse.engine, "connect", self._count)

    def _count(self, *_) -> None:
        self._opens += 1

    def unit(self, context, name: str, fail: bool = False) -> None:
        """Report the step's start (lock free? opens so far), then one unit of work that
        inserts `name` (and fails after the insert when `fail`)."""
        assert self._warehouse is not None
        lock = FileLock(f"{self._warehouse.url.database}.lock", thread_local=False)
        try:
            lock.acquire(timeout=0)
            free = True
            lock.release()
        except Timeout:
            free = False
        report = {"lock_free_at_start": free, "opens_before": self._opens}
        folder = Path(context.instance.root_directory) / "reports"
        (folder / f"{name}.json").write_text(json.dumps(report))
        with self._warehouse.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO steps VALUES ('{name}')")
            if fail:
                raise RuntimeError(f"{name} fails after its insert")


@asset(key=AssetKey(["raw", "first"]), partitions_def=DAYS)
def raw_first(context: AssetExecutionContext, warehouse: CountingWarehouse) -> None:
    warehouse.unit(context, "raw_first")


@asset(key=AssetKey(["core", "a"]), partitions_def=DAYS, deps=[raw_first])
def core_a(context: AssetExecutionContext, warehouse: CountingWarehouse) -> None:
    warehouse.unit(context, "core_a")


@asset(key=AssetKey(["core", "b"]), partitions_def=DAYS, deps=[core_a])
def core_b(context: AssetExecutionContext, warehouse: CountingWarehouse) -> None:
    warehouse.unit(context, "core_b", fail=context.partition_key_range.start == "2026-01-06")


@asset_check(asset=core_a, blocking=True)  # core_b waits for it
def core_a_check(context, warehouse: CountingWarehouse) -> AssetCheckResult:
    warehouse.unit(context, "core_a_check")
    return AssetCheckResult(passed=True)


@asset(key=AssetKey(["raw", "late"]), partitions_def=DAYS, deps=[core_b])
def raw_late(context: AssetExecutionContext, warehouse: CountingWarehouse) -> None:
    warehouse.unit(context, "raw_late")


@asset(key=AssetKey(["marts", "m"]), partitions_def=DAYS, deps=[raw_late])
def marts_m(context: AssetExecutionContext, warehouse: CountingWarehouse) -> None:
    warehouse.unit(context, "marts_m")


def shared_run_job() -> JobDefinition:
    """raw -> core a (its check) -> core b -> raw late -> marts, one after another (module
    level: reconstructable)."""
    defs = Definitions(
        assets=[raw_first, core_a, core_b, raw_late, marts_m],
        asset_checks=[core_a_check],
        jobs=[define_asset_job("shared_run", AssetSelection.all())],
        resources={"warehouse": CountingWarehouse()},
        executor=run_executor(parse_settings(SETTINGS, environ={})),
    )
    return defs.resolve_job_def("shared_run")


URL_TAG = "perfmkt_test/warehouse_url"


def _run(tmp_path: Path, day: str, last_day: str | None = None):
    database = tmp_path / "warehouse.duckdb"
    url = f"duckdb:///{database}"
    wh = Warehouse(url)
    with wh.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE steps (name VARCHAR)")
    home = tmp_path / "home"
    (home / "reports").mkdir(parents=True)
    with DagsterInstance.local_temp(str(home)) as instance:
        result = execute_job(
            reconstructable(shared_run_job),
            instance=instance,
            tags={RANGE_START_TAG: day, RANGE_END_TAG: last_day or day, URL_TAG: url},
            raise_on_error=False,
        )
        success = result.success
    reports = {p.stem: json.loads(p.read_text()) for p in (home / "reports").glob("*.json")}
    lock = FileLock(f"{database}.lock", thread_local=False)
    lock.acquire(timeout=0)  # raises Timeout if the run left the lock held
    lock.release()
    with wh.begin() as conn:
        written = sorted(n for (n,) in conn.exec_driver_sql("SELECT name FROM steps"))
    wh.dispose()
    return success, reports, written


def test_consecutive_warehouse_steps_of_a_run_in_process_share_one_connection(tmp_path) -> None:
    success, reports, written = _run(tmp_path, "2026-01-05")
    assert success
    assert written == ["core_a", "core_a_check", "core_b", "marts_m", "raw_first", "raw_late"]
    free = {name: r["lock_free_at_start"] for name, r in reports.items()}
    opens = {name: r["opens_before"] for name, r in reports.items()}
    # raw_first opens (1); core_a opens the shared connection (2) that its check and core_b use;
    # raw_late starts with the file free again and opens its own (3); marts_m opens anew (4).
    assert opens == {"raw_first": 0, "core_a": 1, "core_a_check": 2, "core_b": 2,
                     "raw_late": 2, "marts_m": 3}  # fmt: skip
    assert free == {"raw_first": True, "core_a": True, "core_a_check": False, "core_b": False,
                    "raw_late": True, "marts_m": True}  # fmt: skip


def test_a_failed_unit_rolls_back_alone_and_the_file_is_freed(tmp_path) -> None:
    # core_b fails after its insert on 2026-01-06: its insert is rolled back, the lock freed;
    # what ran before it stays written, and what depends on it does not run.
    success, reports, written = _run(tmp_path, "2026-01-06")
    assert not success
    assert written == ["core_a", "core_a_check", "raw_first"]
    assert sorted(reports) == ["core_a", "core_a_check", "core_b", "raw_first"]


def test_a_run_that_forks_opens_the_file_in_every_step(tmp_path) -> None:
    # Two days: each step in a process of its own, each opening the file for its unit.
    success, reports, written = _run(tmp_path, "2026-01-04", "2026-01-05")
    assert success
    assert len(written) == 6
    assert {name: r["lock_free_at_start"] for name, r in reports.items()} == {
        name: True for name in written
    }
    assert {r["opens_before"] for r in reports.values()} == {0}


class _Plan:
    """The two things `warehouse_steps_share_a_connection` asks of an execution plan."""

    def __init__(self, keys: dict[str, AssetKey]):
        self._keys = keys

    def get_step_by_key(self, step_key: str) -> SimpleNamespace:
        properties = SimpleNamespace(asset_key=self._keys[step_key], asset_check_key=None)
        return SimpleNamespace(step_outputs=[SimpleNamespace(properties=properties)])


def _event(kind: DagsterEventType, step_key: str) -> SimpleNamespace:
    return SimpleNamespace(event_type=kind, step_key=step_key)


def test_a_failed_step_frees_the_file_before_its_retry_and_the_retry_opens_anew(
    tmp_path: Path,
) -> None:
    wh = Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    with wh.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE steps (name VARCHAR)")
    opens = [0]
    sa.event.listen(wh.engine, "connect", lambda *_: opens.__setitem__(0, opens[0] + 1))
    lock = FileLock(f"{tmp_path / 'warehouse.duckdb'}.lock", thread_local=False)
    seen: list[tuple[str, bool, int]] = []

    def free() -> bool:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return False
        lock.release()
        return True

    def unit(name: str) -> None:
        with wh.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO steps VALUES ('{name}')")
        seen.append((name, free(), opens[0]))

    def steps():  # what the in-process executor does between its events
        yield _event(DagsterEventType.STEP_START, "core_a")
        unit("core_a")
        yield _event(DagsterEventType.STEP_SUCCESS, "core_a")
        yield _event(DagsterEventType.STEP_START, "core_b")
        unit("core_b")  # then fails outside its unit of work
        yield _event(DagsterEventType.STEP_UP_FOR_RETRY, "core_b")
        seen.append(("waiting for the retry", free(), opens[0]))
        yield _event(DagsterEventType.STEP_START, "core_b")
        unit("core_b again")
        yield _event(DagsterEventType.STEP_SUCCESS, "core_b")

    plan = _Plan({"core_a": AssetKey(["core", "a"]), "core_b": AssetKey(["core", "b"])})
    kinds = [e.event_type for e in warehouse_steps_share_a_connection(steps(), plan)]
    assert len(kinds) == 6
    assert seen == [
        ("core_a", False, 1),
        ("core_b", False, 1),  # on core_a's connection
        ("waiting for the retry", True, 1),
        ("core_b again", False, 2),
    ]
    assert free()
    wh.dispose()


def test_only_steps_of_assets_and_checks_outside_the_raw_layer_work_in_the_warehouse() -> None:
    def step(*keys):
        outputs = [
            SimpleNamespace(properties=SimpleNamespace(asset_key=k, asset_check_key=c))
            for k, c in keys
        ]
        return SimpleNamespace(step_outputs=outputs)

    core, raw = AssetKey(["core", "a"]), AssetKey(["raw", "a"])
    assert works_in_the_warehouse(step((core, None)))
    assert works_in_the_warehouse(step((None, AssetCheckKey(core, "grain"))))
    assert not works_in_the_warehouse(step((raw, None)))
    assert not works_in_the_warehouse(step((core, None), (raw, None)))
    assert not works_in_the_warehouse(step((None, None)))  # an op's output: not an asset
    assert not works_in_the_warehouse(step())
