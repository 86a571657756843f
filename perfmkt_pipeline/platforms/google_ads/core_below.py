"""Google Ads below the campaign: ad groups, ads, ad and keyword days for the core tables
(core.ad_groups, core.ads, core.ad_daily, core.keyword_daily).

Costs arrive in micros and are divided by 1,000,000 exactly, as the campaign rows' are
(core.py). Conversions follow the campaign rows' mapping: the platform's own
`metrics.conversions` by default; with a configured `google_ads.conversion_actions`, the sum of
the listed actions (every conversion of each, `metrics.all_conversions`) from the ad's and the
keyword's rows per conversion action (raw.google_ads_ad_conversion_daily,
raw.google_ads_keyword_conversion_daily), an ad- or keyword-day with counted conversions but no
metrics row getting zero delivery and spend, as a campaign-day does. Performance Max and other
campaign types without ads have no ad or keyword rows: the campaign rows stay the complete
spend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.platforms.google_ads.core import PLATFORM, _currencies, counted_sums
from perfmkt_pipeline.platforms.google_ads.parsing import MATCH_TYPES
from perfmkt_pipeline.transform.core import CoreRules
from perfmkt_pipeline.transform.core.below import AD_GROUP_ROWS, AD_ROWS, BelowCore
from perfmkt_pipeline.transform.core.common import (
    AD_DAILY_LOCAL,
    CONVERSIONS,
    KEYWORD_DAILY_LOCAL,
    MONEY,
    conform,
    constant,
)
from perfmkt_pipeline.transform.decimals import micros_to_units, to_decimal
from perfmkt_pipeline.warehouse.tables import EVIDENCE

# The advertising_channel_type values Google reports no ads or keywords for: their spend is only
# in the campaign rows (WAREHOUSE.md "Below the campaign").
UNCOVERED_TYPES = ("PERFORMANCE_MAX", "SMART", "LOCAL", "LOCAL_SERVICES", "HOTEL", "TRAVEL")


def _platform(rows: pa.Table) -> pa.Table:
    return rows.append_column("platform", constant(PLATFORM, rows.num_rows, pa.string()))


def ad_groups(raw: pa.Table) -> pa.Table:
    """AD_GROUP_ROWS from raw.google_ads_ad_groups (with loaded_at, the rows' evidence)."""
    rows = raw.rename_columns(
        {"loaded_at": EVIDENCE, **{c: c for c in raw.column_names if c != "loaded_at"}}
    )
    return conform(_platform(rows), AD_GROUP_ROWS)


def ads(raw: pa.Table) -> pa.Table:
    """AD_ROWS from raw.google_ads_ads: an ad without a name (most Search ads) is named by its
    type."""
    named = pc.if_else(
        pc.fill_null(pc.equal(raw["ad_name"], ""), True), raw["ad_type"], raw["ad_name"]
    )
    rows = pa.table(
        {
            "account_id": raw["account_id"],
            "campaign_id": raw["campaign_id"],
            "ad_group_id": raw["ad_group_id"],
            "ad_id": raw["ad_id"],
            "ad_name": named,
            "ad_status": raw["ad_status"],
            "final_url": raw["final_url"],
            EVIDENCE: raw["loaded_at"],
        }
    )
    return conform(_platform(rows), AD_ROWS)


def _measures(raw: pa.Table) -> dict[str, pa.ChunkedArray]:
    return {
        "impressions": raw["impressions"],
        "clicks": raw["clicks"],
        "spend_local": micros_to_units(raw["cost_micros"], MONEY),
        "conversions": to_decimal(raw["conversions"], CONVERSIONS),
        "conversion_value_local": to_decimal(raw["conversions_value"], MONEY),
    }


_AD_KEYS = ["account_id", "date", "campaign_id", "ad_group_id", "ad_id"]
_KEYWORD_KEYS = ["account_id", "date", "campaign_id", "ad_group_id", "criterion_id"]
_DESCRIBED = ["keyword_text", "match_type"]  # keyword attributes both reports carry


def counted_actions(
    raw: pa.Table,
    conversion_daily: pa.Table,
    conversion_actions: Sequence[str],
    keys: list[str],
    described: Sequence[str] = (),
) -> pa.Table:
    """`raw` (an ad or keyword report) with conversions and value replaced by the sum over the
    configured actions of its rows per action (every conversion of each: all_conversions), as
    core.py does for campaigns. A row of `keys` with counted conversions but no metrics row
    gets zero cost, impressions and clicks, and its `described` columns from the action rows."""
    counted = counted_sums(conversion_daily, conversion_actions, [*keys, *described])
    counted = counted.rename_columns(
        {**{c: f"{c}_counted" for c in described},
         **{c: c for c in counted.column_names if c not in described}}
    )  # fmt: skip
    joined = raw.drop_columns(["conversions", "conversions_value"]).join(
        counted, keys, join_type="full outer", use_threads=False
    )
    columns = {k: joined[k] for k in keys}
    for name in described:
        columns[name] = pc.coalesce(joined[name], joined[f"{name}_counted"])
    zero = pa.scalar(0, pa.int64())
    for name in ("cost_micros", "impressions", "clicks"):
        columns[name] = pc.fill_null(joined[name].cast(pa.int64()), zero)
    columns["conversions"] = pc.fill_null(
        to_decimal(joined["conversions_sum"], CONVERSIONS), pa.scalar(0, CONVERSIONS)
    )
    columns["conversions_value"] = pc.fill_null(
        to_decimal(joined["conversions_value_sum"], MONEY), pa.scalar(0, MONEY)
    )
    return pa.table(columns)


def ad_daily(
    raw: pa.Table,
    raw_accounts: pa.Table,
    conversion_daily: pa.Table | None = None,
    conversion_actions: Sequence[str] = (),
) -> pa.Table:
    """AD_DAILY_LOCAL rows from raw.google_ads_ad_daily (conversions: see module)."""
    if conversion_actions:
        raw = counted_actions(raw, conversion_daily, conversion_actions, _AD_KEYS)
    rows = pa.table({**{k: raw[k] for k in _AD_KEYS}, **_measures(raw)})
    return conform(_platform(_currencies(rows, raw_accounts)), AD_DAILY_LOCAL)


def keyword_daily(
    raw: pa.Table,
    raw_accounts: pa.Table,
    conversion_daily: pa.Table | None = None,
    conversion_actions: Sequence[str] = (),
) -> pa.Table:
    """KEYWORD_DAILY_LOCAL rows from raw.google_ads_keyword_daily (match types in lower case:
    exact, phrase, broad; NULL for any other the API sends; conversions: see module)."""
    if conversion_actions:
        raw = counted_actions(raw, conversion_daily, conversion_actions, _KEYWORD_KEYS, _DESCRIBED)
    match = [MATCH_TYPES.get(m) for m in raw["match_type"].to_pylist()]
    ids = ["account_id", "date", "campaign_id", "ad_group_id"]
    rows = pa.table(
        {
            **{k: raw[k] for k in ids},
            "keyword_id": raw["criterion_id"],
            "keyword_text": raw["keyword_text"],
            "match_type": pa.array(match, pa.string()),
            **_measures(raw),
        }
    )
    return conform(_platform(_currencies(rows, raw_accounts)), KEYWORD_DAILY_LOCAL)


@dataclass(frozen=True)
class GoogleAdsBelowRaw:
    """Google Ads' raw inputs of the below-campaign core tables for a window (a `BelowRaw`)."""

    platform: ClassVar[str] = PLATFORM
    accounts: pa.Table  # raw.google_ads_accounts
    ad_groups: pa.Table  # raw.google_ads_ad_groups (every listed ad group, with loaded_at)
    ads: pa.Table  # raw.google_ads_ads (every listed ad, with loaded_at)
    ad_daily: pa.Table  # raw.google_ads_ad_daily of the window
    keyword_daily: pa.Table  # raw.google_ads_keyword_daily of the window
    ad_conversion_daily: pa.Table  # raw.google_ads_ad_conversion_daily of the window
    keyword_conversion_daily: pa.Table  # raw.google_ads_keyword_conversion_daily of the window

    def core(self, rules: CoreRules) -> BelowCore:
        counted = tuple(rules.section(PLATFORM).conversion_actions)
        return BelowCore(
            ad_groups=ad_groups(self.ad_groups),
            ads=ads(self.ads),
            ad_daily=ad_daily(self.ad_daily, self.accounts, self.ad_conversion_daily, counted),
            keyword_daily=keyword_daily(
                self.keyword_daily, self.accounts, self.keyword_conversion_daily, counted
            ),
        )
