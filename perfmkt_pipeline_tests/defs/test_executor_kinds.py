"""`executor.kind` chooses where a run's steps execute: `multiprocess` (default, one machine),
`celery` (dagster-celery) or `k8s` (dagster-k8s). Configuration errors name the key; an
executor that runs steps on other machines with an embedded DuckDB warehouse, or Celery without
its broker, is refused when the definitions load (and when a worker starts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    define_asset_job,
    execute_job,
    reconstructable,
)
from dagster._config import post_process_config, validate_config
from dagster._core.execution.api import create_execution_plan
from dagster_celery import celery_executor
from dagster_k8s import k8s_job_executor
from dagster_k8s.executor import K8sStepHandler

from perfmkt_pipeline.cli import DEFAULT_WORKER_CONCURRENCY, main, worker_command
from perfmkt_pipeline.config import ConfigError, executor_problems, parse_settings
from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.defs.executor import (
    celery_executor_config,
    executor_config,
    k8s_executor_config,
    run_executor,
)

ROOT = Path(__file__).resolve().parents[2]
PG = "postgresql://loader:s3cret@db.internal:5432/marketing"
BROKER = "pyamqp://perfmkt:br0ker-pw@rabbitmq.internal:5672/perfmkt"
K8S = {
    "image": "registry.example.com/perfmkt:1.4.0",
    "namespace": "perfmkt",
    "env_secrets": ["perfmkt-secrets"],
    "env_config_maps": ["perfmkt-env"],
    "service_account_name": "perfmkt-steps",
}
DUCKDB_REFUSAL = (
    "executor.kind: {kind} runs steps on other machines, which cannot share the warehouse "
    "PERFMKT_WAREHOUSE_URL names: an embedded DuckDB file ({path}). Set PERFMKT_WAREHOUSE_URL "
    "to the shared PostgreSQL warehouse (postgresql://user:password@host/db), or use "
    "executor.kind: multiprocess"
)
NO_BROKER = (
    "executor.kind: celery sends every step through a broker, but the environment lacks "
    "PERFMKT_CELERY_BROKER_URL (e.g. pyamqp://user:password@rabbitmq:5672/perfmkt)"
)


def _settings(executor: dict | None = None, **extra):
    data = {"start_date": "2026-01-01", **extra}
    if executor is not None:
        data["executor"] = executor
    return parse_settings(data, environ={})


def _config_error(data: dict) -> str:
    with pytest.raises(ConfigError) as error:
        parse_settings({"start_date": "2026-01-01", **data}, environ={})
    return str(error.value)


# -- the settings ------------------------------------------------------------------------------


def test_the_default_executor_is_multiprocess_and_unchanged() -> None:
    settings = _settings()
    assert settings.executor.kind == "multiprocess"
    assert (settings.executor.celery, settings.executor.k8s) == (None, None)
    executor = run_executor(settings)
    assert executor.name == "perfmkt_multiprocess"
    # The same forking executor and limit as before executor.kind existed.
    assert executor_config(settings)["max_concurrent"] == 8
    defs = build_definitions(settings)
    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "perfmkt_multiprocess"


def test_executor_configuration_errors_name_the_key() -> None:
    assert _config_error({"executor": {"kind": "dask"}}) == (
        "invalid configuration in <config>:\n"
        "  executor.kind: Input should be 'multiprocess', 'celery' or 'k8s'"
    )
    assert _config_error({"executor": {"kind": "k8s"}}) == (
        "invalid configuration in <config>:\n"
        "  executor.k8s: executor.kind is k8s but the section is missing (it names the image "
        "and the namespace of the step pods)"
    )
    assert _config_error({"executor": {"celery": {"queue": "etl"}}}) == (
        "invalid configuration in <config>:\n"
        "  executor.celery: given, but executor.kind is multiprocess (set kind: celery, or "
        "delete the section)"
    )
    assert _config_error({"executor": {"kind": "celery", "k8s": K8S}}) == (
        "invalid configuration in <config>:\n"
        "  executor.k8s: given, but executor.kind is celery (set kind: k8s, or delete the "
        "section)"
    )
    assert _config_error({"executor": {"kind": "celery", "celery": {"qeue": "etl"}}}) == (
        "invalid configuration in <config>:\n  executor.celery.qeue: unknown key"
    )
    assert _config_error({"executor": {"kind": "celery", "celery": {"queue": "etl jobs"}}}) == (
        "invalid configuration in <config>:\n"
        "  executor.celery.queue: Value error, 'etl jobs' is not a queue name (letters, digits, "
        "'_', '.', '-')"
    )
    assert _config_error({"executor": {"kind": "k8s", "k8s": {"image": "perfmkt:1"}}}) == (
        "invalid configuration in <config>:\n  executor.k8s.namespace: Field required"
    )
    bad_namespace = {"kind": "k8s", "k8s": {**K8S, "namespace": "Perf_Mkt"}}
    assert _config_error({"executor": bad_namespace}) == (
        "invalid configuration in <config>:\n"
        "  executor.k8s.namespace: Value error, 'Perf_Mkt' is not a Kubernetes name (lower-case "
        "letters, digits and '-', at most 63 characters)"
    )


def test_a_multi_machine_executor_needs_a_postgresql_warehouse_and_celery_its_broker() -> None:
    celery = _settings({"kind": "celery"})
    k8s = _settings({"kind": "k8s", "k8s": K8S})
    duckdb = {"PERFMKT_WAREHOUSE_URL": "duckdb:////srv/perfmkt/warehouse.duckdb"}
    default = {}  # no PERFMKT_WAREHOUSE_URL: the embedded default, data/perfmkt.duckdb
    assert executor_problems(celery, {**duckdb, "PERFMKT_CELERY_BROKER_URL": BROKER}) == [
        DUCKDB_REFUSAL.format(kind="celery", path="/srv/perfmkt/warehouse.duckdb")
    ]
    assert executor_problems(k8s, default) == [
        DUCKDB_REFUSAL.format(kind="k8s", path="data/perfmkt.duckdb")
    ]
    assert executor_problems(celery, {"PERFMKT_WAREHOUSE_URL": PG}) == [NO_BROKER]
    sqlite = {"PERFMKT_WAREHOUSE_URL": "sqlite:///w.db", "PERFMKT_CELERY_BROKER_URL": BROKER}
    assert executor_problems(celery, sqlite) == [
        "executor.kind: celery runs steps on other machines, which cannot share the warehouse "
        "PERFMKT_WAREHOUSE_URL names: a sqlite database, not PostgreSQL. Set "
        "PERFMKT_WAREHOUSE_URL to the shared PostgreSQL warehouse "
        "(postgresql://user:password@host/db), or use executor.kind: multiprocess"
    ]
    assert executor_problems(celery, {"PERFMKT_WAREHOUSE_URL": PG, "PERFMKT_CELERY_BROKER_URL": BROKER}) == []  # fmt: skip
    assert executor_problems(k8s, {"PERFMKT_WAREHOUSE_URL": PG}) == []
    # One machine: the embedded warehouse is fine, and no broker is asked for.
    assert executor_problems(_settings(), default) == []


def test_the_definitions_refuse_to_load_with_duckdb_and_a_multi_machine_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", f"duckdb:///{path}")
    monkeypatch.setenv("PERFMKT_CELERY_BROKER_URL", BROKER)
    with pytest.raises(ConfigError) as error:
        build_definitions(_settings({"kind": "celery"}))
    assert str(error.value) == (
        "configuration error:\n  " + DUCKDB_REFUSAL.format(kind="celery", path=path)
    )
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", PG)
    monkeypatch.delenv("PERFMKT_CELERY_BROKER_URL")
    with pytest.raises(ConfigError) as error:
        build_definitions(_settings({"kind": "celery"}))
    assert str(error.value) == "configuration error:\n  " + NO_BROKER
    # The same at start-up of a code location (here `dagster definitions validate`'s load).
    config = tmp_path / "perfmkt.yaml"
    config.write_text("start_date: 2026-01-01\nexecutor:\n  kind: k8s\n  k8s:\n" + "".join(
        f"    {key}: {value!r}\n" for key, value in K8S.items()
    ))  # fmt: skip
    monkeypatch.setenv("PERFMKT_CONFIG", str(config))
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", f"duckdb:///{path}")
    loaded = subprocess.run(
        [sys.executable, "-c", "import perfmkt_pipeline.definitions"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 1
    assert loaded.stderr.strip().splitlines()[-2:] == [
        "perfmkt_pipeline.config.ConfigError: configuration error:",
        "  " + DUCKDB_REFUSAL.format(kind="k8s", path=path),
    ]


# -- celery ------------------------------------------------------------------------------------


def test_celery_takes_its_broker_and_backend_from_the_environment_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings({"kind": "celery", "celery": {"queue": "perfmkt-eu"}})
    source = {"task_default_queue": "perfmkt-eu", "worker_prefetch_multiplier": 1, "task_acks_late": True}  # fmt: skip
    # The UI shows the variables' names, never the URLs (they hold the broker's password).
    assert celery_executor_config(settings, {"PERFMKT_CELERY_BROKER_URL": BROKER}) == {
        "broker": {"env": "PERFMKT_CELERY_BROKER_URL"},
        "backend": "rpc://",
        "config_source": source,
    }
    backend = {"PERFMKT_CELERY_BROKER_URL": BROKER, "PERFMKT_CELERY_BACKEND_URL": "redis://r/1"}
    assert celery_executor_config(settings, backend)["backend"] == {
        "env": "PERFMKT_CELERY_BACKEND_URL"
    }
    checked = validate_config(
        celery_executor.config_schema.config_type,
        celery_executor_config(settings, {"PERFMKT_CELERY_BROKER_URL": BROKER}),
    )
    assert checked.success, checked.errors
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", PG)
    monkeypatch.setenv("PERFMKT_CELERY_BROKER_URL", BROKER)
    defs = build_definitions(settings)
    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "perfmkt_celery"


def _step_priorities(settings) -> dict[str, str | None]:
    """Step key -> its `dagster-celery/priority` tag in a run of every asset and check."""
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    plan = create_execution_plan(job)
    return {
        s.key: s.tags.get("dagster-celery/priority") for s in plan.get_all_steps_in_topo_order()
    }


def test_celery_workers_take_the_steps_other_steps_wait_for_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # dagster-celery's step priority (5 unless tagged; RabbitMQ hands out the highest first): the
    # assets of one step and the blocking checks of an asset another asset reads go first; the
    # account steps of a fanned-out platform, their landing step (graph-backed: untagged), the
    # checks nothing waits for and the warnings keep the default.
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", PG)
    monkeypatch.setenv("PERFMKT_CELERY_BROKER_URL", BROKER)
    monkeypatch.setenv("META_ACCESS_TOKEN", "not-used")  # the plan resolves the resources' config
    fanned = {"accounts_per_step": {"meta": 2}}
    meta = {"meta": {"account_ids": ["1", "2", "3", "4"]}}
    first = [
        "raw__ecb_rates", "core__fx_rates", "core__fx_rates_grain_is_unique", "core_tables",
        "below_campaign_core", "core__ad_accounts_checks", "core__ad_groups_grain_is_unique",
        "core__ad_performance_daily_checks", "core__ads_grain_is_unique",
        "core__campaigns_grain_is_unique", "core__keyword_daily_grain_is_unique",
        "core__ad_daily_checks", "mart_tables", "below_campaign_marts",
    ]  # fmt: skip
    default = [
        "meta_raw.meta_raw_accounts_1", "meta_raw.meta_raw_accounts_2", "meta_raw.meta_raw_landed",
        "core__ad_performance_daily_clicks_within_impressions",
        "core__ad_performance_daily_meta_is_fresh", "core__affiliate_actions_grain_is_unique",
        "core__conversions_daily_grain_is_unique", "core__restatements_grain_is_unique",
        "marts__campaign_daily_grain_is_unique", "marts__campaign_daily_warnings",
        "marts__channel_daily_checks", "marts__account_daily_grain_is_unique",
        "marts__ad_daily_grain_is_unique", "marts__ad_group_daily_grain_is_unique",
        "marts__keyword_daily_grain_is_unique", "marts__url_daily_grain_is_unique",
    ]  # fmt: skip
    celery = _settings({"kind": "celery", **fanned}, **meta)
    assert _step_priorities(celery) == {**dict.fromkeys(first, "6"), **dict.fromkeys(default)}
    # Multiprocess steps carry no such tag: the same steps as before.
    multiprocess = _settings({"kind": "multiprocess", **fanned}, **meta)
    assert _step_priorities(multiprocess) == dict.fromkeys([*first, *default])


def test_perfmkt_worker_starts_celery_with_the_projects_app_and_refuses_a_bad_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    config = tmp_path / "perfmkt.yaml"
    config.write_text("start_date: 2026-01-01\nexecutor:\n  kind: celery\n")
    monkeypatch.setenv("PERFMKT_CONFIG", str(config))
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", PG)
    monkeypatch.setenv("PERFMKT_CELERY_BROKER_URL", BROKER)
    celery = str(Path(sys.executable).parent / "celery")
    assert worker_command(concurrency=2, name="etl1") == [
        celery, "-A", "perfmkt_pipeline.celery_app", "worker", "--prefetch-multiplier=1",
        "--loglevel", "INFO", "-Q", "perfmkt", "-n", "etl1@%h", "--concurrency", "2",
    ]  # fmt: skip
    command = worker_command(queue="backfills")
    assert command[command.index("-Q") + 1] == "backfills"
    assert command[-1] == str(DEFAULT_WORKER_CONCURRENCY)
    assert command[command.index("-n") + 1].startswith("perfmkt-")

    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", "duckdb:///data/perfmkt.duckdb")
    assert main(["worker"]) == 2
    assert capsys.readouterr().err == (
        "configuration error:\n  "
        + DUCKDB_REFUSAL.format(kind="celery", path="data/perfmkt.duckdb")
        + "\n"
    )
    config.write_text("start_date: 2026-01-01\n")
    assert main(["worker"]) == 2
    assert capsys.readouterr().err == (
        f"configuration error:\n  executor.kind: multiprocess in {config}; a Celery worker "
        "serves only executor.kind: celery (set it, with the same file on every machine)\n"
    )


def test_a_celery_worker_stores_partition_materialisations_in_batches_unless_told_otherwise(
    tmp_path: Path,
) -> None:
    # The steps record their own events from the worker: a 30-day step of five assets records
    # 150 materialisations, one statement on PostgreSQL instead of one connection each.
    config = tmp_path / "perfmkt.yaml"
    config.write_text("start_date: 2026-01-01\nexecutor:\n  kind: celery\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PERFMKT_", "DAGSTER_"))}
    env.update(
        {"PERFMKT_CONFIG": str(config), "PERFMKT_WAREHOUSE_URL": PG,
         "PERFMKT_CELERY_BROKER_URL": BROKER, "DAGSTER_HOME": str(tmp_path)}
    )  # fmt: skip
    show = "import os, perfmkt_pipeline.celery_app; print(os.environ['DAGSTER_EVENT_BATCH_SIZE'])"

    def batch_size(**extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", show], env={**env, **extra}, cwd=tmp_path,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert batch_size() == "1000"
    assert batch_size(DAGSTER_EVENT_BATCH_SIZE="0") == "0"  # a deployment's own choice stands


def test_make_worker_passes_the_queue_and_the_concurrency() -> None:
    # Run from `make test` too: without the outer make's flags (they add directory lines).
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "worker", "WORKER_QUEUE=backfills",
         "WORKER_CONCURRENCY=2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    commands = [line for line in dry.stdout.splitlines() if "perfmkt worker" in line]
    assert commands == [".venv/bin/perfmkt worker --concurrency 2 --queue backfills"]


# -- k8s ---------------------------------------------------------------------------------------


def test_k8s_takes_image_and_namespace_from_the_configuration(tmp_path: Path) -> None:
    settings = _settings({"kind": "k8s", "k8s": K8S}, max_concurrent_steps=5)
    config = k8s_executor_config(settings)
    assert config == {
        "job_image": "registry.example.com/perfmkt:1.4.0",
        "job_namespace": "perfmkt",
        "image_pull_policy": "IfNotPresent",
        "max_concurrent": 5,
        "env_secrets": ["perfmkt-secrets"],
        "env_config_maps": ["perfmkt-env"],
        "service_account_name": "perfmkt-steps",
    }
    assert run_executor(settings).name == "perfmkt_k8s"
    # dagster-k8s accepts it, and its step handler launches that image in that namespace (a
    # kubeconfig naming a cluster that is never contacted: nothing is launched here).
    schema = k8s_job_executor.config_schema.config_type
    assert validate_config(schema, config).success
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\nusers: [{name: u, user: {}}]\n"
    )
    processed = post_process_config(
        schema, {**config, "load_incluster_config": False, "kubeconfig_file": str(kubeconfig)}
    ).value
    created = k8s_job_executor.executor_creation_fn(
        SimpleNamespace(instance=SimpleNamespace(run_launcher=None), executor_config=processed)
    )
    handler = created._step_handler
    assert isinstance(handler, K8sStepHandler)
    assert handler._executor_image == "registry.example.com/perfmkt:1.4.0"
    context = handler._executor_container_context
    assert context.namespace == "perfmkt"
    assert context.run_k8s_config.container_config == {
        "image_pull_policy": "IfNotPresent",
        "env_from": [
            {"config_map_ref": {"name": "perfmkt-env"}},
            {"secret_ref": {"name": "perfmkt-secrets"}},
        ],
    }
    assert context.run_k8s_config.pod_spec_config == {"service_account_name": "perfmkt-steps"}
    assert created._max_concurrent == 5


def k8s_job():
    """The ECB rates of a k8s configuration (module level: reconstructable)."""
    defs = build_definitions(_settings({"kind": "k8s", "k8s": K8S}))
    job = define_asset_job("ecb_on_k8s", selection=[AssetKey(["raw", "ecb_rates"])])
    return Definitions.merge(defs, Definitions(jobs=[job])).resolve_job_def("ecb_on_k8s")


def test_a_k8s_run_on_an_instance_without_the_k8s_run_launcher_fails_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", PG)
    expected = (
        "executor.kind: k8s launches every step as a Kubernetes Job and needs a Dagster "
        "instance whose run launcher is dagster-k8s' K8sRunLauncher (the Dagster Helm chart's, "
        "see deploy/); this instance's is DefaultRunLauncher"
    )
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        result = execute_job(
            reconstructable(k8s_job),
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": "2026-11-01",
                "dagster/asset_partition_range_end": "2026-11-02",
            },
            raise_on_error=False,
        )
        # The run is failed, with the message in its failure event; no step started.
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        assert run is not None and run.status == DagsterRunStatus.FAILURE
        events = [e.dagster_event for e in instance.all_logs(run.run_id) if e.dagster_event]
        assert not [e for e in events if e.event_type_value == "STEP_START"]
        [failure] = [e for e in events if e.event_type_value == "PIPELINE_FAILURE"]
        assert failure.event_specific_data.error.message.strip().endswith(expected)
