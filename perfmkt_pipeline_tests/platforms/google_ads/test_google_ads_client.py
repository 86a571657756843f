"""The Google Ads reader with the official client library against the sandbox's gRPC server."""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from perfmkt_pipeline.platforms.google_ads import (
    Account,
    GoogleAdsAuthError,
    GoogleAdsFatalError,
    GoogleAdsPermissionError,
    GoogleAdsQuotaError,
    RetryPolicy,
)
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline_tests.platforms.google_ads.google_ads_support import (
    CANCELLED,
    CLIENTS,
    DE,
    JP,
    MANAGER,
    OAUTH_TOKEN,
    PLATFORM,
    STREAM,
    US,
    Sleeps,
    credentials,
    parsed_campaign_days,
    parsed_conversion_days,
    reader,
    served_campaign_days,
    served_conversion_days,
)
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401 (registers it)

# 90 days, all inside the sandbox's history and before its as-of date (2026-11-20).
START, END = date(2026, 8, 1), date(2026, 10, 29)
US_ACCOUNT = Account(US, "Acme US Search", "USD", "America/New_York")
WRONG_REFRESH_TOKEN = "1//wrong-refresh-token-7f3a9c"


@pytest.fixture
def box(request: pytest.FixtureRequest) -> Sandbox:
    """A started sandbox with the shared defaults (WorldSpec.small(), fixed as-of date)."""
    return request.getfixturevalue("sandbox")()


def test_discovery_lists_enabled_client_accounts_and_skips_managers_and_cancelled(box):
    with reader(box) as ads:
        accounts = ads.accounts()

    assert [(a.customer_id, a.name, a.currency, a.time_zone) for a in accounts] == [
        (US, "Acme US Search", "USD", "America/New_York"),
        (DE, "Acme DE Search", "EUR", "Europe/Berlin"),
        (JP, "Acme JP Search", "JPY", "Asia/Tokyo"),
    ]
    assert box.counters.snapshot() == {
        ("google_oauth", OAUTH_TOKEN, None): 1,
        (PLATFORM, STREAM, MANAGER): 1,
    }


def test_configured_customer_ids_are_read_in_their_order_and_a_cancelled_one_is_refused(box):
    with reader(box, customer_ids=(JP, US)) as ads:
        assert [a.customer_id for a in ads.accounts()] == [JP, US]
    with reader(box, customer_ids=(US, CANCELLED)) as ads, pytest.raises(GoogleAdsFatalError) as e:
        ads.accounts()
    assert CANCELLED in str(e.value) and MANAGER in str(e.value)


def test_ninety_days_for_three_accounts_cost_two_queries_per_account(box):
    with reader(box) as ads:
        reports = {a.customer_id: ads.fetch(a, START, END) for a in ads.accounts()}

    for customer in CLIENTS:
        assert box.counters.count(PLATFORM, STREAM, customer) == 2, customer
    assert box.counters.count(PLATFORM, STREAM, MANAGER) == 1  # the one account listing
    assert box.counters.count(PLATFORM) == 7
    for customer, report in reports.items():
        assert parsed_campaign_days(report) == served_campaign_days(box, customer, START, END)
        assert parsed_conversion_days(report) == served_conversion_days(box, customer, START, END)
        assert len(report.campaign_days) > 200


def test_a_range_longer_than_chunk_days_is_one_query_pair_per_chunk(box):
    with reader(box, chunk_days=30) as ads:
        report = ads.fetch(US_ACCOUNT, START, END)
    assert box.counters.count(PLATFORM, STREAM, US) == 6  # 3 chunks x (metrics + conversions)
    assert parsed_campaign_days(report) == served_campaign_days(box, US, START, END)
    assert parsed_conversion_days(report) == served_conversion_days(box, US, START, END)


def test_jpy_costs_are_whole_yen_and_sum_exactly_to_the_ground_truth(box):
    with reader(box) as ads:
        account = next(a for a in ads.accounts() if a.customer_id == JP)
        report = ads.fetch(account, START, END)

    assert report.account.currency == "JPY"
    truth = box.world.ground_truth("google_ads", START, END, level="account")
    truth = truth[truth.account_id == JP]
    assert sum((d.cost for d in report.campaign_days), Decimal(0)) == sum(truth.spend)
    assert all(d.cost == Decimal(d.cost_micros // 1_000_000) for d in report.campaign_days)
    assert sum(d.conversions_value for d in report.campaign_days) == sum(truth.conversion_value)


def test_quota_errors_wait_the_advised_retry_delay_then_read_everything(box, caplog):
    box.faults.set(PLATFORM, rate_limit_first_n=2, retry_delay_seconds=7.5)
    sleeps = Sleeps()
    with caplog.at_level(logging.INFO), reader(box, sleep=sleeps) as ads:
        report = ads.fetch(US_ACCOUNT, START, END)

    assert sleeps.waits == [7.5, 7.5]
    assert box.counters.faults(PLATFORM, "rate_limit") == 2
    assert box.counters.count(PLATFORM, STREAM, US) == 4
    assert parsed_campaign_days(report) == served_campaign_days(box, US, START, END)
    assert caplog.text.count("RESOURCE_EXHAUSTED") == 2
    assert "waiting 7.50 s as the API advises" in caplog.text


def test_a_quota_delay_beyond_the_maximum_fails_at_once_without_sleeping(box):
    box.faults.set(PLATFORM, rate_limit_first_n=1, retry_delay_seconds=900)
    sleeps = Sleeps()
    started = time.monotonic()
    with (
        reader(box, sleep=sleeps, retry=RetryPolicy(max_retry_delay_seconds=300)) as ads,
        pytest.raises(GoogleAdsQuotaError) as caught,
    ):
        ads.fetch(US_ACCOUNT, START, END)

    assert time.monotonic() - started < 5
    assert sleeps.waits == []
    assert box.counters.count(PLATFORM, STREAM, US) == 1
    assert f"customer {US}" in str(caught.value) and "900 s" in str(caught.value)


def test_internal_error_is_retried_after_a_jittered_backoff_then_succeeds(box):
    box.faults.set(PLATFORM, fail_first_n=1)
    sleeps = Sleeps()
    with reader(box, sleep=sleeps, retry=RetryPolicy(backoff_seconds=2.0)) as ads:
        report = ads.fetch(US_ACCOUNT, START, END)

    assert len(sleeps.waits) == 1 and 1.0 <= sleeps.waits[0] <= 2.0
    assert box.counters.faults(PLATFORM, "server_error") == 1
    assert box.counters.count(PLATFORM, STREAM, US) == 3
    assert parsed_campaign_days(report) == served_campaign_days(box, US, START, END)


def test_transient_errors_give_up_after_max_attempts(box):
    box.faults.set(PLATFORM, fail_first_n=10)
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=3, backoff_seconds=2.0)
    with reader(box, sleep=sleeps, retry=policy) as ads, pytest.raises(GoogleAdsFatalError) as e:
        ads.fetch(US_ACCOUNT, START, END)

    assert box.counters.count(PLATFORM, STREAM, US) == 3
    assert len(sleeps.waits) == 2
    assert 1.0 <= sleeps.waits[0] <= 2.0 and 2.0 <= sleeps.waits[1] <= 4.0
    assert "failed 3 times" in str(e.value) and "INTERNAL" in str(e.value)


def test_a_stream_dropped_midway_is_read_again_without_duplicate_rows(box):
    box.google_ads.stream_batch_rows = 50  # several batches, so the drop comes after rows
    box.faults.set(PLATFORM, drop_first_n=1)
    sleeps = Sleeps()
    with reader(box, sleep=sleeps) as ads:
        report = ads.fetch(US_ACCOUNT, START, END)

    assert box.counters.faults(PLATFORM, "drop") == 1
    assert len(sleeps.waits) == 1
    assert parsed_campaign_days(report) == served_campaign_days(box, US, START, END)


def test_unauthenticated_fails_fast_naming_the_customer(box):
    sleeps = Sleeps()
    creds = credentials(box, developer_token="not-the-developer-token")
    with reader(box, creds=creds, sleep=sleeps) as ads, pytest.raises(GoogleAdsAuthError) as e:
        ads.fetch(US_ACCOUNT, START, END)

    message = str(e.value)
    assert f"customer {US}" in message and "UNAUTHENTICATED" in message
    assert "DEVELOPER_TOKEN_INVALID" in message and "not-the-developer-token" not in message
    assert box.counters.count(PLATFORM, STREAM, US) == 1
    assert sleeps.waits == []


def test_permission_denied_fails_fast_naming_the_customer(box):
    creds = credentials(box, login_customer_id=None)  # a client account needs its manager
    with (
        reader(box, creds=creds, customer_ids=(US,)) as ads,
        pytest.raises(GoogleAdsPermissionError) as caught,
    ):
        ads.fetch(ads.accounts()[0], START, END)

    assert f"customer {US}" in str(caught.value) and "USER_PERMISSION_DENIED" in str(caught.value)
    assert box.counters.count(PLATFORM, STREAM, US) == 1


def test_an_access_token_expired_mid_run_is_refreshed_once(box):
    with reader(box) as ads:
        accounts = ads.accounts()
        box.credentials.google_ads.expire_access_tokens()
        report = ads.fetch(accounts[0], START, END)

    assert box.counters.count("google_oauth", OAUTH_TOKEN) == 2
    assert parsed_campaign_days(report) == served_campaign_days(box, US, START, END)


def test_credentials_still_refused_after_a_refresh_fail_without_a_retry_loop(box):
    box.faults.set(PLATFORM, expired_credentials=True)
    sleeps = Sleeps()
    with reader(box, sleep=sleeps) as ads, pytest.raises(GoogleAdsAuthError) as caught:
        ads.fetch(US_ACCOUNT, START, END)

    assert "OAUTH_TOKEN_EXPIRED" in str(caught.value)
    assert box.counters.count(PLATFORM, STREAM, US) == 2  # the call, and once with a new token
    assert box.counters.count("google_oauth", OAUTH_TOKEN) == 2
    assert sleeps.waits == []


def test_a_wrong_refresh_token_fails_within_seconds_naming_the_account_and_never_the_token(
    box, caplog, capsys
):
    creds = credentials(box, refresh_token=WRONG_REFRESH_TOKEN)
    started = time.monotonic()
    with (
        caplog.at_level(logging.DEBUG),
        reader(box, creds=creds, customer_ids=(US,)) as ads,
        pytest.raises(GoogleAdsAuthError) as caught,
    ):
        ads.accounts()

    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert f"customer {MANAGER}" in message and "invalid_grant" in message
    assert "GOOGLE_ADS_REFRESH_TOKEN" in message
    assert box.counters.count("google_oauth", OAUTH_TOKEN) == 1  # no retry
    assert box.counters.count(PLATFORM) == 0
    captured = capsys.readouterr()
    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    for output in (shown, caplog.text, captured.out, captured.err, repr(creds)):
        assert WRONG_REFRESH_TOKEN not in output
        assert box.credentials.google_ads.client_secret not in output


def test_without_a_manager_the_metrics_rows_describe_the_account(request):
    spec = WorldSpec.small()
    top_level = tuple(replace(a, manager_id=None) for a in spec.accounts("google_ads")[:3])
    box = request.getfixturevalue("sandbox")(
        spec=spec.with_platform("google_ads", managers=(), accounts=top_level)
    )
    creds = credentials(box, login_customer_id=None)
    with reader(box, creds=creds, customer_ids=(US, JP)) as ads:
        accounts = ads.accounts()
        reports = [ads.fetch(a, START, END) for a in accounts]
        early = ads.fetch(Account(DE), date(2023, 11, 1), date(2023, 11, 30))  # before history

    assert [a.described for a in accounts] == [False, False]
    assert [(r.account.customer_id, r.account.currency, r.account.time_zone) for r in reports] == [
        (US, "USD", "America/New_York"),
        (JP, "JPY", "Asia/Tokyo"),
    ]
    assert box.counters.count(PLATFORM, STREAM, US) == 2
    assert box.counters.count(PLATFORM, STREAM, JP) == 2
    # No rows in the range: one `FROM customer` query describes the account.
    assert (early.account.currency, early.campaign_days) == ("EUR", [])
    assert box.counters.count(PLATFORM, STREAM, DE) == 3
    assert parsed_campaign_days(reports[1]) == served_campaign_days(box, JP, START, END)
