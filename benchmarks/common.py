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

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.higher_is_better else self.baseline / self.value

    @property
    def met(self) -> bool:
        return self.ratio >= self.target_ratio


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


def report(figures: list[Figure]) -> bool:
    """Print one line per figure; True when every target is met."""
    print(f"{'benchmark':<44} {'figure':>16} {'baseline':>16} {'ratio':>8} {'target':>8}  ok")
    for f in figures:
        print(
            f"{f.name:<44} {f.value:>12,.0f} {f.unit:<3} {f.baseline:>12,.0f} {f.unit:<3} "
            f"{f.ratio:>7.2f}x {f.target_ratio:>7.2f}x  {'yes' if f.met else 'NO'}"
        )
    return all(f.met for f in figures)
