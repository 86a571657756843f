"""`PlatformSpec`: everything the shared layers need to know about one source, in one object.

A platform's folder builds one spec (its `spec.py`) and the registry (platforms/__init__.py)
lists it. The Dagster wiring (defs/) builds the platform's resource, raw assets and retry
behaviour from the spec alone; the sandbox mounts its stand-in from it. Plain Python: nothing
here imports Dagster, and no platform is named here.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
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
class Endpoint:
    """One external endpoint of the platform: `url` is the real API (the default of its
    `Settings.endpoints` field), `env_var` the environment variable overriding it."""

    url: str
    env_var: str


@dataclass(frozen=True)
class RawAsset:
    """One raw table the platform's connector asset fills, and how the UI describes it: a text,
    or a function of the platform's settings section (a description that names a configured
    lookback). The asset key is ("raw", <table name>) unless `key` says otherwise."""

    table: sa.Table
    description: str | Callable[[Any], str]
    key: tuple[str, ...] | None = None

    @property
    def asset_key(self) -> tuple[str, ...]:
        return self.key or (self.table.schema or "raw", self.table.name)

    def describe(self, section: Any) -> str:
        return self.description(section) if callable(self.description) else self.description


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
    (numbers, strings); a dict or list value is shown as JSON, a pandas DataFrame as a preview of
    its first rows."""

    key: tuple[str, ...]
    metadata: Mapping[str, Any]


# (request) -> what was landed, one entry per raw asset, in any order.
Sync = Callable[[SyncRequest], Iterator[Landed]]


@dataclass(frozen=True)
class Connector:
    """How the platform's raw landing is wired: one multi-asset named `asset_name` filling
    `raw_assets` through `sync` (or, without `asset_name`, one asset for its one raw asset, its
    step named after the asset key), in Dagster group `group`, shown with `kind` (None: only
    the generic kinds), its runs limited by the concurrency pool `pool`, needing the resource
    `resource_key` built from the spec's credentials (None: a source without credentials)."""

    asset_name: str | None
    raw_assets: tuple[RawAsset, ...]
    sync: Sync
    group: str
    kind: str | None
    pool: str
    resource_key: str | None
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
class BelowCampaign:
    """How the platform's raw rows below the campaign (ad groups, ads, keywords) become core
    rows (issue #17). `read(conn, window)` returns a transform.core.below `BelowRaw` and the raw
    daily rows it covers (count, newest `loaded_at`); `daily` are the raw tables of its daily
    rows and `listings` those naming its ad groups and ads (the below-campaign asset's
    dependencies). `ads_equal_campaigns`: its ad rows sum to its campaign rows exactly;
    otherwise they may fall short for campaign types without ad rows (`uncovered_types`: types
    whose delivery the platform reports only per campaign), never exceed them. `campaign_types(conn, window)`: each
    campaign's type, for a platform with uncovered types ((account_id, campaign_id,
    campaign_type) rows)."""

    read: Callable[[sa.Connection, tuple[dt.date, dt.date]], tuple[Any, tuple[int, Any]]]
    daily: tuple[sa.Table, ...]
    listings: tuple[sa.Table, ...]
    ads_equal_campaigns: bool = True
    uncovered_types: tuple[str, ...] = ()
    campaign_types: Callable[[sa.Connection, tuple[dt.date, dt.date]], Any] | None = None


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
    # Ad groups, ads and keywords (None: the platform reports nothing below the campaign).
    below: BelowCampaign | None = None
    # The campaign statuses (core.campaigns.campaign_status, the platform's own words) that mean
    # someone stopped the campaign: the stopped_reporting anomaly rule leaves its silence alone.
    stopped_statuses: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ErrorClasses:
    """How the platform's client classifies what stops it. `fatal`: a retry cannot help (bad
    credentials, permission, invalid request); `data`: a record that does not parse; a step
    failing with either fails at once instead of waiting out its retries. `retryable` names the
    errors the client itself retries (rate limits, 5xx, dropped connections), for reference.
    `base`: the class every error of the client derives from; its message says what and where,
    so the CLI shows it without a traceback."""

    fatal: tuple[type[BaseException], ...] = ()
    data: tuple[type[BaseException], ...] = ()
    retryable: tuple[type[BaseException], ...] = ()
    # Every error the client raises (their common base): its message names the source, account,
    # day or field, so the CLI prints it without a traceback.
    base: tuple[type[BaseException], ...] = ()

    @property
    def not_retryable(self) -> tuple[type[BaseException], ...]:
        return (*self.fatal, *self.data)

    @property
    def expected(self) -> tuple[type[BaseException], ...]:
        """Every error class of the platform whose message is enough for an operator."""
        return (*self.base, *self.fatal, *self.data, *self.retryable)


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
    sandbox serves on a loopback port, putting its base URL (followed by `path`) in
    `url_env_var` (config.ENDPOINT_ENV_VARS). With `server=True` it is a server of its own
    (gRPC, say), built from the same four plus `host=` and `port=`, with `start()`, `stop()` and
    `env()` (the variables pointing the pipeline at it); the sandbox can be started without it
    (`Sandbox(<name>=False)`). `secrets` names a function ("module:function") of the started
    sandbox giving the values of the platform's credential variables that the stand-in accepts
    (and any other variable the pipeline needs to call it). `port` is the port `perfmkt
    sandbox` binds for it (the bundled configuration, sandbox.yaml, names it). `sandbox` names
    the platform's part of the sandbox ("module:OBJECT", a sandbox/parts.py `SandboxPart`): its
    accounts in the sandbox world, its rows for the ground truth, its fault switches and the
    credentials its stand-in accepts.
    """

    app: str
    url_env_var: str | None = None
    path: str = ""
    secrets: str | None = None
    server: bool = False
    port: int | None = None
    sandbox: str | None = None

    def secret_values(self, sandbox: Any) -> dict[str, str]:
        """The variables `secrets` gives for the started `sandbox` (none without it)."""
        return dict(_attribute(self.secrets)(sandbox)) if self.secrets else {}

    def load(self) -> type:
        return _attribute(self.app)


def _attribute(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True, eq=False)
class Actions:
    """A source of affiliate actions: it lands them in `table` (raw.affiliate_actions,
    platforms/base/affiliates) and its core rows are made from their latest state. `statuses`
    maps its own status words to pending | approved | reversed."""

    table: sa.Table
    statuses: Mapping[str, str]


@dataclass(frozen=True)
class PlatformSpec:
    """One source, described once.

    `config_section` is its attribute on `Settings` (and its YAML section; None: a source
    without settings, always on), `settings` the section's model (a config.Section subclass,
    whose defaults a section left out takes; or a list of them): config.settings_model makes it
    a field of the settings. The platform counts as configured when that section says so
    (`configured`). A source configured several times (a list of sections, such as one file
    feed per entry) gives one spec per configured instance through `expand`, each reading its
    own section (`settings_of`) under its own name: the registry's `configured` lists the
    instances. `accounts_of` gives the accounts a section names explicitly (default: its
    `account_ids`; a manager's discovered ones are not), `accounts_key` what configures them, in
    messages. `endpoints` names each of its `Settings.endpoints` keys: its default URL and the
    environment variable overriding it (config.ENDPOINT_ENV_VARS). `expected_lag_days`: how
    many days its newest loaded day may trail the day a freshness check runs for (None: not
    checked). `lookback_days` is its restatement lookback: how far back a day may still change,
    so the days within it are not `settled` (`default_lookback_days` unless the settings say
    otherwise). `core` is the platform's core mapping (raw rows -> core rows, per grain), used
    by the core asset; `actions` marks a source of affiliate actions. `migrations` is a folder
    of Alembic migrations creating its own raw tables, a branch of its own
    (warehouse/migrate.py).
    """

    name: str
    channel: str
    config_section: str | None
    credentials: tuple[Credential, ...]
    raw_tables: tuple[sa.Table, ...]
    connector: Connector
    errors: ErrorClasses
    default_lookback_days: int
    budget: RequestBudget = RequestBudget()
    standin: StandIn | None = None
    core: CoreMapping | None = None
    actions: Actions | None = None
    # Why a re-read may return fewer rows than the window held (said when a load is refused).
    row_loss_reason: str = ""
    endpoints: Mapping[str, Endpoint] = field(default_factory=dict, compare=False)
    settings: Any = None
    expected_lag_days: int | None = None
    # An FX source: the currencies its rates convert, its base included (config.known_currencies).
    currencies: frozenset[str] = frozenset()
    # A folder of Alembic migrations creating the platform's own raw tables: a branch of its
    # own (warehouse/migrate.py); None: its tables are the built-in migrations'.
    migrations: str | Path | None = None
    # Heavy client libraries the run's fork server imports once (defs/executor.py), so every
    # step process starts with them loaded.
    preload: tuple[str, ...] = ()
    # Its section of the example configuration (`perfmkt example-config`): a file of YAML
    # whose comments document each key, usually its folder's example.yaml; None: no section.
    example: Traversable | None = None
    # A source configured several times: settings -> one spec per configured instance.
    expand: Callable[[Settings], list[PlatformSpec]] | None = None
    # An instance's own section of the settings (default: the attribute `config_section`).
    settings_of: Callable[[Settings], Any] | None = None
    # The account ids a section configures (default: its `account_ids`).
    accounts_of: Callable[[Any], Sequence[str]] | None = None
    # What configures the accounts, as named in messages.
    accounts_key: str = "account_ids"
    # The section configuring only some of the accounts `accounts_of` gives (default: its
    # `account_ids` replaced by them): what one step of the account fan-out reads
    # (executor.accounts_per_step, defs/connectors.py).
    with_accounts: Callable[[Any, Sequence[str]], Any] | None = None

    def section(self, settings: Settings) -> Any:
        if self.settings_of is not None:
            return self.settings_of(settings)
        return None if self.config_section is None else getattr(settings, self.config_section)

    def configured(self, settings: Settings) -> bool:
        if self.expand is not None:
            return bool(self.expand(settings))
        if self.config_section is None and self.settings_of is None:
            return True
        return bool(getattr(self.section(settings), "configured", True))

    def instances(self, settings: Settings) -> list[PlatformSpec]:
        """The configured instances of this source: itself when configured, none when not; a
        source configured several times one spec per instance (`expand`)."""
        if self.expand is not None:
            return self.expand(settings)
        return [self] if self.configured(settings) else []

    def account_ids(self, settings: Settings) -> list[str]:
        """The accounts the settings configure for this source (none for one without)."""
        section = self.section(settings)
        if section is None or self.expand is not None:
            return []
        if self.accounts_of is not None:
            return list(self.accounts_of(section))
        return list(section.account_ids)

    def can_fan_out(self) -> bool:
        """Whether the accounts can be split over steps: a source with a settings section of its
        own (not one configured several times, each instance its one account)."""
        return self.config_section is not None and self.expand is None and self.settings_of is None

    def settings_for_accounts(self, settings: Settings, accounts: Sequence[str]) -> Settings:
        """`settings` with this source's section configuring only `accounts` (of those
        `account_ids` gives): one step of the account fan-out syncs with it."""
        if not self.can_fan_out():
            raise ValueError(f"platform {self.name!r}: its accounts cannot be split over steps")
        section = self.section(settings)
        if self.with_accounts is not None:
            narrowed = self.with_accounts(section, accounts)
        else:
            narrowed = section.model_copy(update={"account_ids": list(accounts)})
        return settings.model_copy(update={self.config_section: narrowed})

    def lookback_days(self, settings: Settings) -> int:
        section = self.section(settings)
        return int(getattr(section, "lookback_days", self.default_lookback_days))

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
