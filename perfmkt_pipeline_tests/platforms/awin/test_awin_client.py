"""Awin client: 31-day windows, pacing to 20 calls a minute, a 429 with reset headers, auth
failures, and amounts that are JSON numbers read exactly."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from perfmkt_pipeline.platforms.awin.client import AWIN_CALLS_PER_MINUTE, AwinClient
from perfmkt_pipeline.platforms.awin.standin import data as awin_data
from perfmkt_pipeline.platforms.base.affiliates import AffiliateDataError, AuthenticationError
from perfmkt_pipeline.sandbox.faults import RateLimit
from perfmkt_pipeline_tests.platforms.affiliates_support import (
    AWIN_ACCOUNT,
    FakeClock,
    ListLogger,
    cassette,
    http,
    statuses,
    world,
)
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401

UTC = ZoneInfo("UTC")
OCT_1, NOV_9 = dt.date(2026, 10, 1), dt.date(2026, 11, 9)
_STATUS = {"pending": "pending", "approved": "approved", "reversed": "declined"}


def client(url: str, token: str, clock: FakeClock, log: ListLogger | None = None) -> AwinClient:
    paced = http("awin", clock, log, calls_per_minute=AWIN_CALLS_PER_MINUTE)
    return AwinClient(paced, url, token, zone=UTC)


def test_a_40_day_range_is_read_in_two_windows_paced_and_through_a_429():
    clock, log = FakeClock(), ListLogger()
    with cassette("awin", "transactions_windows", rate_limit_first_n=1, reset_seconds=4) as target:
        awin = client(target.url, target.credentials.awin.token, clock, log)
        seen = statuses(awin.http)
        records = awin.fetch(AWIN_ACCOUNT, OCT_1, NOV_9)

    truth = world()
    served = awin_data.awin_transactions(
        truth,
        AWIN_ACCOUNT,
        dt.datetime(2026, 10, 1, tzinfo=UTC),
        dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC),
    ) + awin_data.awin_transactions(
        truth,
        AWIN_ACCOUNT,
        dt.datetime(2026, 11, 1, tzinfo=UTC),
        dt.datetime(2026, 11, 9, 23, 59, 59, tzinfo=UTC),
    )
    assert seen == [429, 200, 200]
    # Retry-After 4 s + 5% jitter; the retry came 4.2 s after the first call (pacing needs 3 s);
    # the second window waits out the 3 s pacing interval.
    assert clock.sleeps == [4.2, 3.0]
    assert [
        (r.action_id, r.status, r.sale_amount, r.commission, r.event_date, r.partner_id)
        for r in records
    ] == [
        (a.action_id, _STATUS[a.status], a.sale_amount, a.commission, a.event_day, a.partner_id)
        for a in served
    ]
    assert [r.updated_at for r in records] == [a.decided_at or a.event_time for a in served]
    assert [r.window_date for r in records] == [a.event_day for a in served]
    assert {r.currency for r in records} == {"GBP"}


def test_an_expired_token_is_fatal_at_once_and_names_network_and_account():
    clock = FakeClock()
    with cassette("awin", "auth_failure", expired_credentials=True) as target:
        awin = client(target.url, target.credentials.awin.token, clock)
        seen = statuses(awin.http)
        with pytest.raises(AuthenticationError) as raised:
            awin.fetch(AWIN_ACCOUNT, OCT_1, NOV_9)
    assert seen == [401] and clock.sleeps == []
    assert str(raised.value) == (
        "awin account 45678: credentials refused (HTTP 401): The access token has expired"
    )


def test_pacing_keeps_a_long_sync_inside_the_enforced_limit_of_20_calls_a_minute(sandbox):  # noqa: F811
    clock = FakeClock()
    box = sandbox(google_ads=False)
    box.faults.set("awin", enforce_limit=RateLimit(20, 60.0), clock=clock.monotonic)
    awin = client(box.url("awin"), box.credentials.awin.token, clock)
    seen = statuses(awin.http)
    for day in range(25):
        first = dt.date(2026, 10, 1) + dt.timedelta(days=day)
        awin.read_window(AWIN_ACCOUNT, first, first)
    assert seen == [200] * 25
    assert clock.sleeps == [3.0] * 24
    assert box.counters.violations("awin") == 0


TRANSACTION_TEXT = (
    '{"id":976000123,"advertiserId":45678,"publisherId":200148,"siteName":"Cashback King",'
    '"commissionStatus":"declined","commissionAmount":{"amount":1.10,"currency":"GBP"},'
    '"saleAmount":{"amount":47.625,"currency":"GBP"},"transactionDate":"2026-10-31T23:59:00",'
    '"validationDate":"2026-11-04T14:06:52","type":"Commission group transaction",'
    '"amended":false,"orderRef":"ORD-1"}'
)


def test_json_number_amounts_are_read_exactly_and_the_record_is_kept_byte_for_byte():
    awin = client("http://unused", "unused", FakeClock())
    from perfmkt_pipeline.platforms.base.affiliates.records import json_array_items

    [(data, text)] = json_array_items(f"[ {TRANSACTION_TEXT} ]")
    record = awin.parse(data, text, AWIN_ACCOUNT, OCT_1, dt.date(2026, 10, 31))
    assert record.record == TRANSACTION_TEXT  # 1.10 stays 1.10
    assert (record.sale_amount, record.commission) == (Decimal("47.625"), Decimal("1.10"))
    assert (record.action_id, record.status, record.partner_id) == (
        "976000123",
        "declined",
        "200148",
    )
    assert record.window_date == record.event_date == dt.date(2026, 10, 31)
    assert record.updated_at == dt.datetime(2026, 11, 4, 14, 6, 52, tzinfo=UTC)


def test_a_transaction_without_a_commission_amount_names_account_window_and_field():
    awin = client("http://unused", "unused", FakeClock())
    data = json.loads(TRANSACTION_TEXT)
    del data["commissionAmount"]
    with pytest.raises(AffiliateDataError) as raised:
        awin.parse(data, "{}", AWIN_ACCOUNT, OCT_1, dt.date(2026, 10, 31))
    assert str(raised.value) == (
        "awin account 45678, 2026-10-01..2026-10-31, record 976000123: field commissionAmount: "
        "missing"
    )
