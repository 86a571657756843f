"""Deterministic ECB euro reference rates: one fix per TARGET business day, CSV as published.

Rates drift smoothly around a plausible level per currency with a small seeded daily wobble,
rounded to the precision the ECB publishes. Each day is computed on its own (no random walk), so
any range is cheap and independent of call order.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from perfmkt_pipeline.sandbox.generation import rng_for

# Units per EUR around which each currency moves, and the decimals the ECB publishes it with.
ECB_CURRENCIES: dict[str, tuple[float, int]] = {
    "USD": (1.09, 4),
    "JPY": (160.0, 2),
    "CZK": (25.0, 3),
    "DKK": (7.46, 4),
    "GBP": (0.855, 5),
    "HUF": (395.0, 2),
    "PLN": (4.30, 4),
    "RON": (4.97, 4),
    "SEK": (11.4, 4),
    "CHF": (0.95, 4),
    "ISK": (150.0, 1),
    "NOK": (11.6, 4),
    "HRK": (7.5345, 4),
    "RUB": (100.0, 4),
    "TRY": (35.0, 4),
    "AUD": (1.65, 4),
    "BRL": (5.9, 4),
    "CAD": (1.48, 4),
    "CNY": (7.8, 4),
    "HKD": (8.5, 4),
    "INR": (90.5, 4),
    "KRW": (1460.0, 2),
    "MXN": (19.5, 4),
    "NZD": (1.80, 4),
    "SGD": (1.46, 4),
    "ZAR": (20.2, 4),
}
# The ECB stopped quoting these (N/A in the file from that day): RUB suspended 2022-03-01,
# HRK replaced by the euro on 2023-01-01.
ECB_DISCONTINUED = {"RUB": date(2022, 3, 1), "HRK": date(2023, 1, 1)}
# The published CSV ends every line with a comma (an empty last column); keep that quirk.
ECB_CSV_TRAILING_COMMA = True
ECB_HIST_CSV_NAME = "eurofxref-hist.csv"
# Fixes start this many days before the first day with data, so a weekend start has a prior fix.
ECB_LEAD_DAYS = 14


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


@lru_cache(maxsize=64)
def target_holidays(year: int) -> frozenset[date]:
    """TARGET closing days: New Year, Good Friday, Easter Monday, 1 May, 25 and 26 December."""
    easter = _easter(year)
    return frozenset(
        {
            date(year, 1, 1),
            easter - timedelta(days=2),
            easter + timedelta(days=1),
            date(year, 5, 1),
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in target_holidays(day.year)


@lru_cache(maxsize=8192)
def rates_on(seed: int, day: date) -> dict[str, Decimal | None] | None:
    """The fix of a day (None when the ECB publishes nothing that day)."""
    if not is_business_day(day):
        return None
    rng = rng_for(seed, "ecb", day.isoformat())
    noise = rng.normal(0.0, 1.0, len(ECB_CURRENCIES))
    t = day.toordinal()
    out: dict[str, Decimal | None] = {}
    for k, (currency, (level, decimals)) in enumerate(ECB_CURRENCIES.items()):
        stopped = ECB_DISCONTINUED.get(currency)
        if stopped is not None and day >= stopped:
            out[currency] = None
            continue
        phase = (k * 0.7) % (2 * math.pi)
        drift = 0.04 * math.sin(2 * math.pi * t / 365.0 + phase) + 0.003 * noise[k]
        out[currency] = Decimal(f"{level * math.exp(drift):.{decimals}f}")
    return out


def rates_between(seed: int, start: date, end: date) -> dict[date, dict[str, Decimal | None]]:
    """Fixes of every business day in [start, end], oldest first."""
    out = {}
    day = start
    while day <= end:
        fix = rates_on(seed, day)
        if fix is not None:
            out[day] = fix
        day += timedelta(days=1)
    return out


def history_csv(seed: int, start: date, end: date) -> str:
    """The historical CSV as the ECB publishes it: newest first, `N/A` where there is no rate."""
    currencies = list(ECB_CURRENCIES)
    tail = "," if ECB_CSV_TRAILING_COMMA else ""
    lines = ["Date," + ",".join(currencies) + tail]
    for day, fix in sorted(rates_between(seed, start, end).items(), reverse=True):
        cells = ["N/A" if fix[c] is None else str(fix[c]) for c in currencies]
        lines.append(day.isoformat() + "," + ",".join(cells) + tail)
    return "\n".join(lines) + "\n"
