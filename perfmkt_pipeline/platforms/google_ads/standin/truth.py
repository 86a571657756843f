"""Ground truth below the campaign for Google Ads (issue #17): the ad groups, ads, ad days and
keyword days the stand-in serves (below.py), in each account's own currency, as the core
tables must hold them (costs from micros; conversions as metrics.conversions, the default
mapping, or with `conversion_actions` every conversion of the listed actions, as the campaign
rows count them)."""

from __future__ import annotations

from collections.abc import Sequence
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


def _days(world, start: date, end: date, keywords: bool, conversion_actions: Sequence[str]):
    """(account, campaign id, ad group id, object id, day, measures) of every ad (or keyword)
    day, conversions under the mapping."""
    for a in world.accounts(PLATFORM):
        days, per_action = (
            (below.keyword_days, below.keyword_action_days)
            if keywords
            else (below.ad_days, below.ad_action_days)
        )
        found: dict[tuple, dict[str, Any]] = {}
        for r in days(world, a.account_id, start, end):
            found[(r.campaign_id, r.ad_group_id, r.object_id, r.day)] = _measures(r)
        if conversion_actions:
            for m in found.values():
                m["conversions"] = m["conversion_value_local"] = Decimal(0)
            for r in per_action(world, a.account_id, start, end):
                if r.conversion_action_name not in conversion_actions:
                    continue
                m = found.setdefault(
                    (r.campaign_id, r.ad_group_id, r.object_id, r.day),
                    {"impressions": 0, "clicks": 0, "conversions": Decimal(0),
                     "spend_local": Decimal(0), "conversion_value_local": Decimal(0)},
                )  # fmt: skip
                m["conversions"] += Decimal(repr(r.conversions))
                m["conversion_value_local"] += Decimal(repr(r.conversions_value))
        for (campaign_id, group_id, object_id, day), m in found.items():
            yield a, campaign_id, group_id, object_id, day, m


def ad_days(
    world, start: date, end: date, conversion_actions: Sequence[str] = ()
) -> list[dict[str, Any]]:
    return [
        {"date": day, "platform": PLATFORM, "account_id": a.account_id,
         "campaign_id": campaign_id, "ad_group_id": group_id, "ad_id": object_id,
         "currency": a.currency, **m}
        for a, campaign_id, group_id, object_id, day, m in _days(
            world, start, end, False, conversion_actions
        )
    ]  # fmt: skip


def keyword_days(
    world, start: date, end: date, conversion_actions: Sequence[str] = ()
) -> list[dict[str, Any]]:
    keywords = {
        (a.account_id, k.criterion_id): k for a, s in _structures(world) for k in s.keywords
    }
    return [
        {"date": day, "platform": PLATFORM, "account_id": a.account_id,
         "campaign_id": campaign_id, "ad_group_id": group_id, "keyword_id": object_id,
         "keyword_text": keywords[(a.account_id, object_id)].text,
         "match_type": _MATCH[keywords[(a.account_id, object_id)].match_type],
         "currency": a.currency, **m}
        for a, campaign_id, group_id, object_id, day, m in _days(
            world, start, end, True, conversion_actions
        )
    ]  # fmt: skip


def campaign_types(world) -> dict[tuple[str, str], str]:
    return {
        (a.account_id, campaign_id): kind
        for a, s in _structures(world)
        for campaign_id, kind in s.campaign_types.items()
    }
