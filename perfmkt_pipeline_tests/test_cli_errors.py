"""`perfmkt` on an expected error prints one clear message and exits non-zero, without a
traceback; `perfmkt --debug` shows the traceback too. The demo's failed materialisation names
the failing step and its message and keeps Dagster's whole log in a file."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

TRACEBACK = "Traceback (most recent call last):"
NO_META_ACCOUNTS = (
    "invalid configuration in {path}:\n"
    "  meta.account_ids: no account listed (list the accounts to read, or delete the meta "
    "section)\n"
)


def _perfmkt(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "perfmkt_pipeline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("PERFMKT_", "DAGSTER_"))
    }
    environment["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    environment["PERFMKT_WAREHOUSE_URL"] = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return environment


def test_a_configuration_error_is_one_message_and_debug_adds_the_traceback(env, tmp_path) -> None:
    config = tmp_path / "perfmkt.yaml"
    config.write_text("start_date: 2026-01-01\nmeta:\n  lookback_days: 10\n")
    env["PERFMKT_CONFIG"] = str(config)

    done = _perfmkt("check-config", env=env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == NO_META_ACCOUNTS.format(path=config)

    debug = _perfmkt("--debug", "check-config", env=env)
    assert debug.returncode == 1
    assert TRACEBACK in debug.stderr
    assert debug.stderr.endswith(
        "perfmkt_pipeline.config.ConfigError: " + NO_META_ACCOUNTS.format(path=config)
    )


def test_check_config_prints_the_warehouse_url_without_its_password(env, tmp_path) -> None:
    config = tmp_path / "perfmkt.yaml"
    config.write_text("start_date: 2026-01-01\n")
    env["PERFMKT_CONFIG"] = str(config)
    env["PERFMKT_WAREHOUSE_URL"] = "postgresql://loader:s3cret@127.0.0.1:5432/marketing"

    done = _perfmkt("check-config", env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-1] == (
        "warehouse: postgresql://loader:***@127.0.0.1:5432/marketing"
    )
    assert "s3cret" not in done.stdout


def test_an_unreachable_warehouse_is_one_message_without_its_password(env) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env["PERFMKT_WAREHOUSE_URL"] = f"postgresql://loader:s3cret@127.0.0.1:{port}/marketing"

    done = _perfmkt("migrate", env=env)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"perfmkt migrate: warehouse postgresql://loader:***@127.0.0.1:{port}/marketing: "
        f'connection failed: connection to server at "127.0.0.1", port {port} failed: '
        "Connection refused\n"
    )

    debug = _perfmkt("--debug", "migrate", env=env)
    assert debug.returncode == 1 and TRACEBACK in debug.stderr


def test_a_failed_demo_names_the_failing_step_and_keeps_the_full_log(env, tmp_path) -> None:
    # A feed whose folder does not exist: its step fails (a feed error); FX, core and marts are
    # what else the demo materialises for this configuration.
    config = tmp_path / "perfmkt.yaml"
    config.write_text(
        "start_date: 2026-01-01\n"
        "file_feeds:\n"
        "  - name: rakuten\n"
        f"    location: {tmp_path / 'missing'}/\n"
        "    currency: USD\n"
        "    columns: {action_id: Order ID, event_date: Date, status: Status, "
        "commission: Commission}\n"
        "    status_map: {Approved: approved}\n"
    )
    env["PERFMKT_CONFIG"] = str(config)

    done = _perfmkt("demo", "--days", "2", env=env, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    start = lines.index("demo: the materialisation failed:")
    assert lines[start + 1 :] == [
        f"  raw__affiliate_actions__rakuten: rakuten: {tmp_path / 'missing'}, line 0: no such "
        "file or folder",
        lines[-1],
    ]
    log_file = Path(re.fullmatch(r"demo: the full log is (.+)", lines[-1]).group(1))
    assert log_file.parent == tmp_path / "dagster_home" / "logs"
    for output in (done.stdout, done.stderr):
        assert "Stack Trace" not in output and TRACEBACK not in output
    full_log = log_file.read_text()
    assert "Stack Trace:" in full_log
    assert "rakuten: " in full_log and "STEP_FAILURE" in full_log
    # The failures as the instance recorded them end the log (a step process's own console lines
    # can be lost when it fails fast).
    assert (
        'STEP_FAILURE - raw__affiliate_actions__rakuten - Execution of step "raw__affiliate_'
        'actions__rakuten" failed.\n'
    ) in full_log
