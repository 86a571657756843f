"""Meta error classification, usage headers and pacing: pure functions with hand-worked values."""

from __future__ import annotations

import json

import pytest
import requests
from facebook_business.exceptions import FacebookRequestError

from perfmkt_pipeline.platforms.meta.errors import Action, classify
from perfmkt_pipeline.platforms.meta.usage import UsageGovernor, UsageReading, parse_usage

TOKEN = "EAAtokenThatMustNeverBePrinted1234567890"


def _graph_error(
    code: int, message: str = "m", subcode: int | None = None, transient=False, status=400
):
    error = {"message": message, "type": "OAuthException", "code": code, "is_transient": transient}
    if subcode is not None:
        error["error_subcode"] = subcode
    context = {"method": "GET", "path": "https://graph/v26.0/act_1/insights", "params": {}}
    return FacebookRequestError(
        "Call was not successful", context, status, {}, json.dumps({"error": error})
    )


@pytest.mark.parametrize(
    ("code", "subcode", "message", "transient", "expected"),
    [
        (4, None, "(#4) Application request limit reached", True, Action.RETRY),
        (17, 2446079, "(#17) User request limit reached", True, Action.RETRY),
        (32, None, "(#32) Page request limit reached", True, Action.RETRY),
        (613, 1487742, "(#613) Calls to this api have exceeded the rate limit.", True, Action.RETRY),
        (80000, 2446079, "too many calls from this ad-account", True, Action.RETRY),
        (80004, None, "too many calls to this ad-account", True, Action.RETRY),
        (80014, None, "too many calls", True, Action.RETRY),
        (2, None, "An unexpected error has occurred. Please retry your request later.", True, Action.RETRY),
        (1, None, "An unknown error occurred", False, Action.RETRY),
        (1, None, "Please reduce the amount of data you're asking for, then retry your request", False, Action.SPLIT),
        (2601, 1815107, "Error accessing adreportrun", True, Action.NOT_READY),
        (190, 463, "Error validating access token: Session has expired.", False, Action.FATAL),
        (102, None, "Session key invalid", False, Action.FATAL),
        (200, None, "(#200) Requires ads_read permission", False, Action.FATAL),
        (294, None, "Managing advertisements requires ads_management", False, Action.FATAL),
        (10, None, "(#10) Application does not have permission for this action", False, Action.FATAL),
        (100, 33, "Unsupported get request.", False, Action.FATAL),
        (3018, 1487534, "The start date of the time range cannot be beyond 37 months", False, Action.TOO_OLD),
        (2635, None, "You are calling a deprecated version of the Ads API.", False, Action.FATAL),
        (99999, None, "Something new, said to be transient", True, Action.RETRY),
    ],
)  # fmt: skip
def test_graph_error_codes_are_classified_once(code, subcode, message, transient, expected) -> None:
    failure = classify(_graph_error(code, message, subcode, transient))

    assert failure.action is expected
    assert (failure.code, failure.subcode, failure.message) == (code, subcode, message)
    assert failure.rate_limited == (code in (4, 17, 32, 613) or 80000 <= code <= 80014)


def test_a_5xx_without_a_graph_error_is_retried() -> None:
    error = FacebookRequestError("x", {"method": "GET"}, 502, {}, "<html>Bad gateway</html>")

    assert classify(error).action is Action.RETRY


def test_connection_failures_are_retried_and_their_urls_lose_the_token() -> None:
    url = f"https://graph.facebook.com/v26.0/act_1/insights?access_token={TOKEN}&limit=500"
    reset = requests.ConnectionError(f"Max retries exceeded with url: {url}")
    invalid = requests.exceptions.InvalidURL(f"Invalid URL {url}")

    retried, fatal = classify(reset, [TOKEN]), classify(invalid, [TOKEN])

    assert retried.action is Action.RETRY and fatal.action is Action.FATAL
    assert TOKEN not in retried.message + fatal.message
    assert "access_token=***&limit=500" in retried.message


def test_other_exceptions_are_not_request_failures() -> None:
    assert classify(KeyError("spend")) is None


def _headers(buc_pct=0, regain=0, acc_pct=0, app_pct=0, app_usage=0) -> dict[str, str]:
    entry = {"type": "ads_insights", "call_count": buc_pct, "total_cputime": 1, "total_time": 2,
             "estimated_time_to_regain_access": regain}  # fmt: skip
    return {
        "x-business-use-case-usage": json.dumps({"101": [entry]}),
        "x-fb-ads-insights-throttle": json.dumps({"app_id_util_pct": app_pct, "acc_id_util_pct": acc_pct}),
        "x-app-usage": json.dumps({"call_count": app_usage, "total_cputime": 3, "total_time": 4}),
    }  # fmt: skip


def test_usage_headers_give_the_highest_percentage_per_scope_and_the_advised_wait() -> None:
    reading = parse_usage(_headers(buc_pct=41, regain=3, acc_pct=57, app_pct=12, app_usage=9))

    assert reading == UsageReading(app_pct=12.0, account_pct=57.0, regain_seconds=180.0)


def test_missing_or_malformed_usage_headers_are_ignored() -> None:
    assert parse_usage({}) == UsageReading()
    assert parse_usage({"x-app-usage": "not json", "x-business-use-case-usage": '{"1": "x"}'}) == (
        UsageReading()
    )


def test_pacing_starts_above_the_threshold_and_grows_to_the_maximum_at_the_limit() -> None:
    governor = UsageGovernor(start_pct=75, max_wait_seconds=60)
    waits = []
    for pct in (10, 75, 80, 95, 100, 120):
        governor.observe(UsageReading(account_pct=pct), "101", now=0.0)
        waits.append(governor.delay("101", now=0.0)[0])

    assert waits == [0.0, 0.0, 12.0, 48.0, 60.0, 60.0]
    assert governor.delay("202", now=0.0) == (0.0, "")  # another account is not slowed


def test_app_wide_usage_slows_every_account() -> None:
    governor = UsageGovernor(start_pct=80, max_wait_seconds=100)
    governor.observe(parse_usage(_headers(app_usage=90)), "101", now=0.0)

    assert governor.delay("202", now=0.0) == (50.0, "usage at 90% of the limit, slowing down")


def test_the_advised_time_to_regain_access_is_waited_out_then_forgotten() -> None:
    governor = UsageGovernor()
    governor.observe(parse_usage(_headers(buc_pct=50, regain=2)), "101", now=1000.0)

    assert governor.delay("101", now=1000.0) == (120.0, "Graph's estimated_time_to_regain_access")
    assert governor.delay("101", now=1090.0)[0] == 30.0
    governor.observe(parse_usage(_headers(buc_pct=20)), "101", now=1120.0)
    assert governor.delay("101", now=1120.0) == (0.0, "")
