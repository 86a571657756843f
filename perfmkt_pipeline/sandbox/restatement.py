"""How much of a day's final conversions is served at a given age (as_of - day, in days).

Served counts are `final * fraction(age) // 10_000` with integer fractions that rise
monotonically to 10_000 at the end of each window (each platform's curves, `curve(...)`, are in
its stand-in's folder), so a re-pull only ever grows towards the final value, sums stay exact,
and a day is final (never changes again) once its age reaches the window.
Spend, impressions and clicks are final from the first report and are not restated.
"""

from __future__ import annotations

import numpy as np

FULL = 10_000

# Affiliate decisions (approve/reverse) land within ~45 days of the event.
AFFILIATE_WINDOW_DAYS = 45


def curve(window: int, fraction_at) -> tuple[int, ...]:
    """Integer fractions for ages 0..window (age 0 has no data; age >= window is final)."""
    values = [0] + [min(FULL, int(round(FULL * fraction_at(a)))) for a in range(1, window)]
    values.append(FULL)
    for i in range(1, len(values)):  # rounding must never make the curve go down
        values[i] = max(values[i], values[i - 1])
    return tuple(values)


def fraction(fractions: tuple[int, ...], age: int) -> int:
    if age <= 0:
        return 0
    return fractions[min(age, len(fractions) - 1)]


def served(final: np.ndarray, fractions: tuple[int, ...], age: int) -> np.ndarray:
    """What is reported of `final` (integer array) at `age` days."""
    return final * fraction(fractions, age) // FULL


def served_value(value_final: np.ndarray, count_final: np.ndarray, count_served: np.ndarray):
    """Value proportional to the served share of the count (exact at the final count)."""
    safe = np.where(count_final > 0, count_final, 1)
    return np.where(count_final > 0, value_final * count_served // safe, 0)
