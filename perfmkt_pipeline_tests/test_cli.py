"""The command line: the standalone sandbox matches the bundled configuration."""

from __future__ import annotations

import datetime as dt
import sqlite3

import yaml

from perfmkt_pipeline.cli import SANDBOX_PORTS, ui_env
from perfmkt_pipeline.config import (
    ENDPOINT_ENV_VARS,
    bundled_sandbox_config,
    example_config,
    parse_settings,
)
from perfmkt_pipeline.sandbox.runner import Sandbox


def test_the_bundled_configuration_points_at_the_standalone_sandbox() -> None:
    settings = parse_settings(yaml.safe_load(bundled_sandbox_config()), environ={})
    with Sandbox(as_of=dt.date(2026, 11, 20), ports=SANDBOX_PORTS) as sandbox:
        env = sandbox.env()
        ids = sandbox.account_ids()

    for key, variable in ENDPOINT_ENV_VARS.items():
        assert getattr(settings.endpoints, key) == env[variable], key
    assert settings.google_ads.manager_customer_id == env["GOOGLE_ADS_LOGIN_CUSTOMER_ID"]
    assert settings.meta.account_ids == ids["meta"]
    assert (settings.impact.account_ids, settings.cj.account_ids, settings.awin.account_ids) == (
        ids["impact"],
        ids["cj"],
        ids["awin"],
    )


def test_perfmkt_sandbox_prints_the_variables_that_point_at_it_and_binds_only_loopback() -> None:
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "perfmkt_pipeline.cli",
            "sandbox",
            "--free-ports",
            "--as-of",
            "2026-11-20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.strip())
            if line.startswith("# Ctrl-C"):
                break
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    assert set(ENDPOINT_ENV_VARS.values()) | {
        "META_ACCESS_TOKEN",
        "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    } <= set(exports)
    for variable in ENDPOINT_ENV_VARS.values():
        assert exports[variable].removeprefix("http://").startswith("127.0.0.1:"), variable
    assert process.returncode == 0


def test_the_dagster_environment_comes_with_the_instance_storage_already_created(
    tmp_path, monkeypatch
) -> None:
    # dagster dev's webserver, daemon and code server then find it made, instead of all three
    # creating (and stamping) a new SQLite storage at the same moment.
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("PERFMKT_DAGSTER_INSTANCE", raising=False)
    env = ui_env(None)
    assert env["DAGSTER_HOME"] == str(home)
    for database in ["history/runs.db", "history/runs/index.db", "schedules/schedules.db"]:
        with sqlite3.connect(home / database) as db:
            stamped = db.execute("SELECT count(*) FROM alembic_version").fetchone()
        assert stamped == (1,), database


def test_perfmkt_example_config_prints_the_example_with_each_platforms_own_section() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "perfmkt_pipeline.cli", "example-config"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout == example_config()
    lines = done.stdout.splitlines()
    # The package's part, then the registry's endpoints, then each platform's section with its
    # own comments (the Meta section from platforms/meta/example.yaml).
    assert lines[0].startswith("# perfmkt_pipeline configuration for real accounts")
    assert (
        "  meta: https://graph.facebook.com                                   # PERFMKT_META_URL"
        in lines
    )
    assert lines[lines.index("meta:") + 2] == (
        '  account_ids: ["101000000000001"]   # ad account ids without "act_"'
    )
    assert "# @platforms" not in done.stdout


def test_without_a_configuration_file_the_runs_read_the_bundled_one_written_once(
    tmp_path, monkeypatch
) -> None:
    # The bundled configuration is assembled from the registered platforms' sandbox parts; the
    # run's processes read it from the Dagster home instead of assembling it again each.
    home = tmp_path / "dagster_home"
    monkeypatch.chdir(tmp_path)  # no ./perfmkt.yaml
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("PERFMKT_CONFIG", raising=False)
    monkeypatch.delenv("PERFMKT_DAGSTER_INSTANCE", raising=False)
    env = ui_env(None)
    assert env["PERFMKT_CONFIG"] == str(home / "sandbox.yaml")
    text = (home / "sandbox.yaml").read_text()
    assert text.splitlines()[0] == (
        "# Written by perfmkt: the bundled sandbox configuration (sandbox/bundled.py)"
    )
    assert yaml.safe_load(text) == yaml.safe_load(bundled_sandbox_config())
    (tmp_path / "perfmkt.yaml").write_text("start_date: 2026-01-01\n")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "other_home"))
    assert "PERFMKT_CONFIG" not in ui_env(None)  # a file of one's own is read where it is


def test_the_dagster_environment_batches_partition_materialisations_unless_told_otherwise(
    tmp_path, monkeypatch
) -> None:
    # Issue #18: a year's run records one materialisation per asset and day; where the instance
    # can (PostgreSQL), Dagster writes a step's partitions in batches of 1000.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.delenv("PERFMKT_DAGSTER_INSTANCE", raising=False)
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    assert ui_env(None)["DAGSTER_EVENT_BATCH_SIZE"] == "1000"
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "0")  # a deployment's own choice stands
    assert ui_env(None)["DAGSTER_EVENT_BATCH_SIZE"] == "0"
