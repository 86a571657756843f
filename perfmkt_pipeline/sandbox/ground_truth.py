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

from perfmkt_pipeline.sandbox import parts
from perfmkt_pipeline.warehouse import measures

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.world import World

ZERO = Decimal(0)
PERFORMANCE_COLUMNS = ["platform", "account_id", "campaign_id", "day", "currency", *measures.NAMES]


def frame(rows: list[dict], columns: list[str], sort: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns).astype(object)
    return df.sort_values(sort, kind="stable").reset_index(drop=True) if rows else df


def performance(world: World, platform: str, start: date, end: date, as_of: date, level: str):
    """Per (account, campaign, day) — or per (account, day) with level="account" — totals of
    spend, impressions, clicks, conversions, conversion_value in local currency.

    What each platform counts as conversions is its sandbox part's (`performance`, in its
    stand-in's folder): an ad platform the actions it counts, a network its non-reversed actions
    by event day (campaign = partner id, spend = commission, conversions = count,
    conversion_value = sale amount, impressions/clicks None).
    """
    if level not in ("campaign", "account"):
        raise ValueError("level must be 'campaign' or 'account'")
    source = parts.part(platform).performance(world, start, end, as_of)
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
    return frame(rows, columns, [c for c in ("account_id", "campaign_id", "day") if c in columns])


def conversions(world: World, platform: str, start: date, end: date, as_of: date):
    """Per (account, campaign, day, conversion_name): conversions and conversion_value.

    Each platform's conversions as its sandbox part gives them (`conversions`), rolled up to
    campaigns: an ad platform's per action, a network's its action type (non-reversed actions).
    """
    totals: dict[tuple, list] = defaultdict(lambda: [ZERO, ZERO, None])
    for acc, campaign_id, day, name, count, value in parts.part(platform).conversions(
        world, start, end, as_of
    ):
        t = totals[(acc.account_id, campaign_id, day, name)]
        t[0] += count
        t[1] += value
        t[2] = acc.currency
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
    return frame(rows, columns, ["account_id", "campaign_id", "day", "conversion_name"])


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
    return frame(rows, columns, ["account_id", "event_time", "action_id"])
