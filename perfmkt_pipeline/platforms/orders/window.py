"""Which orders a run over the days [start, end] reads.

Orders are read incrementally by the shop's `updated_at`: every order changed in the
`lookback_days` before the range or in it (new orders, refunds and cancellations of older ones),
plus every order *placed* in the range in its current state, so a range read long after the fact
gets its days as they stand now (as the affiliate networks are read by event day). Day
boundaries are midnights of the business time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


def midnight(day: dt.date, zone: str) -> dt.datetime:
    """The UTC instant at which `day` begins in `zone`."""
    return dt.datetime.combine(day, dt.time(), ZoneInfo(zone)).astimezone(dt.UTC)


@dataclass(frozen=True)
class ReadWindow:
    changed_since: dt.datetime  # UTC: orders updated at or after this ...
    placed_since: dt.datetime  # ... or placed at or after this ...
    until: dt.datetime  # ... and before this (UTC, exclusive)

    @classmethod
    def for_days(
        cls, start: dt.date, end: dt.date, lookback_days: int, business_timezone: str
    ) -> ReadWindow:
        return cls(
            changed_since=midnight(start - dt.timedelta(days=lookback_days), business_timezone),
            placed_since=midnight(start, business_timezone),
            until=midnight(end + dt.timedelta(days=1), business_timezone),
        )

    def holds(self, ordered_at: dt.datetime, updated_at: dt.datetime) -> bool:
        return (self.changed_since <= updated_at < self.until) or (
            self.placed_since <= ordered_at < self.until
        )

    def describe(self) -> str:
        return (
            f"changed {self.changed_since:%Y-%m-%d %H:%M} or placed "
            f"{self.placed_since:%Y-%m-%d %H:%M} .. {self.until:%Y-%m-%d %H:%M} UTC"
        )
