"""The Meta stand-in, driven by the official facebook-business SDK, unmodified."""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.api import FacebookAdsApi, FacebookSession
from facebook_business.exceptions import FacebookRequestError

from perfmkt_pipeline.sandbox.faults import RateLimit
from perfmkt_pipeline.sandbox.runner import Sandbox

AS_OF = date(2024, 6, 1)
ACCOUNT = "101000000000001"
FIELDS = [
    "account_id", "account_currency", "campaign_id", "campaign_name", "adset_id", "ad_id",
    "date_start", "date_stop", "spend", "impressions", "clicks", "actions", "action_values",
]  # fmt: skip
WINDOWS = ["1d_click", "7d_click", "28d_click", "1d_view"]
SINCE, UNTIL = date(2024, 5, 20), date(2024, 5, 26)


def _params(**extra) -> dict:
    return {
        "level": "ad",
        "time_increment": 1,
        "time_range": {"since": SINCE.isoformat(), "until": UNTIL.isoformat()},
        "action_attribution_windows": WINDOWS,
        **extra,
    }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(as_of=AS_OF, google_ads=False) as sb:
        yield sb


@pytest.fixture(autouse=True)
def clean(sandbox: Sandbox) -> None:
    sandbox.faults.clear()
    sandbox.counters.reset()


def account(sandbox: Sandbox, token: str | None = None, secret: str | None = None) -> AdAccount:
    env = sandbox.env()
    session = FacebookSession(
        access_token=token or env["META_ACCESS_TOKEN"],
        app_secret=secret or env["META_APP_SECRET"],
    )
    session.GRAPH = env["PERFMKT_META_URL"]
    return AdAccount(f"act_{ACCOUNT}", api=FacebookAdsApi(session, api_version="v26.0"))


def test_sdk_reads_sync_insights_page_by_page_and_they_sum_to_the_ground_truth(sandbox):
    rows = [dict(r) for r in account(sandbox).get_insights(fields=FIELDS, params=_params(limit=10))]
    assert sandbox.counters.count("meta", "meta.insights_sync", ACCOUNT) == math.ceil(
        len(rows) / 10
    )
    assert len(rows) == len({(r["ad_id"], r["date_start"]) for r in rows}) > 20
    assert all(int(r["impressions"]) or Decimal(r["spend"]) for r in rows)  # no zero rows
    for r in rows:  # every metric is a string; actions carry value plus requested windows
        assert all(isinstance(r[f], str) for f in ("spend", "impressions", "clicks"))
        for a in r.get("actions", []):
            assert set(a) <= {"action_type", "value", *WINDOWS} and isinstance(a["value"], str)
    served = defaultdict(lambda: [Decimal(0), 0, 0, Decimal(0), Decimal(0)])
    for r in rows:
        t = served[(r["campaign_id"], date.fromisoformat(r["date_start"]))]
        t[0] += Decimal(r["spend"])
        t[1] += int(r["impressions"])
        t[2] += int(r["clicks"])
        purchase = "offsite_conversion.fb_pixel_purchase"
        t[3] += sum(
            Decimal(a["value"]) for a in r.get("actions", []) if a["action_type"] == purchase
        )
        t[4] += sum(
            Decimal(a["value"]) for a in r.get("action_values", []) if a["action_type"] == purchase
        )
    truth = sandbox.world.ground_truth("meta", SINCE, UNTIL)
    truth = truth[truth.account_id == ACCOUNT]
    expected = {
        (t.campaign_id, t.day): [
            t.spend,
            t.impressions,
            t.clicks,
            t.conversions,
            t.conversion_value,
        ]
        for t in truth.itertuples()
    }
    assert dict(served) == expected


def test_sdk_runs_an_async_report_polls_it_and_reads_the_same_rows(sandbox):
    sandbox.faults.set("meta", async_polls_to_complete=3)
    acc = account(sandbox)
    job = acc.get_insights(fields=FIELDS, params=_params(), is_async=True)
    seen = []
    while True:
        job.api_get()
        seen.append((job["async_status"], job["async_percent_completion"]))
        if job["async_status"] == "Job Completed":
            break
    assert seen == [("Job Not Started", 0), ("Job Running", 33), ("Job Completed", 100)]
    async_rows = [dict(r) for r in job.get_result(params={"limit": 25})]
    sync_rows = [dict(r) for r in acc.get_insights(fields=FIELDS, params=_params(limit=500))]
    assert async_rows == sync_rows
    assert sandbox.counters.count("meta", "meta.report_run") == 1
    assert sandbox.counters.count("meta", "meta.report_poll") == 3
    assert sandbox.counters.count("meta", "meta.report_page") == math.ceil(len(async_rows) / 25)


def test_a_job_reading_100_percent_while_running_refuses_results_until_completed(sandbox):
    sandbox.faults.set("meta", async_polls_to_complete=1, async_stuck_at_100_polls=2)
    job = account(sandbox).get_insights(fields=["spend"], params=_params(), is_async=True)
    job.api_get()
    assert (job["async_status"], job["async_percent_completion"]) == ("Job Running", 100)
    with pytest.raises(FacebookRequestError) as err:
        list(job.get_result())
    assert (err.value.api_error_code(), err.value.api_error_subcode()) == (2601, 1815107)
    job.api_get()
    job.api_get()
    assert job["async_status"] == "Job Completed"
    assert list(job.get_result())


def test_failed_async_jobs_report_job_failed_and_a_resubmission_succeeds(sandbox):
    sandbox.faults.set("meta", async_fail_first_n=1, async_polls_to_complete=1)
    acc = account(sandbox)
    failed = acc.get_insights(fields=["spend"], params=_params(), is_async=True)
    failed.api_get()
    assert failed["async_status"] == "Job Failed"
    retry = acc.get_insights(fields=["spend"], params=_params(), is_async=True)
    retry.api_get()
    assert retry["async_status"] == "Job Completed"


@pytest.mark.parametrize("code", [17, 613, 80000, 80004])
def test_rate_limits_come_as_graph_errors_with_usage_headers(sandbox, code):
    sandbox.faults.set("meta", rate_limit_first_n=1, rate_limit_code=code, regain_access_minutes=3)
    with pytest.raises(FacebookRequestError) as err:
        list(account(sandbox).get_insights(fields=["spend"], params=_params()))
    e = err.value
    assert (e.http_status(), e.api_error_code(), e.api_transient_error()) == (400, code, True)
    usage = json.loads(e.http_headers()["x-business-use-case-usage"])[ACCOUNT][0]
    assert usage["call_count"] == 100 and usage["estimated_time_to_regain_access"] == 3
    assert list(account(sandbox).get_insights(fields=["spend"], params=_params()))
    assert sandbox.counters.faults("meta", "rate_limit") == 1


def test_usage_headers_are_on_every_response_and_can_be_forced(sandbox):
    sandbox.faults.set("meta", usage_percent=95)
    cursor = account(sandbox).get_insights(fields=["spend"], params=_params())
    headers = cursor.headers()
    assert json.loads(headers["x-fb-ads-insights-throttle"])["acc_id_util_pct"] == 95
    assert json.loads(headers["x-app-usage"])["call_count"] == 95
    usage = json.loads(headers["x-business-use-case-usage"])[ACCOUNT][0]
    assert (usage["call_count"], usage["estimated_time_to_regain_access"]) == (95, 0)


def test_enforced_limit_rejects_calls_beyond_it_and_counts_the_violation(sandbox):
    sandbox.faults.set("meta", enforce_limit=RateLimit(2, 3600.0))
    acc = account(sandbox)
    for _ in range(2):  # one page each
        list(acc.get_insights(fields=["spend"], params=_params(limit=500)))
    with pytest.raises(FacebookRequestError) as err:
        list(acc.get_insights(fields=["spend"], params=_params(limit=500)))
    assert err.value.api_error_code() == 80000
    assert sandbox.counters.violations("meta", ACCOUNT) == 1


@pytest.mark.parametrize(
    ("setup", "token", "secret", "expected"),
    [
        (None, "EAAwrong", None, (190, None)),
        ("expired", None, None, (190, 463)),
        (None, None, "not-the-app-secret", (100, None)),
    ],
)
def test_bad_or_expired_credentials_get_graph_auth_errors(sandbox, setup, token, secret, expected):
    if setup == "expired":
        sandbox.faults.set("meta", expired_credentials=True)
    with pytest.raises(FacebookRequestError) as err:
        list(account(sandbox, token, secret).get_insights(fields=["spend"], params=_params()))
    assert (err.value.api_error_code(), err.value.api_error_subcode()) == expected
    assert err.value.http_status() == 400


def test_server_errors_and_reduce_data_errors_follow_graph_codes(sandbox):
    sandbox.faults.set("meta", fail_first_n=1, server_error_status=500, reduce_data_max_days=3)
    acc = account(sandbox)
    with pytest.raises(FacebookRequestError) as err:
        list(acc.get_insights(fields=["spend"], params=_params()))
    assert (err.value.http_status(), err.value.api_error_code()) == (500, 2)
    assert err.value.api_transient_error() is True
    with pytest.raises(FacebookRequestError) as err:
        list(acc.get_insights(fields=["spend"], params=_params()))
    assert (
        err.value.api_error_code() == 1
        and "reduce the amount of data" in err.value.api_error_message()
    )


def test_dropped_connections_and_latency_are_injected_by_configuration(sandbox):
    sandbox.faults.set("meta", drop_first_n=1, latency_seconds=0.2)
    acc = account(sandbox)
    with pytest.raises(requests.ConnectionError):
        list(acc.get_insights(fields=["spend"], params=_params()))
    started = time.monotonic()
    assert list(acc.get_insights(fields=["spend"], params=_params()))
    assert time.monotonic() - started >= 0.2
    assert sandbox.counters.faults("meta", "drop") == 1


def test_unknown_accounts_bad_parameters_and_old_ranges_get_graph_errors(sandbox):
    env = sandbox.env()
    session = FacebookSession(access_token=env["META_ACCESS_TOKEN"])
    session.GRAPH = env["PERFMKT_META_URL"]
    api = FacebookAdsApi(session, api_version="v26.0")
    with pytest.raises(FacebookRequestError) as err:
        list(AdAccount("act_999", api=api).get_insights(fields=["spend"], params=_params()))
    assert (err.value.api_error_code(), err.value.api_error_subcode()) == (100, 33)
    acc = account(sandbox)
    with pytest.raises(FacebookRequestError) as err:
        list(acc.get_insights(fields=["spend", "reach"], params=_params()))
    assert err.value.api_error_code() == 100
    old = {"since": "2020-01-01", "until": "2020-01-31"}
    with pytest.raises(FacebookRequestError) as err:
        list(acc.get_insights(fields=["spend"], params=_params(time_range=old)))
    assert err.value.api_error_code() == 3018


def test_account_node_and_campaigns_answer_like_graph(sandbox):
    acc = account(sandbox).api_get(fields=["name", "currency", "timezone_name", "account_id"])
    assert dict(acc) == {
        "id": f"act_{ACCOUNT}",
        "account_id": ACCOUNT,
        "name": "Acme US Social",
        "currency": "USD",
        "timezone_name": "America/Los_Angeles",
    }
    campaigns = [dict(c) for c in account(sandbox).get_campaigns(fields=["name", "status"])]
    expected = sandbox.world.campaigns("meta", ACCOUNT)
    assert [(c["id"], c["name"], c["status"]) for c in campaigns] == [
        (c.campaign_id, c.name, c.status) for c in expected
    ]
