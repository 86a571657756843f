"""impact.com client: paging by @nextpageuri, waiting out a 429 by its reset header, auth
failures, and parsing (strings to Decimal, the update day)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from perfmkt_pipeline.sources.affiliates import AffiliateDataError, AuthenticationError
from perfmkt_pipeline.sources.affiliates.impact import ImpactClient
from perfmkt_pipeline_tests.sources.affiliates_support import (
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

ZONE = ZoneInfo(IMPACT_ZONE)
NOV_10, NOV_12 = dt.date(2026, 11, 10), dt.date(2026, 11, 12)


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


def test_actions_follow_nextpageuri_after_waiting_out_a_429_by_its_reset_header() -> None:
    clock, log = FakeClock(), ListLogger()
    with cassette("impact", "actions_paged", rate_limit_first_n=1, reset_seconds=7) as target:
        impact = client(target.url, target.credentials.impact_auth_token, clock, log, page_size=25)
        seen = statuses(impact.http)
        records = impact.fetch(IMPACT_SID, NOV_10, NOV_12)

    served = world().affiliate_actions_updated(
        "impact",
        IMPACT_SID,
        dt.datetime(2026, 11, 10, tzinfo=ZONE),
        dt.datetime(2026, 11, 12, 23, 59, 59, tzinfo=ZONE),
    )
    assert len(served) == 63
    assert seen == [429, 200, 200, 200]  # 63 actions in pages of 25
    assert clock.sleeps == [7.35]  # x-ratelimit-reset 7 s, plus 5% jitter
    assert log.text().splitlines() == [
        f"impact account {IMPACT_SID}: rate limited (HTTP 429); waiting 7.4 s before retry 1 of 3",
        f"impact account {IMPACT_SID}, program 12345: window 1 of 1 (2026-11-10..2026-11-12): "
        "63 actions, 63 so far",
    ]
    assert [(r.action_id, r.status, r.commission, r.sale_amount) for r in records] == [
        (a.action_id, a.status.upper(), a.commission, a.sale_amount) for a in served
    ]
    assert [r.updated_at for r in records] == [a.updated_at for a in served]
    assert [r.window_date for r in records] == [a.updated_at.date() for a in served]
    assert [r.event_date for r in records] == [a.event_day for a in served]
    assert {r.currency for r in records} == {"USD"} and not any(r.is_correction for r in records)


def test_an_expired_token_is_fatal_at_once_and_names_network_and_account() -> None:
    clock = FakeClock()
    with cassette("impact", "auth_failure", expired_credentials=True) as target:
        impact = client(target.url, target.credentials.impact_auth_token, clock)
        seen = statuses(impact.http)
        with pytest.raises(AuthenticationError) as raised:
            impact.fetch(IMPACT_SID, NOV_10, NOV_12)
    assert str(raised.value) == (
        f"impact account {IMPACT_SID}: credentials refused (HTTP 401): "
        "Authentication failed: the auth token has expired"
    )
    assert seen == [401] and clock.sleeps == []
    assert target.credentials.impact_auth_token not in str(raised.value)


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


def test_a_decided_action_belongs_to_the_day_it_was_decided_and_keeps_strings_exact() -> None:
    impact = client("http://unused", "unused", FakeClock())
    record = impact.parse(ACTION, IMPACT_SID, NOV_10, NOV_12)
    assert (record.record_id, record.action_id, record.status) == (
        "12345.9800.3",
        "12345.9800.3",
        "REVERSED",
    )
    assert (record.sale_amount, record.commission) == (Decimal("120.50"), Decimal("12.05"))
    assert record.event_date == dt.date(2026, 10, 30)
    assert record.updated_at == dt.datetime(2026, 11, 11, 13, 0, tzinfo=dt.UTC)
    assert record.window_date == dt.date(2026, 11, 11)
    assert json.loads(record.record) == ACTION


def test_a_pending_action_belongs_to_its_creation_day_kept_inside_the_window() -> None:
    impact = client("http://unused", "unused", FakeClock())
    pending = {**ACTION, "State": "PENDING"}
    assert impact.parse(pending, IMPACT_SID, dt.date(2026, 10, 30), NOV_12).window_date == (
        dt.date(2026, 10, 30)
    )
    # A reversal before the scheduled lock still belongs to the window that returned it.
    early = impact.parse(ACTION, IMPACT_SID, dt.date(2026, 11, 1), dt.date(2026, 11, 5))
    assert early.window_date == dt.date(2026, 11, 5)


def test_a_payout_that_is_not_a_number_names_account_window_record_and_field() -> None:
    impact = client("http://unused", "unused", FakeClock())
    with pytest.raises(AffiliateDataError) as raised:
        impact.parse({**ACTION, "Payout": "12,05"}, IMPACT_SID, NOV_10, NOV_12)
    assert str(raised.value) == (
        f"impact account {IMPACT_SID}, 2026-11-10..2026-11-12, record 12345.9800.3: "
        "field Payout: '12,05' is not a number"
    )
