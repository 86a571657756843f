"""The shared affiliate HTTP layer, against the sandbox: backoff with jitter for 5xx and dropped
connections, bounded retries, waiting when the hourly allowance runs out, and one
classification of errors."""

from __future__ import annotations

import base64
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import requests

from perfmkt_pipeline.platforms.base.affiliates import (
    AuthenticationError,
    FatalError,
    RetriesExhaustedError,
)
from perfmkt_pipeline.platforms.base.http import advised_wait
from perfmkt_pipeline.platforms.impact.client import ImpactClient
from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
from perfmkt_pipeline.sandbox.faults import RateLimit
from perfmkt_pipeline_tests.platforms.affiliates_support import (
    IMPACT_PROGRAM,
    IMPACT_SID,
    IMPACT_ZONE,
    FakeClock,
    ListLogger,
    http,
    statuses,
)
from perfmkt_pipeline_tests.recording import CASSETTES
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401

DAY = dt.date(2026, 11, 10)


@pytest.fixture
def impact_box(sandbox):  # noqa: F811
    return sandbox(google_ads=False)


def impact(box, clock: FakeClock, log: ListLogger | None = None, *, max_retries=3, program=None):
    return ImpactClient(
        http("impact", clock, log, max_retries=max_retries),
        box.url("impact"),
        IMPACT_SID,
        box.credentials.impact.token,
        program_ids={IMPACT_SID: [program or IMPACT_PROGRAM]},
        zone=ZoneInfo(IMPACT_ZONE),
    )


def test_server_errors_are_retried_with_exponential_jittered_backoff(impact_box):
    clock, log = FakeClock(), ListLogger()
    impact_box.faults.set("impact", fail_first_n=2)
    client = impact(impact_box, clock, log)
    seen = statuses(client.http)
    assert len(client.fetch(IMPACT_SID, DAY, DAY)) == 10
    assert seen == [503, 503, 200]
    assert clock.sleeps == [0.75, 1.5]  # 1 s and 2 s, each x (0.5 + 0.5 x 0.5)
    assert log.text().splitlines()[0] == (
        f"impact account {IMPACT_SID}: GET /Advertisers/{IMPACT_SID}/Actions: server error "
        "(HTTP 503); waiting 0.8 s before retry 1 of 3"
    )


def test_a_dropped_connection_is_retried(impact_box):
    clock = FakeClock()
    impact_box.faults.set("impact", drop_first_n=1)
    client = impact(impact_box, clock)
    assert len(client.fetch(IMPACT_SID, DAY, DAY)) == 10
    assert clock.sleeps == [0.75]
    assert impact_box.counters.count("impact", "impact.actions") == 2


def test_retries_are_bounded_and_the_last_error_is_named(impact_box):
    clock = FakeClock()
    impact_box.faults.set("impact", fail_first_n=10)
    with pytest.raises(RetriesExhaustedError) as raised:
        impact(impact_box, clock, max_retries=2).fetch(IMPACT_SID, DAY, DAY)
    assert str(raised.value) == (
        f"impact account {IMPACT_SID}: gave up after 3 attempts: impact account {IMPACT_SID}: "
        f"GET /Advertisers/{IMPACT_SID}/Actions: server error (HTTP 503)"
    )
    assert clock.sleeps == [0.75, 1.5]


def test_when_the_hourly_allowance_is_used_up_the_next_call_waits_for_the_reset(impact_box):
    clock, log = FakeClock(), ListLogger()
    impact_box.faults.set("impact", enforce_limit=RateLimit(2, 3600.0), clock=clock.monotonic)
    client = impact(impact_box, clock, log)
    seen = statuses(client.http)
    for _ in range(3):
        client.fetch(IMPACT_SID, DAY, DAY)
    assert seen == [200, 200, 200]
    assert clock.sleeps == [3600.0]  # x-ratelimit-remaining-hour 0, x-ratelimit-reset 3600
    assert impact_box.counters.violations("impact") == 0
    assert log.text() == (
        f"impact account {IMPACT_SID}, program 12345: window 1 of 1 (2026-11-10..2026-11-10): "
        "10 actions, 10 so far\n"
        * 2
        + f"impact account {IMPACT_SID}: no calls left until the limit resets; waiting 3600.0 s\n"
        f"impact account {IMPACT_SID}, program 12345: window 1 of 1 (2026-11-10..2026-11-10): "
        "10 actions, 10 so far"
    )


def test_an_account_the_credentials_cannot_reach_is_an_authentication_error(impact_box):
    client = impact(impact_box, FakeClock())
    client.program_ids = {"IRsomeoneElse": [IMPACT_PROGRAM]}
    with pytest.raises(AuthenticationError) as raised:
        client.fetch("IRsomeoneElse", DAY, DAY)
    assert str(raised.value).startswith(
        "impact account IRsomeoneElse: credentials refused (HTTP 401)"
    )


def test_a_bad_request_is_fatal_and_not_retried(impact_box):
    clock = FakeClock()
    client = impact(impact_box, clock, program="999")
    with pytest.raises(FatalError) as raised:
        client.fetch(IMPACT_SID, DAY, DAY)
    assert str(raised.value) == (
        f"impact account {IMPACT_SID}: GET /Advertisers/{IMPACT_SID}/Actions failed (HTTP 400): "
        "Invalid CampaignId: 999"
    )
    assert clock.sleeps == [] and impact_box.counters.count("impact") == 1


class ScriptedSession(requests.Session):
    """Answers with the given (status, headers) in turn, without any network."""

    def __init__(self, answers: list[tuple[int, dict[str, str]]]):
        super().__init__()
        self.answers = list(answers)

    def request(self, method, url, **kwargs):
        status, headers = self.answers.pop(0)
        response = requests.Response()
        response.status_code, response.url = status, url
        response.headers.update(headers)
        response._content = b"{}"
        return response


def test_a_rate_limit_without_reset_headers_falls_back_to_backoff():
    clock = FakeClock()
    client = http("awin", clock)
    client.session = ScriptedSession([(429, {}), (429, {}), (200, {})])
    assert client.send("GET", "http://awin.invalid/x", account_id="1").status_code == 200
    assert clock.sleeps == [0.75, 1.5]


def test_an_advised_wait_beyond_any_documented_limit_is_fatal():
    client = http("impact", FakeClock())
    client.session = ScriptedSession([(429, {"x-ratelimit-reset": "86400"})])
    with pytest.raises(FatalError) as raised:
        client.send("GET", "http://impact.invalid/x", account_id="1")
    assert str(raised.value) == (
        "impact: rate limited with an advised wait of 86400 s, beyond the 3900 s any documented "
        "limit needs"
    )


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({"x-ratelimit-reset": "30"}, 30.0),
        ({"x-ratelimit-reset": str(1_800_000_045)}, 45.0),  # an epoch second, 45 s from now
        ({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
        ({"Retry-After": "5", "x-ratelimit-reset": "9"}, 9.0),
        ({}, None),
    ],
)
def test_the_advised_wait_is_read_from_seconds_or_epoch_reset_headers(headers, seconds):
    assert advised_wait(requests.structures.CaseInsensitiveDict(headers), 1.8e9) == seconds


def test_no_affiliate_cassette_holds_a_credential():
    credentials = SandboxCredentials()
    basic = base64.b64encode(f"{IMPACT_SID}:{credentials.impact.token}".encode()).decode()
    secrets = [
        credentials.impact.token,
        credentials.cj.token,
        credentials.awin.token,
        basic,
        "Bearer ",
        "Basic ",
    ]
    tapes = sorted(p for n in ("impact", "cj", "awin") for p in (CASSETTES / n).glob("*.yaml"))
    assert [f"{p.parent.name}/{p.name}" for p in tapes] == [
        "awin/auth_failure.yaml",
        "awin/transactions_windows.yaml",
        "cj/auth_failure.yaml",
        "cj/commissions_paged.yaml",
        "cj/graphql_error.yaml",
        "impact/actions_rate_limited.yaml",
        "impact/auth_failure.yaml",
    ]
    for tape in tapes:
        text = tape.read_text()
        assert not [s for s in secrets if s in text], tape
        assert "authorization:\n      - SCRUBBED" in text, tape
