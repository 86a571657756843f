"""Google Ads below the campaign: ad groups, ads, ad and keyword days for the core tables
(core.ad_groups, core.ads, core.ad_daily, core.keyword_daily).

Costs arrive in micros and are divided by 1,000,000 exactly, as the campaign rows' are
(core.py). Ad and keyword rows carry the platform's own `metrics.conversions`: with a configured
`google_ads.conversion_actions` the campaign rows count the listed actions instead, and the ad
rows' conversions are not comparable with them (the reconciliation check then compares
delivery and spend only). Performance Max and other campaign types without ads have no ad or
keyword rows: the campaign rows stay the complete spend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.platforms.google_ads.core import PLATFORM, _currencies
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


def ad_daily(raw: pa.Table, raw_accounts: pa.Table) -> pa.Table:
    """AD_DAILY_LOCAL rows from raw.google_ads_ad_daily."""
    ids = ["account_id", "date", "campaign_id", "ad_group_id", "ad_id"]
    rows = pa.table({**{k: raw[k] for k in ids}, **_measures(raw)})
    return conform(_platform(_currencies(rows, raw_accounts)), AD_DAILY_LOCAL)


def keyword_daily(raw: pa.Table, raw_accounts: pa.Table) -> pa.Table:
    """KEYWORD_DAILY_LOCAL rows from raw.google_ads_keyword_daily (match types in lower case:
    exact, phrase, broad; NULL for any other the API sends)."""
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

    def core(self, rules: CoreRules) -> BelowCore:
        return BelowCore(
            ad_groups=ad_groups(self.ad_groups),
            ads=ads(self.ads),
            ad_daily=ad_daily(self.ad_daily, self.accounts),
            keyword_daily=keyword_daily(self.keyword_daily, self.accounts),
        )
