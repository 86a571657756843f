"""`perfmkt ui` as an operator's shell script starts it: in the background of a non-interactive
shell (so with SIGINT ignored), on a free loopback port, with its own DAGSTER_HOME and warehouse.
Its process tree and listening ports are read with psutil, so a test can see that a stop left
nothing behind."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import requests

from perfmkt_pipeline.config import ENDPOINT_ENV_VARS

PERFMKT = Path(sys.executable).parent / "perfmkt"
STARTUP_TIMEOUT_SECONDS = 180
# The promise `perfmkt ui` makes: every process it started gone this long after SIGTERM/SIGINT.
STOP_SECONDS = 10

LOCATIONS = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening_ports(process: psutil.Process) -> set[int]:
    with contextlib.suppress(psutil.NoSuchProcess):
        return {
            c.laddr.port
            for c in process.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        }
    return set()


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class Stopped:
    seconds: float  # from the signal until the last process of the tree was gone
    left: list[str]  # processes of the tree still running STOP_SECONDS after the signal
    listening: set[int]  # the tree's listening TCP ports at the signal
    still_open: set[int]  # those of them still accepting connections afterwards


@dataclass
class PerfmktUi:
    """A running `perfmkt ui`: its pid (a shell's background job, so not our child) and log."""

    pid: int
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def process(self) -> psutil.Process:
        return psutil.Process(self.pid)

    def tree(self) -> list[psutil.Process]:
        """`perfmkt ui` and every process below it (webserver, daemon, code servers, runs)."""
        root = self.process()
        return [root, *root.children(recursive=True)]

    def sandbox_ports(self) -> set[int]:
        """The sandbox's ports, from the endpoints `perfmkt ui` handed to `dagster dev`."""
        [dagster_dev] = self.process().children()
        env = dagster_dev.environ()
        endpoints = [env[variable] for variable in ENDPOINT_ENV_VARS.values()]
        # Google Ads' endpoint is host:port (gRPC), the others are URLs.
        return {urlsplit(e if "://" in e else f"//{e}").port for e in endpoints}

    def wait_until_loaded(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert not _gone(self.process()), f"perfmkt ui exited\n{self.log_tail()}"
            with contextlib.suppress(requests.RequestException):
                entries = self.graphql(LOCATIONS)["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["loadStatus"] == "LOADED":
                    location = entries[0]["locationOrLoadError"]
                    assert location["__typename"] == "RepositoryLocation", location
                    return
            time.sleep(1)
        raise AssertionError(f"the code location did not load\n{self.log_tail()}")

    def stop(self, signum: int = signal.SIGTERM) -> Stopped:
        """Send `signum` to `perfmkt ui` alone, as `kill` would, and wait up to STOP_SECONDS for
        its whole tree (as it was at the signal) to be gone."""
        tree = self.tree()
        listening = set().union(*(_listening_ports(process) for process in tree))
        start = time.monotonic()
        self.process().send_signal(signum)
        while time.monotonic() - start < STOP_SECONDS:
            if all(_gone(process) for process in tree):
                break
            time.sleep(0.1)
        return Stopped(
            seconds=time.monotonic() - start,
            left=[
                f"{process.pid} {' '.join(process.cmdline())[:150]}"
                for process in tree
                if not _gone(process)
            ],
            listening=listening,
            still_open={port for port in listening if _port_open(port)},
        )

    def kill_tree(self) -> None:
        """The test's own clean-up, whatever happened: SIGKILL to what is left."""
        with contextlib.suppress(psutil.NoSuchProcess):
            for process in self.tree():
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()


def start_perfmkt_ui(tmp_path: Path) -> PerfmktUi:
    """`perfmkt ui --port N &` in a non-interactive bash, which then exits: what a script does."""
    port = free_port()
    log = tmp_path / "perfmkt-ui.log"
    env = {
        **{k: v for k, v in os.environ.items() if k != "PERFMKT_DAGSTER_INSTANCE"},
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "PERFMKT_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
    }
    script = (
        f"{shlex.quote(str(PERFMKT))} ui --port {port} >{shlex.quote(str(log))} 2>&1 &\necho $!"
    )
    shell = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return PerfmktUi(pid=int(shell.stdout.strip()), port=port, log=log)
