"""The ECB rates' part of the sandbox (sandbox/parts.py): the fixes the stand-in publishes for
a world (one per business day from a lead before the world's history to as_of - 1), their
ground truth, and the check that every account's currency has a rate."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pandas as pd

from perfmkt_pipeline.platforms.ecb.standin import data
from perfmkt_pipeline.sandbox.faults import PlatformFaults
from perfmkt_pipeline.sandbox.ground_truth import frame
from perfmkt_pipeline.sandbox.parts import SandboxPart

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.spec import WorldSpec
    from perfmkt_pipeline.sandbox.world import World

ECB = "ecb"


class EcbPart(SandboxPart):
    name = ECB
    faults = {ECB: PlatformFaults}

    def check(self, spec: WorldSpec) -> None:
        for part in spec.platforms:
            for acc in part.accounts:
                if acc.currency != "EUR" and acc.currency not in data.ECB_CURRENCIES:
                    raise ValueError(f"no ECB rate for {acc.currency} ({acc.account_id})")

    def reference_rates(self, world, start, end):
        return rates(world, start, end)


SANDBOX = EcbPart()


def currencies() -> tuple[str, ...]:
    """Currencies in the ECB file (every account currency other than EUR is among them)."""
    return tuple(data.ECB_CURRENCIES)


def first_day(world: World) -> date:
    return world.spec.history_start - timedelta(days=data.ECB_LEAD_DAYS)


def rates(
    world: World, start: date | None = None, end: date | None = None, *, as_of: date | None = None
) -> dict[date, dict[str, Decimal | None]]:
    """Units per EUR for each business day in range (None = no rate, `N/A` in the CSV).
    Published days run from `first_day(world)` to as_of - 1."""
    first = max(start or first_day(world), first_day(world))
    last = min(end or date.max, (as_of or world.as_of) - timedelta(days=1))
    return data.rates_between(world.spec.seed, first, last)


def history_csv(world: World, *, as_of: date | None = None) -> str:
    """eurofxref-hist.csv as served (newest first)."""
    last = (as_of or world.as_of) - timedelta(days=1)
    return data.history_csv(world.spec.seed, first_day(world), last)


def ground_truth_fx(
    world: World, start: date, end: date, *, as_of: date | None = None
) -> pd.DataFrame:
    """Published ECB fixes in [start, end]: columns day, currency, units_per_eur (Decimal).
    Only currencies with a rate that day (no `N/A`); EUR itself is not listed."""
    rows = [
        {"day": day, "currency": c, "units_per_eur": v}
        for day, fix in rates(world, start, end, as_of=as_of).items()
        for c, v in fix.items()
        if v is not None
    ]
    return frame(rows, ["day", "currency", "units_per_eur"], ["day", "currency"])
