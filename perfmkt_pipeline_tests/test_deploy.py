"""The worked Kubernetes deployment (deploy/): the Dockerfile, the Helm values and the manifests
agree with each other and with the project. No cluster or Docker engine here: these checks read
the files, and the configuration file they carry is loaded as the code location would."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from perfmkt_pipeline.cli import EVENT_BATCH_ENV_VAR, EVENT_BATCH_SIZE
from perfmkt_pipeline.config import SECRET_ENV_VARS, executor_problems, parse_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def _manifests() -> dict[tuple[str, str], dict]:
    docs = yaml.safe_load_all((DEPLOY / "k8s" / "perfmkt.yaml").read_text())
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


def _values() -> dict:
    return yaml.safe_load((DEPLOY / "k8s" / "values.yaml").read_text())


def test_the_code_location_image_serves_the_projects_definitions() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    command = yaml.safe_load(cmd.group(1))
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    assert command[:3] == ["dagster", "api", "grpc"]
    assert command[command.index("-m") + 1] == module["module_name"]
    assert workspace["load_from"][0]["python_module"]["module_name"] == module["module_name"]
    [deployment] = _values()["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", module["module_name"]]
    port = command[command.index("-p") + 1]
    assert re.search(rf"^EXPOSE {port}$", dockerfile, re.MULTILINE)
    assert deployment["port"] == int(port)
    # The base image's Python is one the project supports (requires-python >=3.11,<3.14).
    base = re.search(r"^FROM python:(3\.\d+)-slim$", dockerfile, re.MULTILINE)
    assert base is not None and base.group(1) in ("3.11", "3.12", "3.13")
    assert "USER 10001" in dockerfile


def test_the_configuration_runs_each_step_in_a_pod_of_the_code_locations_image() -> None:
    manifests = _manifests()
    [deployment] = _values()["dagster-user-deployments"]["deployments"]
    config_map = manifests[("ConfigMap", "perfmkt-config")]
    secret = manifests[("Secret", "perfmkt-secrets")]["stringData"]
    env = manifests[("ConfigMap", "perfmkt-env")]["data"]
    settings = parse_settings(
        yaml.safe_load(config_map["data"]["perfmkt.yaml"]), source="deploy", environ={}
    )
    k8s = settings.executor.k8s
    assert settings.executor.kind == "k8s" and k8s is not None
    image = deployment["image"]
    assert k8s.image == f"{image['repository']}:{image['tag']}"
    assert k8s.namespace == _values()["runLauncher"]["config"]["k8sRunLauncher"]["jobNamespace"]
    assert {doc["metadata"]["namespace"] for doc in manifests.values()} == {k8s.namespace}
    # What the step pods and the code location read: the same secret and environment.
    assert k8s.env_secrets == [s["name"] for s in deployment["envSecrets"]] == ["perfmkt-secrets"]
    assert k8s.env_config_maps == [c["name"] for c in deployment["envConfigMaps"]]
    [mount] = deployment["volumeMounts"]
    [volume] = deployment["volumes"]
    assert volume["configMap"]["name"] == "perfmkt-config" and mount["name"] == volume["name"]
    assert env["PERFMKT_CONFIG"] == f"{mount['mountPath']}/perfmkt.yaml"
    assert env[EVENT_BATCH_ENV_VAR] == EVENT_BATCH_SIZE  # as `perfmkt` sets it (issue #18)
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    # Every secret the configured platforms need, and a PostgreSQL warehouse: the definitions
    # load with this configuration.
    for platform in settings.configured_platforms():
        assert set(SECRET_ENV_VARS[platform]) <= set(secret), platform
    assert executor_problems(settings, secret) == []


def test_the_chart_instance_keeps_the_projects_queue_pools_and_retries() -> None:
    shared = yaml.safe_load((ROOT / "dagster.postgres.yaml").read_text())
    values = _values()
    concurrency = values["concurrency"]
    assert concurrency["enabled"] is True
    assert (
        concurrency["runs"]["maxConcurrentRuns"]
        == shared["concurrency"]["runs"]["max_concurrent_runs"]
    )
    assert concurrency["pools"] == {
        "defaultLimit": shared["concurrency"]["pools"]["default_limit"],
        "granularity": shared["concurrency"]["pools"]["granularity"],
    }
    retries = values["dagsterDaemon"]["runRetries"]
    assert (retries["enabled"], retries["maxRetries"]) == (
        True,
        shared["run_retries"]["max_retries"],
    )
    assert (
        retries["retryOnAssetOrOpFailure"] is shared["run_retries"]["retry_on_asset_or_op_failure"]
    )
    monitoring = values["dagsterDaemon"]["runMonitoring"]
    assert monitoring["enabled"] is True
    assert monitoring["pollIntervalSeconds"] == shared["run_monitoring"]["poll_interval_seconds"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False
