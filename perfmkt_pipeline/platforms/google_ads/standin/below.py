"""Google Ads below the campaign in the sandbox (issue #17): each account's ad groups, ads and
keywords, and their daily numbers as an exact split of the campaign rows the stand-in serves.

The campaign numbers (data.campaign_days, their generation and seeds) are untouched:
every served campaign-day is cut into its ad groups, each ad group into its ads and, for
keyword-targeted Search campaigns, into its keywords, by the largest-remainder method over
weights drawn from RNGs of their own ("below" keys), so the parts are whole micros, impressions,
clicks, half conversions and minor units that sum to the campaign's exactly, on every as-of date
(restatements included). Campaign types follow the campaign's name: "PMax Shopping" campaigns
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
KEYWORDS_PER_AD_GROUP = 3
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
                for k in range(KEYWORDS_PER_AD_GROUP):
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
    conversions: float  # multiples of 0.5, as the campaign's
    conversions_value: float  # whole minor units, as the campaign's


_METRICS = ("cost_micros", "impressions", "clicks", "halves", "value_minor")


def _weights(spec: WorldSpec, account: SandboxAccount, day: date, what: str, n: int) -> np.ndarray:
    rng = rng_for(spec.seed, "google_ads", account.account_id, "below", what, day.isoformat())
    return rng.uniform(0.3, 1.7, n)


def _rows(world, account_id: str, start: date, end: date, as_of: date, keywords: bool) -> list:
    """The ad (or keyword) rows of [start, end] as served on `as_of`."""
    account = world.account("google_ads", account_id)
    s = structure(world.spec, account)
    scale = 10 ** minor_exponent(account.currency)
    by_campaign: dict[str, list[AdGroup]] = {}
    for group in s.ad_groups:
        by_campaign.setdefault(group.campaign_id, []).append(group)
    children: dict[str, list[tuple[str, str]]] = {}
    if keywords:
        for k in s.keywords:
            children.setdefault(k.ad_group_id, []).append((k.criterion_id, "keyword"))
    else:
        for a in s.ads:
            children.setdefault(a.ad_group_id, []).append((a.ad_id, "ad"))
    out = []
    for row in data.campaign_days(world, account_id, start, end, as_of=as_of):
        groups = by_campaign.get(row.campaign_id, [])
        if not groups:
            continue
        totals = {
            "cost_micros": row.cost_micros, "impressions": row.impressions,
            "clicks": row.clicks, "halves": round(row.conversions * 2),
            "value_minor": round(row.conversions_value * scale),
        }  # fmt: skip
        ws = _weights(world.spec, account, row.day, row.campaign_id, len(groups))
        group_parts = {m: split(totals[m], ws) for m in _METRICS}
        for g, group in enumerate(groups):
            kids = children.get(group.ad_group_id, [])
            if not kids:
                continue
            wk = _weights(
                world.spec, account, row.day, f"{group.ad_group_id}/{keywords}", len(kids)
            )
            parts = {m: split(int(group_parts[m][g]), wk) for m in _METRICS}
            for i, (object_id, _) in enumerate(kids):
                values = {m: int(parts[m][i]) for m in _METRICS}
                if not any(values.values()):
                    continue
                out.append(
                    Day(
                        row.campaign_id, group.ad_group_id, object_id, row.day,
                        values["cost_micros"], values["impressions"], values["clicks"],
                        values["halves"] / 2, values["value_minor"] / scale,
                    )
                )  # fmt: skip
    return out


def ad_days(world, account_id: str, start: date, end: date, *, as_of: date | None = None):
    """Rows of `FROM ad_group_ad ... segments.date` (ad id in `object_id`)."""
    return _rows(world, account_id, start, end, as_of or world.as_of, keywords=False)


def keyword_days(world, account_id: str, start: date, end: date, *, as_of: date | None = None):
    """Rows of `FROM keyword_view ... segments.date` (criterion id in `object_id`)."""
    return _rows(world, account_id, start, end, as_of or world.as_of, keywords=True)
