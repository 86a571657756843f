"""Seeded, vectorised generation of the sandbox's final (fully settled) numbers.

Every block of numbers comes from its own RNG derived from a stable hash of (seed, platform,
account, day, ...), so values do not depend on call order and nothing has to be materialised up
front. A block holds *final* values; restatement.py derives what is served on a given as-of date.
Money is kept in integer minor units (cents, whole yen; Google cost in micros) so that every sum
is exact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from perfmkt_pipeline.sandbox.spec import SandboxAccount, WorldSpec

# ISO 4217 minor-unit exponents that are not 2 (JPY has no minor unit).
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK"})

# Rough value of one unit of each currency in USD terms, to keep prices plausible per currency.
UNITS_PER_USD = {
    "USD": 1.0,
    "EUR": 0.92,
    "GBP": 0.79,
    "JPY": 150.0,
    "AUD": 1.52,
    "CAD": 1.36,
    "SEK": 10.6,
    "CHF": 0.88,
    "DKK": 6.9,
    "NOK": 10.7,
    "PLN": 4.0,
}

GOOGLE_CONVERSION_ACTIONS = ("Purchase", "Lead", "Page view")  # the last is not counted
WEEKEND_FACTOR = 0.75  # weekend traffic relative to weekdays


def minor_exponent(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL_CURRENCIES else 2


def rng_for(seed: int, *parts: object) -> np.random.Generator:
    """An RNG keyed by a stable hash (never Python's salted hash()) of seed and parts."""
    key = "|".join(str(p) for p in parts).encode()
    digest = hashlib.blake2b(key, digest_size=16).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng([seed, *words])


def _minor_round(units: np.ndarray, currency: str) -> np.ndarray:
    return np.rint(units * 10 ** minor_exponent(currency)).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Campaign structure (per account, independent of the day)


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
    n = spec.google_campaigns_per_account
    rng = rng_for(spec.seed, "google_ads", account.account_id, "campaigns")
    fx = UNITS_PER_USD[account.currency]
    ctr = rng.uniform(0.01, 0.05, n)
    cvr = rng.uniform(0.02, 0.09, n)
    cpc = rng.uniform(0.4, 2.5, n) * fx
    roas = rng.uniform(1.0, 5.5, n)
    purchase_share = 0.7  # of all counted conversions; the rest are leads
    aov = roas * cpc / (cvr * purchase_share)
    impressions = rng.lognormal(0.0, 0.6, n) * spec.google_impressions_per_campaign_day
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
    n_c = spec.meta_campaigns_per_account
    n_s = spec.meta_adsets_per_campaign
    n_a = spec.meta_ads_per_adset
    rng = rng_for(spec.seed, "meta", account.account_id, "structure")
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
    impressions = rng.lognormal(0.0, 0.5, n) * spec.meta_impressions_per_ad_day
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


# ---------------------------------------------------------------------------------------------
# Daily blocks of final values


def _weekday_factor(day: date) -> float:
    return WEEKEND_FACTOR if day.weekday() >= 5 else 1.0


@lru_cache(maxsize=4096)
def google_day_block(spec: WorldSpec, account: SandboxAccount, day: date) -> dict[str, np.ndarray]:
    """Final values of every campaign of an account on a day (arrays indexed like the campaigns)."""
    p = google_campaign_params(spec, account)
    n = len(p.campaign_ids)
    rng = rng_for(spec.seed, "google_ads", account.account_id, day.isoformat())
    running = np.array(
        [p.start_day[i] <= day and (p.end_day[i] is None or day <= p.end_day[i]) for i in range(n)]
    )
    active = running & (rng.random(n) > 0.03)
    mean = p.impressions * _weekday_factor(day) * rng.lognormal(0.0, 0.25, n)
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
        "purchase_value_minor": _minor_round(value_units, account.currency),
        "lead_halves": lead_halves,
        "lead_value_minor": lead_halves * (p.lead_value_minor // 2),
        "page_views": page_views,
    }


# Meta attribution components of one action type: 1-day click, days 2-7 after the click, days
# 8-28 after the click, and 1-day view. Windows are sums of components (see restatement.py).
META_COMPONENTS = ("c1", "c7", "c28", "v1")
_META_COMPONENT_SHARES = (0.55, 0.25, 0.08, 0.12)


@lru_cache(maxsize=4096)
def meta_day_block(spec: WorldSpec, account: SandboxAccount, day: date) -> dict[str, np.ndarray]:
    """Final values of every ad of a Meta account on a day (arrays indexed like the ads)."""
    s = meta_structure(spec, account)
    n = len(s.ad_ids)
    rng = rng_for(spec.seed, "meta", account.account_id, day.isoformat())
    campaign_running = np.array([e is None or day <= e for e in s.campaign_end_day])
    active = campaign_running[s.ad_campaign] & (rng.random(n) > 0.05)
    mean = s.impressions * _weekday_factor(day) * rng.lognormal(0.0, 0.3, n)
    impressions = np.where(active, rng.poisson(mean), 0).astype(np.int64)
    clicks = rng.binomial(impressions, s.ctr).astype(np.int64)
    link_clicks = rng.binomial(clicks, 0.75).astype(np.int64)
    spend_units = impressions / 1000.0 * s.cpm * rng.lognormal(0.0, 0.1, n)
    purchases = rng.binomial(link_clicks, s.cvr)
    leads = rng.binomial(link_clicks, s.cvr * 0.5)
    purchase_split = rng.multinomial(purchases, _META_COMPONENT_SHARES)
    lead_split = rng.multinomial(leads, _META_COMPONENT_SHARES)
    aov_minor = np.maximum(_minor_round(s.aov * rng.lognormal(0.0, 0.15, n), account.currency), 1)
    block = {
        "impressions": impressions,
        "clicks": clicks,
        "link_clicks": link_clicks,
        "spend_minor": _minor_round(spend_units, account.currency),
        "purchase_aov_minor": aov_minor,
    }
    for k, comp in enumerate(META_COMPONENTS):
        block[f"purchase_{comp}"] = purchase_split[:, k].astype(np.int64)
        block[f"lead_{comp}"] = lead_split[:, k].astype(np.int64)
    return block


# ---------------------------------------------------------------------------------------------
# Affiliate partners and actions


@dataclass(frozen=True)
class AffiliatePartners:
    ids: tuple[str, ...]
    names: tuple[str, ...]
    weights: np.ndarray
    commission_rate: np.ndarray


_PARTNER_NAMES = (
    "CouponNest", "DealSpotter", "Review Hub", "Cashback King", "Loyalty Plus", "Tech Blog Daily",
    "Savvy Shopper", "Influence Collective", "Comparison Pro", "Student Deals",
)  # fmt: skip


@lru_cache(maxsize=64)
def affiliate_partners(spec: WorldSpec, account: SandboxAccount) -> AffiliatePartners:
    n = spec.affiliate_partners_per_account
    rng = rng_for(spec.seed, account.platform, account.account_id, "partners")
    base = {"impact": 100000, "cj": 4000000, "awin": 200000}[account.platform]
    weights = rng.pareto(1.5, n) + 0.2
    return AffiliatePartners(
        ids=tuple(str(base + 37 * (i + 1)) for i in range(n)),
        names=tuple(
            f"{_PARTNER_NAMES[i % len(_PARTNER_NAMES)]}{'' if i < len(_PARTNER_NAMES) else f' {i // len(_PARTNER_NAMES) + 1}'}"
            for i in range(n)
        ),
        weights=weights / weights.sum(),
        commission_rate=rng.uniform(0.03, 0.15, n),
    )


AFFILIATE_REVERSAL_RATE = 0.12
AFFILIATE_DECISION_MIN_DAYS = 7
# Decisions land at most this many days after the event, so every action is final at age 45.
AFFILIATE_DECISION_MAX_DAYS = 44


@lru_cache(maxsize=4096)
def affiliate_day_block(
    spec: WorldSpec, account: SandboxAccount, day: date
) -> dict[str, np.ndarray]:
    """Every action of an affiliate account whose event falls on `day` (account time zone)."""
    rng = rng_for(spec.seed, account.platform, account.account_id, day.isoformat())
    partners = affiliate_partners(spec, account)
    n = int(rng.poisson(spec.affiliate_actions_per_day * _weekday_factor(day)))
    partner = rng.choice(len(partners.ids), size=n, p=partners.weights)
    event_second = np.sort(rng.integers(0, 86_400 - 3_600, n))
    create_delay = rng.integers(30, 3_600, n)  # tracked within the hour, same day
    fx = UNITS_PER_USD[account.currency]
    sale_minor = np.maximum(_minor_round(rng.lognormal(4.2, 0.6, n) * fx, account.currency), 1)
    commission_minor = np.rint(sale_minor * partners.commission_rate[partner]).astype(np.int64)
    return {
        "partner": partner.astype(np.int64),
        "event_second": event_second.astype(np.int64),
        "create_second": (event_second + create_delay).astype(np.int64),
        "sale_minor": sale_minor,
        "commission_minor": commission_minor,
        "reversed": rng.random(n) < AFFILIATE_REVERSAL_RATE,
        "decision_lag_days": rng.integers(
            AFFILIATE_DECISION_MIN_DAYS, AFFILIATE_DECISION_MAX_DAYS + 1, n
        ).astype(np.int64),
        "decision_second": rng.integers(0, 86_400, n).astype(np.int64),
    }


def clear_caches() -> None:
    """Forget every cached block (tests use it to prove values do not depend on call order)."""
    for cached in (
        google_campaign_params,
        meta_structure,
        google_day_block,
        meta_day_block,
        affiliate_partners,
        affiliate_day_block,
    ):
        cached.cache_clear()
