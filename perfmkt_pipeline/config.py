"""Typed project settings, loaded from one YAML file.

The file lives at ``$PERFMKT_CONFIG`` (default ``./perfmkt.yaml``); when neither exists the bundled
sandbox configuration is used, so a fresh clone runs against the local stand-ins. Every external
endpoint can be overridden by an environment variable. Secrets are never read from here: they come
from environment variables only (see ``SECRET_ENV_VARS``) and are checked by
``missing_secrets`` when a run starts, not when definitions load.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

CONFIG_ENV_VAR = "PERFMKT_CONFIG"
DEFAULT_CONFIG_PATH = Path("perfmkt.yaml")
WAREHOUSE_URL_ENV_VAR = "PERFMKT_WAREHOUSE_URL"
DEFAULT_WAREHOUSE_URL = "duckdb:///data/perfmkt.duckdb"


def _specs() -> list[Any]:
    """The registered platforms' specs (platforms/__init__.py), asked when a value derived from
    them is first used: a platform's spec imports this module, so it cannot be asked at import."""
    from perfmkt_pipeline import platforms

    return platforms.all_specs()


class Derived(Mapping[str, Any]):
    """A read-only mapping computed from the registry each time it is read (a plug-in platform
    registered later is included)."""

    def __init__(self, build: Callable[[], Mapping[str, Any]]):
        self._build = build

    def __getitem__(self, key: str) -> Any:
        return self._build()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._build())

    def __len__(self) -> int:
        return len(self._build())

    def __repr__(self) -> str:
        return repr(dict(self._build()))


class DerivedTuple(Sequence[str]):
    """A read-only sequence computed from the registry each time it is read."""

    def __init__(self, build: Callable[[], tuple[str, ...]]):
        self._build = build

    def __getitem__(self, index):  # type: ignore[override]
        return self._build()[index]

    def __len__(self) -> int:
        return len(self._build())

    def __repr__(self) -> str:
        return repr(self._build())


# `Endpoints` key -> environment variable overriding that endpoint: each registered platform's
# (its spec's `endpoints`).
ENDPOINT_ENV_VARS: Mapping[str, str] = Derived(
    lambda: {key: endpoint.env_var for spec in _specs() for key, endpoint in spec.endpoints.items()}
)

# Secrets each platform needs once it has accounts configured (its spec's required
# credentials); only ever read from the environment.
SECRET_ENV_VARS: Mapping[str, tuple[str, ...]] = Derived(
    lambda: {spec.name: spec.required_env_vars for spec in _specs()}
)
# Optional secrets: used when set, never required (the registered platforms' optional
# credentials).
OPTIONAL_SECRET_ENV_VARS: Sequence[str] = DerivedTuple(
    lambda: tuple(var for spec in _specs() for var in spec.optional_env_vars)
)

# Each platform's restatement window (its spec's `default_lookback_days`, documented in
# PLATFORMS.md): how far back the daily sync re-pulls by default, and after which a day counts
# as settled.
DEFAULT_LOOKBACK_DAYS: Mapping[str, int] = Derived(
    lambda: {spec.name: spec.default_lookback_days for spec in _api_specs()}
)
# Freshness: how many days the newest loaded day of each platform may trail the day a check
# runs for, unless alerts.freshness.lag_days says otherwise (its spec's `expected_lag_days`).
DEFAULT_EXPECTED_LAG_DAYS: Mapping[str, int] = Derived(
    lambda: {
        spec.name: spec.expected_lag_days
        for spec in _api_specs()
        if spec.expected_lag_days is not None
    }
)


def reserved_platform_names() -> frozenset[str]:
    """Names an instance of a source configured several times (a file feed) may not take:
    every registered platform's with a settings section of its own."""
    return frozenset(spec.name for spec in _api_specs())


def _api_specs() -> list[Any]:
    """The registered platforms with a settings section of their own (not the sources without
    one, nor those configured several times), in registry order."""
    return [spec for spec in _specs() if spec.config_section is not None and spec.expand is None]


class ConfigError(ValueError):
    """The configuration file is missing something or holds a bad value; the message names the key."""


class _Unusable(ValueError):
    """Sections that are present but cannot be used: one "key: problem" line each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class _Model(BaseModel):
    """Base for every settings model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Currency = Annotated[str, Field(min_length=3, max_length=3)]
LookbackDays = Annotated[int, Field(ge=1, le=120)]
# Below 100: an empty answer for a window that held rows is always a loss (allow_row_loss loads it).
RowLossPct = Annotated[float, Field(ge=0, lt=100)]


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (an IANA name such as 'Europe/Berlin')"
        ) from None
    return value


def known_currencies() -> frozenset[str]:
    """The currencies the registered FX source converts (its spec's `currencies`). A reporting
    or account currency outside them could never be converted, so it is rejected at load."""
    return frozenset(code for spec in _specs() for code in spec.currencies)


def rates_source_name() -> str:
    """The registered FX source's name as messages give it: its spec's name in capitals."""
    return " / ".join(spec.name.upper() for spec in _specs() if spec.currencies)


def check_currency(value: str) -> str:
    code = value.upper()
    if code not in known_currencies():
        raise ValueError(
            f"unknown currency code {value!r} ({rates_source_name()} reference currencies only)"
        )
    return code


class Section(_Model):
    """Base of a platform's settings section (its spec's `settings`): unknown keys are errors,
    values are immutable. A section left out of the file takes its defaults; one given counts
    only when `configured`, and `problems` says what makes a given one unusable."""

    @property
    def configured(self) -> bool:
        return True

    def problems(self, name: str) -> list[str]:
        """What makes this section, given in the file under `name`, unusable: one "key:
        problem" line each (an account it cannot be asked about, nothing to read)."""
        return []


class AccountsSection(Section):
    """A section that reads the accounts it lists (`account_ids`): given without any, it is
    unusable."""

    account_ids: list[str] = []

    @property
    def configured(self) -> bool:
        return bool(self.account_ids)

    def problems(self, name: str) -> list[str]:
        if self.configured:
            return []
        return [
            f"{name}.account_ids: no account listed (list the accounts to read, or delete the "
            f"{name} section)"
        ]


class Endpoints(_Model):
    """Every external endpoint: one field per key of a registered platform's `endpoints`,
    defaulting to the real API (`endpoints_model()` adds them)."""


# --- first-party orders -----------------------------------------------------------------------

# Our fields of an order -> what each means (README "First-party orders"); the source's column
# for each is configuration (`orders[].columns`).
ORDER_FIELDS = (
    "order_id",  # the shop's order id (required)
    "ordered_at",  # when the order was placed (required); naive values are in `timezone`
    "order_timezone",  # optional: a column naming the IANA zone of that order's naive times
    "updated_at",  # when the shop last changed the order (required: incremental reads)
    "revenue",  # the order's amount (required); negative only on a refund row
    "refunded",  # optional: the amount refunded so far (revenue_local = revenue - refunded)
    "currency",  # ISO 4217 (required unless the source's `currency` is set)
    "status",  # the shop's status word, mapped by `status_map` (required)
    "customer_id",
    "is_new_customer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "landing_url",  # optional: UTM parameters not mapped to columns of their own are read here
)
OrderField = Literal[
    "order_id", "ordered_at", "order_timezone", "updated_at", "revenue", "refunded", "currency",
    "status", "customer_id", "is_new_customer", "utm_source", "utm_medium", "utm_campaign",
    "utm_content", "utm_term", "landing_url",
]  # fmt: skip
REQUIRED_ORDER_FIELDS = ("order_id", "ordered_at", "updated_at", "revenue", "status")
DEFAULT_ORDERS_URL_ENV_VAR = "PERFMKT_ORDERS_URL"
_ENV_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class OrderSqlSettings(_Model):
    """Orders read with a query against any SQLAlchemy URL (the shop's database or a replica),
    read-only, incremental by `updated_at`, streamed in chunks."""

    # The environment variable holding the URL (it may carry a password: never in the file).
    url_env: str = DEFAULT_ORDERS_URL_ENV_VAR
    # Exactly one: a table (`name` or `schema.name`) or a SELECT whose columns the mapping names.
    table: str | None = None
    query: str | None = None
    # Rows fetched, validated and landed at a time (memory stays at one chunk).
    chunk_rows: Annotated[int, Field(ge=100, le=1_000_000)] = 20_000
    # Seconds to wait for a connection to the shop's database.
    connect_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0

    @field_validator("url_env")
    @classmethod
    def _url_env(cls, value: str) -> str:
        if not _ENV_VAR_NAME.match(value):
            raise ValueError(f"{value!r} is not an environment variable name (A-Z, 0-9, _)")
        return value

    @field_validator("table")
    @classmethod
    def _table(cls, value: str | None) -> str | None:
        if value is not None and not re.match(
            r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$", value
        ):
            raise ValueError(f"{value!r} is not a table name (name or schema.name)")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> OrderSqlSettings:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table and query")
        return self


class OrderFilesSettings(_Model):
    """Orders read from CSV or Parquet exports (a file, a folder or a glob)."""

    location: str  # a file, a folder (every .csv / .parquet in it) or a glob such as /x/*.csv
    # strptime format of the time columns; None: ISO 8601 (an offset, if any, is honoured).
    timestamp_format: str | None = None
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] = ","
    # The same order with the same update time twice in one file: "error" fails the run naming
    # the file, line and order; "warn" keeps the later line and logs how many.
    duplicates: Literal["error", "warn"] = "error"


class OrderSourceSettings(_Model):
    """One first-party orders source: a SQL query or a file feed, with its column mapping."""

    name: str  # core.orders.source
    sql: OrderSqlSettings | None = None
    files: OrderFilesSettings | None = None
    # Our field -> the source's column.
    columns: dict[OrderField, str]
    # The shop's status word -> placed | refunded | cancelled (exact match, as sent).
    status_map: dict[str, Literal["placed", "refunded", "cancelled"]]
    # The currency of every order when no currency column is mapped.
    currency: Currency | None = None
    # IANA zone of naive times (ordered_at, updated_at) without an `order_timezone` column.
    timezone: str = "UTC"
    # Each run re-reads the orders changed in this many days before its range (refunds and
    # cancellations of older orders); a day this old counts as settled.
    lookback_days: LookbackDays = 30

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _SOURCE_NAME.match(value):
            raise ValueError(f"{value!r} must be lower_snake_case (2-31 characters)")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else check_currency(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)

    @model_validator(mode="after")
    def _usable(self) -> OrderSourceSettings:
        if (self.sql is None) == (self.files is None):
            raise ValueError("give exactly one of sql and files")
        missing = [f for f in REQUIRED_ORDER_FIELDS if f not in self.columns]
        if missing:
            raise ValueError(f"columns must map {missing}")
        if "currency" not in self.columns and self.currency is None:
            raise ValueError("map a currency column or set the source's currency")
        if not self.status_map:
            raise ValueError("status_map maps no status word: every order would be refused")
        return self

    @property
    def kind(self) -> str:
        return "sql" if self.sql is not None else "files"


# --- alerts: freshness, anomalies, notifications ---------------------------------------------

# Secrets of the notification channels, read from the environment only (as Dagster EnvVars, when
# the notification sensor runs). Their presence is checked when definitions load and by
# `perfmkt check-config`, so a misconfigured channel fails at start-up, not at the first alert.
CHANNEL_SECRET_ENV_VARS = {
    "slack": "SLACK_BOT_TOKEN",
    "teams": "TEAMS_WEBHOOK_URL",
    "webhook": "PERFMKT_ALERT_WEBHOOK_URL",
    "email": "PERFMKT_SMTP_PASSWORD",  # only when `email.username` is set
}
_EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HTTP_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
Seconds = Annotated[float, Field(gt=0, le=600)]


def _check_http_url(value: str) -> str:
    if not _HTTP_URL.match(value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class FreshnessSettings(_Model):
    # Platform or file feed name -> days the newest loaded day may trail the day checked;
    # unnamed platforms keep DEFAULT_EXPECTED_LAG_DAYS (feeds DEFAULT_FILE_FEED_LAG_DAYS).
    lag_days: dict[str, Annotated[int, Field(ge=0, le=60)]] = {}


class AnomalySettings(_Model):
    """Thresholds of the anomaly rules on the marts (transform/anomalies.py)."""

    # Trailing days a day is compared with, and the fewest of them with data before a day's
    # spend is judged at all.
    history_days: Annotated[int, Field(ge=7, le=120)] = 28
    min_history_days: Annotated[int, Field(ge=3, le=120)] = 21
    # Spend is an outlier beyond median +- threshold x spread, where spread is 1.4826 x MAD
    # (the standard deviation for normal data) but at least `spend_min_spread` x median.
    spend_threshold: Annotated[float, Field(gt=0, le=100)] = 8.0
    spend_min_spread: Annotated[float, Field(ge=0, le=10)] = 0.15
    # Zero conversions or silence count only for an account (campaign) whose trailing median
    # of daily conversions is at least this: for a small one they are ordinary.
    min_daily_conversions: Annotated[float, Field(ge=0)] = 5.0
    # Days in a row with spend and zero conversions before tracking counts as broken.
    broken_tracking_days: Annotated[int, Field(ge=1, le=30)] = 3
    # An account or campaign "was spending" when it spent on each of the days before.
    active_days: Annotated[int, Field(ge=1, le=60)] = 7
    # Days in a row without spend before an active account / campaign counts as stopped.
    account_silent_days: Annotated[int, Field(ge=1, le=30)] = 1
    campaign_silent_days: Annotated[int, Field(ge=1, le=30)] = 3

    @model_validator(mode="after")
    def _history(self) -> AnomalySettings:
        if self.min_history_days > self.history_days:
            raise ValueError("min_history_days must not exceed history_days")
        return self


class SlackSettings(_Model):
    channel: Annotated[str, Field(min_length=1)]  # "#alerts" or a channel id
    # Slack Web API base; only a proxy or a test stand-in changes it.
    api_url: str = "https://slack.com/api/"
    timeout_seconds: Seconds = 30.0

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _check_http_url(value)


class TeamsSettings(_Model):
    timeout_seconds: Seconds = 30.0


class WebhookSettings(_Model):
    timeout_seconds: Seconds = 30.0


class EmailSettings(_Model):
    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str
    recipients: Annotated[list[str], Field(min_length=1)]
    # Set: log in as this user with the password in $PERFMKT_SMTP_PASSWORD.
    username: str | None = None
    timeout_seconds: Seconds = 30.0

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not _EMAIL_ADDRESS.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _EMAIL_ADDRESS.match(value):
                raise ValueError(f"{value!r} is not an e-mail address")
        return values


class NotifySettings(_Model):
    """Where run failures and check warnings go; none configured: printed (the sensor's log)."""

    slack: SlackSettings | None = None
    teams: TeamsSettings | None = None
    webhook: WebhookSettings | None = None
    email: EmailSettings | None = None
    # How often the notification sensor looks for new failures and warnings.
    interval_seconds: Annotated[int, Field(ge=5, le=3600)] = 15

    def channels(self) -> list[str]:
        return [name for name in CHANNEL_SECRET_ENV_VARS if getattr(self, name) is not None]

    def secret_env_vars(self) -> dict[str, str]:
        """Channel -> the environment variable holding its secret, for configured channels."""
        return {
            name: CHANNEL_SECRET_ENV_VARS[name]
            for name in self.channels()
            if name != "email" or (self.email is not None and self.email.username)
        }


class AlertSettings(_Model):
    # Base URL of the Dagster webserver, for the run links in notifications.
    webserver_url: str = "http://127.0.0.1:3000"
    freshness: FreshnessSettings = FreshnessSettings()
    anomalies: AnomalySettings = AnomalySettings()
    notify: NotifySettings = NotifySettings()

    @field_validator("webserver_url")
    @classmethod
    def _webserver_url(cls, value: str) -> str:
        return _check_http_url(value).rstrip("/")


# --- the executor: where a run's steps execute ------------------------------------------------

# The Celery broker and result backend of `executor.kind: celery`, read from the environment by
# the run worker and by every Celery worker (they may hold passwords, so never in the file).
CELERY_BROKER_ENV_VAR = "PERFMKT_CELERY_BROKER_URL"
CELERY_BACKEND_ENV_VAR = "PERFMKT_CELERY_BACKEND_URL"
# dagster-celery's own default backend: results travel back through the broker (RPC), so no
# store beside it is needed.
DEFAULT_CELERY_BACKEND_URL = "rpc://"
# Executors whose steps may run on other machines: they need a warehouse every machine reaches.
MULTI_MACHINE_EXECUTORS = ("celery", "k8s")
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# Kubernetes object names (RFC 1123 labels): namespaces, secrets, config maps, service accounts.
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _check_k8s_name(value: str) -> str:
    if not _K8S_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a Kubernetes name (lower-case letters, digits and '-', "
            "at most 63 characters)"
        )
    return value


class CelerySettings(_Model):
    """dagster-celery: every step is a Celery task on `queue`, run by whichever worker takes it."""

    # The queue steps are sent to; `perfmkt worker` (make worker) listens on it by default.
    queue: str = "perfmkt"

    @field_validator("queue")
    @classmethod
    def _queue(cls, value: str) -> str:
        if not _QUEUE_NAME.match(value):
            raise ValueError(f"{value!r} is not a queue name (letters, digits, '_', '.', '-')")
        return value


class K8sSettings(_Model):
    """dagster-k8s' job executor: every step is a Kubernetes Job of its own, in `namespace`,
    running `image` (the code location's image, deploy/Dockerfile)."""

    image: Annotated[str, Field(min_length=1)]
    namespace: str
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    # The pods' service account; None: the namespace's default.
    service_account_name: str | None = None
    # Secrets and config maps whose keys become environment variables of every step pod (the
    # platforms' secrets, PERFMKT_WAREHOUSE_URL, the DAGSTER_PG_* variables).
    env_secrets: list[str] = []
    env_config_maps: list[str] = []

    @field_validator("namespace", "service_account_name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return value if value is None else _check_k8s_name(value)

    @field_validator("env_secrets", "env_config_maps")
    @classmethod
    def _names(cls, values: list[str]) -> list[str]:
        return [_check_k8s_name(value) for value in values]


class ExecutorSettings(_Model):
    # multiprocess: one machine (defs/executor.py); celery: Celery workers on any machines;
    # k8s: one Kubernetes Job per step.
    kind: Literal["multiprocess", "celery", "k8s"] = "multiprocess"
    celery: CelerySettings | None = None
    k8s: K8sSettings | None = None
    # Account fan-out: platform -> at most this many of its configured accounts a step
    # (defs/connectors.py), so that any executor can place a platform's steps on different
    # workers. A platform not named reads all its accounts in one step.
    accounts_per_step: dict[str, Annotated[int, Field(ge=1)]] = {}
    # kind multiprocess: a run over at most this many days (its partitions) executes all its
    # steps in the run's own process, one after another (Dagster's in-process executor), instead
    # of forking a server and a process per step, which costs more CPU than a small run's data
    # work (issue #18); 0: never. A longer run, or one without partitions, forks as before.
    in_process_max_days: Annotated[int, Field(ge=0)] = 1

    @field_validator("accounts_per_step")
    @classmethod
    def _fan_out_platforms(cls, values: dict[str, int]) -> dict[str, int]:
        known = {spec.name for spec in _api_specs()}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a platform with accounts of its own (one of "
                f"{', '.join(sorted(known))})"
            )
        return values

    @model_validator(mode="after")
    def _sections_match_kind(self) -> ExecutorSettings:
        problems = []
        if self.kind == "k8s" and self.k8s is None:
            problems.append(
                "executor.k8s: executor.kind is k8s but the section is missing (it names the "
                "image and the namespace of the step pods)"
            )
        for name in ("celery", "k8s"):
            if getattr(self, name) is not None and self.kind != name:
                problems.append(
                    f"executor.{name}: given, but executor.kind is {self.kind} (set kind: "
                    f"{name}, or delete the section)"
                )
        if "in_process_max_days" in self.model_fields_set and self.kind != "multiprocess":
            problems.append(
                f"executor.in_process_max_days: given, but executor.kind is {self.kind}, whose "
                "steps always run on its workers (set kind: multiprocess, or delete the key)"
            )
        if problems:
            raise _Unusable(problems)
        return self

    @property
    def celery_settings(self) -> CelerySettings:
        return self.celery or CelerySettings()


class Settings(_Model):
    """The settings shared by every platform. Each registered platform's section (its spec's
    `settings`, under its `config_section`) is a field of the model `settings_model()` builds on
    this one from the registry, as are its endpoints' fields of `endpoints`: parse_settings
    gives an instance of it (`settings.<section>`)."""

    reporting_currency: Currency = "USD"
    start_date: dt.date
    endpoints: Endpoints = Endpoints()
    # Cron for the daily sync, in `schedule_timezone`.
    schedule_cron: str = "0 6 * * *"
    schedule_timezone: str = "UTC"
    # Steps of one run executed at once, each in a process of its own (defs/executor.py). Source
    # steps mostly wait on the platforms, so more than the machine's cores pays off.
    max_concurrent_steps: Annotated[int, Field(ge=1, le=64)] = 8
    executor: ExecutorSettings = ExecutorSettings()
    alerts: AlertSettings = AlertSettings()
    # The day an order falls on (core.orders.date, marts.blended_daily, marts.utm_daily).
    business_timezone: str = "UTC"
    # First-party orders sources (the shop's own database or its exports).
    orders: list[OrderSourceSettings] = []

    @field_validator("reporting_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)

    @field_validator("business_timezone")
    @classmethod
    def _business_timezone(cls, value: str) -> str:
        return check_timezone(value)

    @model_validator(mode="after")
    def _unique_order_sources(self) -> Settings:
        names = [source.name for source in self.orders]
        if len(names) != len(set(names)):
            raise ValueError("orders: source names must be unique")
        return self

    @model_validator(mode="after")
    def _known_lag_platforms(self) -> Settings:
        known = {
            *reserved_platform_names(),
            *(instance.name for spec in _specs() if spec.expand for instance in spec.expand(self)),
        }
        unknown = sorted(set(self.alerts.freshness.lag_days) - known)
        if unknown:
            raise ValueError(
                f"alerts.freshness.lag_days: {unknown} name neither a platform nor a file feed"
            )
        return self

    @model_validator(mode="after")
    def _sections_given_are_usable(self) -> Settings:
        """A platform section that is present reads something: without accounts (or with an
        account its API cannot be asked about) it is an error, not a platform silently left
        out. A platform not used is a section left out."""
        problems = []
        given = self.model_fields_set
        for name in [spec.config_section for spec in _api_specs()]:
            section = getattr(self, name)
            if name in given and isinstance(section, Section):
                problems += section.problems(name)
        if problems:
            raise _Unusable(problems)
        return self

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Settings:  # type: ignore[override]
        """Validated by the registry's model (`settings_model`) when asked of `Settings`."""
        if cls is Settings:
            return settings_model().model_validate(obj, **options)
        return super().model_validate(obj, **options)

    def __reduce__(self) -> tuple[Any, ...]:
        # The registry's model is made at run time: a copy is validated again by its model.
        return (_restore, (self.model_dump(exclude_unset=True),))

    def configured_platforms(self) -> list[str]:
        """API platforms that have at least one account configured, in registry order (not the
        sources without a section of their own, FX, nor those configured several times, file
        feeds)."""
        return [spec.name for spec in _api_specs() if spec.configured(self)]

    def expected_lags(self) -> dict[str, int]:
        """Every configured platform and file feed -> the days its newest loaded day may trail
        the day checked (alerts.freshness.lag_days over the defaults)."""
        from perfmkt_pipeline import platforms

        defaults = {
            spec.name: spec.expected_lag_days
            for spec in platforms.configured(self)
            if spec.expected_lag_days is not None
        }
        overrides = self.alerts.freshness.lag_days
        return {name: overrides.get(name, lag) for name, lag in defaults.items()}


def _restore(data: dict[str, Any]) -> Settings:
    return settings_model().model_validate(data)


def _section_default(annotation: Any) -> Callable[[], Any]:
    """What a section left out of the file holds: a model's defaults, or no entry for a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return list


def _models_key(specs: list[Any]) -> tuple:
    return tuple(
        (spec.config_section, spec.settings, tuple(spec.endpoints.items())) for spec in specs
    )


_MODELS: dict[tuple, type[Settings]] = {}


def settings_model() -> type[Settings]:
    """`Settings` with a field per registered platform's section and endpoint, built once per
    registry (a plug-in registered later gets a model of its own)."""
    specs = _specs()
    key = _models_key(specs)
    if key not in _MODELS:
        _MODELS[key] = _build_settings_model(specs)
    return _MODELS[key]


def _build_settings_model(specs: list[Any]) -> type[Settings]:
    endpoints: dict[str, Any] = {}
    sections: dict[str, tuple[Any, Any]] = {}
    for spec in specs:
        for key, endpoint in spec.endpoints.items():
            if key in endpoints and endpoints[key][1] != endpoint.url:
                raise TypeError(f"platform {spec.name!r}: endpoint {key!r} is declared twice")
            endpoints[key] = (str, endpoint.url)
        name = spec.config_section
        if name is None:
            continue
        if spec.settings is None:
            raise TypeError(f"platform {spec.name!r} names section {name!r} but gives no settings")
        if name in sections and sections[name][0] != spec.settings:
            raise TypeError(f"platform {spec.name!r}: settings section {name!r} is taken")
        sections[name] = (spec.settings, Field(default_factory=_section_default(spec.settings)))
    endpoints_model = create_model(
        "Endpoints", __base__=Endpoints, __module__=__name__, **endpoints
    )
    return create_model(
        "Settings",
        __base__=Settings,
        __module__=__name__,
        endpoints=(endpoints_model, Field(default_factory=endpoints_model)),
        **sections,
    )


def __getattr__(name: str) -> Any:
    """A registered platform's settings model by its class name (`<Name>Settings`), for code
    written when they were defined here."""
    if name.startswith("_") or not name.endswith("Settings"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    models = {
        model.__name__: model
        for spec in _specs()
        for model in _models_in(spec.settings)
        if isinstance(model, type)
    }
    if name in models:
        return models[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _models_in(annotation: Any) -> list[Any]:
    if annotation is None:
        return []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [m for m in annotation.__mro__ if issubclass(m, Section) and m is not Section]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _format_validation_error(error: ValidationError, source: str) -> str:
    lines = [f"invalid configuration in {source}:"]
    for item in error.errors():
        unusable = item.get("ctx", {}).get("error")
        if isinstance(unusable, _Unusable):
            lines += [f"  {problem}" for problem in unusable.problems]
            continue
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def parse_settings(
    data: Mapping[str, Any], *, source: str = "<config>", environ: Mapping[str, str] | None = None
) -> Settings:
    """Validate raw YAML data, apply endpoint overrides from the environment."""
    environ = os.environ if environ is None else environ
    if not isinstance(data, Mapping):
        raise ConfigError(f"invalid configuration in {source}: the top level must be a mapping")
    data = dict(data)
    overrides = {key: environ[var] for key, var in ENDPOINT_ENV_VARS.items() if environ.get(var)}
    if overrides:
        endpoints = dict(data.get("endpoints") or {})
        endpoints.update(overrides)
        data["endpoints"] = endpoints
    try:
        return settings_model().model_validate(data)
    except ValidationError as error:
        raise ConfigError(_format_validation_error(error, source)) from None


# Where the package's example.yaml takes the registered platforms' endpoints and sections.
EXAMPLE_PLATFORMS_MARKER = "# @platforms\n"


def example_config() -> str:
    """An example configuration documenting every key (`perfmkt example-config`): the package's
    example.yaml with, where it marks them, the endpoints of every registered platform (its real
    API, and the variable overriding it) and each platform's own section (its spec's
    `example`), in registry order."""
    template = resources.files("perfmkt_pipeline").joinpath("example.yaml").read_text()
    endpoints = [(f"{key}: {e.url}", e.env_var) for s in _specs() for key, e in s.endpoints.items()]
    width = max(len(entry) for entry, _ in endpoints)
    lines = [
        "# External endpoints: the platforms' real APIs; the variable beside each overrides it.",
        "endpoints:",
        *(f"  {entry:<{width}}  # {variable}" for entry, variable in endpoints),
    ]
    sections = [s.example.read_text().strip() for s in _specs() if s.example is not None]
    return template.replace(
        EXAMPLE_PLATFORMS_MARKER, "\n\n".join(["\n".join(lines), *sections]) + "\n"
    )


def bundled_sandbox_config() -> str:
    """The configuration that points at the sandbox's accounts (used when no file is given):
    sandbox/bundled.py assembles it from the registered platforms' sandbox parts."""
    from perfmkt_pipeline.sandbox.bundled import configuration_text

    return configuration_text()


def config_source(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(description, YAML text) of the configuration in force."""
    environ = os.environ if environ is None else environ
    explicit = environ.get(CONFIG_ENV_VAR)
    path = Path(explicit) if explicit else DEFAULT_CONFIG_PATH
    if path.is_file():
        return str(path), path.read_text()
    if explicit:
        raise ConfigError(f"{CONFIG_ENV_VAR} names {explicit!r}, which is not a file")
    return "bundled sandbox configuration", bundled_sandbox_config()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Load and validate the configuration in force (no secrets are read)."""
    source, text = config_source(environ)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"invalid configuration in {source}: not YAML ({error})") from None
    return parse_settings(data or {}, source=source, environ=environ)


def missing_secrets(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Messages for each configured platform whose secrets are absent from the environment."""
    environ = os.environ if environ is None else environ
    problems = []
    keys = {spec.name: spec.accounts_key for spec in _specs()}
    for platform in settings.configured_platforms():
        key = keys.get(platform, "account_ids")
        absent = [var for var in SECRET_ENV_VARS[platform] if not environ.get(var)]
        if absent:
            problems.append(
                f"{platform}.{key}: accounts are configured but the environment lacks "
                f"{', '.join(absent)}"
            )
    return (
        problems
        + missing_order_secrets(settings, environ)
        + missing_channel_secrets(settings, environ)
    )


def missing_order_secrets(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Messages for each SQL orders source whose URL variable is absent from the environment."""
    environ = os.environ if environ is None else environ
    return [
        f"orders.{source.name}.sql.url_env: the source is configured but the environment lacks "
        f"{source.sql.url_env}"
        for source in settings.orders
        if source.sql is not None and not environ.get(source.sql.url_env)
    ]


def missing_channel_secrets(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Messages for each configured notification channel whose secret is absent."""
    environ = os.environ if environ is None else environ
    return [
        f"alerts.notify.{channel}: the channel is configured but the environment lacks {var}"
        for channel, var in settings.alerts.notify.secret_env_vars().items()
        if not environ.get(var)
    ]


def require_channel_secrets(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError naming every configured channel whose secret is missing (called when
    definitions load: a channel must not first fail when there is something to report)."""
    problems = missing_channel_secrets(settings, environ)
    if problems:
        raise ConfigError("configuration error:\n  " + "\n  ".join(problems))


def require_secrets(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError naming every configured platform whose secrets are missing."""
    problems = missing_secrets(settings, environ)
    if problems:
        raise ConfigError("configuration error:\n  " + "\n  ".join(problems))


def warehouse_url(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(WAREHOUSE_URL_ENV_VAR) or DEFAULT_WAREHOUSE_URL


def executor_problems(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Messages for what the configured executor lacks: the broker's URL for Celery, and for an
    executor that runs steps on other machines, a warehouse those machines can reach."""
    environ = os.environ if environ is None else environ
    kind = settings.executor.kind
    problems = []
    if kind == "celery" and not environ.get(CELERY_BROKER_ENV_VAR):
        problems.append(
            f"executor.kind: celery sends every step through a broker, but the environment "
            f"lacks {CELERY_BROKER_ENV_VAR} (e.g. pyamqp://user:password@rabbitmq:5672/perfmkt)"
        )
    if kind in MULTI_MACHINE_EXECUTORS:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        url = warehouse_url(environ)
        try:
            parsed = make_url(url)
        except ArgumentError:
            parsed = None
        backend = parsed.get_backend_name() if parsed is not None else None
        if backend != "postgresql":
            if parsed is None:
                where = "not a SQLAlchemy URL"
            elif backend == "duckdb":
                where = f"an embedded DuckDB file ({parsed.database or ':memory:'})"
            else:
                where = f"a {backend} database, not PostgreSQL"
            problems.append(
                f"executor.kind: {kind} runs steps on other machines, which cannot share the "
                f"warehouse {WAREHOUSE_URL_ENV_VAR} names: {where}. Set {WAREHOUSE_URL_ENV_VAR} "
                "to the shared PostgreSQL warehouse (postgresql://user:password@host/db), or "
                "use executor.kind: multiprocess"
            )
    return problems


def require_executor(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError naming what the configured executor lacks (called when definitions
    load and when a Celery worker starts: refused at start-up, not at the first step)."""
    problems = executor_problems(settings, environ)
    if problems:
        raise ConfigError("configuration error:\n  " + "\n  ".join(problems))
