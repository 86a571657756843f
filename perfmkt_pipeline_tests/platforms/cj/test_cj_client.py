"""CJ client: payloadComplete / sinceCommissionId paging, a 429 with reset headers, GraphQL
errors that arrive with HTTP 200 (transient ones retried, authorisation ones fatal), and
corrections kept as records of their own."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import requests

from perfmkt_pipeline.platforms.base.affiliates import (
    AffiliateDataError,
    AuthenticationError,
    FatalError,
)
from perfmkt_pipeline.platforms.cj.client import CjClient
from perfmkt_pipeline.platforms.cj.standin import data as cj_data
from perfmkt_pipeline_tests.platforms.affiliates_support import (
    CJ_ACCOUNT,
    FakeClock,
    ListLogger,
    cassette,
    http,
    statuses,
    world,
)

NOV_10, NOV_11, OCT_12 = dt.date(2026, 11, 10), dt.date(2026, 11, 11), dt.date(2026, 10, 12)


def client(url: str, token: str, clock: FakeClock, log: ListLogger | None = None) -> CjClient:
    return CjClient(http("cj", clock, log), url, token, currency="EUR", zone=ZoneInfo("UTC"))


def test_commissions_page_by_max_commission_id_through_a_429_and_a_transient_graphql_error(
    monkeypatch,
):
    clock, log = FakeClock(), ListLogger()
    decoded = []
    body_of = requests.Response.json
    monkeypatch.setattr(
        requests.Response, "json", lambda r, **kw: decoded.append(r) or body_of(r, **kw)
    )
    with cassette(
        "cj",
        "commissions_paged",
        cj_page_size=10,
        rate_limit_first_n=1,
        reset_seconds=5,
        graphql_error_first_n=1,
    ) as target:
        cj = client(target.url, target.credentials.cj.token, clock, log)
        seen = statuses(cj.http)
        records = cj.fetch(CJ_ACCOUNT, NOV_10, NOV_11)

    served = cj_data.cj_commissions(
        world(),
        CJ_ACCOUNT,
        dt.datetime(2026, 11, 10, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 12, tzinfo=dt.UTC),
        by="event",
    )
    assert len(served) == 25
    # 429, then the GraphQL error (HTTP 200), then 25 records in pages of 10.
    assert seen == [429, 200, 200, 200, 200]
    assert len(decoded) == 4  # each answer with a body to read, once
    # Retry-After 5 s + 5% jitter; then the second retry's backoff: 1 s x 2^1 x 0.75.
    assert clock.sleeps == [5.25, 1.5]
    assert (
        "cj account 5551234: GraphQL error: Internal error while fetching commissions; "
        "please retry; waiting 1.5 s before retry 2 of 3"
    ) in log.text()
    assert [
        (r.record_id, r.action_id, r.is_correction, r.status, r.sale_amount, r.commission)
        for r in records
    ] == [
        (
            c.commission_id,
            c.original_action_id,
            not c.original,
            c.action_status,
            c.sale_amount,
            c.commission,
        )
        for c in served
    ]
    assert [r.updated_at for r in records] == [c.posting_date for c in served]
    # Read by event day: a correction posted days later lands with its action's event day.
    assert [r.window_date for r in records] == [c.event_date.date() for c in served]
    corrections = [r for r in records if r.is_correction]
    assert len(corrections) == 1 and all(r.commission < 0 for r in corrections)
    assert [r.updated_at.date() for r in corrections] == [dt.date(2026, 11, 19)]
    assert {r.currency for r in records} == {"EUR"}


def test_a_graphql_authorisation_error_with_http_200_is_fatal_and_names_the_account():
    clock = FakeClock()
    with cassette("cj", "graphql_error") as target:
        cj = client(target.url, target.credentials.cj.token, clock)
        seen = statuses(cj.http)
        with pytest.raises(AuthenticationError) as raised:
            cj.fetch("999", NOV_10, NOV_11)
    assert seen == [200] and clock.sleeps == []
    assert str(raised.value) == (
        "cj account 999: GraphQL error: Not authorized to access advertiser 999"
    )


def test_an_expired_token_is_fatal_at_once_and_names_network_and_account():
    clock = FakeClock()
    with cassette("cj", "auth_failure", expired_credentials=True) as target:
        cj = client(target.url, target.credentials.cj.token, clock)
        seen = statuses(cj.http)
        with pytest.raises(AuthenticationError) as raised:
            cj.fetch(CJ_ACCOUNT, NOV_10, NOV_11)
    assert seen == [401] and clock.sleeps == []
    assert str(raised.value) == (
        "cj account 5551234: credentials refused (HTTP 401): "
        "Unauthorized: the personal access token has expired"
    )
    assert target.credentials.cj.token not in str(raised.value)


def _response(body: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()
    return response


def test_a_query_error_with_http_200_is_fatal_not_retried():
    cj = client("http://unused", "unused", FakeClock())
    body = {"errors": [{"message": 'Cannot query field "shoeSize" on type "Commission".'}]}
    with pytest.raises(FatalError) as raised:
        cj._check(_response(body), CJ_ACCOUNT)
    assert type(raised.value) is FatalError
    assert str(raised.value) == (
        'cj account 5551234: GraphQL error: Cannot query field "shoeSize" on type "Commission".'
    )


RECORD = {
    "commissionId": "98100000002",
    "originalActionId": "3981000002",
    "original": False,
    "actionStatus": "locked",
    "actionType": "sale",
    "publisherId": "4000185",
    "publisherName": "Loyalty Plus",
    "orderId": "ORD-9781-00002",
    "eventDate": "2026-10-12T08:00:00Z",
    "postingDate": "2026-11-10T23:30:00Z",
    "saleAmountAdvCurrency": "-48.10",
    "advCommissionAmountAdvCurrency": "-4.66",
    "correctionReason": "RETURNED_MERCHANDISE",
}


def test_a_correction_is_its_own_record_tied_to_its_action_with_delta_amounts():
    cj = client("http://unused", "unused", FakeClock())
    record = cj.parse(RECORD, CJ_ACCOUNT, OCT_12, OCT_12)
    assert (record.record_id, record.action_id, record.is_correction) == (
        "98100000002",
        "3981000002",
        True,
    )
    assert (record.sale_amount, record.commission) == (Decimal("-48.10"), Decimal("-4.66"))
    # Its window is its action's event day, not the day it was posted.
    assert (record.event_date, record.window_date) == (OCT_12, OCT_12)
    assert record.updated_at == dt.datetime(2026, 11, 10, 23, 30, tzinfo=dt.UTC)
    assert json.loads(record.record) == RECORD


def test_a_record_outside_the_event_days_asked_for_is_a_data_error():
    cj = client("http://unused", "unused", FakeClock())
    with pytest.raises(AffiliateDataError) as raised:
        cj.parse(RECORD, CJ_ACCOUNT, NOV_10, NOV_11)
    assert str(raised.value) == (
        "cj account 5551234, 2026-11-10..2026-11-11, record 98100000002: field eventDate: "
        "2026-10-12 is outside the window asked for"
    )
