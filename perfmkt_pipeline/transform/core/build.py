"""Raw frames of every platform -> the rows of every core table (without loaded_at).

`CoreRules` is what the configuration says about reconciliation (reporting currency, lookbacks,
conversion mappings, affiliate accounts); `RawInputs` is what the caller read from `raw` for the
window; `build_core` returns `CoreTables`. Pure: no clock, no warehouse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.transform.core import google_ads, networks
from perfmkt_pipeline.transform.core.common import (
    ACCOUNTS,
    ACTIONS_LOCAL,
    CAMPAIGNS,
    CONVERSIONS_LOCAL,
    PERFORMANCE_LOCAL,
    finish_actions,
    finish_conversions,
    finish_performance,
)

NETWORKS = ("impact", "cj", "awin")


@dataclass(frozen=True)
class CoreRules:
    reporting_currency: str
    lookback_days: Mapping[str, int]
    google_conversion_actions: tuple[str, ...] = ()
    meta_conversion_action_types: tuple[str, ...] = ()
    # Affiliate platform -> counted action types (empty: all count).
    affiliate_counted_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Configured affiliate accounts: (platform, account_id, currency or None, timezone or None).
    affiliate_accounts: tuple[tuple[str, str, str | None, str | None], ...] = ()
    # Affiliate platform -> its configured currency (fills records that carry none).
    affiliate_currencies: Mapping[str, str | None] = field(default_factory=dict)
    # File feed -> its status vocabulary (for transform/affiliates.latest_actions).
    status_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> CoreRules:
        lookback = {
            "google_ads": settings.google_ads.lookback_days,
            "meta": settings.meta.lookback_days,
            **{name: getattr(settings, name).lookback_days for name in NETWORKS},
            **{feed.name: feed.lookback_days for feed in settings.file_feeds},
        }
        counted = {
            name: tuple(getattr(settings, name).conversion_action_types) for name in NETWORKS
        }
        accounts = [
            (name, account, getattr(settings, name).currency, getattr(settings, name).timezone)
            for name in NETWORKS
            for account in getattr(settings, name).account_ids
        ]
        accounts += [(f.name, f.account_id, f.currency, None) for f in settings.file_feeds]
        currencies = {name: getattr(settings, name).currency for name in NETWORKS}
        currencies.update({feed.name: feed.currency for feed in settings.file_feeds})
        return cls(
            reporting_currency=settings.reporting_currency,
            lookback_days=lookback,
            google_conversion_actions=tuple(settings.google_ads.conversion_actions),
            meta_conversion_action_types=tuple(settings.meta.conversion_action_types),
            affiliate_counted_types=counted,
            affiliate_accounts=tuple(accounts),
            affiliate_currencies=currencies,
            status_maps={feed.name: dict(feed.status_map) for feed in settings.file_feeds},
        )


@dataclass(frozen=True)
class GoogleAdsRaw:
    accounts: pa.Table  # raw.google_ads_accounts
    campaign_daily: pa.Table  # raw.google_ads_campaign_daily, the window (metric columns)
    conversion_daily: pa.Table  # raw.google_ads_conversion_daily, the window
    campaign_names: pa.Table  # raw.google_ads_campaign_daily rows naming each campaign (latest)


@dataclass(frozen=True)
class PlatformCore:
    """One platform's contribution to the core tables, before FX and `settled` (local frames:
    transform.core.common's ACCOUNTS, CAMPAIGNS, PERFORMANCE_LOCAL, CONVERSIONS_LOCAL)."""

    accounts: pa.Table
    campaigns: pa.Table
    performance: pa.Table
    conversions: pa.Table


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
class RawInputs:
    google_ads: GoogleAdsRaw | None = None
    meta: PlatformRaw | None = None  # a registered platform's raw inputs (platforms/)
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
    raw: RawInputs,
    fx_rates: pa.Table,
    rules: CoreRules,
    as_of: dt.date | Mapping[str, dt.date],
) -> CoreTables:
    """Every core table's rows for what `raw` holds. `fx_rates` are core.fx_rates rows covering
    the window (and the days before it that the latest-fix rule needs); `as_of` is the day the
    data was pulled (per platform, or one day for all), which decides `settled`."""
    accounts, campaigns, performance, conversions, actions = [], [], [], [], []
    if raw.google_ads is not None:
        g = raw.google_ads
        accounts.append(google_ads.accounts(g.accounts))
        campaigns.append(google_ads.campaigns(g.campaign_names))
        performance.append(
            google_ads.performance(
                g.campaign_daily, g.conversion_daily, g.accounts, rules.google_conversion_actions
            )
        )
        conversions.append(google_ads.conversions(g.conversion_daily, g.accounts))
    if raw.meta is not None:
        mapped = raw.meta.core(rules)
        accounts.append(mapped.accounts)
        campaigns.append(mapped.campaigns)
        performance.append(mapped.performance)
        conversions.append(mapped.conversions)
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
            _concat(performance, PERFORMANCE_LOCAL), fx_rates, currency, as_of, lookback
        ),
        conversions_daily=finish_conversions(
            _concat(conversions, CONVERSIONS_LOCAL), fx_rates, currency, as_of, lookback
        ),
        affiliate_actions=finish_actions(_concat(actions, ACTIONS_LOCAL), fx_rates, currency),
    )
