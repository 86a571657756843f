"""Meta ad-level daily rows of the sandbox world, as served on a given as-of date.

Each ad-day has final attribution components per action type (generation.meta_day_block); the
windows Meta reports are sums of them: 1d_click = c1, 7d_click = c1 + c7, 28d_click = c1 + c7 +
c28, 1d_view = v1, and the default `value` (7-day click + 1-day view) = c1 + c7 + v1. Each
component is restated on its own curve (generation.CURVES), so windows stay nested. Injected
anomalies (sandbox/anomalies.py) are applied here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from perfmkt_pipeline.platforms.meta.standin.generation import (
    CURVES,
    META,
    META_COMPONENTS,
    meta_day_block,
    meta_structure,
)
from perfmkt_pipeline.sandbox.anomalies import active
from perfmkt_pipeline.sandbox.generation import minor_exponent
from perfmkt_pipeline.sandbox.parts import SandboxCampaign
from perfmkt_pipeline.sandbox.restatement import served
from perfmkt_pipeline.sandbox.spec import SandboxAccount, WorldSpec

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.world import World

META_PURCHASE = "offsite_conversion.fb_pixel_purchase"
# Meta reports the same purchases again under omni_purchase; summing both double-counts.
META_OMNI_PURCHASE = "omni_purchase"
META_LEAD = "lead"
META_LINK_CLICK = "link_click"
# Link clicks are counted by Meta itself, not by the advertiser's pixel: they survive a pixel
# break.
_NON_PIXEL_ACTIONS = frozenset({META_LINK_CLICK})


@dataclass(frozen=True, slots=True)
class MetaAd:
    account_id: str
    campaign_id: str
    campaign_name: str
    adset_id: str
    adset_name: str
    ad_id: str
    ad_name: str


@dataclass(frozen=True, slots=True)
class MetaAction:
    """One entry of `actions` / `action_values`: the default value plus per-window values."""

    action_type: str
    value: Decimal  # default attribution: 7d_click + 1d_view
    windows: tuple[tuple[str, Decimal], ...]  # (window, value) for non-zero windows only

    def window(self, name: str) -> Decimal:
        return dict(self.windows).get(name, Decimal(0))


@dataclass(frozen=True, slots=True)
class MetaAdDay:  # one row of level=ad, time_increment=1 insights
    account_id: str
    campaign_id: str
    campaign_name: str
    adset_id: str
    adset_name: str
    ad_id: str
    ad_name: str
    day: date
    currency: str
    spend: Decimal  # 2 decimals, whole units for JPY
    impressions: int
    clicks: int
    actions: tuple[MetaAction, ...]
    action_values: tuple[MetaAction, ...]


def ads(spec: WorldSpec, account: SandboxAccount) -> list[MetaAd]:
    s = meta_structure(spec, account)
    return [
        MetaAd(
            account.account_id,
            s.campaign_ids[s.ad_campaign[i]],
            s.campaign_names[s.ad_campaign[i]],
            s.adset_ids[i],
            s.adset_names[i],
            ad_id,
            s.ad_names[i],
        )
        for i, ad_id in enumerate(s.ad_ids)
    ]


def _windows(c1: int, c7: int, c28: int, v1: int, unit: int, to_decimal) -> tuple:
    """Default value and the non-zero windows, each `unit` times the component counts."""
    pairs = (
        ("1d_click", c1 * unit),
        ("7d_click", (c1 + c7) * unit),
        ("28d_click", (c1 + c7 + c28) * unit),
        ("1d_view", v1 * unit),
    )
    return to_decimal((c1 + c7 + v1) * unit), tuple((w, to_decimal(v)) for w, v in pairs if v)


def ad_day_rows(
    spec: WorldSpec, account: SandboxAccount, day: date, as_of: date
) -> list[MetaAdDay]:
    """Rows of one account-day with activity, in ad order."""
    s = meta_structure(spec, account)
    b = meta_day_block(spec, account, day)
    exp = minor_exponent(account.currency)

    def money(v: int) -> Decimal:
        return Decimal(v).scaleb(-exp)

    age = (as_of - day).days
    purchases = [served(b[f"purchase_{c}"], CURVES[c], age).tolist() for c in META_COMPONENTS]
    leads = [served(b[f"lead_{c}"], CURVES[c], age).tolist() for c in META_COMPONENTS]
    impressions, clicks = b["impressions"].tolist(), b["clicks"].tolist()
    spend, links = b["spend_minor"].tolist(), b["link_clicks"].tolist()
    aov = b["purchase_aov_minor"].tolist()
    campaign_of = s.ad_campaign.tolist()
    rows = []
    for i in np.flatnonzero(b["impressions"] + b["spend_minor"]).tolist():
        actions, values = [], []
        if links[i]:
            n = Decimal(links[i])
            actions.append(
                MetaAction(META_LINK_CLICK, n, (("1d_click", n), ("7d_click", n), ("28d_click", n)))
            )
        p = (purchases[0][i], purchases[1][i], purchases[2][i], purchases[3][i])
        if any(p):
            default, wins = _windows(*p, 1, Decimal)
            vdefault, vwins = _windows(*p, aov[i], money)
            for action_type in (META_PURCHASE, META_OMNI_PURCHASE):
                actions.append(MetaAction(action_type, default, wins))
                values.append(MetaAction(action_type, vdefault, vwins))
        lead = (leads[0][i], leads[1][i], leads[2][i], leads[3][i])
        if any(lead):
            actions.append(MetaAction(META_LEAD, *_windows(*lead, 1, Decimal)))
        c = campaign_of[i]
        rows.append(
            MetaAdDay(
                account.account_id,
                s.campaign_ids[c],
                s.campaign_names[c],
                s.adset_ids[i],
                s.adset_names[i],
                s.ad_ids[i],
                s.ad_names[i],
                day,
                account.currency,
                money(spend[i]),
                impressions[i],
                clicks[i],
                tuple(actions),
                tuple(values),
            )
        )
    return rows


def ad_days(
    world: World, account_id: str, start: date, end: date, *, as_of: date | None = None
) -> list[MetaAdDay]:
    """Ad-level daily insights rows; zero-activity rows omitted (as Meta does)."""
    as_of = as_of or world.as_of
    acc = world.account(META, account_id)
    first, last = world.data_range(start, end, as_of)
    rows = []
    day = first
    while day <= last:
        rows.extend(ad_day_rows(world.spec, acc, day, as_of))
        day += timedelta(days=1)
    return _inject(world.injections, rows) if world.injections else rows


def campaigns(world: World, account: SandboxAccount) -> list[SandboxCampaign]:
    """The account's campaigns, their statuses as of `world.as_of`."""
    s = meta_structure(world.spec, account)
    return [
        SandboxCampaign(
            META,
            account.account_id,
            cid,
            s.campaign_names[c],
            "PAUSED"
            if s.campaign_end_day[c] is not None and world.as_of > s.campaign_end_day[c]
            else "ACTIVE",
        )
        for c, cid in enumerate(s.campaign_ids)
    ]


def _inject(injections, rows: list[MetaAdDay]) -> list[MetaAdDay]:
    """Rows as served with the injections applied: a silent account sends none, a broken pixel
    keeps only the actions Meta counts itself, a spend spike multiplied spend."""
    out = []
    for row in rows:
        args = (META, row.account_id, row.day)
        if active(injections, "stop_reporting", *args):
            continue
        if active(injections, "pixel_break", *args):
            kept = tuple(a for a in row.actions if a.action_type in _NON_PIXEL_ACTIONS)
            row = replace(row, actions=kept, action_values=())
        for spike in active(injections, "spend_spike", *args):
            row = replace(row, spend=row.spend * spike.factor)
        out.append(row)
    return out
