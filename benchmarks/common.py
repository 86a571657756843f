"""Helpers shared by the benchmarks: timing, printing figures beside their baselines."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    baseline: float
    unit: str
    higher_is_better: bool
    target_ratio: float
    # A condition the figure only counts with (e.g. "no rate-limit violations"), and whether
    # it held; printed below the figure.
    condition: str = ""
    condition_met: bool = True

    @property
    def ratio(self) -> float:
        """How many times better than the baseline (>1 is better, whichever way is better)."""
        return self.value / self.baseline if self.higher_is_better else self.baseline / self.value

    @property
    def met(self) -> bool:
        return self.ratio >= self.target_ratio and self.condition_met


def best_of(
    repeats: int, run: Callable[[], None], setup: Callable[[], None] | None = None
) -> float:
    """Fastest wall time of `repeats` runs (seconds); `setup` runs untimed before each."""
    best = float("inf")
    for _ in range(repeats):
        if setup is not None:
            setup()
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def number(value: float) -> str:
    """Large figures with thousands separators, small ones with three significant digits."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def report(figures: list[Figure]) -> bool:
    """Print one line per figure; True when every target is met."""
    print(f"{'benchmark':<52} {'figure':>18} {'baseline':>18} {'ratio':>8} {'target':>8}  ok")
    for f in figures:
        print(
            f"{f.name:<52} {number(f.value):>12} {f.unit:<5} {number(f.baseline):>12} "
            f"{f.unit:<5} {f.ratio:>7.2f}x {f.target_ratio:>7.2f}x  {'yes' if f.met else 'NO'}"
        )
        if f.condition:
            print(f"{'':<4}and {f.condition}: {'yes' if f.condition_met else 'NO'}")
    return all(f.met for f in figures)
