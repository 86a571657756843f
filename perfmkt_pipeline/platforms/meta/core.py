"""Meta raw rows -> core local frames.

Performance is rolled up from ad level to campaign level. Conversions use the `value` attribution
of raw.meta_ad_actions: the connector requests insights with the configured
`attribution_windows` (or `use_unified_attribution_setting`), so `value` is the count under the
configured attribution, while the per-window rows are kept for analysis. Which action types count
toward ad_performance_daily.conversions is MetaSettings.conversion_action_types.
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
from perfmkt_pipeline.transform.decimals import to_decimal

PLATFORM = "meta"
# The attribution key of raw.meta_ad_actions holding the count under the requested attribution.
CONFIGURED_ATTRIBUTION = "value"
_KEYS = ["account_id", "date", "campaign_id"]
# Roll-up grains: currency rides along (the account's fallback currency); action rows of the
# configured attribution only.
INSIGHTS_ROLLUP_KEYS = [*_KEYS, "currency"]
ACTIONS_ROLLUP_KEYS = [*_KEYS, "action_type", "attribution"]
_SUMS = pa.decimal128(38, 6)
# A roll-up row names an ad only where its campaign_id is NULL (the smallest such ad id): the
# data error raised for it must name an ad.
INSIGHTS_ROLLUP = pa.schema(
    [("account_id", pa.string()), ("date", pa.date32()), ("campaign_id", pa.string()),
     ("currency", pa.string()), ("spend", _SUMS), ("impressions", pa.int64()),
     ("clicks", pa.int64()), ("ad_id", pa.string())]
)  # fmt: skip
ACTIONS_ROLLUP = pa.schema(
    [("account_id", pa.string()), ("date", pa.date32()), ("campaign_id", pa.string()),
     ("action_type", pa.string()), ("attribution", pa.string()), ("actions", _SUMS),
     ("action_value", _SUMS), ("ad_id", pa.string())]
)  # fmt: skip


def accounts(raw_accounts: pa.Table) -> pa.Table:
    """core.ad_accounts rows from raw.meta_accounts."""
    rows = raw_accounts.append_column(
        "platform", constant(PLATFORM, raw_accounts.num_rows, pa.string())
    )
    return conform(rows, ACCOUNTS)


def campaigns(raw_insights: pa.Table) -> pa.Table:
    """core.campaigns rows: each campaign's name on the latest day it appears (insights carry
    no status)."""
    latest = latest_per_key(
        raw_insights.select(["account_id", "campaign_id", "date", "campaign_name"]),
        ["account_id", "campaign_id"],
        ["date"],
    )
    latest = latest.append_column("platform", constant(PLATFORM, latest.num_rows, pa.string()))
    latest = latest.append_column("campaign_status", pa.nulls(latest.num_rows, pa.string()))
    return conform(latest, CAMPAIGNS)


def _rollup(rows: pa.Table, keys: list[str], sums: list[str], schema: pa.Schema) -> pa.Table:
    summed = rows.group_by(keys, use_threads=False).aggregate(
        [*[(name, "sum") for name in sums], ("ad_id", "min")]
    )
    ad = pc.if_else(
        pc.is_null(summed["campaign_id"]), summed["ad_id_min"], pa.scalar(None, pa.string())
    )
    columns = {k: summed[k] for k in keys} | {n: summed[f"{n}_sum"] for n in sums}
    return conform(pa.table({**columns, "ad_id": ad}), schema)


def rollup_insights(ad_insights: pa.Table) -> pa.Table:
    """INSIGHTS_ROLLUP rows: raw.meta_ad_insights rows summed per campaign, day and currency
    (core_read.py reads the same from the warehouse in SQL)."""
    return _rollup(
        ad_insights, INSIGHTS_ROLLUP_KEYS, ["spend", "impressions", "clicks"], INSIGHTS_ROLLUP
    )


def rollup_actions(ad_actions: pa.Table) -> pa.Table:
    """ACTIONS_ROLLUP rows: the configured-attribution rows of raw.meta_ad_actions summed per
    campaign, day and action type (core_read.py reads the same from the warehouse in SQL)."""
    return _rollup(
        _value_rows(ad_actions), ACTIONS_ROLLUP_KEYS, ["actions", "action_value"], ACTIONS_ROLLUP
    )


def _require_campaign(table: pa.Table, what: str) -> None:
    missing = pc.is_null(table["campaign_id"])
    if pc.any(missing).as_py():
        first = [(k, "ascending") for k in ["account_id", "date", "ad_id"]]
        bad = table.filter(missing).sort_by(first)
        raise CoreDataError(
            f"meta account {bad['account_id'][0]}, day {bad['date'][0]}: {what} row of ad "
            f"{bad['ad_id'][0]} has no campaign_id"
        )


def _account_currency(raw_accounts: pa.Table, insights: pa.Table) -> pa.Table:
    """account_id -> currency: raw.meta_accounts' when it has one, else the insights rows' (the
    greatest code, should the rows of one account disagree)."""
    sources = []
    for rank, table in enumerate([insights, raw_accounts]):
        pairs = table.select(["account_id", "currency"]).filter(pc.is_valid(table["currency"]))
        pairs = pairs.group_by(["account_id", "currency"], use_threads=False).aggregate([])
        pairs = pairs.sort_by([("account_id", "ascending"), ("currency", "ascending")])
        sources.append(pairs.append_column("_rank", constant(rank, pairs.num_rows, pa.int8())))
    candidates = pa.concat_tables(sources)
    return latest_per_key(candidates, ["account_id"], ["_rank"]).select(["account_id", "currency"])


def _with_currency(rows: pa.Table, currencies: pa.Table) -> pa.Table:
    joined = rows.join(currencies, "account_id", join_type="left outer", use_threads=False)
    missing = pc.is_null(joined["currency"])
    if pc.any(missing).as_py():
        bad = joined.filter(missing)
        raise CoreDataError(
            f"meta account {bad['account_id'][0]}, day {bad['date'][0]}: no currency "
            "(neither raw.meta_accounts nor the insights rows carry one)"
        )
    return joined


def _value_rows(actions: pa.Table) -> pa.Table:
    return actions.filter(pc.equal(actions["attribution"], CONFIGURED_ATTRIBUTION))


def _delivery_and_conversions(
    insights: pa.Table,
    actions: pa.Table,
    raw_accounts: pa.Table,
    conversion_action_types: Sequence[str],
    keys: list[str],
) -> pa.Table:
    """Per `keys` (account, day, campaign, and the ad for ad rows): impressions, clicks, spend,
    counted conversions and their value in the account's currency, with currency and platform."""
    _require_campaign(insights, "insights")
    delivery = insights.group_by(keys, use_threads=False).aggregate(
        [("spend", "sum"), ("impressions", "sum"), ("clicks", "sum")]
    )
    counted = _value_rows(actions)
    counted = counted.filter(
        pc.is_in(counted["action_type"], pa.array(list(conversion_action_types), pa.string()))
    )
    _require_campaign(counted, "actions")
    conversions_ = counted.group_by(keys, use_threads=False).aggregate(
        [("actions", "sum"), ("action_value", "sum")]
    )
    joined = delivery.join(conversions_, keys, join_type="full outer", use_threads=False)
    zero_count = pa.scalar(0, pa.int64())
    rows = pa.table(
        {
            **{key: joined[key] for key in keys},
            "impressions": pc.fill_null(joined["impressions_sum"], zero_count),
            "clicks": pc.fill_null(joined["clicks_sum"], zero_count),
            "spend_local": pc.fill_null(to_decimal(joined["spend_sum"], MONEY), _zero(MONEY)),
            "conversions": pc.fill_null(
                to_decimal(joined["actions_sum"], CONVERSIONS), _zero(CONVERSIONS)
            ),
            "conversion_value_local": pc.fill_null(
                to_decimal(joined["action_value_sum"], MONEY), _zero(MONEY)
            ),
        }
    )
    rows = _with_currency(rows, _account_currency(raw_accounts, insights))
    return rows.append_column("platform", constant(PLATFORM, rows.num_rows, pa.string()))


def performance(
    insights: pa.Table,
    actions: pa.Table,
    raw_accounts: pa.Table,
    conversion_action_types: Sequence[str],
) -> pa.Table:
    """PERFORMANCE_LOCAL rows, one per (account, day, campaign), rolled up from ads."""
    rows = _delivery_and_conversions(
        insights, actions, raw_accounts, conversion_action_types, _KEYS
    )
    return conform(rows, PERFORMANCE_LOCAL)


def _zero(type_: pa.DataType) -> pa.Scalar:
    return pa.scalar(0, type_)


def conversions(insights: pa.Table, actions: pa.Table, raw_accounts: pa.Table) -> pa.Table:
    """CONVERSIONS_LOCAL rows: one per (account, day, campaign, action type) at the configured
    attribution; the value is 0 for types that carry none."""
    chosen = _value_rows(actions)
    _require_campaign(chosen, "actions")
    summed = chosen.group_by([*_KEYS, "action_type"], use_threads=False).aggregate(
        [("actions", "sum"), ("action_value", "sum")]
    )
    rows = pa.table(
        {
            "account_id": summed["account_id"],
            "date": summed["date"],
            "campaign_id": summed["campaign_id"],
            "conversion_name": summed["action_type"],
            "conversions": pc.fill_null(
                to_decimal(summed["actions_sum"], CONVERSIONS), _zero(CONVERSIONS)
            ),
            "conversion_value_local": pc.fill_null(
                to_decimal(summed["action_value_sum"], MONEY), _zero(MONEY)
            ),
        }
    )
    rows = _with_currency(rows, _account_currency(raw_accounts, insights))
    rows = rows.append_column("platform", constant(PLATFORM, rows.num_rows, pa.string()))
    return conform(rows, CONVERSIONS_LOCAL)


@dataclass(frozen=True)
class MetaRaw:
    """Meta's raw inputs of the core tables for a window (a transform.core `PlatformRaw`)."""

    platform: ClassVar[str] = PLATFORM
    accounts: pa.Table  # raw.meta_accounts
    # raw.meta_ad_insights and raw.meta_ad_actions of the window: ad-level rows, or (as the core
    # asset reads them) their campaign roll-ups INSIGHTS_ROLLUP and ACTIONS_ROLLUP.
    insights: pa.Table
    actions: pa.Table
    campaign_names: pa.Table  # raw.meta_ad_insights rows naming each campaign (latest)

    def core(self, rules: CoreRules) -> PlatformCore:
        return PlatformCore(
            accounts=accounts(self.accounts),
            campaigns=campaigns(self.campaign_names),
            performance=performance(
                self.insights,
                self.actions,
                self.accounts,
                tuple(rules.section(PLATFORM).conversion_action_types),
            ),
            conversions=conversions(self.insights, self.actions, self.accounts),
        )
