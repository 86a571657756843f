"""The Meta client replaying recorded Graph conversations (cassettes/meta/*.yaml): paging, the
async flow, every error class and the usage headers, with the real facebook-business SDK."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from perfmkt_pipeline.platforms.meta import MetaFatalError, action_rows, insight_row
from perfmkt_pipeline.platforms.meta.usage import parse_usage
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.sandbox.world import World
from perfmkt_pipeline_tests.platforms.meta.meta_cassettes import SCENARIOS, UNKNOWN_ACCOUNT, replay
from perfmkt_pipeline_tests.platforms.meta.meta_support import (
    JP,
    UK,
    US,
    actions,
    ad_days,
    expected_actions,
    expected_ad_days,
)
from perfmkt_pipeline_tests.sandbox_fixtures import AS_OF

WORLD = World(WorldSpec.small(), as_of=AS_OF)


def _replayed(name: str):
    scenario = SCENARIOS[name]
    outcome, cassette = replay(scenario)
    assert cassette.all_played, f"{name}: the client skipped recorded requests"
    return scenario, outcome, cassette


def _assert_records_are_the_worlds(scenario, outcome) -> None:
    account_id, start, end = scenario.account_id, scenario.start, scenario.end
    insights = [insight_row(account_id, r) for r in outcome.records]
    rows = [row for r in outcome.records for row in action_rows(account_id, r)]
    assert ad_days(insights) == expected_ad_days(WORLD, [account_id], start, end)
    windows = ("7d_click", "1d_view")
    assert actions(rows) == expected_actions(WORLD, [account_id], start, end, windows)


def _requests(cassette, path_suffix: str, method: str | None = None) -> list:
    return [
        r
        for r in cassette.requests
        if urlsplit(r.uri).path.endswith(path_suffix) and (method is None or r.method == method)
    ]


def _bodies(cassette) -> list[dict]:
    return [json.loads(response["body"]["string"]) for response in cassette.responses]


def _time_range(request) -> str:
    query = parse_qs(urlsplit(request.uri).query)
    form = parse_qs(
        request.body.decode() if isinstance(request.body, bytes) else request.body or ""
    )
    raw = json.loads((query.get("time_range") or form["time_range"])[0])
    return f"{raw['since']}..{raw['until']}"


def test_every_recorded_request_carries_scrubbed_credentials_only() -> None:
    for name in SCENARIOS:
        _, _, cassette = _replayed(name)
        for request in cassette.requests:
            query = parse_qs(urlsplit(request.uri).query)
            assert query["access_token"] == ["SCRUBBED"], name
            assert query["appsecret_proof"] == ["SCRUBBED"], name


def test_sync_insights_are_read_through_every_page_of_the_cursor() -> None:
    scenario, outcome, cassette = _replayed("sync_paging")

    assert outcome.account == {
        "id": f"act_{UK}",
        "account_id": UK,
        "name": "Acme UK Social",
        "currency": "GBP",
        "timezone_name": "Europe/London",
    }
    pages = _requests(cassette, f"act_{UK}/insights")
    assert len(outcome.records) == 24 and len(pages) == 5  # limit=5
    assert "after" not in parse_qs(urlsplit(pages[0].uri).query)
    assert all("after" in parse_qs(urlsplit(p.uri).query) for p in pages[1:])
    assert "next" not in _bodies(cassette)[-1]["paging"]  # the SDK stopped where Graph did
    _assert_records_are_the_worlds(scenario, outcome)


def test_a_report_run_reading_100_percent_while_running_is_polled_until_job_completed() -> None:
    scenario, outcome, cassette = _replayed("async_running_at_100_percent")

    polls = [b for b in _bodies(cassette) if "async_status" in b]
    assert [(p["async_status"], p["async_percent_completion"]) for p in polls] == [
        ("Job Not Started", 0),
        ("Job Running", 100),
        ("Job Running", 100),
        ("Job Completed", 100),
    ]
    fetched = _requests(cassette, "1000000000000001/insights")
    assert len(fetched) == 1 and cassette.requests.index(fetched[0]) == 5  # after the last poll
    assert outcome.clock.sleeps == [2.0, 3.0, 4.5, 6.75]
    _assert_records_are_the_worlds(scenario, outcome)


def test_results_that_are_not_ready_yet_send_the_client_back_to_polling() -> None:
    scenario, outcome, cassette = _replayed("async_results_not_ready")

    errors = [b["error"] for b in _bodies(cassette) if "error" in b]
    assert [(e["code"], e["error_subcode"]) for e in errors] == [(2601, 1815107)] * 2
    assert len(_requests(cassette, "1000000000000001/insights")) == 3
    assert len(_requests(cassette, "1000000000000001/")) == 4  # polled again after each 2601
    _assert_records_are_the_worlds(scenario, outcome)


def test_a_failed_report_run_is_resubmitted_as_two_halves() -> None:
    scenario, outcome, cassette = _replayed("async_job_failed")

    submitted = _requests(cassette, f"act_{JP}/insights", "POST")
    assert [_time_range(r) for r in submitted] == [
        "2026-11-10..2026-11-19",
        "2026-11-10..2026-11-14",
        "2026-11-15..2026-11-19",
    ]
    assert "re-submitting as smaller ranges" in outcome.log.text()
    _assert_records_are_the_worlds(scenario, outcome)


def test_code_17_is_retried_once_the_usage_it_reports_allows() -> None:
    scenario, outcome, cassette = _replayed("rate_limit_code_17")

    assert _bodies(cassette)[0]["error"]["code"] == 17
    assert "rate limited, retry 1 of 8: (#17) User request limit reached" in outcome.log.text()
    # The error's headers read 100% usage (no regain estimate): the longest pacing wait, which
    # exceeds the 2 s first backoff, so it is the only wait.
    assert outcome.log.waits("usage at 100%") == pytest.approx(outcome.clock.sleeps, abs=0.05)
    assert len(outcome.clock.sleeps) == 1 and 60.0 <= outcome.clock.sleeps[0] <= 66.0
    _assert_records_are_the_worlds(scenario, outcome)


def test_code_80000_waits_out_the_estimated_time_to_regain_access() -> None:
    scenario, outcome, cassette = _replayed("rate_limit_code_80000_regain_access")

    first = cassette.responses[0]
    usage = parse_usage({k: v[0] for k, v in first["headers"].items()})
    assert usage.regain_seconds == 120.0 and usage.account_pct == 100.0
    assert _bodies(cassette)[0]["error"]["code"] == 80000
    # Only Graph's advice (2 minutes, up to 10% jitter): no backoff on top, no pacing after.
    logged = outcome.log.waits("estimated_time_to_regain_access")
    assert logged == pytest.approx(outcome.clock.sleeps, abs=0.05)
    assert len(outcome.clock.sleeps) == 1 and 120.0 <= outcome.clock.sleeps[0] <= 132.0
    _assert_records_are_the_worlds(scenario, outcome)


def test_a_transient_error_is_retried() -> None:
    scenario, outcome, cassette = _replayed("transient_error")

    assert cassette.responses[0]["status"]["code"] == 503
    assert _bodies(cassette)[0]["error"]["code"] == 2
    assert "transient failure, retry 1 of 8" in outcome.log.text()
    assert len(outcome.clock.sleeps) == 1 and 2.0 <= outcome.clock.sleeps[0] <= 2.2
    _assert_records_are_the_worlds(scenario, outcome)


def test_reduce_the_amount_of_data_halves_the_range_until_graph_answers() -> None:
    scenario, outcome, cassette = _replayed("reduce_the_amount_of_data")

    asked = [_time_range(r) for r in _requests(cassette, f"act_{US}/insights")]
    assert asked == [
        "2026-11-15..2026-11-19",  # refused
        "2026-11-15..2026-11-16",
        "2026-11-17..2026-11-19",  # refused
        "2026-11-17..2026-11-17",
        "2026-11-18..2026-11-19",
    ]
    assert outcome.clock.sleeps == []  # splitting is not retrying: no wait
    _assert_records_are_the_worlds(scenario, outcome)


def test_an_expired_token_is_fatal_at_once() -> None:
    _, outcome, cassette = _replayed("expired_token")

    assert isinstance(outcome.error, MetaFatalError)
    assert str(outcome.error) == (
        f"meta act_{UK}: insights 2026-11-17..2026-11-19 failed: Error validating access token: "
        "Session has expired. (code 190, subcode 463) - the access token (META_ACCESS_TOKEN) is "
        "expired or invalid"
    )
    assert len(cassette.requests) == 1 and outcome.clock.sleeps == []


def test_an_unknown_or_forbidden_account_is_fatal_naming_it() -> None:
    _, outcome, cassette = _replayed("unknown_account")

    assert isinstance(outcome.error, MetaFatalError)
    assert str(outcome.error).startswith(f"meta act_{UNKNOWN_ACCOUNT}: account failed: ")
    assert str(outcome.error).endswith("(code 100, subcode 33)")
    assert len(cassette.requests) == 1 and outcome.clock.sleeps == []


def test_usage_headers_of_every_response_slow_the_client_down_near_the_limit() -> None:
    scenario, outcome, cassette = _replayed("usage_headers")

    for response in cassette.responses:
        usage = parse_usage({k: v[0] for k, v in response["headers"].items()})
        assert (usage.app_pct, usage.account_pct, usage.regain_seconds) == (90.0, 90.0, 0.0)
    # 90% of the limit: (90 - 75) / 25 of the 60 s maximum before every call but the first.
    waits = outcome.log.waits("usage at 90%")
    assert len(waits) == len(cassette.requests) - 1 == 2
    assert all(36.0 <= w <= 39.6 for w in waits)
    assert waits == pytest.approx(outcome.clock.sleeps, abs=0.05)
    _assert_records_are_the_worlds(scenario, outcome)
