"""Injected anomalies: the costly silent failures of performance marketing, on one account of
the sandbox world from a given day, so the pipeline's checks and notifications can be shown and
tested against them.

- `pixel_break`: the conversion tracking breaks: delivery and spend go on, conversions (and
  their values) are zero. Google Ads then reports no conversion-action rows; Meta's rows keep
  their link clicks but lose every pixel action.
- `stop_reporting`: the account returns no rows at all (it stays listed).
- `spend_spike`: a budget change multiplies the account's spend (`factor`, whole numbers so
  micros and whole yen stay exact).

An injection covers `[start, start + days - 1]`, or every day from `start` when `days` is None.
Only the ad platforms (Google Ads, Meta) can be injected: their rows are served as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

Kind = Literal["pixel_break", "stop_reporting", "spend_spike"]
KINDS: tuple[Kind, ...] = ("pixel_break", "stop_reporting", "spend_spike")
INJECTABLE_PLATFORMS = ("google_ads", "meta")
# Meta's link clicks are counted by Meta itself, not by the advertiser's pixel: they survive a
# pixel break (meta_data.META_LINK_CLICK).
_META_NON_PIXEL_ACTIONS = frozenset({"link_click"})


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
        if self.platform not in INJECTABLE_PLATFORMS:
            raise ValueError(
                f"anomalies can be injected on {INJECTABLE_PLATFORMS}, not {self.platform!r}"
            )
        if self.days is not None and self.days < 1:
            raise ValueError("days must be at least 1 (or None: from start on)")
        if self.factor < 2:
            raise ValueError("a spend spike's factor must be a whole number of at least 2")

    def covers(self, platform: str, account_id: str, day: dt.date) -> bool:
        if (platform, account_id) != (self.platform, self.account_id) or day < self.start:
            return False
        return self.days is None or day < self.start + dt.timedelta(days=self.days)


def _active(injections: Sequence[Injection], kind: Kind, platform: str, account: str, day):
    return [i for i in injections if i.kind == kind and i.covers(platform, account, day)]


def google_campaign_days(injections: Sequence[Injection], rows: Iterable) -> list:
    """GoogleCampaignDay rows as served with the injections applied."""
    served = []
    for row in rows:
        args = ("google_ads", row.account_id, row.day)
        if _active(injections, "stop_reporting", *args):
            continue
        if _active(injections, "pixel_break", *args):
            row = replace(row, conversions=0.0, conversions_value=0.0)
        for spike in _active(injections, "spend_spike", *args):
            row = replace(row, cost_micros=row.cost_micros * spike.factor)
        served.append(row)
    return served


def google_conversion_action_days(injections: Sequence[Injection], rows: Iterable) -> list:
    """GoogleConversionActionDay rows: none for an account silent or without tracking."""
    return [
        row
        for row in rows
        if not any(
            _active(injections, kind, "google_ads", row.account_id, row.day)
            for kind in ("stop_reporting", "pixel_break")
        )
    ]


def meta_ad_days(injections: Sequence[Injection], rows: Iterable) -> list:
    """MetaAdDay rows as served with the injections applied."""
    served = []
    for row in rows:
        args = ("meta", row.account_id, row.day)
        if _active(injections, "stop_reporting", *args):
            continue
        if _active(injections, "pixel_break", *args):
            kept = tuple(a for a in row.actions if a.action_type in _META_NON_PIXEL_ACTIONS)
            row = replace(row, actions=kept, action_values=())
        for spike in _active(injections, "spend_spike", *args):
            row = replace(row, spend=row.spend * spike.factor)
        served.append(row)
    return served


def demo_injections(as_of: dt.date) -> tuple[Injection, ...]:
    """One of each case on a different account of the small world (WorldSpec.small), placed in
    the last days before `as_of` so a demo of 45 days shows each with its history."""
    day = lambda n: as_of - dt.timedelta(days=n)  # noqa: E731
    return (
        Injection("spend_spike", "google_ads", "2345678901", day(6), days=2),
        Injection("pixel_break", "meta", "101000000000002", day(8)),
        Injection("stop_reporting", "meta", "101000000000003", day(4)),
    )
