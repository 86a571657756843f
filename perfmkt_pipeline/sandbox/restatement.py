"""How much of a day's final conversions is served at a given age (as_of - day, in days).

Served counts are `final * fraction(age) // 10_000` with integer fractions that rise
monotonically to 10_000 at the end of each window, so a re-pull only ever grows towards the final
value, sums stay exact, and a day is final (never changes again) once its age reaches the window.
Spend, impressions and clicks are final from the first report and are not restated.
"""

from __future__ import annotations

import math

import numpy as np

FULL = 10_000

# Google Ads restates conversions over the conversion window (commonly 30 days; PLATFORMS.md).
GOOGLE_WINDOW_DAYS = 30
# Meta attribution keeps changing a day's numbers for 28 days (28-day click window; PLATFORMS.md).
META_WINDOW_DAYS = 28
# Affiliate decisions (approve/reverse) land within ~45 days of the event.
AFFILIATE_WINDOW_DAYS = 45


def _curve(window: int, fraction_at) -> tuple[int, ...]:
    """Integer fractions for ages 0..window (age 0 has no data; age >= window is final)."""
    values = [0] + [min(FULL, int(round(FULL * fraction_at(a)))) for a in range(1, window)]
    values.append(FULL)
    for i in range(1, len(values)):  # rounding must never make the curve go down
        values[i] = max(values[i], values[i - 1])
    return tuple(values)


GOOGLE_CURVE = _curve(GOOGLE_WINDOW_DAYS, lambda a: 1 - 0.5 * math.exp(-(a - 1) / 6))
# Meta components (generation.META_COMPONENTS): 1-day click and 1-day view are complete after a
# day; days 2-7 after the click complete at age 8; days 8-28 complete at the 28-day window.
META_CURVES = {
    "c1": _curve(2, lambda a: 0.85),
    "v1": _curve(2, lambda a: 0.85),
    "c7": _curve(8, lambda a: 0.3 + 0.7 * (a - 1) / 7),
    "c28": _curve(META_WINDOW_DAYS, lambda a: (a / META_WINDOW_DAYS) ** 0.7),
}


def fraction(curve: tuple[int, ...], age: int) -> int:
    if age <= 0:
        return 0
    return curve[min(age, len(curve) - 1)]


def served(final: np.ndarray, curve: tuple[int, ...], age: int) -> np.ndarray:
    """What is reported of `final` (integer array) at `age` days."""
    return final * fraction(curve, age) // FULL


def served_value(value_final: np.ndarray, count_final: np.ndarray, count_served: np.ndarray):
    """Value proportional to the served share of the count (exact at the final count)."""
    safe = np.where(count_final > 0, count_final, 1)
    return np.where(count_final > 0, value_final * count_served // safe, 0)
