"""Ground truth: exact totals of what the sandbox serves, as pandas DataFrames.

Every function sums the very rows the stand-ins serialise (World's row methods), so the totals
are what an API client received, not a re-computation. Money and conversions are `Decimal`
(object columns), counts are Python ints; days are `datetime.date`. All amounts are in each
account's own currency (`currency` column). Call them through the World methods
(`World.ground_truth(...)` etc.), which fill in `as_of`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pandas as pd

from perfmkt_pipeline.platforms.awin.standin.data import AWIN_TYPE
from perfmkt_pipeline.platforms.cj.standin.data import CJ_ACTION_TYPE
from perfmkt_pipeline.platforms.impact.standin.data import IMPACT_ACTION_TRACKER
from perfmkt_pipeline.sandbox.spec import AFFILIATE_PLATFORMS
from perfmkt_pipeline.warehouse import measures

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.world import World

_ZERO = Decimal(0)
# Meta's conversions in `performance`: purchases at the default attribution (7d_click+1d_view).
META_PERFORMANCE_ACTION = "offsite_conversion.fb_pixel_purchase"
AFFILIATE_CONVERSION_NAME = {
    "impact": IMPACT_ACTION_TRACKER,
    "cj": CJ_ACTION_TYPE,
    "awin": AWIN_TYPE,
}
PERFORMANCE_COLUMNS = ["platform", "account_id", "campaign_id", "day", "currency", *measures.NAMES]


def _frame(rows: list[dict], columns: list[str], sort: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns).astype(object)
    return df.sort_values(sort, kind="stable").reset_index(drop=True) if rows else df


def _google_rows(world: World, start: date, end: date, as_of: date):
    for acc in world.accounts("google_ads"):
        for r in world.google_campaign_days(acc.account_id, start, end, as_of=as_of):
            yield (
                acc,
                r.campaign_id,
                r.day,
                {
                    "spend": Decimal(r.cost_micros).scaleb(-6),
                    "impressions": r.impressions,
                    "clicks": r.clicks,
                    "conversions": Decimal(repr(r.conversions)),
                    "conversion_value": Decimal(repr(r.conversions_value)),
                },
            )


def _meta_action(actions, action_type: str) -> Decimal:
    return next((a.value for a in actions if a.action_type == action_type), _ZERO)


def _meta_rows(world: World, start: date, end: date, as_of: date):
    for acc in world.accounts("meta"):
        for r in world.meta_ad_days(acc.account_id, start, end, as_of=as_of):
            yield (
                acc,
                r.campaign_id,
                r.day,
                {
                    "spend": r.spend,
                    "impressions": r.impressions,
                    "clicks": r.clicks,
                    "conversions": _meta_action(r.actions, META_PERFORMANCE_ACTION),
                    "conversion_value": _meta_action(r.action_values, META_PERFORMANCE_ACTION),
                },
            )


def _affiliate_rows(world: World, platform: str, start: date, end: date, as_of: date):
    for acc in world.accounts(platform):
        for a in world.affiliate_actions(platform, acc.account_id, start, end, as_of=as_of):
            if a.status == "reversed":
                continue
            yield (
                acc,
                a.partner_id,
                a.event_day,
                {
                    "spend": a.commission,
                    "impressions": None,
                    "clicks": None,
                    "conversions": Decimal(1),
                    "conversion_value": a.sale_amount,
                },
            )


def performance(world: World, platform: str, start: date, end: date, as_of: date, level: str):
    """Per (account, campaign, day) — or per (account, day) with level="account" — totals of
    spend, impressions, clicks, conversions, conversion_value in local currency.

    Google: conversions are the counted actions (Purchase + Lead). Meta: conversions and value
    are `offsite_conversion.fb_pixel_purchase` at the default window (use meta_actions for the
    others). Affiliates: non-reversed actions by event day, campaign = partner id, spend =
    commission, conversions = count, conversion_value = sale amount, impressions/clicks None.
    """
    if level not in ("campaign", "account"):
        raise ValueError("level must be 'campaign' or 'account'")
    if platform == "google_ads":
        source = _google_rows(world, start, end, as_of)
    elif platform == "meta":
        source = _meta_rows(world, start, end, as_of)
    elif platform in AFFILIATE_PLATFORMS:
        source = _affiliate_rows(world, platform, start, end, as_of)
    else:
        raise KeyError(f"unknown platform {platform!r}")
    totals: dict[tuple, dict] = {}
    for acc, campaign_id, day, values in source:
        key = (acc.account_id, campaign_id if level == "campaign" else None, day)
        if key not in totals:
            totals[key] = {"currency": acc.currency, **values}
            continue
        t = totals[key]
        for name, v in values.items():
            t[name] = None if v is None else t[name] + v
    rows = [
        {"platform": platform, "account_id": k[0], "campaign_id": k[1], "day": k[2], **v}
        for k, v in totals.items()
    ]
    columns = list(PERFORMANCE_COLUMNS)
    if level == "account":
        columns.remove("campaign_id")
        for r in rows:
            del r["campaign_id"]
    return _frame(rows, columns, [c for c in ("account_id", "campaign_id", "day") if c in columns])


def conversions(world: World, platform: str, start: date, end: date, as_of: date):
    """Per (account, campaign, day, conversion_name): conversions and conversion_value.

    Google: one row per conversion action (counted or not). Meta: one per action_type at the
    default window, rolled up from ads to campaigns (value 0 where the type has no value).
    Affiliates: the network's action type, non-reversed actions only.
    """
    totals: dict[tuple, list] = defaultdict(lambda: [_ZERO, _ZERO, None])
    if platform == "google_ads":
        for acc in world.accounts(platform):
            for r in world.google_conversion_action_days(acc.account_id, start, end, as_of=as_of):
                t = totals[(acc.account_id, r.campaign_id, r.day, r.conversion_action_name)]
                t[0] += Decimal(repr(r.conversions))
                t[1] += Decimal(repr(r.conversions_value))
                t[2] = acc.currency
    elif platform == "meta":
        for acc in world.accounts(platform):
            for r in world.meta_ad_days(acc.account_id, start, end, as_of=as_of):
                values = {a.action_type: a.value for a in r.action_values}
                for a in r.actions:
                    t = totals[(acc.account_id, r.campaign_id, r.day, a.action_type)]
                    t[0] += a.value
                    t[1] += values.get(a.action_type, _ZERO)
                    t[2] = acc.currency
    elif platform in AFFILIATE_PLATFORMS:
        name = AFFILIATE_CONVERSION_NAME[platform]
        for acc, campaign_id, day, v in _affiliate_rows(world, platform, start, end, as_of):
            t = totals[(acc.account_id, campaign_id, day, name)]
            t[0] += v["conversions"]
            t[1] += v["conversion_value"]
            t[2] = acc.currency
    else:
        raise KeyError(f"unknown platform {platform!r}")
    rows = [
        {
            "platform": platform,
            "account_id": k[0],
            "campaign_id": k[1],
            "day": k[2],
            "conversion_name": k[3],
            "currency": v[2],
            "conversions": v[0],
            "conversion_value": v[1],
        }
        for k, v in totals.items()
    ]
    columns = ["platform", "account_id", "campaign_id", "day", "conversion_name", "currency",
               "conversions", "conversion_value"]  # fmt: skip
    return _frame(rows, columns, ["account_id", "campaign_id", "day", "conversion_name"])


def meta_actions(world: World, start: date, end: date, as_of: date, level: str):
    """Meta actions per (account, [campaign, [ad]], day, action_type, window).

    `window` is "value" (the default attribution) or one of 1d_click, 7d_click, 28d_click,
    1d_view; `count` sums `actions`, `value` sums `action_values` (None for types without
    values). Zero windows are absent, as on the wire. level: "ad" | "campaign" | "account".
    """
    if level not in ("ad", "campaign", "account"):
        raise ValueError("level must be 'ad', 'campaign' or 'account'")
    totals: dict[tuple, list] = {}
    for acc in world.accounts("meta"):
        for r in world.meta_ad_days(acc.account_id, start, end, as_of=as_of):
            ids = (
                r.campaign_id if level != "account" else None,
                r.ad_id if level == "ad" else None,
            )
            for kind, entries in ((0, r.actions), (1, r.action_values)):
                for a in entries:
                    for window, v in (("value", a.value), *a.windows):
                        t = totals.setdefault(
                            (acc.account_id, *ids, r.day, a.action_type, window),
                            [_ZERO, None, acc.currency],
                        )
                        t[kind] = v if kind == 1 and t[1] is None else t[kind] + v
    rows = [
        {
            "account_id": k[0],
            "campaign_id": k[1],
            "ad_id": k[2],
            "day": k[3],
            "action_type": k[4],
            "window": k[5],
            "currency": v[2],
            "count": v[0],
            "value": v[1],
        }
        for k, v in totals.items()
    ]
    columns = ["account_id", "campaign_id", "ad_id", "day", "action_type", "window", "currency",
               "count", "value"]  # fmt: skip
    if level != "ad":
        columns.remove("ad_id")
    if level == "account":
        columns.remove("campaign_id")
    for r in rows:
        for c in ("campaign_id", "ad_id"):
            if c not in columns:
                del r[c]
    sort = [
        c
        for c in ("account_id", "campaign_id", "ad_id", "day", "action_type", "window")
        if c in columns
    ]
    return _frame(rows, columns, sort)


def affiliate_actions(world: World, platform: str, start, end, as_of: date):
    """Latest state (as of `as_of`) of every action with an event day in [start, end]
    (defaults: all history up to as_of - 1). One row per action_id."""
    start = start or world.spec.history_start
    end = end or date.max
    rows = [
        {
            "platform": platform,
            "account_id": a.account_id,
            "action_id": a.action_id,
            "event_date": a.event_day,
            "event_time": a.event_time,
            "status": a.status,
            "partner_id": a.partner_id,
            "partner_name": a.partner_name,
            "currency": a.currency,
            "sale_amount": a.sale_amount,
            "commission": a.commission,
            "updated_at": a.updated_at,
        }
        for acc in world.accounts(platform)
        for a in world.affiliate_actions(platform, acc.account_id, start, end, as_of=as_of)
    ]
    columns = ["platform", "account_id", "action_id", "event_date", "event_time", "status",
               "partner_id", "partner_name", "currency", "sale_amount", "commission", "updated_at"]  # fmt: skip
    return _frame(rows, columns, ["account_id", "event_time", "action_id"])


def fx_rates(world: World, start: date, end: date, as_of: date):
    """Published ECB fixes in [start, end]: columns day, currency, units_per_eur (Decimal).
    Only currencies with a rate that day (no `N/A`); EUR itself is not listed."""
    rows = [
        {"day": day, "currency": c, "units_per_eur": v}
        for day, fix in world.ecb_rates(start, end, as_of=as_of).items()
        for c, v in fix.items()
        if v is not None
    ]
    return _frame(rows, ["day", "currency", "units_per_eur"], ["day", "currency"])
