"""impact.com client: event days read by ActionDate (recorded cassettes: a 429 waited out by its
reset header, an expired token), parsing (strings to Decimal, the event day), and, against the
sandbox, impact.com's limits: windows of at most 45 days of elapsed time, windows refused for
more than 10 pages read in halves, days over 3 years back skipped after a few probes, the
smallest PageSize, and a warning when actions lock after the lookback."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from perfmkt_pipeline.platforms.base.affiliates import AffiliateDataError, AuthenticationError
from perfmkt_pipeline.platforms.base.affiliates.records import last_second, midnight
from perfmkt_pipeline.platforms.impact.client import ImpactClient, halve, plan_windows
from perfmkt_pipeline.platforms.impact.standin import data as impact_data
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline_tests.platforms.affiliates_support import (
    IMPACT_PROGRAM,
    IMPACT_SID,
    IMPACT_ZONE,
    FakeClock,
    ListLogger,
    cassette,
    http,
    statuses,
    world,
)
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401

ZONE = ZoneInfo(IMPACT_ZONE)
D = dt.date
NOV_10, NOV_12 = D(2026, 11, 10), D(2026, 11, 12)


def client(url: str, token: str, clock: FakeClock, log: ListLogger | None = None, **kw):
    return ImpactClient(
        http("impact", clock, log),
        url,
        IMPACT_SID,
        token,
        program_ids={IMPACT_SID: [IMPACT_PROGRAM]},
        zone=ZONE,
        **kw,
    )


def live(box: Sandbox, log: ListLogger | None = None, **kw) -> ImpactClient:
    return client(box.url("impact"), box.credentials.impact.token, FakeClock(), log, **kw)


def asked(impact: ImpactClient) -> list[dict[str, str]]:
    """The query of every request the client sends from now on, in order."""
    seen: list[dict[str, str]] = []
    impact.http.session.hooks["response"].append(
        lambda r, *args, **kwargs: seen.append(
            {k: v[-1] for k, v in parse_qs(urlsplit(r.request.url).query).items()}
        )
    )
    return seen


def event_days(box_world, first: dt.date, last: dt.date):
    return impact_data.impact_actions(
        box_world, IMPACT_SID, event=(midnight(first, ZONE), last_second(last, ZONE))
    )


# -- recorded -------------------------------------------------------------------------------------


def test_event_days_are_read_by_action_date_after_waiting_out_a_429_by_its_reset_header() -> None:
    clock, log = FakeClock(), ListLogger()
    with cassette("impact", "actions_rate_limited", rate_limit_first_n=1, reset_seconds=7) as tape:
        impact = client(tape.url, tape.credentials.impact.token, clock, log)
        seen = statuses(impact.http)
        records = impact.fetch(IMPACT_SID, NOV_10, NOV_12)
        query = parse_qs(urlsplit(tape.cassette.requests[-1].uri).query)

    served = event_days(world(), NOV_10, NOV_12)
    assert len(served) == 33
    assert seen == [429, 200]  # 33 actions: one page of impact.com's default 20,000
    assert query == {
        "CampaignId": ["12345"],
        "ActionDateStart": ["2026-11-10T00:00:00-05:00"],
        "ActionDateEnd": ["2026-11-12T23:59:59-05:00"],
        "PageSize": ["20000"],
    }
    assert clock.sleeps == [7.35]  # x-ratelimit-reset 7 s, plus 5% jitter
    assert log.text().splitlines() == [
        f"impact account {IMPACT_SID}: rate limited (HTTP 429); waiting 7.4 s before retry 1 of 3",
        f"impact account {IMPACT_SID}, program 12345: window 1 of 1 (2026-11-10..2026-11-12): "
        "33 actions, 33 so far",
    ]
    assert [(r.action_id, r.status, r.commission, r.sale_amount) for r in records] == [
        (a.action_id, a.status.upper(), a.commission, a.sale_amount) for a in served
    ]
    assert [r.window_date for r in records] == [a.event_day for a in served]
    assert [r.event_date for r in records] == [a.event_day for a in served]
    assert [r.updated_at for r in records] == [
        a.lock_at if a.status != "pending" else a.created_at for a in served
    ]
    assert {r.currency for r in records} == {"USD"} and not any(r.is_correction for r in records)


def test_an_expired_token_is_fatal_at_once_and_names_network_and_account() -> None:
    clock = FakeClock()
    with cassette("impact", "auth_failure", expired_credentials=True) as target:
        impact = client(target.url, target.credentials.impact.token, clock)
        seen = statuses(impact.http)
        with pytest.raises(AuthenticationError) as raised:
            impact.fetch(IMPACT_SID, NOV_10, NOV_12)
    assert str(raised.value) == (
        f"impact account {IMPACT_SID}: credentials refused (HTTP 401): "
        "Authentication failed: the auth token has expired"
    )
    assert seen == [401] and clock.sleeps == []
    assert target.credentials.impact.token not in str(raised.value)


# -- parsing --------------------------------------------------------------------------------------

ACTION = {
    "Id": "12345.9800.3",
    "CampaignId": "12345",
    "ActionTrackerName": "Online Sale",
    "MediaPartnerId": "100111",
    "MediaPartnerName": "Review Hub",
    "State": "REVERSED",
    "Amount": "120.50",
    "Payout": "12.05",
    "Currency": "USD",
    "EventDate": "2026-10-30T23:30:00-04:00",
    "CreationDate": "2026-10-30T23:45:00-04:00",
    "LockingDate": "2026-11-11T08:00:00-05:00",
    "Oid": "ORD-1",
}
OCT_30 = (midnight(D(2026, 10, 30), ZONE), last_second(D(2026, 10, 30), ZONE))


def test_an_action_belongs_to_its_event_day_keeps_strings_exact_and_dates_its_decision() -> None:
    impact = client("http://unused", "unused", FakeClock())
    record = impact.parse(ACTION, IMPACT_SID, *OCT_30)
    assert (record.record_id, record.action_id, record.status) == (
        "12345.9800.3",
        "12345.9800.3",
        "REVERSED",
    )
    assert (record.sale_amount, record.commission) == (Decimal("120.50"), Decimal("12.05"))
    # 23:30 in New York is 03:30 UTC the next day: the day is New York's.
    assert record.window_date == record.event_date == D(2026, 10, 30)
    assert record.updated_at == dt.datetime(2026, 11, 11, 13, 0, tzinfo=dt.UTC)  # LockingDate
    assert json.loads(record.record) == ACTION
    pending = impact.parse({**ACTION, "State": "PENDING"}, IMPACT_SID, *OCT_30)
    assert pending.updated_at == dt.datetime(2026, 10, 31, 3, 45, tzinfo=dt.UTC)  # CreationDate


def test_an_action_outside_the_window_asked_for_is_a_data_error() -> None:
    impact = client("http://unused", "unused", FakeClock())
    nov_1 = (midnight(D(2026, 11, 1), ZONE), last_second(D(2026, 11, 1), ZONE))
    with pytest.raises(AffiliateDataError) as raised:
        impact.parse(ACTION, IMPACT_SID, *nov_1)
    assert str(raised.value) == (
        f"impact account {IMPACT_SID}, 2026-11-01..2026-11-01, record 12345.9800.3: "
        "field EventDate: 2026-10-30 is outside the window asked for"
    )


def test_a_payout_that_is_not_a_number_names_account_window_record_and_field() -> None:
    impact = client("http://unused", "unused", FakeClock())
    with pytest.raises(AffiliateDataError) as raised:
        impact.parse({**ACTION, "Payout": "12,05"}, IMPACT_SID, *OCT_30)
    assert str(raised.value) == (
        f"impact account {IMPACT_SID}, 2026-10-30..2026-10-30, record 12345.9800.3: "
        "field Payout: '12,05' is not a number"
    )


# -- windows and halves -----------------------------------------------------------------------


def test_windows_hold_45_days_of_elapsed_time_so_one_across_the_autumn_change_has_44():
    # 2026-11-01 New York falls back an hour: 45 calendar days from 10-01 would be 45 days and
    # one hour; 44 fit. Without a change, 45 days fit (44 days 23:59:59).
    assert plan_windows(D(2026, 10, 1), D(2026, 12, 31), ZONE) == [
        (D(2026, 10, 1), D(2026, 11, 13)),
        (D(2026, 11, 14), D(2026, 12, 28)),
        (D(2026, 12, 29), D(2026, 12, 31)),
    ]
    # Spring forward (2026-03-08) makes a window an hour shorter: still 45 days.
    assert plan_windows(D(2026, 3, 1), D(2026, 4, 14), ZONE) == [(D(2026, 3, 1), D(2026, 4, 14))]
    assert plan_windows(D(2026, 10, 1), D(2026, 12, 31), ZoneInfo("UTC")) == [
        (D(2026, 10, 1), D(2026, 11, 14)),
        (D(2026, 11, 15), D(2026, 12, 29)),
        (D(2026, 12, 30), D(2026, 12, 31)),
    ]
    assert plan_windows(D(2026, 1, 2), D(2026, 1, 1), ZONE) == []


def test_a_window_is_halved_by_days_then_by_seconds_within_a_day():
    def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
        return dt.datetime(2026, 10, day, hour, minute, second, tzinfo=ZONE)

    # Five days: the first half takes the extra day.
    assert halve((at(1, 0), at(5, 23, 59, 59)), ZONE) == (
        (at(1, 0), at(3, 23, 59, 59)),
        (at(4, 0), at(5, 23, 59, 59)),
    )
    # One day (86,399 seconds): 43,199 seconds, then the rest from the next second.
    assert halve((at(2, 0), at(2, 23, 59, 59)), ZONE) == (
        (at(2, 0), at(2, 11, 59, 59)),
        (at(2, 12, 0, 0), at(2, 23, 59, 59)),
    )
    assert halve((at(2, 6), at(2, 6, 0, 1)), ZONE) == ((at(2, 6), at(2, 6)), (at(2, 6, 0, 1),) * 2)
    assert halve((at(2, 6), at(2, 6)), ZONE) is None


def test_a_range_across_the_autumn_change_is_asked_in_windows_impact_accepts(sandbox):  # noqa: F811
    box = sandbox(google_ads=False)
    impact = live(box)
    queries = asked(impact)
    windows = list(impact.windows(IMPACT_SID, D(2026, 10, 1), D(2026, 11, 19)))

    assert [(q["ActionDateStart"], q["ActionDateEnd"]) for q in queries] == [
        ("2026-10-01T00:00:00-04:00", "2026-11-13T23:59:59-05:00"),
        ("2026-11-14T00:00:00-05:00", "2026-11-19T23:59:59-05:00"),
    ]
    assert [(first, last) for first, last, _ in windows] == [
        (D(2026, 10, 1), D(2026, 11, 13)),
        (D(2026, 11, 14), D(2026, 11, 19)),
    ]
    assert [[r.action_id for r in found] for _, _, found in windows] == [
        [a.action_id for a in event_days(box.world, D(2026, 10, 1), D(2026, 11, 13))],
        [a.action_id for a in event_days(box.world, D(2026, 11, 14), D(2026, 11, 19))],
    ]


def test_a_window_of_more_than_10_pages_is_read_in_halves_with_exact_requests():
    # 500 actions a day: 2026-08-01..09-14 (45 days, no clock change) holds 20,697 actions, more
    # than 10 pages of 2,000. impact.com refuses it (1 request); its halves, 08-01..08-23 with
    # 10,381 and 08-24..09-14 with 10,316, take 6 pages each: 13 requests in all.
    spec = replace(WorldSpec.small(), affiliate_actions_per_day=500.0)
    first, last, middle = D(2026, 8, 1), D(2026, 9, 14), D(2026, 8, 24)
    with Sandbox(spec, as_of=D(2026, 11, 20), google_ads=False) as box:
        assert [
            len(event_days(box.world, *days))
            for days in ((first, last), (first, middle - dt.timedelta(days=1)), (middle, last))
        ] == [20_697, 10_381, 10_316]
        log = ListLogger()
        impact = live(box, log, page_size=2_000)
        seen = statuses(impact.http)
        queries = asked(impact)
        records = impact.fetch(IMPACT_SID, first, last)
        assert box.counters.count("impact", "impact.actions") == 13

    assert seen == [400] + [200] * 12
    assert [(q["ActionDateStart"], q.get("Page", "1")) for q in queries] == [
        ("2026-08-01T00:00:00-04:00", "1"),
        *[("2026-08-01T00:00:00-04:00", str(page)) for page in range(1, 7)],
        *[("2026-08-24T00:00:00-04:00", str(page)) for page in range(1, 7)],
    ]
    assert len(records) == len({r.action_id for r in records}) == 20_697
    assert (
        f"impact account {IMPACT_SID}, program 12345: 2026-08-01T00:00:00-04:00.."
        "2026-09-14T23:59:59-04:00 needs more than 10 pages of 2000 actions; reading it as "
        "2026-08-01T00:00:00-04:00..2026-08-23T23:59:59-04:00 and "
        "2026-08-24T00:00:00-04:00..2026-09-14T23:59:59-04:00"
    ) in log.text()


def test_a_page_size_below_impacts_minimum_is_refused_before_any_request():
    with pytest.raises(ValueError, match="refuses a PageSize below 2000"):
        client("http://unused", "unused", FakeClock(), page_size=1_999)


# -- 3 years back ---------------------------------------------------------------------------------


def test_days_over_3_years_back_are_found_with_probes_skipped_and_the_rest_read(sandbox):  # noqa: F811
    # As of 2027-03-01 impact.com serves starts from 2024-03-01 00:00 UTC: New York's 03-01
    # (05:00 UTC) is served, its 02-29 is not. The 20-day window is refused (1 request); the
    # probes ask 03-10 (served), 02-29 (no), 03-05, 03-02, 03-01 (served): 5; then 03-01..03-10
    # is read (1): 7 requests.
    box = sandbox(google_ads=False, as_of=D(2027, 3, 1))
    log = ListLogger()
    impact = live(box, log)
    queries = asked(impact)
    windows = list(impact.windows(IMPACT_SID, D(2024, 2, 20), D(2024, 3, 10)))

    assert [q["ActionDateStart"][:10] for q in queries] == [
        "2024-02-20", "2024-03-10", "2024-02-29", "2024-03-05", "2024-03-02", "2024-03-01",
        "2024-03-01",
    ]  # fmt: skip
    assert [q["PageSize"] for q in queries] == ["20000"] + ["2000"] * 5 + ["20000"]
    assert [(first, last) for first, last, _ in windows] == [(D(2024, 3, 1), D(2024, 3, 10))]
    assert [r.action_id for r in windows[0][2]] == [
        a.action_id for a in event_days(box.world, D(2024, 3, 1), D(2024, 3, 10))
    ]
    assert log.lines[0] == (
        "warning",
        f"impact account {IMPACT_SID}: ActionDateStart cannot be more than 3 years in the past: "
        "impact.com serves actions at most 3 years back; 2024-02-20..2024-02-29 skipped (the "
        "warehouse keeps what it holds for those days)",
    )


def test_a_range_wholly_over_3_years_back_reads_nothing_after_two_requests(sandbox):  # noqa: F811
    box = sandbox(google_ads=False, as_of=D(2027, 3, 1))
    log = ListLogger()
    impact = live(box, log)
    assert list(impact.windows(IMPACT_SID, D(2024, 1, 1), D(2024, 1, 31))) == []
    assert box.counters.count("impact", "impact.actions") == 2  # refused; its last day refused
    assert log.text().endswith(
        "2024-01-01..2024-01-31 skipped (the warehouse keeps what it holds for those days)"
    )


# -- the lookback ---------------------------------------------------------------------------------


def test_pending_actions_that_lock_after_the_lookback_are_warned_about(sandbox):  # noqa: F811
    # 2026-11-10's 10 actions as of 11-20: 9 pending, locking 10 to 37 days after; with a 30-day
    # lookback, 3 of them lock 30 or more days after (30, 34 and 37 days).
    box = sandbox(google_ads=False)
    log = ListLogger()
    impact = live(box, log, lookback_days=30)
    impact.fetch(IMPACT_SID, NOV_10, NOV_10)
    assert log.lines[-1] == (
        "warning",
        f"impact account {IMPACT_SID}: 3 pending actions lock 30 or more days after their event "
        "day (action 12345.9810.4 locks on 2026-12-17, 37 days after); the daily sync stops "
        "re-reading a day after impact.lookback_days = 30 days, so their decisions would be "
        "missed: raise it to cover the program's locking period",
    )
    log.lines.clear()
    live(box, log, lookback_days=38).fetch(IMPACT_SID, NOV_10, NOV_10)
    assert [level for level, _ in log.lines] == ["info"]
