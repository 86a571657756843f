"""Raw frames of every platform -> the rows of every core table (without loaded_at).

`CoreRules` is what the configuration says about reconciliation: the reporting currency, each
platform's lookback and channel, each registered platform's own settings section (from which its
core mapping takes its rules, such as which conversions count), and the affiliate accounts.
`CoreInputs` is what the caller read from `raw` for the window: one `PlatformRaw` per registered
platform, keyed by its name, plus the affiliate networks' and file feeds' latest actions.
`build_core` returns `CoreTables`. Pure: no clock, no warehouse.

Every registered platform flows through the same path: its `PlatformRaw.core(rules)` gives its
`PlatformCore` (local frames), and the shared `finish_*` steps add channel, FX and `settled`.
A platform whose name the rules do not know (no channel, no lookback) is an error naming it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.transform.core import networks
from perfmkt_pipeline.transform.core.common import (
    ACCOUNTS,
    ACTIONS_LOCAL,
    CAMPAIGNS,
    CONVERSIONS_LOCAL,
    PERFORMANCE_LOCAL,
    CoreDataError,
    finish_actions,
    finish_conversions,
    finish_performance,
)

if TYPE_CHECKING:
    from perfmkt_pipeline.platforms.base.spec import PlatformSpec


@dataclass(frozen=True)
class CoreRules:
    """What the configuration says about raw -> core.

    `lookback_days` and `channels` hold every platform (registered ones, affiliate networks and
    file feeds) by name; `sections` holds each registered platform's settings section (its
    spec's `config_section`), where its core mapping finds its own rules (`section(name)`).
    """

    reporting_currency: str
    lookback_days: Mapping[str, int]
    # Platform -> its channel (WAREHOUSE.md: search, social, affiliate, ...).
    channels: Mapping[str, str] = field(default_factory=dict)
    # Registered platform -> its settings section (e.g. which conversions count).
    sections: Mapping[str, Any] = field(default_factory=dict)
    # Affiliate platform -> counted action types (empty: all count).
    affiliate_counted_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Configured affiliate accounts: (platform, account_id, currency or None, timezone or None).
    affiliate_accounts: tuple[tuple[str, str, str | None, str | None], ...] = ()
    # Affiliate platform -> its configured currency (fills records that carry none).
    affiliate_currencies: Mapping[str, str | None] = field(default_factory=dict)
    # File feed -> its status vocabulary (for transform/affiliates.latest_actions).
    status_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def section(self, platform: str) -> Any:
        """The settings section of registered platform `platform` (an error naming it if the
        rules hold none)."""
        if platform not in self.sections:
            raise CoreDataError(
                f"platform {platform!r}: no settings section in the core rules (known: "
                f"{', '.join(sorted(self.sections))})"
            )
        return self.sections[platform]

    @classmethod
    def from_settings(
        cls, settings: Settings, specs: Iterable[PlatformSpec] | None = None
    ) -> CoreRules:
        """The rules the settings give, for `specs` (default: every platform the registry
        knows; platforms/__init__.py; a file feed once per configured feed)."""
        if specs is None:
            # The registry is asked only here, lazily: transform never imports a platform.
            from perfmkt_pipeline import platforms

            specs = platforms.all_specs()
        # A source configured several times (file feeds) counts once per configured instance.
        specs = [
            instance
            for spec in specs
            for instance in ([spec] if spec.expand is None else spec.instances(settings))
        ]
        lookback = {spec.name: spec.lookback_days(settings) for spec in specs}
        channels = {spec.name: spec.channel for spec in specs}
        sections = {spec.name: spec.section(settings) for spec in specs}
        # Affiliate sources (spec `actions`): their currency, time zone, counted action types
        # and status words come from their own section.
        sources = {spec.name: sections[spec.name] for spec in specs if spec.actions is not None}
        counted = {
            name: tuple(section.conversion_action_types)
            for name, section in sources.items()
            if hasattr(section, "conversion_action_types")
        }
        accounts = [
            (spec.name, account, section.currency, getattr(section, "timezone", None))
            for spec in specs
            if (section := sources.get(spec.name)) is not None
            for account in spec.account_ids(settings)
        ]
        currencies = {name: section.currency for name, section in sources.items()}
        status_maps = {
            name: dict(section.status_map)
            for name, section in sources.items()
            if hasattr(section, "status_map")
        }
        return cls(
            reporting_currency=settings.reporting_currency,
            lookback_days=lookback,
            channels=channels,
            sections=sections,
            affiliate_counted_types=counted,
            affiliate_accounts=tuple(accounts),
            affiliate_currencies=currencies,
            status_maps=status_maps,
        )


@dataclass(frozen=True)
class PlatformCore:
    """One platform's contribution to the core tables, before FX and `settled` (local frames:
    transform.core.common's ACCOUNTS, CAMPAIGNS, PERFORMANCE_LOCAL, CONVERSIONS_LOCAL)."""

    accounts: pa.Table
    campaigns: pa.Table
    performance: pa.Table
    conversions: pa.Table
    # core.affiliate_actions local rows (ACTIONS_LOCAL), for a platform that reports actions.
    actions: pa.Table | None = None


class PlatformRaw(Protocol):
    """What a platform's core mapping read from raw for a window (its spec's `core`): its
    account rows and the rows naming each campaign (both with `loaded_at`, the evidence of the
    core rows made from them), and how its rows become core rows."""

    platform: str

    @property
    def accounts(self) -> pa.Table: ...

    @property
    def campaign_names(self) -> pa.Table: ...

    def core(self, rules: CoreRules) -> PlatformCore: ...


@dataclass(frozen=True)
class AffiliateRaw:
    latest: pa.Table  # networks.LATEST_STATE: latest state of every action of the window
    partner_names: pa.Table  # raw.affiliate_actions rows naming each partner (latest)


@dataclass(frozen=True)
class CoreInputs:
    """What the caller read from raw for the window: `platforms` maps each registered platform's
    name to what its core mapping read (a `PlatformRaw`, `spec.core.read`); `affiliates` holds
    the affiliate networks' and file feeds' latest actions (their own path, transform/affiliates
    and transform/core/networks.py)."""

    platforms: Mapping[str, PlatformRaw] = field(default_factory=dict)
    affiliates: AffiliateRaw | None = None


@dataclass(frozen=True)
class CoreTables:
    ad_accounts: pa.Table
    campaigns: pa.Table
    ad_performance_daily: pa.Table
    conversions_daily: pa.Table
    affiliate_actions: pa.Table


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    return pa.concat_tables([schema.empty_table(), *tables])


def build_core(
    raw: CoreInputs,
    fx_rates: pa.Table,
    rules: CoreRules,
    as_of: dt.date | Mapping[str, dt.date],
) -> CoreTables:
    """Every core table's rows for what `raw` holds. `fx_rates` are core.fx_rates rows covering
    the window (and the days before it that the latest-fix rule needs); `as_of` is the day the
    data was pulled (per platform, or one day for all), which decides `settled`."""
    accounts, campaigns, performance, conversions, actions = [], [], [], [], []
    for name, inputs in raw.platforms.items():
        if inputs.platform != name:
            raise CoreDataError(f"raw inputs of {inputs.platform!r} given as {name!r}")
        mapped = inputs.core(rules)
        accounts.append(mapped.accounts)
        campaigns.append(mapped.campaigns)
        performance.append(mapped.performance)
        conversions.append(mapped.conversions)
        if mapped.actions is not None:
            actions.append(mapped.actions)
    if raw.affiliates is not None:
        a = raw.affiliates
        accounts.append(networks.accounts(rules.affiliate_accounts, a.latest))
        campaigns.append(networks.campaigns(a.partner_names))
        performance.append(networks.performance(a.latest, rules.affiliate_counted_types))
        conversions.append(networks.conversions(a.latest))
        actions.append(networks.actions(a.latest))
    currency, lookback = rules.reporting_currency, rules.lookback_days
    return CoreTables(
        ad_accounts=_concat(accounts, ACCOUNTS),
        campaigns=_concat(campaigns, CAMPAIGNS),
        ad_performance_daily=finish_performance(
            _concat(performance, PERFORMANCE_LOCAL),
            fx_rates,
            currency,
            as_of,
            lookback,
            rules.channels,
        ),
        conversions_daily=finish_conversions(
            _concat(conversions, CONVERSIONS_LOCAL), fx_rates, currency, as_of, lookback
        ),
        affiliate_actions=finish_actions(_concat(actions, ACTIONS_LOCAL), fx_rates, currency),
    )
