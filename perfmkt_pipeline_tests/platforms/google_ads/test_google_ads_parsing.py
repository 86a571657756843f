"""Pure parts of the Google Ads connector: money, rows, GAQL, chunks, retry waits, OAuth errors."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import pytest
from google.ads.googleads.v26.services.types.google_ads_service import GoogleAdsRow
from google.auth.exceptions import RefreshError
from google.protobuf import json_format

from perfmkt_pipeline.platforms.google_ads import (
    GoogleAdsDataError,
    RetryPolicy,
    micros_to_decimal,
    queries,
)
from perfmkt_pipeline.platforms.google_ads.errors import Failure, classify
from perfmkt_pipeline.platforms.google_ads.parsing import (
    double_to_decimal,
    parse_campaign_row,
    parse_conversion_row,
    parse_customer,
    parse_customer_client_row,
)

ROW = GoogleAdsRow.pb()
CUSTOMER = "1234567890"
OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def campaign_row(**metrics) -> object:
    row = ROW()
    row.campaign.id = 12340000001
    row.campaign.name = "Search - Brand - 001"
    row.campaign.status = 2  # ENABLED
    row.segments.date = "2026-10-05"
    row.metrics.cost_micros = 1234567
    row.metrics.impressions = 4000
    row.metrics.clicks = 120
    row.metrics.conversions = 3.5
    row.metrics.conversions_value = 410.25
    for name, value in metrics.items():
        setattr(row.metrics, name, value)
    return row


@pytest.mark.parametrize(
    ("micros", "expected"),
    [
        (1234567, "1.234567"),
        (1, "0.000001"),
        (0, "0"),
        (1_500_000_000, "1500"),  # JPY: whole yen, still micros on the wire
        (987_654_321_987_654_321, "987654321987.654321"),
    ],
)
def test_micros_become_exact_decimals(micros, expected):
    assert micros_to_decimal(micros) == Decimal(expected)
    assert micros_to_decimal(micros).as_tuple().exponent == -6


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.5, "1.5"), (0.1, "0.1"), (0.1 + 0.2, "0.300000"), (95865.0, "95865"), (1e-7, "0")],
)
def test_doubles_become_the_decimal_their_repr_spells_within_six_places(value, expected):
    assert double_to_decimal(value, CUSTOMER, "2026-10-05", "metrics.conversions") == Decimal(
        expected
    )


def test_a_campaign_row_parses_to_exact_values_and_keeps_the_row_as_received():
    row = campaign_row()
    day = parse_campaign_row(row, CUSTOMER, *OCT)

    assert (day.customer_id, day.date, day.campaign_id, day.campaign_name, day.campaign_status) == (
        CUSTOMER,
        dt.date(2026, 10, 5),
        "12340000001",
        "Search - Brand - 001",
        "ENABLED",
    )
    assert (day.cost_micros, day.cost, day.impressions, day.clicks) == (
        1234567,
        Decimal("1.234567"),
        4000,
        120,
    )
    assert (day.conversions, day.conversions_value) == (Decimal("3.5"), Decimal("410.25"))
    record = json.loads(day.record)
    assert record["metrics"]["costMicros"] == "1234567"  # int64 as a string, as JSON has it
    assert record["campaign"]["status"] == "ENABLED"
    assert json_format.Parse(day.record, ROW()) == row


def test_a_conversion_row_parses_per_action():
    row = ROW()
    row.campaign.id = 34560000002
    row.segments.date = "2026-10-31"
    row.segments.conversion_action_name = "Purchase"
    row.metrics.conversions = 2.0
    row.metrics.conversions_value = 95865.0
    day = parse_conversion_row(row, "3456789012", *OCT)
    assert (day.date, day.campaign_id, day.conversion_action_name) == (
        dt.date(2026, 10, 31),
        "34560000002",
        "Purchase",
    )
    assert (day.conversions, day.conversions_value) == (Decimal(2), Decimal(95865))


@pytest.mark.parametrize(
    ("change", "day", "field"),
    [
        ({"date": "2026-13-01"}, "2026-13-01", "segments.date"),
        ({"date": ""}, "unknown", "segments.date"),
        ({"date": "2026-11-01"}, "2026-11-01", "segments.date"),  # outside the queried range
        ({"conversions": float("nan")}, "2026-10-05", "metrics.conversions"),
        ({"conversions_value": float("inf")}, "2026-10-05", "metrics.conversions_value"),
        ({"campaign_id": 0}, "2026-10-05", "campaign.id"),
    ],
)
def test_a_row_that_does_not_parse_is_a_data_error_naming_customer_day_and_field(
    change, day, field
):
    row = campaign_row()
    if "date" in change:
        row.segments.date = change["date"]
    elif "campaign_id" in change:
        row.campaign.id = change["campaign_id"]
    else:
        setattr(row.metrics, *next(iter(change.items())))
    with pytest.raises(GoogleAdsDataError) as caught:
        parse_campaign_row(row, CUSTOMER, *OCT)
    message = str(caught.value)
    assert f"customer {CUSTOMER}" in message and f"day {day}" in message and field in message
    assert (caught.value.customer_id, caught.value.field) == (CUSTOMER, field)


def test_a_conversion_row_without_an_action_name_is_a_data_error():
    row = ROW()
    row.campaign.id = 1
    row.segments.date = "2026-10-02"
    with pytest.raises(GoogleAdsDataError, match="segments.conversion_action_name"):
        parse_conversion_row(row, CUSTOMER, *OCT)


def test_customer_rows_describe_accounts_with_ten_digit_ids():
    row = ROW()
    client = row.customer_client
    client.id, client.descriptive_name, client.currency_code = 345678901, "Acme JP", "JPY"
    client.time_zone, client.manager, client.status, client.level = "Asia/Tokyo", False, 2, 1
    parsed = parse_customer_client_row(row, "1000000001")
    assert parsed.account.customer_id == "0345678901"
    assert (parsed.account.currency, parsed.account.time_zone) == ("JPY", "Asia/Tokyo")
    assert (parsed.manager, parsed.status, parsed.level) == (False, "ENABLED", 1)

    campaign = campaign_row()
    campaign.customer.currency_code, campaign.customer.time_zone = "EUR", "Europe/Berlin"
    account = parse_customer(campaign, CUSTOMER)
    assert (account.currency, account.time_zone) == ("EUR", "Europe/Berlin")
    assert json.loads(account.record) == {
        "customer": {"currencyCode": "EUR", "timeZone": "Europe/Berlin"}
    }
    campaign.customer.currency_code = "usd"
    with pytest.raises(GoogleAdsDataError, match="customer.currency_code"):
        parse_customer(campaign, CUSTOMER)


def test_gaql_asks_for_one_date_range_per_query():
    metrics = queries.campaign_metrics(dt.date(2026, 8, 1), dt.date(2026, 10, 29))
    assert metrics.endswith(
        "FROM campaign WHERE segments.date BETWEEN '2026-08-01' AND '2026-10-29'"
    )
    assert "metrics.cost_micros" in metrics and "customer.currency_code" not in metrics
    assert "customer.currency_code" in queries.campaign_metrics(*OCT, with_customer=True)
    conversions = queries.conversions_by_action(*OCT)
    assert "segments.conversion_action_name" in conversions
    assert "metrics.cost_micros" not in conversions  # refused beside the action segment


@pytest.mark.parametrize(
    ("start", "end", "days", "expected"),
    [
        ("2026-01-01", "2026-03-31", 90, [("2026-01-01", "2026-03-31")]),
        ("2026-01-01", "2026-04-01", 90, [("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-04-01")]),
        ("2026-02-27", "2026-03-01", 1, [("2026-02-27",) * 2, ("2026-02-28",) * 2, ("2026-03-01",) * 2]),
        ("2026-05-05", "2026-05-05", 90, [("2026-05-05", "2026-05-05")]),
    ],
)  # fmt: skip
def test_ranges_are_cut_into_consecutive_chunks(start, end, days, expected):
    d = dt.date.fromisoformat
    got = queries.chunks(d(start), d(end), days)
    assert got == [(d(a), d(b)) for a, b in expected]


def test_a_reversed_range_is_refused():
    with pytest.raises(ValueError, match="after its end"):
        queries.chunks(dt.date(2026, 2, 2), dt.date(2026, 2, 1), 90)


def test_backoff_doubles_with_jitter_up_to_the_cap():
    policy = RetryPolicy(backoff_seconds=2.0, backoff_max_seconds=10.0)
    rng = random.Random(1)
    waits = [policy.backoff(n, rng) for n in (1, 2, 3, 4, 5)]
    ceilings = [2.0, 4.0, 8.0, 10.0, 10.0]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert len(set(waits)) == 5  # jittered: no two retries wait the same


def test_an_advised_quota_wait_is_honoured_up_to_the_maximum():
    policy = RetryPolicy(max_retry_delay_seconds=60)
    quota = Failure("quota", "RESOURCE_EXHAUSTED", "", retry_delay=dt.timedelta(seconds=42))
    too_long = Failure("quota", "RESOURCE_EXHAUSTED", "", retry_delay=dt.timedelta(minutes=5))
    assert policy.wait(quota, 1, random.Random(0)) == 42.0
    assert policy.wait(too_long, 1, random.Random(0)) is None


def test_oauth_refusals_are_fatal_and_transient_token_errors_are_retried():
    refused = RefreshError(
        "invalid_grant: Token has been expired or revoked.",
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    failure = classify(refused, "v26")
    assert (failure.kind, failure.detail) == (
        "auth",
        "invalid_grant: Token has been expired or revoked.",
    )
    busy = RefreshError("internal_failure", {"error": "internal_failure"}, retryable=True)
    assert classify(busy, "v26").kind == "transient"
    assert classify(ValueError("not an API error"), "v26") is None
