"""Meta below the campaign: ad sets, ads and ad-level daily rows for the core tables
(core.ad_groups, core.ads, core.ad_daily; Meta has no keywords).

The daily numbers are the ad-level insights already landed (raw.meta_ad_insights and the
configured-attribution rows of raw.meta_ad_actions), through the very code that rolls them up to
campaigns (core._delivery_and_conversions), so Meta's ads sum to its campaigns exactly. Names,
statuses and landing URLs come from the listings (raw.meta_adsets, raw.meta_ads); an ad's ad set
is the one its insights name (an ad never changes ad set), else the listing's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.platforms.meta.core import PLATFORM, _delivery_and_conversions
from perfmkt_pipeline.transform.core import CoreRules
from perfmkt_pipeline.transform.core.below import AD_GROUP_ROWS, AD_ROWS, BelowCore
from perfmkt_pipeline.transform.core.common import (
    AD_DAILY_LOCAL,
    KEYWORD_DAILY_LOCAL,
    conform,
    constant,
)
from perfmkt_pipeline.warehouse.tables import EVIDENCE

AD_KEYS = ["account_id", "date", "campaign_id", "ad_id"]


def final_url(link: str | None, url_tags: str | None) -> str | None:
    """The creative's destination with its url_tags appended as query parameters (before a
    fragment; `&` when the link already has a query). None without a destination."""
    if not link:
        return None
    if not url_tags:
        return link
    base, hash_, fragment = link.partition("#")
    tags = url_tags.lstrip("?&")
    joint = "" if base.endswith(("?", "&")) else ("&" if "?" in base else "?")
    return f"{base}{joint}{tags}{hash_}{fragment}"


def _stamped(rows: dict, listing: pa.Table) -> pa.Table:
    table = pa.table(
        {
            "platform": constant(PLATFORM, listing.num_rows, pa.string()),
            **rows,
            EVIDENCE: listing["loaded_at"],
        }
    )
    return table


def ad_groups(raw_adsets: pa.Table) -> pa.Table:
    """AD_GROUP_ROWS from raw.meta_adsets (with loaded_at, the rows' evidence)."""
    rows = _stamped(
        {
            "account_id": raw_adsets["account_id"],
            "campaign_id": raw_adsets["campaign_id"],
            "ad_group_id": raw_adsets["adset_id"],
            "ad_group_name": raw_adsets["adset_name"],
            "ad_group_status": raw_adsets["status"],
        },
        raw_adsets,
    )
    return conform(rows, AD_GROUP_ROWS)


def ads(raw_ads: pa.Table) -> pa.Table:
    """AD_ROWS from raw.meta_ads (with loaded_at, the rows' evidence)."""
    urls = [
        final_url(link, tags)
        for link, tags in zip(
            raw_ads["link"].to_pylist(), raw_ads["url_tags"].to_pylist(), strict=True
        )
    ]
    rows = _stamped(
        {
            "account_id": raw_ads["account_id"],
            "campaign_id": raw_ads["campaign_id"],
            "ad_group_id": raw_ads["adset_id"],
            "ad_id": raw_ads["ad_id"],
            "ad_name": raw_ads["ad_name"],
            "ad_status": raw_ads["status"],
            "final_url": pa.array(urls, pa.string()),
        },
        raw_ads,
    )
    return conform(rows, AD_ROWS)


def _ad_sets_of_ads(insights: pa.Table, raw_ads: pa.Table) -> pa.Table:
    """(account_id, ad_id, ad_group_id): the ad set the insights name, else the listing's."""
    named = insights.filter(pc.is_valid(insights["adset_id"]))
    seen = named.group_by(["account_id", "ad_id"], use_threads=False).aggregate(
        [("adset_id", "max")]
    )
    listed = raw_ads.select(["account_id", "ad_id", "adset_id"])
    both = seen.join(listed, ["account_id", "ad_id"], join_type="full outer", use_threads=False)
    return pa.table(
        {
            "account_id": both["account_id"],
            "ad_id": both["ad_id"],
            "ad_group_id": pc.coalesce(both["adset_id_max"], both["adset_id"]),
        }
    )


def ad_daily(
    insights: pa.Table,
    actions: pa.Table,
    raw_accounts: pa.Table,
    raw_ads: pa.Table,
    conversion_action_types: Sequence[str],
) -> pa.Table:
    """AD_DAILY_LOCAL rows, one per (account, day, ad), by the campaign roll-up's own rules."""
    rows = _delivery_and_conversions(
        insights, actions, raw_accounts, conversion_action_types, AD_KEYS
    )
    groups = _ad_sets_of_ads(insights, raw_ads)
    rows = rows.join(groups, ["account_id", "ad_id"], join_type="left outer", use_threads=False)
    return conform(rows, AD_DAILY_LOCAL)


@dataclass(frozen=True)
class MetaBelowRaw:
    """Meta's raw inputs of the below-campaign core tables for a window (a `BelowRaw`)."""

    platform: ClassVar[str] = PLATFORM
    accounts: pa.Table  # raw.meta_accounts
    insights: pa.Table  # raw.meta_ad_insights of the window (ad rows)
    actions: pa.Table  # raw.meta_ad_actions of the window, configured attribution
    adsets: pa.Table  # raw.meta_adsets (every listed ad set, with loaded_at)
    ads: pa.Table  # raw.meta_ads (every listed ad, with loaded_at)

    def core(self, rules: CoreRules) -> BelowCore:
        counted = tuple(rules.section(PLATFORM).conversion_action_types)
        return BelowCore(
            ad_groups=ad_groups(self.adsets),
            ads=ads(self.ads),
            ad_daily=ad_daily(self.insights, self.actions, self.accounts, self.ads, counted),
            keyword_daily=KEYWORD_DAILY_LOCAL.empty_table(),
        )
