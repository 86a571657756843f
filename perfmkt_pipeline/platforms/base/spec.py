"""`PlatformSpec`: everything the shared layers need to know about one source, in one object.

A platform's folder builds one spec (its `spec.py`) and the registry (platforms/__init__.py)
lists it. The Dagster wiring (defs/) builds the platform's resource, raw assets and retry
behaviour from the spec alone; the sandbox mounts its stand-in from it. Plain Python: nothing
here imports Dagster, and no platform is named here.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

if TYPE_CHECKING:
    from perfmkt_pipeline.config import Settings
    from perfmkt_pipeline.warehouse.engine import Warehouse


@dataclass(frozen=True)
class Credential:
    """One credential the platform's resource holds, read from `env_var` when a run starts (never
    when definitions load). `field` is the resource's attribute (its config key in Dagster).
    An optional credential is wired in only when its variable exists."""

    field: str
    env_var: str
    required: bool = True


@dataclass(frozen=True)
class RawAsset:
    """One raw table the platform's connector asset fills, and how the UI describes it. The asset
    key is ("raw", <table name>) unless `key` says otherwise."""

    table: sa.Table
    description: str
    key: tuple[str, ...] | None = None

    @property
    def asset_key(self) -> tuple[str, ...]:
        return self.key or (self.table.schema or "raw", self.table.name)


class Logger(Protocol):
    def info(self, msg: str) -> None: ...

    def warning(self, msg: str) -> None: ...


@dataclass(frozen=True)
class SyncRequest:
    """What a connector asset hands the platform's `sync`: the warehouse, the credentials (field
    -> value, optional ones None), the settings, the partition window and a logger."""

    warehouse: Warehouse
    credentials: Mapping[str, str | None]
    settings: Settings
    start: dt.date
    end: dt.date
    log: Logger


@dataclass(frozen=True)
class Landed:
    """What `sync` landed in one raw table, for the materialisation's metadata. Values are plain
    (numbers, strings); a dict or list value is shown as JSON."""

    key: tuple[str, ...]
    metadata: Mapping[str, Any]


# (request) -> what was landed, one entry per raw asset, in any order.
Sync = Callable[[SyncRequest], Iterator[Landed]]


@dataclass(frozen=True)
class Connector:
    """How the platform's raw landing is wired: one (multi-)asset named `asset_name` filling
    `raw_assets` through `sync`, in Dagster group `group`, shown with `kind`, its runs limited by
    the concurrency pool `pool`, needing the resource `resource_key` built from the spec's
    credentials."""

    asset_name: str
    raw_assets: tuple[RawAsset, ...]
    sync: Sync
    group: str
    kind: str
    pool: str
    resource_key: str
    # What the landing step does (the step's description in the UI).
    description: str = ""
    # What the credentials resource holds (its description in the UI).
    resource_description: str = ""
    # Whether a failed step is retried minutes later (defs/policies.SOURCE_RETRY): for a source
    # whose client does not bound its own outage budget.
    retry_on_failure: bool = False


@dataclass(frozen=True)
class RawTotals:
    """Where the raw rows' daily spend, impressions and clicks are (checked against core): the
    table, its date column, and its spend column (`micros`: in millionths of a unit)."""

    table: sa.Table
    spend: str
    micros: bool = False
    date: str = "date"
    impressions: str = "impressions"
    clicks: str = "clicks"


@dataclass(frozen=True)
class CoreMapping:
    """How the platform's raw rows become core rows. `read(conn, window)` returns its raw inputs
    for the window (a transform.core `PlatformRaw`: accounts, campaign names, and `core(rules)`)
    and the raw rows they cover (count, newest `loaded_at`). The tables say what the core asset
    depends on: the account rows, the daily rows, the rows naming campaigns; `totals` where raw
    spend, impressions and clicks are."""

    read: Callable[[sa.Connection, tuple[dt.date, dt.date]], tuple[Any, tuple[int, Any]]]
    accounts: sa.Table
    daily: tuple[sa.Table, ...]
    names: sa.Table
    totals: RawTotals


@dataclass(frozen=True)
class ErrorClasses:
    """How the platform's client classifies what stops it. `fatal`: a retry cannot help (bad
    credentials, permission, invalid request); `data`: a record that does not parse; a step
    failing with either fails at once instead of waiting out its retries. `retryable` names the
    errors the client itself retries (rate limits, 5xx, dropped connections), for reference."""

    fatal: tuple[type[BaseException], ...] = ()
    data: tuple[type[BaseException], ...] = ()
    retryable: tuple[type[BaseException], ...] = ()
    # Every error the client raises (their common base): its message names the source, account,
    # day or field, so the CLI prints it without a traceback.
    base: tuple[type[BaseException], ...] = ()

    @property
    def not_retryable(self) -> tuple[type[BaseException], ...]:
        return (*self.fatal, *self.data)


@dataclass(frozen=True)
class RequestBudget:
    """What the platform's API allows and what the pipeline spends: client-side pacing (calls a
    minute, None: none needed) and the most requests per account-day a backfill may make (the
    benchmarks' ceiling; None: not measured)."""

    calls_per_minute: float | None = None
    requests_per_account_day: float | None = None


@dataclass(frozen=True)
class StandIn:
    """The platform's sandbox stand-in, imported only when a sandbox starts.

    `app` names its class ("module:Class"). By default it is an HTTP app (a sandbox
    `PlatformApp`, built from the sandbox's world, faults, counters and credentials) that the
    sandbox serves on a loopback port, putting its base URL in `url_env_var`. With `server=True`
    it is a server of its own (gRPC, say), built from the same four plus `host=` and `port=`,
    with `start()`, `stop()` and `env()` (the variables pointing the pipeline at it); the
    sandbox can be started without it (`Sandbox(<name>=False)`). `env` names a function
    ("module:function") of the started sandbox giving the credentials and other variables the
    pipeline needs to call it. `port` is the port `perfmkt sandbox` binds for it (the bundled
    configuration, sandbox.yaml, names it).
    """

    app: str
    url_env_var: str | None = None
    server: bool = False
    env: str | None = None
    port: int | None = None

    def load(self) -> type:
        return _attribute(self.app)

    def environment(self, sandbox: Any) -> dict[str, str]:
        """The variables `env` gives for the started `sandbox` (none without it)."""
        return dict(_attribute(self.env)(sandbox)) if self.env else {}


def _attribute(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class PlatformSpec:
    """One source, described once.

    `config_section` is its attribute on `Settings` (and its YAML section); the platform counts
    as configured when that section says so (`configured`), and `accounts_field` is the
    section's list of explicitly configured accounts (`accounts_key` names what configures them,
    in messages). `endpoints` maps each of its `Settings.endpoints` keys to the environment
    variable overriding it (config.ENDPOINT_ENV_VARS). `lookback_days` is its restatement
    lookback: how far back a day may still change, so the days within it are not `settled`
    (`default_lookback_days` unless the settings say otherwise). `core` is the platform's core
    mapping (raw rows -> core rows, per grain), used by the core asset.
    """

    name: str
    channel: str
    config_section: str
    credentials: tuple[Credential, ...]
    raw_tables: tuple[sa.Table, ...]
    connector: Connector
    errors: ErrorClasses
    default_lookback_days: int
    budget: RequestBudget = RequestBudget()
    standin: StandIn | None = None
    core: CoreMapping | None = None
    # Why a re-read may return fewer rows than the window held (said when a load is refused).
    row_loss_reason: str = ""
    endpoints: Mapping[str, str] = field(default_factory=dict, compare=False)
    # Heavy client libraries the run's fork server imports once (defs/executor.py), so every
    # step process starts with them loaded.
    preload: tuple[str, ...] = ()
    accounts_field: str = "account_ids"
    accounts_key: str = "account_ids"

    def section(self, settings: Settings) -> Any:
        return getattr(settings, self.config_section)

    def configured(self, settings: Settings) -> bool:
        return bool(self.section(settings).configured)

    def account_ids(self, settings: Settings) -> list[str]:
        """The accounts the settings name explicitly (a manager's discovered ones are not)."""
        return list(getattr(self.section(settings), self.accounts_field))

    def lookback_days(self, settings: Settings) -> int:
        return int(getattr(self.section(settings), "lookback_days", self.default_lookback_days))

    @property
    def env_vars(self) -> tuple[str, ...]:
        return tuple(c.env_var for c in self.credentials)

    @property
    def required_env_vars(self) -> tuple[str, ...]:
        """The credentials' variables a configured platform cannot run without."""
        return tuple(c.env_var for c in self.credentials if c.required)

    @property
    def optional_env_vars(self) -> tuple[str, ...]:
        return tuple(c.env_var for c in self.credentials if not c.required)


def resolve(specs: Iterable[PlatformSpec]) -> dict[str, PlatformSpec]:
    """name -> spec, refusing two specs of one name."""
    found: dict[str, PlatformSpec] = {}
    for spec in specs:
        if not isinstance(spec, PlatformSpec):
            raise TypeError(f"not a PlatformSpec: {spec!r}")
        if spec.name in found:
            raise ValueError(f"platform {spec.name!r} is registered twice")
        found[spec.name] = spec
    return found
