"""Celery on this machine for the tests and the Celery benchmark: a broker of the run's own on the
local RabbitMQ, and `perfmkt worker` processes.

The broker is RabbitMQ at `PERFMKT_TEST_RABBITMQ_URL` (default guest/guest at 127.0.0.1:5672).
Each user gets a virtual host of its own, created with `rabbitmqctl` (root, on the broker's
machine) or else RabbitMQ's management API, and deleted afterwards with everything in it; where
neither can create one, a queue of its own on the default virtual host, deleted afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import requests
from celery import Celery
from kombu import Connection

from perfmkt_pipeline_tests import processes

RABBITMQ_URL = os.environ.get("PERFMKT_TEST_RABBITMQ_URL", "pyamqp://guest:guest@127.0.0.1:5672")
MANAGEMENT_PORT = 15672
_CTL_TIMEOUT_SECONDS = 60
_READY_TIMEOUT_SECONDS = 120
_STOP_TIMEOUT_SECONDS = 30


def broker_problem(url: str = RABBITMQ_URL) -> str | None:
    """Why the broker cannot be used, or None when it answers an AMQP login."""
    try:
        with Connection(url, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as error:  # kombu raises the transport's own errors
        return f"RabbitMQ at {Connection(url).as_uri()} is not reachable: {error}"
    return None


@dataclass(frozen=True)
class Broker:
    """A broker URL the caller has to itself, and the queue its steps go to."""

    url: str
    queue: str
    how: str  # "rabbitmqctl", "management API" or "queue on the default virtual host"


def _rabbitmqctl(*args: str) -> bool:
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        return False
    try:
        done = subprocess.run(
            [ctl, *args], capture_output=True, text=True, timeout=_CTL_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def _management(method: str, path: str, user: str, password: str, host: str, **kwargs) -> bool:
    try:
        response = requests.request(
            method,
            f"http://{host}:{MANAGEMENT_PORT}/api/{path}",
            auth=(user, password),
            timeout=10,
            **kwargs,
        )
    except requests.RequestException:
        return False
    return response.status_code in (200, 201, 204)


@contextlib.contextmanager
def private_broker(base_url: str = RABBITMQ_URL) -> Iterator[Broker]:
    """A virtual host of the caller's own on the broker (or a queue of its own), removed after."""
    base = Connection(base_url)
    user, password, host = base.userid or "guest", base.password or "guest", base.hostname
    name = f"perfmkt_test_{uuid.uuid4().hex[:12]}"
    root = base_url.rstrip("/")
    if _rabbitmqctl("add_vhost", name):
        _rabbitmqctl("set_permissions", "-p", name, user, ".*", ".*", ".*")
        try:
            yield Broker(f"{root}/{name}", "perfmkt", "rabbitmqctl")
        finally:
            _rabbitmqctl("delete_vhost", name)
        return
    if _management("PUT", f"vhosts/{name}", user, password, host):
        permissions = {"configure": ".*", "write": ".*", "read": ".*"}
        _management("PUT", f"permissions/{name}/{user}", user, password, host, json=permissions)
        try:
            yield Broker(f"{root}/{name}", "perfmkt", "management API")
        finally:
            _management("DELETE", f"vhosts/{name}", user, password, host)
        return
    url = f"{root}//"
    try:
        yield Broker(url, name, "queue on the default virtual host")
    finally:
        with Connection(url, connect_timeout=5) as connection, contextlib.suppress(Exception):
            connection.default_channel.queue_delete(name)


class CeleryWorkers:
    """`perfmkt worker` processes, each in a session of its own, logging to `logs`/<name>.log."""

    def __init__(
        self,
        names: list[str],
        env: Mapping[str, str],
        logs: Path,
        *,
        concurrency: int = 1,
        broker_url: str,
    ):
        self.env = dict(env)
        self.logs = logs
        self.broker_url = broker_url
        self.processes: dict[str, subprocess.Popen] = {}
        perfmkt = str(Path(sys.executable).parent / "perfmkt")
        for name in names:
            with open(logs / f"{name}.log", "wb") as log:
                self.processes[name] = subprocess.Popen(
                    [perfmkt, "worker", "--name", name, "--concurrency", str(concurrency)],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

    def log_tail(self, chars: int = 4000) -> str:
        return "\n".join(
            f"--- worker {name}\n"
            + (self.logs / f"{name}.log").read_text(errors="replace")[-chars:]
            for name in self.processes
        )

    def wait_until_ready(self) -> dict[str, str]:
        """Wait until every worker answers a ping over the broker; returns name -> node name
        (name@host), as Celery reports it in each task."""
        app = Celery(broker=self.broker_url)
        try:
            deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                for name, process in self.processes.items():
                    if process.poll() is not None:
                        raise AssertionError(f"worker {name} exited\n{self.log_tail()}")
                nodes = {node for reply in app.control.ping(timeout=1.0) for node in reply}
                found = {
                    n: node for n in self.processes for node in nodes if node.split("@")[0] == n
                }
                if len(found) == len(self.processes):
                    return found
                time.sleep(0.5)
        finally:
            app.close()
        raise AssertionError(f"the workers did not come up\n{self.log_tail()}")

    def process_tree(self, name: str) -> list[int]:
        """The worker's main process and the processes it runs tasks in."""
        return processes.descendants(self.processes[name].pid)

    def stop(self) -> dict[str, int]:
        """SIGTERM (Celery's warm shutdown) to each worker's session, then SIGKILL what is
        left; returns the exit codes."""
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        codes = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=_STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                codes[name] = process.wait()
        return codes


def pipeline_env(
    sandbox_env: Mapping[str, str],
    *,
    config: Path,
    warehouse_url: str,
    broker_url: str,
    dagster_home: Path,
    dagster_db_url,
) -> dict[str, str]:
    """The environment of a worker and of the run worker: this process's without any PERFMKT_
    or DAGSTER_ variable of the developer's, plus the sandbox's endpoints and secrets, the
    configuration, the warehouse, the broker and the PostgreSQL Dagster instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PERFMKT_", "DAGSTER_"))}
    env.update(sandbox_env)
    env.update(
        {
            "PERFMKT_CONFIG": str(config),
            "PERFMKT_WAREHOUSE_URL": warehouse_url,
            "PERFMKT_CELERY_BROKER_URL": broker_url,
            "PERFMKT_DAGSTER_INSTANCE": "postgres",
            "DAGSTER_HOME": str(dagster_home),
            "DAGSTER_PG_HOST": dagster_db_url.host or "127.0.0.1",
            "DAGSTER_PG_PORT": str(dagster_db_url.port or 5432),
            "DAGSTER_PG_USER": dagster_db_url.username or "postgres",
            "DAGSTER_PG_PASSWORD": dagster_db_url.password or "",
            "DAGSTER_PG_DB": dagster_db_url.database or "",
        }
    )
    return env


def celery_step_workers(events) -> dict[str, str]:
    """Step key -> the Celery node (name@host) that ran it, from the engine events that
    dagster-celery's worker task records when it starts a step ("Executing steps ... in celery
    worker", metadata "Celery worker")."""
    ran_on = {}
    for entry in events:
        event = entry.dagster_event
        if event is None or event.event_type_value != "ENGINE_EVENT":
            continue
        metadata = event.event_specific_data.metadata or {}
        if "Celery worker" in metadata:
            ran_on[event.step_key] = metadata["Celery worker"].value
    return ran_on
