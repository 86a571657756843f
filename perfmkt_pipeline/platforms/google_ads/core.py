"""Google Ads raw rows -> core local frames.

Performance is at campaign level (the only level where Performance Max and every other campaign
type is complete). Costs arrive in micros of the account currency and are divided by 1,000,000
exactly. `conversions` follows GoogleAdsSettings.conversion_actions: empty means the platform's
own `metrics.conversions` (the actions marked "include in conversions"); otherwise the sum of the
listed conversion actions from the per-action rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.transform.core import CoreRules, PlatformCore
from perfmkt_pipeline.transform.core.common import (
    ACCOUNTS,
    CAMPAIGNS,
    CONVERSIONS,
    CONVERSIONS_LOCAL,
    MONEY,
    PERFORMANCE_LOCAL,
    CoreDataError,
    conform,
    constant,
    latest_per_key,
)
from perfmkt_pipeline.transform.decimals import micros_to_units, to_decimal

PLATFORM = "google_ads"
_KEYS = ["account_id", "date", "campaign_id"]


def accounts(raw_accounts: pa.Table) -> pa.Table:
    """core.ad_accounts rows from raw.google_ads_accounts."""
    rows = raw_accounts.append_column(
        "platform", constant(PLATFORM, raw_accounts.num_rows, pa.string())
    )
    return conform(rows, ACCOUNTS)


def campaigns(raw_campaign_daily: pa.Table) -> pa.Table:
    """core.campaigns rows: each campaign's name and status on the latest day it appears."""
    latest = latest_per_key(
        raw_campaign_daily.select(
            ["account_id", "campaign_id", "date", "campaign_name", "campaign_status"]
        ),
        ["account_id", "campaign_id"],
        ["date"],
    )
    latest = latest.append_column("platform", constant(PLATFORM, latest.num_rows, pa.string()))
    return conform(latest, CAMPAIGNS)


def _currencies(table: pa.Table, raw_accounts: pa.Table) -> pa.Table:
    """`table` with each account's currency; an account without one is a data error."""
    lookup = raw_accounts.select(["account_id", "currency"])
    joined = table.join(lookup, "account_id", join_type="left outer", use_threads=False)
    missing = pc.is_null(joined["currency"])
    if pc.any(missing).as_py():
        bad = joined.filter(missing)
        raise CoreDataError(
            f"google_ads account {bad['account_id'][0]}, day {bad['date'][0]}: no currency "
            "(raw.google_ads_accounts has no row for the account)"
        )
    return joined


def performance(
    campaign_daily: pa.Table,
    conversion_daily: pa.Table,
    raw_accounts: pa.Table,
    conversion_actions: Sequence[str],
) -> pa.Table:
    """PERFORMANCE_LOCAL rows, one per (account, day, campaign)."""
    base = pa.table(
        {
            "account_id": campaign_daily["account_id"],
            "date": campaign_daily["date"],
            "campaign_id": campaign_daily["campaign_id"],
            "impressions": campaign_daily["impressions"],
            "clicks": campaign_daily["clicks"],
            "spend_local": micros_to_units(campaign_daily["cost_micros"], MONEY),
            "conversions": to_decimal(campaign_daily["conversions"], CONVERSIONS),
            "conversion_value_local": to_decimal(campaign_daily["conversions_value"], MONEY),
        }
    )
    if conversion_actions:
        base = _counted_actions(base, conversion_daily, conversion_actions)
    rows = _currencies(base, raw_accounts)
    rows = rows.append_column("platform", constant(PLATFORM, rows.num_rows, pa.string()))
    return conform(rows, PERFORMANCE_LOCAL)


def every_action(conversion_daily: pa.Table) -> pa.Table:
    """Per-action rows counting every conversion of the action.

    The API reports an action that is not "included in conversions" as 0 in metrics.conversions
    and its count in metrics.all_conversions. Rows landed before all_conversions was read (raw
    schema 0002 and older) have it NULL and keep metrics.conversions.
    """
    if "all_conversions" not in conversion_daily.column_names:
        return conversion_daily
    columns = {
        "conversions": pc.coalesce(
            conversion_daily["all_conversions"], conversion_daily["conversions"]
        ),
        "conversions_value": pc.coalesce(
            conversion_daily["all_conversions_value"], conversion_daily["conversions_value"]
        ),
    }
    for name, values in columns.items():
        conversion_daily = conversion_daily.set_column(
            conversion_daily.schema.get_field_index(name), name, values
        )
    return conversion_daily


def counted_sums(
    conversion_daily: pa.Table, conversion_actions: Sequence[str], keys: Sequence[str]
) -> pa.Table:
    """Per `keys`: the configured actions' conversions and value (every conversion of each,
    `every_action`), summed: `conversions_sum`, `conversions_value_sum`."""
    actions = every_action(conversion_daily)
    wanted = pa.array(list(conversion_actions), pa.string())
    chosen = actions.filter(pc.is_in(actions["conversion_action_name"], wanted))
    return chosen.group_by(list(keys), use_threads=False).aggregate(
        [("conversions", "sum"), ("conversions_value", "sum")]
    )


def _counted_actions(
    base: pa.Table, conversion_daily: pa.Table, conversion_actions: Sequence[str]
) -> pa.Table:
    """`base` with conversions and value replaced by the sum over the configured actions.

    A campaign-day with counted conversions but no campaign row (possible when all its other
    metrics are zero) gets zero delivery and spend rather than being dropped.
    """
    counted = counted_sums(conversion_daily, conversion_actions, _KEYS)
    joined = base.drop_columns(["conversions", "conversion_value_local"]).join(
        counted, _KEYS, join_type="full outer", use_threads=False
    )
    zero_count = pa.scalar(0, pa.int64())
    return pa.table(
        {
            "account_id": joined["account_id"],
            "date": joined["date"],
            "campaign_id": joined["campaign_id"],
            "impressions": pc.fill_null(joined["impressions"], zero_count),
            "clicks": pc.fill_null(joined["clicks"], zero_count),
            "spend_local": pc.fill_null(joined["spend_local"], pa.scalar(0, MONEY)),
            "conversions": pc.fill_null(
                to_decimal(joined["conversions_sum"], CONVERSIONS), pa.scalar(0, CONVERSIONS)
            ),
            "conversion_value_local": pc.fill_null(
                to_decimal(joined["conversions_value_sum"], MONEY), pa.scalar(0, MONEY)
            ),
        }
    )


def conversions(conversion_daily: pa.Table, raw_accounts: pa.Table) -> pa.Table:
    """CONVERSIONS_LOCAL rows: one per (account, day, campaign, conversion action)."""
    keys = [*_KEYS, "conversion_action_name"]
    summed = (
        every_action(conversion_daily)
        .group_by(keys, use_threads=False)
        .aggregate([("conversions", "sum"), ("conversions_value", "sum")])
    )
    rows = pa.table(
        {
            "account_id": summed["account_id"],
            "date": summed["date"],
            "campaign_id": summed["campaign_id"],
            "conversion_name": summed["conversion_action_name"],
            "conversions": to_decimal(summed["conversions_sum"], CONVERSIONS),
            "conversion_value_local": to_decimal(summed["conversions_value_sum"], MONEY),
        }
    )
    rows = _currencies(rows, raw_accounts)
    rows = rows.append_column("platform", constant(PLATFORM, rows.num_rows, pa.string()))
    return conform(rows, CONVERSIONS_LOCAL)


@dataclass(frozen=True)
class GoogleAdsRaw:
    """Google Ads' raw inputs of the core tables for a window (a transform.core `PlatformRaw`)."""

    platform: ClassVar[str] = PLATFORM
    accounts: pa.Table  # raw.google_ads_accounts
    campaign_daily: pa.Table  # raw.google_ads_campaign_daily, the window (metric columns)
    conversion_daily: pa.Table  # raw.google_ads_conversion_daily, the window
    campaign_names: pa.Table  # raw.google_ads_campaign_daily rows naming each campaign (latest)

    def core(self, rules: CoreRules) -> PlatformCore:
        counted = tuple(rules.section(PLATFORM).conversion_actions)
        return PlatformCore(
            accounts=accounts(self.accounts),
            campaigns=campaigns(self.campaign_names),
            performance=performance(
                self.campaign_daily, self.conversion_daily, self.accounts, counted
            ),
            conversions=conversions(self.conversion_daily, self.accounts),
        )
