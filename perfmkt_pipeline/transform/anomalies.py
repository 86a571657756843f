"""Anomaly rules over daily marts rows: pure pandas, no Dagster, no warehouse.

Each rule takes campaign-day rows (`platform, account_id, campaign_id, date, spend, conversions`,
spend in the reporting currency) covering the days to judge *and* the history before them, and
returns `Finding`s for the days in the window `[first, last]`:

- **spend_outlier**: an account-day's spend outside median +- threshold x spread of the trailing
  `history_days` (spread = 1.4826 x MAD, at least `spend_min_spread` x median); that range is
  the expected one. Median and MAD ignore the few extreme days that would drag a mean and
  standard deviation with them.
- **broken_tracking**: an account spending with zero conversions for `broken_tracking_days` days
  in a row, when its trailing median of daily conversions is at least `min_daily_conversions`;
  expected: the trailing interquartile range of daily conversions.
- **stopped_reporting**: an account that spent on each of the `active_days` before and reports no
  spend for `account_silent_days`; a campaign likewise (`campaign_silent_days`, and a trailing
  median of at least `min_daily_conversions` a day) while its account still reports, unless
  the campaign's status (optional `campaign_status` column) is one its platform's spec names as
  stopped on purpose (`CoreMapping.stopped_statuses`: paused, removed, archived ...). Only days up to the newest day the platform has data for are judged: a platform that
  was not loaded is stale (freshness), not silent. Expected: the spend range of the active days.

Days in a row that break the same rule are one finding, named by its first day. A day without a
row is a day without data (not a zero): its spend is not judged and it breaks a run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

# 1.4826 x MAD estimates the standard deviation of normally distributed data (the MAD of a
# normal distribution is 0.6745 sigma), so the threshold reads like a z-score.
MAD_TO_SIGMA = 1.4826

SPEND_OUTLIER = "spend_outlier"
BROKEN_TRACKING = "broken_tracking"
STOPPED_REPORTING = "stopped_reporting"
ACCOUNT = ["platform", "account_id"]
CAMPAIGN = ["platform", "account_id", "campaign_id"]


@dataclass(frozen=True)
class AnomalyRules:
    history_days: int = 28
    min_history_days: int = 21
    spend_threshold: float = 8.0
    spend_min_spread: float = 0.15
    min_daily_conversions: float = 5.0
    broken_tracking_days: int = 3
    active_days: int = 7
    account_silent_days: int = 1
    campaign_silent_days: int = 3

    @classmethod
    def from_settings(cls, anomalies) -> AnomalyRules:
        """From `Settings.alerts.anomalies` (same field names)."""
        return cls(**{name: getattr(anomalies, name) for name in cls.__dataclass_fields__})

    def history_needed(self) -> int:
        """Days before a window the rules read: a run that began before the window is judged on
        its own history, and its first day found."""
        return 2 * self.history_days + self.active_days


@dataclass(frozen=True)
class Finding:
    rule: str
    platform: str
    account_id: str
    day: dt.date  # first day of the run of days breaking the rule
    value: float  # the measure on that day (spend, or conversions)
    expected_low: float
    expected_high: float
    measure: str  # "spend" | "conversions"
    campaign_id: str | None = None
    days: int = 1  # days in a row that broke the rule, within the rows given

    @property
    def key(self) -> str:
        """Identifies the event across evaluations (a notification is sent once per key)."""
        return "|".join([self.rule, self.platform, self.account_id, self.campaign_id or "",
                         self.day.isoformat()])  # fmt: skip

    def describe(self, currency: str) -> str:
        unit = f" {currency}" if self.measure == "spend" else ""
        what = {
            SPEND_OUTLIER: "spend outside its recent range",
            BROKEN_TRACKING: "zero conversions while spending (tracking broken?)",
            STOPPED_REPORTING: "stopped reporting",
        }[self.rule]
        where = f"{self.platform} account {self.account_id}"
        if self.campaign_id is not None:
            where += f" campaign {self.campaign_id}"
        span = f" ({self.days} days in a row)" if self.days > 1 else ""
        return (
            f"{where} on {self.day}: {what}{span}: {self.measure} {self.value:,.2f}{unit}, "
            f"expected {self.expected_low:,.2f}..{self.expected_high:,.2f}{unit}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "platform": self.platform,
            "account_id": self.account_id,
            "campaign_id": self.campaign_id,
            "day": self.day.isoformat(),
            "days": self.days,
            "measure": self.measure,
            "value": round(self.value, 6),
            "expected_low": round(self.expected_low, 6),
            "expected_high": round(self.expected_high, 6),
            "key": self.key,
        }


# --- frames -------------------------------------------------------------------------------------


def _pivot(rows: pd.DataFrame, keys: list[str], measure: str) -> pd.DataFrame:
    """Day x entity, every calendar day from the first to the last; NaN where no row."""
    summed = rows.groupby(["date", *keys], sort=True)[measure].sum()
    wide = summed.unstack(keys)
    days = pd.date_range(wide.index.min(), wide.index.max(), freq="D")
    wide.index = pd.DatetimeIndex(wide.index)
    return wide.reindex(days).astype(float)


def _prepared(rows: pd.DataFrame) -> pd.DataFrame:
    frame = rows[[*CAMPAIGN, "date", "spend", "conversions"]].copy()
    frame["date"] = pd.to_datetime(frame["date"])
    frame["spend"] = frame["spend"].astype(float)
    frame["conversions"] = frame["conversions"].astype(float).fillna(0.0)
    return frame


def _runs(flags: np.ndarray) -> Iterator[tuple[int, int]]:
    """(start index, length) of each run of True."""
    start = None
    for i, flag in enumerate([*flags.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            yield start, i - start
            start = None


def _trailing(wide: pd.DataFrame, days: int, min_days: int):
    """Each column's previous `days` days (the day itself excluded); statistics on it skip
    days without data and need `min_days` with data."""
    return wide.shift(1).rolling(days, min_periods=min_days)


def _mad(values: np.ndarray) -> float:
    present = values[~np.isnan(values)]
    return float(np.median(np.abs(present - np.median(present))))


def _in_window(day: pd.Timestamp, first: dt.date, last: dt.date, days: int) -> bool:
    """A run from `day` lasting `days` overlaps [first, last]."""
    start = day.date()
    return start <= last and start + dt.timedelta(days=days - 1) >= first


def _entity(columns: pd.Index, j: int) -> tuple[str, ...]:
    value = columns[j]
    return value if isinstance(value, tuple) else (value,)


# --- rules --------------------------------------------------------------------------------------


def spend_outliers(
    rows: pd.DataFrame, first: dt.date, last: dt.date, rules: AnomalyRules
) -> list[Finding]:
    if rows.empty:
        return []
    spend = _pivot(_prepared(rows), ACCOUNT, "spend")
    trailing = _trailing(spend, rules.history_days, rules.min_history_days)
    median = trailing.median()
    mad = trailing.apply(_mad, raw=True)
    spread = np.maximum(MAD_TO_SIGMA * mad, rules.spend_min_spread * median)
    low = (median - rules.spend_threshold * spread).clip(lower=0.0)
    high = median + rules.spend_threshold * spread
    judged = spend.notna() & median.notna() & (median > 0)
    flagged = judged & ((spend > high) | (spend < low))
    found = []
    for j in range(spend.shape[1]):
        platform, account = _entity(spend.columns, j)
        for i, length in _runs(flagged.iloc[:, j].to_numpy()):
            day = spend.index[i]
            if _in_window(day, first, last, length):
                found.append(
                    Finding(SPEND_OUTLIER, platform, account, day.date(), spend.iat[i, j],
                            low.iat[i, j], high.iat[i, j], "spend", days=length)
                )  # fmt: skip
    return found


def broken_tracking(
    rows: pd.DataFrame, first: dt.date, last: dt.date, rules: AnomalyRules
) -> list[Finding]:
    if rows.empty:
        return []
    frame = _prepared(rows)
    spend = _pivot(frame, ACCOUNT, "spend")
    conversions = _pivot(frame, ACCOUNT, "conversions")
    trailing = _trailing(conversions, rules.history_days, rules.min_history_days)
    median = trailing.median()
    # The expected range shown is the trailing interquartile range: the usual days.
    low, high = trailing.quantile(0.25), trailing.quantile(0.75)
    zero = (spend > 0) & (conversions == 0)
    found = []
    for j in range(spend.shape[1]):
        platform, account = _entity(spend.columns, j)
        for i, length in _runs(zero.iloc[:, j].to_numpy()):
            day = spend.index[i]
            usual = median.iat[i, j]
            if (
                length >= rules.broken_tracking_days
                and usual >= rules.min_daily_conversions
                and _in_window(day, first, last, length)
            ):
                found.append(
                    Finding(BROKEN_TRACKING, platform, account, day.date(), 0.0, low.iat[i, j],
                            high.iat[i, j], "conversions", days=length)
                )  # fmt: skip
    return found


def _silences(
    spend: pd.DataFrame,
    platform_last: dict[str, pd.Timestamp],
    rules: AnomalyRules,
    silent_days: int,
) -> Iterator[tuple[int, int, int]]:
    """(day index, column, days silent) where a column that spent on each of the `active_days`
    before stops for at least `silent_days` days judged (up to its platform's newest day)."""
    spent = (spend > 0).to_numpy()
    for j in range(spend.shape[1]):
        last_index = spend.index.searchsorted(platform_last[_entity(spend.columns, j)[0]], "right")
        column = spent[:last_index, j]
        for i, length in _runs(~column):
            was_active = i >= rules.active_days and column[i - rules.active_days : i].all()
            if was_active and length >= silent_days:
                yield i, j, length


def stopped_reporting(
    rows: pd.DataFrame, first: dt.date, last: dt.date, rules: AnomalyRules
) -> list[Finding]:
    if rows.empty:
        return []
    frame = _prepared(rows)
    platform_last = frame.groupby("platform")["date"].max().to_dict()
    accounts = _pivot(frame, ACCOUNT, "spend")
    found = []
    for i, j, length in _silences(accounts, platform_last, rules, rules.account_silent_days):
        day = accounts.index[i]
        before = accounts.iloc[i - rules.active_days : i, j]
        if _in_window(day, first, last, length):
            platform, account = _entity(accounts.columns, j)
            found.append(
                Finding(STOPPED_REPORTING, platform, account, day.date(), 0.0,
                        float(before.min()), float(before.max()), "spend", days=length)
            )  # fmt: skip
    campaigns = _pivot(frame, CAMPAIGN, "spend")
    stopped_on_purpose = _deliberately_stopped(rows)
    conversions = _pivot(frame, CAMPAIGN, "conversions").reindex(campaigns.index)
    usual = _trailing(conversions, rules.history_days, rules.min_history_days).median()
    account_spent = accounts.reindex(campaigns.index).fillna(0.0) > 0
    for i, j, length in _silences(campaigns, platform_last, rules, rules.campaign_silent_days):
        platform, account, campaign = _entity(campaigns.columns, j)
        reporting = account_spent[(platform, account)].iloc[i : i + rules.campaign_silent_days]
        day = campaigns.index[i]
        if (
            reporting.all()
            and (platform, account, campaign) not in stopped_on_purpose
            and usual.iat[i, j] >= rules.min_daily_conversions
            and _in_window(day, first, last, length)
        ):
            before = campaigns.iloc[i - rules.active_days : i, j]
            found.append(
                Finding(STOPPED_REPORTING, platform, account, day.date(), 0.0,
                        float(before.min()), float(before.max()), "spend", campaign, length)
            )  # fmt: skip
    return found


def registered_stop_statuses() -> dict[str, frozenset[str]]:
    """Registered platform -> the campaign statuses that mean it was stopped on purpose (its
    spec's `CoreMapping.stopped_statuses`; asked lazily: transform never imports a platform)."""
    from perfmkt_pipeline import platforms

    return {
        spec.name: spec.core.stopped_statuses
        for spec in platforms.all_specs()
        if spec.core is not None
    }


def _deliberately_stopped(rows: pd.DataFrame) -> set[tuple[str, str, str]]:
    """The campaigns of `rows` whose status, in their platform's words, says stopped on purpose
    (a status is the platform's own word: PAUSED only counts where that platform uses it)."""
    if "campaign_status" not in rows.columns:
        return set()
    statuses = registered_stop_statuses()
    stopped = [
        isinstance(status, str) and status.upper() in statuses.get(platform, frozenset())
        for platform, status in zip(rows["platform"], rows["campaign_status"], strict=True)
    ]
    return set(rows[stopped][CAMPAIGN].itertuples(index=False, name=None))


RULES: dict[str, Callable[[pd.DataFrame, dt.date, dt.date, AnomalyRules], list[Finding]]] = {
    SPEND_OUTLIER: spend_outliers,
    BROKEN_TRACKING: broken_tracking,
    STOPPED_REPORTING: stopped_reporting,
}
