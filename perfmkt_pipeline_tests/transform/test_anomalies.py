"""The anomaly rules and freshness on small hand-built frames, with the expected ranges worked
out by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from perfmkt_pipeline.transform import anomalies as an
from perfmkt_pipeline.transform.freshness import platform_freshness

D0 = dt.date(2026, 10, 1)
# Small windows keep the hand arithmetic short.
RULES = an.AnomalyRules(
    history_days=6, min_history_days=4, spend_threshold=3.0, spend_min_spread=0.05,
    min_daily_conversions=5, broken_tracking_days=2, active_days=3, account_silent_days=1,
    campaign_silent_days=2,
)  # fmt: skip


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def frame(rows: list[tuple]) -> pd.DataFrame:
    """(platform, account, campaign, day index, spend, conversions[, status])."""
    records = []
    for row in rows:
        platform, account, campaign, n, spend, conversions, *status = row
        records.append({
            "platform": platform, "account_id": account, "campaign_id": campaign, "date": day(n),
            "spend": spend, "conversions": conversions,
            "campaign_status": status[0] if status else "ENABLED",
        })  # fmt: skip
    return pd.DataFrame(records)


def series(platform: str, account: str, spends: list[float | None], conversions=10.0) -> list:
    return [
        (platform, account, "c1", n, spend, conversions)
        for n, spend in enumerate(spends)
        if spend is not None
    ]


def test_a_spend_spike_is_one_finding_with_the_robust_range() -> None:
    # History of day 6: 100, 104, 96, 100, 102, 98 -> median 100; |x - 100| = 0, 4, 4, 0, 2, 2
    # -> MAD 2; spread max(1.4826 * 2, 0.05 * 100) = 5 (the floor); range 100 +- 3 x 5.
    spends = [100, 104, 96, 100, 102, 98, 400, 410, 100, 101]
    found = an.spend_outliers(frame(series("meta", "A", spends)), day(0), day(9), RULES)
    assert found == [
        an.Finding("spend_outlier", "meta", "A", day(6), 400.0, 85.0, 115.0, "spend", days=2)
    ]
    assert found[0].key == "spend_outlier|meta|A||2026-10-07"
    assert found[0].describe("USD") == (
        "meta account A on 2026-10-07: spend outside its recent range (2 days in a row): "
        "spend 400.00 USD, expected 85.00..115.00 USD"
    )


def test_the_mad_sets_the_spread_when_it_is_wider_than_the_floor() -> None:
    # History 100, 120, 80, 100, 110, 90: median 100, deviations 0, 20, 20, 0, 10, 10 -> MAD 10;
    # spread 14.826; range 100 +- 44.478 = 55.522..144.478. Day 6 at 140 is inside, 150 outside.
    base = [100, 120, 80, 100, 110, 90]
    inside = an.spend_outliers(frame(series("meta", "A", [*base, 140])), day(6), day(6), RULES)
    assert inside == []
    (outside,) = an.spend_outliers(frame(series("meta", "A", [*base, 150])), day(6), day(6), RULES)
    assert (outside.expected_low, outside.expected_high) == pytest.approx((55.522, 144.478))


def test_spend_is_not_judged_on_too_little_history_or_outside_the_window() -> None:
    # Day 3 has three days of history (fewer than min_history_days = 4).
    assert an.spend_outliers(frame(series("meta", "A", [100, 100, 100, 900])), day(0), day(3),
                             RULES) == []  # fmt: skip
    spends = [100, 100, 100, 100, 100, 900, 100]
    assert an.spend_outliers(frame(series("meta", "A", spends)), day(6), day(6), RULES) == []


def test_zero_conversions_while_spending_for_days_in_a_row_is_broken_tracking() -> None:
    conversions = [8, 10, 6, 12, 9, 7, 0, 0, 0]
    rows = [("google_ads", "G", "c1", n, 50.0, c) for n, c in enumerate(conversions)]
    (found,) = an.broken_tracking(frame(rows), day(0), day(8), RULES)
    # History of day 6: 8, 10, 6, 12, 9, 7 -> median 8.5; quartiles 7.25 and 9.75.
    assert (found.rule, found.day, found.days, found.value) == ("broken_tracking", day(6), 3, 0.0)
    assert (found.expected_low, found.expected_high) == pytest.approx((7.25, 9.75))


def test_one_zero_day_or_a_small_account_is_not_broken_tracking() -> None:
    one_day = [8, 10, 6, 12, 9, 7, 0, 9]
    rows = [("google_ads", "G", "c1", n, 50.0, c) for n, c in enumerate(one_day)]
    assert an.broken_tracking(frame(rows), day(0), day(7), RULES) == []
    small = [3, 4, 2, 5, 3, 4, 0, 0, 0]  # median 3.5 < 5
    rows = [("google_ads", "G", "c1", n, 50.0, c) for n, c in enumerate(small)]
    assert an.broken_tracking(frame(rows), day(0), day(8), RULES) == []


def test_an_account_that_stops_reporting_is_flagged_on_its_first_silent_day() -> None:
    rows = series("meta", "A", [100, 90, 110, 100, None, None])
    rows += series("meta", "B", [50, 50, 50, 50, 50, 50])  # the platform is loaded to day 5
    (found,) = an.stopped_reporting(frame(rows), day(0), day(5), RULES)
    # Active days before day 4: 90, 110, 100 -> expected 90..110.
    assert found == an.Finding("stopped_reporting", "meta", "A", day(4), 0.0, 90.0, 110.0,
                               "spend", days=2)  # fmt: skip


def test_silence_past_the_platforms_newest_day_is_not_judged() -> None:
    # Nothing of meta after day 3: not loaded (freshness says so), not silent.
    rows = series("meta", "A", [100, 90, 110, 100]) + series("meta", "B", [50, 50, 50, 50])
    rows += series("google_ads", "G", [10, 10, 10, 10, 10, 10])
    assert an.stopped_reporting(frame(rows), day(0), day(5), RULES) == []


def test_a_campaign_silent_while_its_account_reports_is_flagged_unless_paused() -> None:
    def rows(status: str) -> pd.DataFrame:
        data = [("google_ads", "G", "big", n, 100.0, 6.0, status) for n in range(4)]
        data += [("google_ads", "G", "other", n, 30.0, 1.0) for n in range(7)]
        return frame(data)

    (found,) = an.stopped_reporting(rows("ENABLED"), day(0), day(6), RULES)
    assert (found.campaign_id, found.day, found.days) == ("big", day(4), 3)
    assert found.describe("USD").startswith("google_ads account G campaign big on 2026-10-05")
    assert an.stopped_reporting(rows("PAUSED"), day(0), day(6), RULES) == []


def test_a_stopped_status_is_read_in_its_own_platforms_words() -> None:
    def silent(platform: str, status: str | None) -> list[str]:
        data = [(platform, "A", "big", n, 100.0, 6.0, status) for n in range(4)]
        data += [(platform, "A", "other", n, 30.0, 1.0) for n in range(7)]
        return [f.campaign_id for f in an.stopped_reporting(frame(data), day(0), day(6), RULES)]

    # Each spec's CoreMapping.stopped_statuses: Google Ads PAUSED, REMOVED; Meta PAUSED,
    # ARCHIVED, DELETED (either case); a network has no core mapping, so no stop statuses.
    assert an.registered_stop_statuses() == {
        "google_ads": frozenset({"PAUSED", "REMOVED"}),
        "meta": frozenset({"PAUSED", "ARCHIVED", "DELETED"}),
    }
    assert silent("meta", "archived") == []
    assert silent("google_ads", "REMOVED") == []
    assert silent("google_ads", "ARCHIVED") == ["big"]  # not a Google Ads status
    assert silent("impact", "PAUSED") == ["big"]
    assert silent("meta", None) == ["big"]


def test_a_campaign_that_converts_little_may_fall_silent() -> None:
    data = [("impact", "I", "partner", n, 5.0, 1.0) for n in range(4)]
    data += [("impact", "I", "big", n, 80.0, 9.0) for n in range(7)]
    assert an.stopped_reporting(frame(data), day(0), day(6), RULES) == []


def test_freshness_compares_the_newest_day_with_the_lag() -> None:
    newest = pd.DataFrame(
        {"platform": ["meta", "meta", "cj"], "account_id": ["A", "B", "C"],
         "newest_day": [day(9), day(7), day(7)]}
    )  # fmt: skip
    meta, cj, awin = platform_freshness(newest, {"meta": 1, "cj": 2, "awin": 2}, day(10))
    assert (meta.newest_day, meta.lag_days, meta.stale) == (day(9), 1, False)
    assert meta.accounts == {"A": day(9), "B": day(7)}
    assert (cj.lag_days, cj.stale) == (3, True)
    assert cj.describe() == (
        "cj: stale, newest day 2026-10-08 is 3 days before 2026-10-11 (expected at most 2)"
    )
    assert (awin.newest_day, awin.stale) == (None, True)
    assert awin.describe() == "awin: nothing loaded (expected data through 2026-10-09)"
