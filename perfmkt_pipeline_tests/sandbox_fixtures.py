"""Shared sandbox fixtures for connector tests (import them explicitly in a test module:
`from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401`).

`sandbox` is a factory: `sandbox(**kwargs)` starts a `Sandbox` on free loopback ports with a
fixed as-of date and no faults, and stops it when the test ends. `sandbox_env` points the
pipeline at a started sandbox through environment variables (undone after the test).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date

import pytest

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.platforms.base.spec import SyncRequest
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.warehouse.engine import Warehouse

# Tests never use today's date: the sandbox world is pinned here unless a test says otherwise.
AS_OF = date(2026, 11, 20)


@pytest.fixture
def sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Factory of started sandboxes (keyword arguments go to `Sandbox`; as_of defaults to AS_OF)."""
    started: list[Sandbox] = []

    def start(**kwargs) -> Sandbox:
        kwargs.setdefault("as_of", AS_OF)
        box = Sandbox(**kwargs).start()
        box.faults.clear()
        box.counters.reset()
        started.append(box)
        return box

    yield start
    for box in started:
        box.stop()


def sandbox_env(monkeypatch: pytest.MonkeyPatch, box: Sandbox) -> dict[str, str]:
    """Set the sandbox's environment variables for the rest of the test; returns them."""
    env = box.env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def sync_into(
    warehouse: Warehouse,
    env: Mapping[str, str],
    settings: Settings,
    names: Iterable[str],
    start: dt.date,
    end: dt.date,
) -> None:
    """Each named platform's own sync of [start, end] (its connector, as its raw asset runs it)
    into `warehouse`, with the credentials its environment variables give."""
    for name in names:
        spec = platforms.get(name)
        credentials = {c.field: env.get(c.env_var) for c in spec.credentials}
        request = SyncRequest(warehouse, credentials, settings, start, end, logging.getLogger())
        list(spec.connector.sync(request))
