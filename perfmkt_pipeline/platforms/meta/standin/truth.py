"""Ground truth below the campaign for Meta (issue #17): the ad sets, ads and ad-level days the
stand-in serves, in each account's own currency, summed from the very rows it serialises
(data.ad_days, listings.py). Conversions and their value are the purchases at the default
attribution (the configured counting of the bundled settings), as the campaign ground truth
counts them (sandbox/ground_truth.py).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from perfmkt_pipeline.platforms.meta.standin import data as meta_data
from perfmkt_pipeline.platforms.meta.standin import listings
from perfmkt_pipeline.platforms.meta.standin.data import META_PURCHASE

PLATFORM = "meta"
_ZERO = Decimal(0)


def _purchases(entries) -> Decimal:
    return next((a.value for a in entries if a.action_type == META_PURCHASE), _ZERO)


def ad_groups(world) -> list[dict[str, Any]]:
    """core.ad_groups rows (without loaded_at and evidence) of every Meta account."""
    return [
        {
            "platform": PLATFORM, "account_id": account.account_id,
            "campaign_id": s["campaign_id"], "ad_group_id": s["id"], "ad_group_name": s["name"],
            "ad_group_status": s["status"],
        }
        for account in world.accounts(PLATFORM)
        for s in listings.adsets(world.spec, account, world.as_of)
    ]  # fmt: skip


def ads(world) -> list[dict[str, Any]]:
    """core.ads rows (without loaded_at and evidence) of every Meta account."""
    return [
        {
            "platform": PLATFORM, "account_id": account.account_id,
            "campaign_id": a["campaign_id"], "ad_group_id": a["adset_id"], "ad_id": a["id"],
            "ad_name": a["name"], "ad_status": a["status"],
            "final_url": listings.destination(a),
        }
        for account in world.accounts(PLATFORM)
        for a in listings.ads(world.spec, account, world.as_of)
    ]  # fmt: skip


def ad_days(world, start: date, end: date) -> list[dict[str, Any]]:
    """One row per (account, ad, day) served: ids, currency and the local measures."""
    return [
        {
            "date": r.day, "platform": PLATFORM, "account_id": r.account_id,
            "campaign_id": r.campaign_id, "ad_group_id": r.adset_id, "ad_id": r.ad_id,
            "impressions": r.impressions, "clicks": r.clicks,
            "conversions": _purchases(r.actions), "currency": r.currency,
            "spend_local": r.spend, "conversion_value_local": _purchases(r.action_values),
        }
        for account in world.accounts(PLATFORM)
        for r in meta_data.ad_days(world, account.account_id, start, end)
    ]  # fmt: skip
