"""Injected anomalies: the costly silent failures of performance marketing, on one account of
the sandbox world from a given day, so the pipeline's checks and notifications can be shown and
tested against them.

- `pixel_break`: the conversion tracking breaks: delivery and spend go on, conversions (and
  their values) are zero (a platform that counts some actions itself, link clicks say, keeps
  those).
- `stop_reporting`: the account returns no rows at all (it stays listed).
- `spend_spike`: a budget change multiplies the account's spend (`factor`, whole numbers so
  micros and whole yen stay exact).

An injection covers `[start, start + days - 1]`, or every day from `start` when `days` is None.
Only a platform whose sandbox part is `injectable` (an ad platform: its rows are served as they
are) can be injected; each applies them to its own rows (`active`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from perfmkt_pipeline.sandbox import parts

Kind = Literal["pixel_break", "stop_reporting", "spend_spike"]
KINDS: tuple[Kind, ...] = ("pixel_break", "stop_reporting", "spend_spike")


@dataclass(frozen=True)
class Injection:
    kind: Kind
    platform: str
    account_id: str
    start: dt.date
    days: int | None = None
    factor: int = 5  # spend_spike only

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown anomaly kind {self.kind!r}; expected one of {KINDS}")
        injectable = [p.name for p in parts.all_parts() if p.injectable]
        if self.platform not in injectable:
            raise ValueError(f"anomalies can be injected on {injectable}, not {self.platform!r}")
        if self.days is not None and self.days < 1:
            raise ValueError("days must be at least 1 (or None: from start on)")
        if self.factor < 2:
            raise ValueError("a spend spike's factor must be a whole number of at least 2")

    def covers(self, platform: str, account_id: str, day: dt.date) -> bool:
        if (platform, account_id) != (self.platform, self.account_id) or day < self.start:
            return False
        return self.days is None or day < self.start + dt.timedelta(days=self.days)


def active(injections: Sequence[Injection], kind: Kind, platform: str, account: str, day):
    """The injections of `kind` covering the platform's account on `day`."""
    return [i for i in injections if i.kind == kind and i.covers(platform, account, day)]


def demo_injections(as_of: dt.date) -> tuple[Injection, ...]:
    """One of each case on a different account of the small world (WorldSpec.small), placed in
    the last days before `as_of` so a demo of 45 days shows each with its history (each
    platform's sandbox part chooses its own)."""
    return tuple(i for part in parts.all_parts() for i in part.demo_injections(as_of))
