"""Freshness: how far each platform's newest loaded day trails the day it is checked for.

Pure: the newest day per (platform, account) comes in as a frame, the expected lags and the day
checked are passed in. A platform is stale when its newest day (over its accounts) trails the
day checked by more than its lag, or when it has no day at all. An account that falls silent
while the rest of its platform is loaded is not stale data but an anomaly (stopped_reporting in
anomalies.py): it is listed here with its own newest day, and flagged there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Freshness:
    platform: str
    checked_for: dt.date
    expected_lag_days: int
    newest_day: dt.date | None  # over the platform's accounts; None: nothing loaded
    accounts: dict[str, dt.date]  # account -> its own newest day

    @property
    def lag_days(self) -> int | None:
        return None if self.newest_day is None else (self.checked_for - self.newest_day).days

    @property
    def stale(self) -> bool:
        return self.lag_days is None or self.lag_days > self.expected_lag_days

    def describe(self) -> str:
        if self.newest_day is None:
            return f"{self.platform}: nothing loaded (expected data through {self.due()})"
        state = "stale" if self.stale else "fresh"
        return (
            f"{self.platform}: {state}, newest day {self.newest_day} is {self.lag_days} days "
            f"before {self.checked_for} (expected at most {self.expected_lag_days})"
        )

    def due(self) -> dt.date:
        """The oldest newest-day that still counts as fresh."""
        return self.checked_for - dt.timedelta(days=self.expected_lag_days)


def platform_freshness(
    newest: pd.DataFrame, lags: Mapping[str, int], checked_for: dt.date
) -> list[Freshness]:
    """One Freshness per platform in `lags`; `newest` has platform, account_id, newest_day."""
    found = []
    for platform, lag in lags.items():
        mine = newest[newest["platform"] == platform]
        accounts = {
            str(account): pd.Timestamp(day).date()
            for account, day in zip(mine["account_id"], mine["newest_day"], strict=True)
        }
        found.append(
            Freshness(
                platform, checked_for, lag, max(accounts.values()) if accounts else None, accounts
            )
        )
    return found
