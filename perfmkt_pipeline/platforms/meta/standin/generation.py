"""Meta's part of the sandbox world, generated: each account's campaigns, ad sets and ads
(independent of the day) and each account-day's final values per attribution component, from
the shared seeded helpers (sandbox/generation.py). What is served of them on an as-of date:
data.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from perfmkt_pipeline.sandbox.generation import (
    UNITS_PER_USD,
    minor_round,
    rng_for,
    weekday_factor,
)
from perfmkt_pipeline.sandbox.restatement import curve
from perfmkt_pipeline.sandbox.spec import PlatformWorld, SandboxAccount, WorldSpec

META = "meta"
# Meta attribution keeps changing a day's numbers for 28 days (28-day click window; PLATFORMS.md).
WINDOW_DAYS = 28


@dataclass(frozen=True)
class MetaWorld(PlatformWorld):
    """Meta's accounts and the scale of their campaigns, ad sets and ads."""

    platform: str = META
    campaigns_per_account: int = 2
    adsets_per_campaign: int = 2
    ads_per_adset: int = 2
    # Mean daily impressions of one active ad (before weekday effects).
    impressions_per_ad_day: float = 2500.0


@dataclass(frozen=True)
class MetaStructure:
    campaign_ids: tuple[str, ...]
    campaign_names: tuple[str, ...]
    campaign_end_day: tuple[date | None, ...]  # paused campaigns stop after this day
    ad_ids: tuple[str, ...]
    ad_names: tuple[str, ...]
    adset_ids: tuple[str, ...]  # per ad
    adset_names: tuple[str, ...]  # per ad
    ad_campaign: np.ndarray  # campaign index per ad
    ctr: np.ndarray
    cvr: np.ndarray
    cpm: np.ndarray  # account currency units per 1,000 impressions
    aov: np.ndarray
    impressions: np.ndarray


_META_OBJECTIVES = ("Prospecting", "Retargeting", "Lookalike", "Advantage+ Shopping", "Leads")


@lru_cache(maxsize=256)
def meta_structure(spec: WorldSpec, account: SandboxAccount) -> MetaStructure:
    knobs = spec.of(META)
    n_c = knobs.campaigns_per_account
    n_s = knobs.adsets_per_campaign
    n_a = knobs.ads_per_adset
    rng = rng_for(spec.seed, META, account.account_id, "structure")
    fx = UNITS_PER_USD[account.currency]
    tail = account.account_id[-6:]
    campaign_ids, campaign_names, ad_ids, ad_names, adset_ids, adset_names, ad_campaign = (
        [], [], [], [], [], [], []
    )  # fmt: skip
    for c in range(n_c):
        campaign_ids.append(f"2385{tail}{c + 1:03d}0000")
        campaign_names.append(f"{_META_OBJECTIVES[c % len(_META_OBJECTIVES)]} - {c + 1:02d}")
        for s in range(n_s):
            for a in range(n_a):
                adset_ids.append(f"2385{tail}{c + 1:03d}{s + 1:02d}00")
                adset_names.append(f"{campaign_names[-1]} / Audience {s + 1}")
                ad_ids.append(f"2385{tail}{c + 1:03d}{s + 1:02d}{a + 1:02d}")
                ad_names.append(f"Creative {c + 1}.{s + 1}.{a + 1}")
                ad_campaign.append(c)
    n = len(ad_ids)
    ctr = rng.uniform(0.006, 0.03, n)
    cvr = rng.uniform(0.015, 0.08, n)
    cpm = rng.uniform(5.0, 18.0, n) * fx
    roas = rng.uniform(0.8, 4.5, n)
    # Purchases per impression under the default window (7d_click + 1d_view) is about
    # ctr * 0.75 (link clicks) * cvr * 0.92 (the components inside the default window).
    aov = roas * (cpm / 1000.0) / (ctr * 0.75 * cvr * 0.92)
    impressions = rng.lognormal(0.0, 0.5, n) * knobs.impressions_per_ad_day
    stops = rng.random(n_c) < 0.2
    stop_offsets = rng.integers(90, 300, n_c)
    return MetaStructure(
        campaign_ids=tuple(campaign_ids),
        campaign_names=tuple(campaign_names),
        campaign_end_day=tuple(
            spec.history_start + timedelta(days=int(stop_offsets[c])) if stops[c] else None
            for c in range(n_c)
        ),
        ad_ids=tuple(ad_ids),
        ad_names=tuple(ad_names),
        adset_ids=tuple(adset_ids),
        adset_names=tuple(adset_names),
        ad_campaign=np.array(ad_campaign, dtype=np.int64),
        ctr=ctr,
        cvr=cvr,
        cpm=cpm,
        aov=aov,
        impressions=impressions,
    )


# Meta attribution components of one action type: 1-day click, days 2-7 after the click, days
# 8-28 after the click, and 1-day view. Windows are sums of components (see restatement.py).
META_COMPONENTS = ("c1", "c7", "c28", "v1")
_META_COMPONENT_SHARES = (0.55, 0.25, 0.08, 0.12)


@lru_cache(maxsize=4096)
def meta_day_block(spec: WorldSpec, account: SandboxAccount, day: date) -> dict[str, np.ndarray]:
    """Final values of every ad of a Meta account on a day (arrays indexed like the ads)."""
    s = meta_structure(spec, account)
    n = len(s.ad_ids)
    rng = rng_for(spec.seed, META, account.account_id, day.isoformat())
    campaign_running = np.array([e is None or day <= e for e in s.campaign_end_day])
    active = campaign_running[s.ad_campaign] & (rng.random(n) > 0.05)
    mean = s.impressions * weekday_factor(day) * rng.lognormal(0.0, 0.3, n)
    impressions = np.where(active, rng.poisson(mean), 0).astype(np.int64)
    clicks = rng.binomial(impressions, s.ctr).astype(np.int64)
    link_clicks = rng.binomial(clicks, 0.75).astype(np.int64)
    spend_units = impressions / 1000.0 * s.cpm * rng.lognormal(0.0, 0.1, n)
    purchases = rng.binomial(link_clicks, s.cvr)
    leads = rng.binomial(link_clicks, s.cvr * 0.5)
    purchase_split = rng.multinomial(purchases, _META_COMPONENT_SHARES)
    lead_split = rng.multinomial(leads, _META_COMPONENT_SHARES)
    aov_minor = np.maximum(minor_round(s.aov * rng.lognormal(0.0, 0.15, n), account.currency), 1)
    block = {
        "impressions": impressions,
        "clicks": clicks,
        "link_clicks": link_clicks,
        "spend_minor": minor_round(spend_units, account.currency),
        "purchase_aov_minor": aov_minor,
    }
    for k, comp in enumerate(META_COMPONENTS):
        block[f"purchase_{comp}"] = purchase_split[:, k].astype(np.int64)
        block[f"lead_{comp}"] = lead_split[:, k].astype(np.int64)
    return block


# Components (META_COMPONENTS): 1-day click and 1-day view are complete after a day; days 2-7
# after the click complete at age 8; days 8-28 complete at the 28-day window.
CURVES = {
    "c1": curve(2, lambda a: 0.85),
    "v1": curve(2, lambda a: 0.85),
    "c7": curve(8, lambda a: 0.3 + 0.7 * (a - 1) / 7),
    "c28": curve(WINDOW_DAYS, lambda a: (a / WINDOW_DAYS) ** 0.7),
}
