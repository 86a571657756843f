"""Google Ads' part of the sandbox world, generated: each account's campaigns (independent of
the day) and each account-day's final values, from the shared seeded helpers
(sandbox/generation.py). What is served of them on an as-of date: data.py."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from perfmkt_pipeline.sandbox.generation import (
    UNITS_PER_USD,
    minor_exponent,
    minor_round,
    rng_for,
    weekday_factor,
)
from perfmkt_pipeline.sandbox.restatement import curve
from perfmkt_pipeline.sandbox.spec import PlatformWorld, SandboxAccount, WorldSpec

GOOGLE_ADS = "google_ads"
# Customer statuses as the API names them (CustomerStatusEnum); only ENABLED serves data.
STATUS_CANCELED = "CANCELED"
# Google Ads restates conversions over the conversion window (commonly 30 days; PLATFORMS.md).
WINDOW_DAYS = 30
CURVE = curve(WINDOW_DAYS, lambda a: 1 - 0.5 * math.exp(-(a - 1) / 6))


@dataclass(frozen=True)
class GoogleManager:
    customer_id: str
    name: str
    currency: str
    timezone: str


@dataclass(frozen=True)
class GoogleAdsWorld(PlatformWorld):
    """Google Ads' accounts (cancelled accounts and sub-managers among them: listed under their
    manager, without data), its managers (MCC) and the scale of its campaigns."""

    platform: str = GOOGLE_ADS
    managers: tuple[GoogleManager, ...] = ()
    campaigns_per_account: int = 6
    # Keywords of each ad group of a keyword-targeted Search campaign (below.py; issue #17).
    keywords_per_ad_group: int = 3
    # Mean daily impressions of one active campaign (before weekday effects).
    impressions_per_campaign_day: float = 4000.0


@dataclass(frozen=True)
class GoogleCampaignParams:
    campaign_ids: tuple[str, ...]
    names: tuple[str, ...]
    ctr: np.ndarray
    cvr: np.ndarray
    cpc: np.ndarray  # account currency units
    aov: np.ndarray  # account currency units per purchase
    lead_value_minor: int  # even, so a half lead is a whole minor unit
    impressions: np.ndarray  # mean daily impressions
    start_day: tuple[date, ...]
    end_day: tuple[date | None, ...]  # paused/removed campaigns stop after this day
    stop_status: tuple[str, ...]  # status once stopped: "PAUSED" | "REMOVED"


_GOOGLE_NAMES = ("Brand", "Generic", "Competitor", "PMax Shopping", "DSA", "Remarketing")


@lru_cache(maxsize=256)
def google_campaign_params(spec: WorldSpec, account: SandboxAccount) -> GoogleCampaignParams:
    knobs = spec.of(GOOGLE_ADS)
    n = knobs.campaigns_per_account
    rng = rng_for(spec.seed, GOOGLE_ADS, account.account_id, "campaigns")
    fx = UNITS_PER_USD[account.currency]
    ctr = rng.uniform(0.01, 0.05, n)
    cvr = rng.uniform(0.02, 0.09, n)
    cpc = rng.uniform(0.4, 2.5, n) * fx
    roas = rng.uniform(1.0, 5.5, n)
    purchase_share = 0.7  # of all counted conversions; the rest are leads
    aov = roas * cpc / (cvr * purchase_share)
    impressions = rng.lognormal(0.0, 0.6, n) * knobs.impressions_per_campaign_day
    late_start = rng.random(n) < 0.2
    start_offsets = np.where(late_start, rng.integers(10, 200, n), 0)
    stops = rng.random(n) < 0.15
    stop_offsets = rng.integers(120, 330, n)
    removed = rng.random(n) < 0.3
    lead_value_minor = 2 * max(1, int(round(5 * fx * 10 ** minor_exponent(account.currency) / 2)))
    prefix = account.account_id[:4]
    start_day = tuple(spec.history_start + timedelta(days=int(o)) for o in start_offsets)
    end_day = tuple(
        start_day[i] + timedelta(days=int(stop_offsets[i])) if stops[i] else None for i in range(n)
    )
    return GoogleCampaignParams(
        campaign_ids=tuple(f"{prefix}{i + 1:07d}" for i in range(n)),
        names=tuple(
            f"Search - {_GOOGLE_NAMES[i % len(_GOOGLE_NAMES)]} - {i + 1:03d}" for i in range(n)
        ),
        ctr=ctr,
        cvr=cvr,
        cpc=cpc,
        aov=aov,
        lead_value_minor=lead_value_minor,
        impressions=impressions,
        start_day=start_day,
        end_day=end_day,
        stop_status=tuple("REMOVED" if r else "PAUSED" for r in removed),
    )


@lru_cache(maxsize=4096)
def google_day_block(spec: WorldSpec, account: SandboxAccount, day: date) -> dict[str, np.ndarray]:
    """Final values of every campaign of an account on a day (arrays indexed like the campaigns)."""
    p = google_campaign_params(spec, account)
    n = len(p.campaign_ids)
    rng = rng_for(spec.seed, GOOGLE_ADS, account.account_id, day.isoformat())
    running = np.array(
        [p.start_day[i] <= day and (p.end_day[i] is None or day <= p.end_day[i]) for i in range(n)]
    )
    active = running & (rng.random(n) > 0.03)
    mean = p.impressions * weekday_factor(day) * rng.lognormal(0.0, 0.25, n)
    impressions = np.where(active, rng.poisson(mean), 0).astype(np.int64)
    clicks = rng.binomial(impressions, p.ctr).astype(np.int64)
    cost_units = clicks * p.cpc * rng.lognormal(0.0, 0.15, n)
    if minor_exponent(account.currency) == 0:
        cost_micros = np.rint(cost_units).astype(np.int64) * 1_000_000
    else:
        cost_micros = np.rint(cost_units * 1_000_000).astype(np.int64)
    # Data-driven attribution gives fractional conversions: counted in halves.
    purchase_halves = rng.binomial(2 * clicks, p.cvr * 0.7).astype(np.int64)
    lead_halves = rng.binomial(2 * clicks, p.cvr * 0.3).astype(np.int64)
    page_views = rng.binomial(clicks, 0.6).astype(np.int64)
    value_units = purchase_halves / 2 * p.aov * rng.lognormal(0.0, 0.2, n)
    return {
        "impressions": impressions,
        "clicks": clicks,
        "cost_micros": cost_micros,
        "purchase_halves": purchase_halves,
        "purchase_value_minor": minor_round(value_units, account.currency),
        "lead_halves": lead_halves,
        "lead_value_minor": lead_halves * (p.lead_value_minor // 2),
        "page_views": page_views,
    }
