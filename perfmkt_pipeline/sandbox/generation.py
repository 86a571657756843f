"""Seeded, vectorised generation of the sandbox's final (fully settled) numbers: the shared
helpers, and the affiliate networks' partners and actions (each ad platform generates its own
campaigns and days in its stand-in's folder, with these helpers).

Every block of numbers comes from its own RNG derived from a stable hash of (seed, platform,
account, day, ...), so values do not depend on call order and nothing has to be materialised up
front. A block holds *final* values; restatement.py derives what is served on a given as-of date.
Money is kept in integer minor units (cents, whole yen; micros where a platform uses them) so
that every sum is exact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from perfmkt_pipeline.sandbox import parts
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

WEEKEND_FACTOR = 0.75  # weekend traffic relative to weekdays


def minor_exponent(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL_CURRENCIES else 2


def rng_for(seed: int, *parts: object) -> np.random.Generator:
    """An RNG keyed by a stable hash (never Python's salted hash()) of seed and parts."""
    key = "|".join(str(p) for p in parts).encode()
    digest = hashlib.blake2b(key, digest_size=16).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng([seed, *words])


def minor_round(units: np.ndarray, currency: str) -> np.ndarray:
    return np.rint(units * 10 ** minor_exponent(currency)).astype(np.int64)


def weekday_factor(day: date) -> float:
    return WEEKEND_FACTOR if day.weekday() >= 5 else 1.0


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
    base = parts.network(account.platform).partner_id_base
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
    n = int(rng.poisson(spec.affiliate_actions_per_day * weekday_factor(day)))
    partner = rng.choice(len(partners.ids), size=n, p=partners.weights)
    event_second = np.sort(rng.integers(0, 86_400 - 3_600, n))
    create_delay = rng.integers(30, 3_600, n)  # tracked within the hour, same day
    fx = UNITS_PER_USD[account.currency]
    sale_minor = np.maximum(minor_round(rng.lognormal(4.2, 0.6, n) * fx, account.currency), 1)
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
    for part in parts.all_parts():
        for cached in part.caches:
            cached.cache_clear()
    for cached in (affiliate_partners, affiliate_day_block):
        cached.cache_clear()
