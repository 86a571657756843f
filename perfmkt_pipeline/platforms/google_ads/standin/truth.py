"""Ground truth below the campaign for Google Ads (issue #17): the ad groups, ads, ad days and
keyword days the stand-in serves (below.py), in each account's own currency, as the core
tables must hold them (costs from micros; conversions as metrics.conversions, the default
mapping)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from perfmkt_pipeline.platforms.google_ads.standin import below

PLATFORM = "google_ads"
_MATCH = {"EXACT": "exact", "PHRASE": "phrase", "BROAD": "broad"}


def _structures(world):
    for account in world.accounts(PLATFORM):
        yield account, below.structure(world.spec, account)


def ad_groups(world) -> list[dict[str, Any]]:
    return [
        {"platform": PLATFORM, "account_id": a.account_id, "campaign_id": g.campaign_id,
         "ad_group_id": g.ad_group_id, "ad_group_name": g.name, "ad_group_status": g.status}
        for a, s in _structures(world) for g in s.ad_groups
    ]  # fmt: skip


def ads(world) -> list[dict[str, Any]]:
    return [
        {"platform": PLATFORM, "account_id": a.account_id, "campaign_id": ad.campaign_id,
         "ad_group_id": ad.ad_group_id, "ad_id": ad.ad_id, "ad_name": ad.name or ad.ad_type,
         "ad_status": ad.status, "final_url": ad.final_urls[0] if ad.final_urls else None}
        for a, s in _structures(world) for ad in s.ads
    ]  # fmt: skip


def _measures(r: below.Day) -> dict[str, Any]:
    return {
        "impressions": r.impressions,
        "clicks": r.clicks,
        "conversions": Decimal(repr(r.conversions)),
        "spend_local": Decimal(r.cost_micros).scaleb(-6),
        "conversion_value_local": Decimal(repr(r.conversions_value)),
    }


def ad_days(world, start: date, end: date) -> list[dict[str, Any]]:
    return [
        {"date": r.day, "platform": PLATFORM, "account_id": a.account_id,
         "campaign_id": r.campaign_id, "ad_group_id": r.ad_group_id, "ad_id": r.object_id,
         "currency": a.currency, **_measures(r)}
        for a in world.accounts(PLATFORM)
        for r in below.ad_days(world, a.account_id, start, end)
    ]  # fmt: skip


def keyword_days(world, start: date, end: date) -> list[dict[str, Any]]:
    keywords = {
        (a.account_id, k.criterion_id): k for a, s in _structures(world) for k in s.keywords
    }
    return [
        {"date": r.day, "platform": PLATFORM, "account_id": a.account_id,
         "campaign_id": r.campaign_id, "ad_group_id": r.ad_group_id, "keyword_id": r.object_id,
         "keyword_text": keywords[(a.account_id, r.object_id)].text,
         "match_type": _MATCH[keywords[(a.account_id, r.object_id)].match_type],
         "currency": a.currency, **_measures(r)}
        for a in world.accounts(PLATFORM)
        for r in below.keyword_days(world, a.account_id, start, end)
    ]  # fmt: skip


def campaign_types(world) -> dict[tuple[str, str], str]:
    return {
        (a.account_id, campaign_id): kind
        for a, s in _structures(world)
        for campaign_id, kind in s.campaign_types.items()
    }
