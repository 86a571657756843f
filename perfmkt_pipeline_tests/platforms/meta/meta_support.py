"""Helpers for the Meta connector tests: a fake clock, a log collector, and ground-truth views.

The ground-truth views turn both what the pipeline landed and what the sandbox world serves into
the same dictionaries, so tests compare them with `==` (Decimal values, exact).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from perfmkt_pipeline.platforms.meta.standin import data as meta_data
from perfmkt_pipeline.platforms.meta.standin import sandbox as meta_sandbox
from perfmkt_pipeline.sandbox.world import World

# The sandbox world's accounts (WorldSpec.small): USD, GBP and JPY.
US, UK, JP = "101000000000001", "101000000000002", "101000000000003"
ACCOUNTS = [US, UK, JP]
PURCHASE = "offsite_conversion.fb_pixel_purchase"


@dataclass
class FakeClock:
    """Monotonic time that only moves when something sleeps; every sleep is recorded."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class ListLogger:
    """Collects what the client logs (the same calls Dagster's context.log accepts)."""

    lines: list[tuple[str, str]] = field(default_factory=list)

    def debug(self, message: str) -> None:
        self.lines.append(("debug", message))

    def info(self, message: str) -> None:
        self.lines.append(("info", message))

    def warning(self, message: str) -> None:
        self.lines.append(("warning", message))

    def text(self) -> str:
        return "\n".join(message for _, message in self.lines)

    def waits(self, reason: str) -> list[float]:
        """Seconds of each logged wait whose reason contains `reason`."""
        out = []
        for _, message in self.lines:
            if ": waiting " in message and reason in message:
                out.append(float(message.split(": waiting ")[1].split("s ")[0]))
        return out


def ad_days(rows: Iterable[dict[str, Any]]) -> dict[tuple, tuple]:
    """(account, day, ad) -> (campaign, spend, impressions, clicks) of raw.meta_ad_insights rows."""
    return {
        (r["account_id"], r["date"], r["ad_id"]): (
            r["campaign_id"],
            Decimal(r["spend"]),
            int(r["impressions"]),
            int(r["clicks"]),
        )
        for r in rows
    }


def expected_ad_days(
    world: World, accounts: list[str], start: dt.date, end: dt.date, as_of: dt.date | None = None
) -> dict[tuple, tuple]:
    return {
        (r.account_id, r.day, r.ad_id): (r.campaign_id, r.spend, r.impressions, r.clicks)
        for account_id in accounts
        for r in meta_data.ad_days(world, account_id, start, end, as_of=as_of)
    }


def actions(rows: Iterable[dict[str, Any]]) -> dict[tuple, tuple]:
    """(account, ad, day, action type, attribution) -> (count, value) of raw.meta_ad_actions."""
    out = {}
    for r in rows:
        key = (r["account_id"], r["ad_id"], r["date"], r["action_type"], r["attribution"])
        value = r["action_value"]
        out[key] = (Decimal(r["actions"] or 0), None if value is None else Decimal(value))
    return out


def expected_actions(
    world: World,
    accounts: list[str],
    start: dt.date,
    end: dt.date,
    windows: Iterable[str],
    as_of: dt.date | None = None,
) -> dict[tuple, tuple]:
    """The sandbox's ground truth for the attributions the client asked for ("value" + windows)."""
    wanted = {"value", *windows}
    truth = meta_sandbox.ground_truth_actions(world, start, end, as_of=as_of, level="ad")
    return {
        (r.account_id, r.ad_id, r.day, r.action_type, r.window): (r.count, r.value)
        for r in truth.itertuples(index=False)
        if r.account_id in accounts and r.window in wanted
    }


def campaign_days(insights: Iterable[dict], action_rows: Iterable[dict]) -> dict[tuple, tuple]:
    """(account, campaign, day) -> (spend, impressions, clicks, purchases, purchase value)."""
    totals: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0, 0, Decimal(0), Decimal(0)])
    for r in insights:
        t = totals[(r["account_id"], r["campaign_id"], r["date"])]
        t[0] += Decimal(r["spend"])
        t[1] += int(r["impressions"])
        t[2] += int(r["clicks"])
    for r in action_rows:
        if r["action_type"] == PURCHASE and r["attribution"] == "value":
            t = totals[(r["account_id"], r["campaign_id"], r["date"])]
            t[3] += Decimal(r["actions"] or 0)
            t[4] += Decimal(r["action_value"] or 0)
    return {k: tuple(v) for k, v in totals.items()}


def expected_campaign_days(
    world: World, accounts: list[str], start: dt.date, end: dt.date, as_of: dt.date | None = None
) -> dict[tuple, tuple]:
    truth = world.ground_truth("meta", start, end, as_of=as_of, level="campaign")
    return {
        (r.account_id, r.campaign_id, r.day): (
            r.spend,
            r.impressions,
            r.clicks,
            r.conversions,
            r.conversion_value,
        )
        for r in truth.itertuples(index=False)
        if r.account_id in accounts
    }
