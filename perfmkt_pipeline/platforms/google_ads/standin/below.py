"""Google Ads below the campaign in the sandbox (issue #17): each account's ad groups, ads and
keywords, and their daily numbers as an exact split of the campaign rows the stand-in serves.

The campaign numbers (data.campaign_days, their generation and seeds) are untouched:
every served campaign-day is cut into its ad groups, each ad group into its ads and, for
keyword-targeted Search campaigns, into its keywords, by the largest-remainder method over
weights drawn from RNGs of their own ("below" keys), so the parts are whole micros, impressions,
clicks, half conversions and minor units that sum to the campaign's exactly, on every as-of date
(restatements included). Conversions are split per conversion action (the campaign's rows per
action: Purchase, Lead, Page view), so an ad's or keyword's rows per action sum to the
campaign's per action, and its `metrics.conversions` is the sum of its counted actions (Purchase
and Lead), as the campaign's is. Campaign types follow the campaign's name: "PMax Shopping" campaigns
are Performance Max (asset groups, no ad groups, ads or keywords: Google reports none), "DSA"
campaigns are dynamic Search ads (ads, no keywords), "Remarketing" ones Display (ads, no
keywords), the rest keyword-targeted Search. As Google does, rows without any metric are left
out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from perfmkt_pipeline.platforms.google_ads.standin import data
from perfmkt_pipeline.platforms.google_ads.standin.generation import google_campaign_params
from perfmkt_pipeline.sandbox.generation import minor_exponent, rng_for
from perfmkt_pipeline.sandbox.spec import SandboxAccount, WorldSpec

SHOP = "https://shop.example.com"
AD_GROUPS_PER_CAMPAIGN = 2
ADS_PER_AD_GROUP = 2
_MATCH_TYPES = ("EXACT", "PHRASE", "BROAD")
_WORDS = ("running shoes", "trail runners", "acme shoes", "buy sneakers", "shoe sale",
          "waterproof boots", "gift card", "new collection", "free shipping shoes")  # fmt: skip
_PAGES = ("", "sale", "collections/new-in", "products/trail-runner", "gift-cards")


def channel_type(campaign_name: str) -> str:
    """The advertising_channel_type of a sandbox campaign, from its name (see module)."""
    if "PMax" in campaign_name:
        return "PERFORMANCE_MAX"
    if "Remarketing" in campaign_name:
        return "DISPLAY"
    return "SEARCH"


def _has_keywords(campaign_name: str) -> bool:
    return channel_type(campaign_name) == "SEARCH" and "DSA" not in campaign_name


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass(frozen=True)
class AdGroup:
    campaign_id: str
    ad_group_id: str
    name: str
    status: str


@dataclass(frozen=True)
class Ad:
    campaign_id: str
    ad_group_id: str
    ad_id: str
    ad_type: str
    name: str  # "" where the ad type carries no name (Search ads)
    status: str
    final_urls: tuple[str, ...]


@dataclass(frozen=True)
class Keyword:
    campaign_id: str
    ad_group_id: str
    criterion_id: str
    text: str
    match_type: str
    status: str


@dataclass(frozen=True)
class Structure:
    campaign_types: dict[str, str]  # campaign id -> advertising_channel_type
    ad_groups: tuple[AdGroup, ...]
    ads: tuple[Ad, ...]
    keywords: tuple[Keyword, ...]


@lru_cache(maxsize=256)
def structure(spec: WorldSpec, account: SandboxAccount) -> Structure:
    """The account's ad groups, ads and keywords (Performance Max campaigns have none)."""
    p = google_campaign_params(spec, account)
    per_group = spec.of("google_ads").keywords_per_ad_group
    types, groups, ads, keywords = {}, [], [], []
    position = 0
    for index, (campaign_id, name) in enumerate(zip(p.campaign_ids, p.names, strict=True)):
        kind = channel_type(name)
        types[campaign_id] = kind
        if kind == "PERFORMANCE_MAX":
            continue
        for g in range(AD_GROUPS_PER_CAMPAIGN):
            group_id = f"{campaign_id}{g + 1:02d}"
            groups.append(AdGroup(campaign_id, group_id, f"{name} / Group {g + 1}", "ENABLED"))
            for a in range(ADS_PER_AD_GROUP):
                ad_id = f"{group_id}{a + 1:02d}"
                page = f"{SHOP}/{_PAGES[(position // 2) % len(_PAGES)]}"
                if position % 8 != 5:  # tagged in the final URL (one in eight: auto-tagging only)
                    page += f"?utm_source=google&utm_medium=cpc&utm_campaign={_slug(name)}"
                display = kind == "DISPLAY"
                # one in eight Search ads is a call ad: it sends people to a phone, no URL
                call = not display and position % 8 == 7
                ad_type = "RESPONSIVE_DISPLAY_AD" if display else "RESPONSIVE_SEARCH_AD"
                ads.append(
                    Ad(
                        campaign_id, group_id, ad_id, "CALL_AD" if call else ad_type,
                        f"Banner {index + 1}.{g + 1}.{a + 1}" if display else "",
                        "PAUSED" if position % 8 == 6 else "ENABLED",
                        () if call else (page,),
                    )
                )  # fmt: skip
                position += 1
            if _has_keywords(name):
                for k in range(per_group):
                    word = _WORDS[(index * 3 + g * 2 + k) % len(_WORDS)]
                    keywords.append(
                        Keyword(
                            campaign_id, group_id, f"{group_id}{k + 1:03d}",
                            f"{word} {g + 1}", _MATCH_TYPES[k % 3], "ENABLED",
                        )
                    )  # fmt: skip
    return Structure(types, tuple(groups), tuple(ads), tuple(keywords))


def split(total: int, weights: np.ndarray) -> np.ndarray:
    """`total` cut into whole parts proportional to `weights` (largest remainder; ties to the
    first): the parts sum to `total` exactly."""
    if total == 0 or len(weights) == 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights / weights.sum() * total
    parts = np.floor(exact).astype(np.int64)
    short = int(total - parts.sum())
    order = np.argsort(-(exact - parts), kind="stable")
    parts[order[:short]] += 1
    return parts


@dataclass(frozen=True)
class Day:
    """One row of an ad or keyword report: the reported object and its metrics."""

    campaign_id: str
    ad_group_id: str
    object_id: str  # the ad id, or the keyword's criterion id
    day: date
    cost_micros: int
    impressions: int
    clicks: int
    conversions: float  # multiples of 0.5, as the campaign's: its counted actions
    conversions_value: float  # whole minor units, as the campaign's


@dataclass(frozen=True)
class ActionDay:
    """One row of an ad or keyword report segmented by conversion action."""

    campaign_id: str
    ad_group_id: str
    object_id: str
    day: date
    conversion_action_name: str
    conversions: float  # every conversion of the action (the API's metrics.all_conversions)
    conversions_value: float
    counted: bool  # "include in conversions" (only then in metrics.conversions)


_DELIVERY = ("cost_micros", "impressions", "clicks")


def _weights(spec: WorldSpec, account: SandboxAccount, day: date, what: str, n: int) -> np.ndarray:
    rng = rng_for(spec.seed, "google_ads", account.account_id, "below", what, day.isoformat())
    return rng.uniform(0.3, 1.7, n)


def _parts(world, account_id: str, start: date, end: date, as_of: date, keywords: bool):
    """(Day or None, [ActionDay]) per ad (or keyword) and day of [start, end] as served on
    `as_of`: the campaign rows and the campaign's rows per conversion action, split."""
    account = world.account("google_ads", account_id)
    s = structure(world.spec, account)
    scale = 10 ** minor_exponent(account.currency)
    by_campaign: dict[str, list[AdGroup]] = {}
    for group in s.ad_groups:
        by_campaign.setdefault(group.campaign_id, []).append(group)
    children: dict[str, list[str]] = {}
    if keywords:
        for k in s.keywords:
            children.setdefault(k.ad_group_id, []).append(k.criterion_id)
    else:
        for a in s.ads:
            children.setdefault(a.ad_group_id, []).append(a.ad_id)
    # Every campaign-day with a campaign row or a row per action (a day of page views only has
    # no campaign row: nothing counted, nothing spent).
    totals: dict[tuple[str, date], dict] = {}
    for row in data.campaign_days(world, account_id, start, end, as_of=as_of):
        if row.campaign_id in by_campaign:
            totals[(row.campaign_id, row.day)] = {
                "cost_micros": row.cost_micros, "impressions": row.impressions,
                "clicks": row.clicks,
            }  # fmt: skip
    counted: dict[str, bool] = {}
    for row in data.conversion_action_days(world, account_id, start, end, as_of=as_of):
        if row.campaign_id not in by_campaign:
            continue
        found = totals.setdefault((row.campaign_id, row.day), dict.fromkeys(_DELIVERY, 0))
        name = row.conversion_action_name
        counted[name] = row.counted
        found[("halves", name)] = round(row.conversions * 2)
        found[("minor", name)] = round(row.conversions_value * scale)
    order = {cid: i for i, cid in enumerate(s.campaign_types)}
    out = []
    for campaign_id, day in sorted(totals, key=lambda k: (k[1], order[k[0]])):
        values = totals[(campaign_id, day)]
        metrics = list(values)
        groups = by_campaign[campaign_id]
        ws = _weights(world.spec, account, day, campaign_id, len(groups))
        group_parts = {m: split(values[m], ws) for m in metrics}
        for g, group in enumerate(groups):
            kids = children.get(group.ad_group_id, [])
            if not kids:
                continue
            wk = _weights(world.spec, account, day, f"{group.ad_group_id}/{keywords}", len(kids))
            parts = {m: split(int(group_parts[m][g]), wk) for m in metrics}
            for i, object_id in enumerate(kids):
                got = {m: int(parts[m][i]) for m in metrics}
                names = [m[1] for m in metrics if isinstance(m, tuple) and m[0] == "halves"]
                actions = [
                    ActionDay(campaign_id, group.ad_group_id, object_id, day, name,
                              got[("halves", name)] / 2, got[("minor", name)] / scale,
                              counted[name])
                    for name in names
                    if got[("halves", name)] or got[("minor", name)]
                ]  # fmt: skip
                halves = sum(got[("halves", n)] for n in names if counted[n])
                minor = sum(got[("minor", n)] for n in names if counted[n])
                day_row = None
                if any(got[m] for m in _DELIVERY) or halves or minor:
                    day_row = Day(
                        campaign_id, group.ad_group_id, object_id, day, got["cost_micros"],
                        got["impressions"], got["clicks"], halves / 2, minor / scale,
                    )  # fmt: skip
                if day_row is not None or actions:
                    out.append((day_row, actions))
    return out


def ad_days(world, account_id: str, start: date, end: date, *, as_of: date | None = None):
    """Rows of `FROM ad_group_ad ... segments.date` (ad id in `object_id`)."""
    parts = _parts(world, account_id, start, end, as_of or world.as_of, keywords=False)
    return [d for d, _ in parts if d is not None]


def keyword_days(world, account_id: str, start: date, end: date, *, as_of: date | None = None):
    """Rows of `FROM keyword_view ... segments.date` (criterion id in `object_id`)."""
    parts = _parts(world, account_id, start, end, as_of or world.as_of, keywords=True)
    return [d for d, _ in parts if d is not None]


def ad_action_days(world, account_id: str, start: date, end: date, *, as_of: date | None = None):
    """Rows of `FROM ad_group_ad` segmented by date and conversion action."""
    parts = _parts(world, account_id, start, end, as_of or world.as_of, keywords=False)
    return [a for _, actions in parts for a in actions]


def keyword_action_days(
    world, account_id: str, start: date, end: date, *, as_of: date | None = None
):
    """Rows of `FROM keyword_view` segmented by date and conversion action."""
    parts = _parts(world, account_id, start, end, as_of or world.as_of, keywords=True)
    return [a for _, actions in parts for a in actions]
