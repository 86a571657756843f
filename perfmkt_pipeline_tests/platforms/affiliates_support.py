"""Helpers for the affiliate connector tests: a fake clock, a log collector, and cassettes.

Cassettes replay by default. `PERFMKT_RECORD_CASSETTES=1 pytest perfmkt_pipeline_tests/platforms/
-k "impact or cj or awin or http"` records them afresh from an in-process sandbox with the faults
each test names, scrubbed by `recording.recorder`. Replayed requests go to an address that is never contacted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from perfmkt_pipeline.platforms.base.http import Clock, HttpClient, RetryPolicy
from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.sandbox.world import World
from perfmkt_pipeline_tests.recording import CASSETTES, recorder
from perfmkt_pipeline_tests.sandbox_fixtures import AS_OF

RECORD_ENV_VAR = "PERFMKT_RECORD_CASSETTES"
RECORDING = os.environ.get(RECORD_ENV_VAR) == "1"
REPLAY_URL = "http://127.0.0.1:9"  # the discard port: replay never opens a connection
# The sandbox world's accounts (WorldSpec.small).
IMPACT_SID = "IRsbxAcme0000000000000000000000001"
IMPACT_PROGRAM = "12345"
IMPACT_ZONE = "America/New_York"
CJ_ACCOUNT = "5551234"
AWIN_ACCOUNT = "45678"
# Every draw of the injected randomness: jitter is then exact (advised waits x 1.05, backoff
# base x 2^n x 0.75).
DRAW = 0.5


def world(as_of: dt.date = AS_OF) -> World:
    """The sandbox's world without a server: what it serves and its ground truth."""
    return World(WorldSpec.small(), as_of=as_of)


@dataclass
class FakeClock:
    """Time that only moves when something sleeps; every sleep is recorded."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(round(seconds, 9))
        self.now += seconds

    def clock(self) -> Clock:
        return Clock(
            sleep=self.sleep, monotonic=self.monotonic, wall=lambda: 1.8e9, random=lambda: DRAW
        )


@dataclass
class ListLogger:
    """Collects what the client logs (the calls Dagster's context.log accepts)."""

    lines: list[tuple[str, str]] = field(default_factory=list)

    def info(self, message: str) -> None:
        self.lines.append(("info", message))

    def warning(self, message: str) -> None:
        self.lines.append(("warning", message))

    def text(self) -> str:
        return "\n".join(message for _, message in self.lines)


def http(
    network: str,
    clock: FakeClock,
    log: ListLogger | None = None,
    *,
    calls_per_minute: float | None = None,
    max_retries: int = 3,
) -> HttpClient:
    return HttpClient(
        network,
        policy=RetryPolicy(max_retries=max_retries, base_seconds=1.0, max_seconds=60.0),
        calls_per_minute=calls_per_minute,
        clock=clock.clock(),
        log=log or ListLogger(),
    )


@dataclass(frozen=True)
class Target:
    """Where a test's client points, and the credentials it sends."""

    url: str
    credentials: SandboxCredentials
    cassette: object  # the vcrpy cassette (play_count, requests)


@contextlib.contextmanager
def cassette(
    platform: str, name: str, *, cj_page_size: int | None = None, **faults: object
) -> Iterator[Target]:
    """Replay cassettes/<platform>/<name>.yaml; when recording, serve it from a sandbox with
    `faults` set for `platform` (and the CJ stand-in's page size, to make paging visible)."""
    credentials = SandboxCredentials()
    if not RECORDING:
        with recorder(platform).use_cassette(f"{name}.yaml") as tape:
            yield Target(REPLAY_URL, credentials, tape)
        return
    path = CASSETTES / platform / f"{name}.yaml"
    path.unlink(missing_ok=True)
    with Sandbox(as_of=AS_OF, google_ads=False, credentials=credentials) as box:
        box.faults.set(platform, **faults)
        if cj_page_size:
            box.apps["cj"].page_size = cj_page_size
        with recorder(platform, "all").use_cassette(f"{name}.yaml") as tape:
            yield Target(box.url(platform), credentials, tape)


def statuses(client: HttpClient) -> list[int]:
    """The HTTP status of every response the client receives from now on, in order."""
    seen: list[int] = []
    client.session.hooks["response"].append(lambda r, *args, **kwargs: seen.append(r.status_code))
    return seen
