"""The Meta client against the in-process sandbox: request economy, rate limits, fatal errors,
async report runs and restatement (issue 5, acceptance 1-4), with the real facebook-business SDK."""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
import traceback
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from perfmkt_pipeline.config import MetaSettings
from perfmkt_pipeline.platforms.meta import (
    MetaAsyncJobError,
    MetaClient,
    MetaFatalError,
    action_rows,
    insight_row,
)
from perfmkt_pipeline.platforms.meta.standin import data as meta_data
from perfmkt_pipeline.platforms.meta.standin.sandbox import MetaFaults
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline_tests.platforms.meta.meta_support import (
    ACCOUNTS,
    JP,
    UK,
    US,
    FakeClock,
    ListLogger,
    actions,
    ad_days,
    campaign_days,
    expected_actions,
    expected_ad_days,
    expected_campaign_days,
)
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401

WINDOWS = ("7d_click", "1d_view")


@dataclass
class Pull:
    insights: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    chunks: list[tuple[dt.date, dt.date]] = field(default_factory=list)


def _client(
    box: Sandbox, clock: FakeClock, log: ListLogger | None = None, **settings
) -> MetaClient:
    meta = MetaSettings(account_ids=ACCOUNTS, **settings)
    creds = box.credentials.meta
    return MetaClient(
        meta,
        box.url("meta"),
        creds.access_token,
        creds.app_secret,
        clock=clock,
        rng=random.Random(5),
        logger=log or ListLogger(),
    )


def _pull(client: MetaClient, accounts: list[str], start: dt.date, end: dt.date) -> Pull:
    pull = Pull()
    for account_id in accounts:
        for chunk in client.insights(account_id, start, end):
            pull.chunks.append((chunk.since, chunk.until))
            for record in chunk.records:
                pull.insights.append(insight_row(account_id, record))
                pull.actions.extend(action_rows(account_id, record))
    return pull


def _assert_matches_ground_truth(box: Sandbox, pull: Pull, accounts, start, end) -> None:
    world = box.world
    assert ad_days(pull.insights) == expected_ad_days(world, accounts, start, end)
    assert actions(pull.actions) == expected_actions(world, accounts, start, end, WINDOWS)
    assert campaign_days(pull.insights, pull.actions) == expected_campaign_days(
        world, accounts, start, end
    )


START, END = dt.date(2026, 8, 1), dt.date(2026, 10, 29)  # 90 days


def test_a_90_day_backfill_of_3_accounts_makes_one_report_run_per_account_per_30_days(
    sandbox,  # noqa: F811
) -> None:
    box = sandbox(google_ads=False)
    pull = _pull(_client(box, FakeClock()), ACCOUNTS, START, END)

    for account_id in ACCOUNTS:
        assert box.counters.count("meta", "meta.report_run", account_id) == 3
        assert box.counters.count("meta", "meta.insights_sync", account_id) == 0
    assert (
        pull.chunks
        == [
            (dt.date(2026, 8, 1), dt.date(2026, 8, 30)),
            (dt.date(2026, 8, 31), dt.date(2026, 9, 29)),
            (dt.date(2026, 9, 30), dt.date(2026, 10, 29)),
        ]
        * 3
    )
    _assert_matches_ground_truth(box, pull, ACCOUNTS, START, END)


def test_a_short_range_is_one_synchronous_call_read_page_by_page(sandbox) -> None:  # noqa: F811
    box = sandbox(google_ads=False)
    start, end = dt.date(2026, 11, 13), dt.date(2026, 11, 19)
    pull = _pull(_client(box, FakeClock(), page_limit=10), [UK], start, end)

    rows = len(meta_data.ad_days(box.world, UK, start, end))
    assert rows > 20
    assert box.counters.count("meta", "meta.insights_sync", UK) == -(-rows // 10)  # pages
    assert box.counters.count("meta", "meta.report_run") == 0
    assert pull.chunks == [(start, end)]
    _assert_matches_ground_truth(box, pull, [UK], start, end)


def test_each_answer_is_decoded_once_and_the_rows_are_those_received(
    sandbox,  # noqa: F811
    monkeypatch,
) -> None:
    """Issue #18: the SDK decoded every body twice (to tell failure from success, then for the
    cursor); every answer (report runs, polls, pages of 10, listings) is now decoded once."""
    import facebook_business.api as sdk

    decoded: list[int] = []

    class CountingJson:
        dumps = staticmethod(json.dumps)

        def loads(self, text, *args, **kwargs):
            decoded.append(len(text))
            return json.loads(text, *args, **kwargs)

    monkeypatch.setattr(sdk, "json", CountingJson())
    box = sandbox(google_ads=False)
    client = _client(box, FakeClock(), page_limit=10)
    pull = _pull(client, [UK], START, END)
    listed = len(client.ads(UK)) + len(client.adsets(UK))

    sent = client.transport.requests_sent
    assert sent == sum(
        box.counters.count("meta", kind, UK)
        for kind in ("meta.report_run", "meta.report_poll", "meta.report_page", "meta.ads",
                     "meta.adsets")
    )  # fmt: skip
    assert len(decoded) == sent
    assert listed > 0
    _assert_matches_ground_truth(box, pull, [UK], START, END)


@dataclass
class AlternatingRateLimits(MetaFaults):
    """The sandbox's Meta faults, with injected rate-limit errors alternating between codes
    (one MetaFaults config serves a single code; the backfill must meet both)."""

    codes: tuple[int, ...] = (17, 80000)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.served: list[int] = []

    def decide(self, kind, account_id=None):
        decision = super().decide(kind, account_id)
        if decision == "rate_limit":
            self.rate_limit_code = self.codes[len(self.served) % len(self.codes)]
            self.served.append(self.rate_limit_code)
        return decision


def test_at_95_percent_usage_with_code_17_and_80000_errors_the_backfill_waits_as_advised_and_matches_ground_truth(
    sandbox,  # noqa: F811
) -> None:
    box = sandbox(google_ads=False)
    faults = AlternatingRateLimits(
        usage_percent=95, regain_access_minutes=1, rate_limit_rate=0.2, seed=11
    )
    box.faults.meta = faults
    clock, log = FakeClock(), ListLogger()

    pull = _pull(_client(box, clock, log), ACCOUNTS, START, END)

    limited = box.counters.faults("meta", "rate_limit")
    assert limited >= 6 and set(faults.served) == {17, 80000}
    # Each rate-limit error advised 1 minute (estimated_time_to_regain_access): waited out once,
    # with at most 10% jitter on top.
    advised = log.waits("estimated_time_to_regain_access")
    assert len(advised) == limited
    assert all(60.0 <= w <= 66.0 for w in advised)
    # 95% usage: every other call is spaced out by (95 - 75) / 25 of the 60 s maximum.
    paced = log.waits("usage at 95%")
    assert len(paced) == box.counters.count("meta") - 1 - limited
    assert all(48.0 <= w <= 52.8 for w in paced)
    assert not any(level == "warning" and "giving up" in m for level, m in log.lines)
    _assert_matches_ground_truth(box, pull, ACCOUNTS, START, END)


def _all_output(error: BaseException, log: ListLogger, capsys, caplog) -> str:
    captured = capsys.readouterr()
    return "\n".join(
        [
            str(error),
            repr(error),
            "".join(traceback.format_exception(error)),
            log.text(),
            caplog.text,
            captured.out,
            captured.err,
        ]
    )


@pytest.mark.parametrize("expired_by", ["sandbox fault", "wrong token"])
def test_an_expired_token_fails_at_once_naming_the_account_and_never_printing_the_token(
    sandbox,  # noqa: F811
    expired_by: str,
    capsys,
    caplog,
) -> None:
    box = sandbox(google_ads=False)
    token = box.credentials.meta.access_token
    if expired_by == "sandbox fault":
        box.faults.set("meta", expired_credentials=True)
    else:
        token = "EAAexpiredTokenForTheTest0123456789"
    clock, log = FakeClock(), ListLogger()
    client = MetaClient(
        MetaSettings(account_ids=[UK]),
        box.url("meta"),
        token,
        "app-secret",
        clock=clock,
        logger=log,
    )
    began = time.monotonic()

    with pytest.raises(MetaFatalError) as caught:
        list(client.insights(UK, START, END))

    assert time.monotonic() - began < 5
    assert box.counters.count("meta") == 1  # no retries
    assert clock.sleeps == []
    error = caught.value
    assert f"act_{UK}" in str(error) and "code 190" in str(error)
    assert "META_ACCESS_TOKEN" in str(error)
    assert error.__cause__ is None and error.__context__ is None
    output = _all_output(error, log, capsys, caplog)
    assert token not in output
    for secret in client.transport.secrets:  # token, app secret, appsecret_proof
        assert secret not in output


def test_moving_the_as_of_date_repulls_exactly_the_restated_values(sandbox) -> None:  # noqa: F811
    box = sandbox(google_ads=False)
    start, end = dt.date(2026, 9, 20), dt.date(2026, 11, 19)
    old_as_of, new_as_of = box.world.as_of, dt.date(2026, 11, 27)
    first = _pull(_client(box, FakeClock()), [US], start, end)
    box.world.as_of = new_as_of

    second = _pull(_client(box, FakeClock()), [US], start, end)

    _assert_matches_ground_truth(box, second, [US], start, end)
    old = expected_actions(box.world, [US], start, end, WINDOWS, as_of=old_as_of)
    new = expected_actions(box.world, [US], start, end, WINDOWS, as_of=new_as_of)
    before, after = actions(first.actions), actions(second.actions)
    assert before == old and after == new
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    # Meta restates for 28 days: days that were older than that at the first pull never move.
    assert changed and min(key[2] for key in changed) > old_as_of - dt.timedelta(days=28)
    assert ad_days(first.insights) == ad_days(second.insights)  # spend, clicks: final at once


def test_a_report_run_reading_100_percent_while_running_is_polled_until_job_completed(
    sandbox,  # noqa: F811
) -> None:
    box = sandbox(google_ads=False)
    box.faults.set("meta", async_polls_to_complete=3, async_stuck_at_100_polls=4)
    clock = FakeClock()
    start, end = dt.date(2026, 10, 1), dt.date(2026, 10, 20)

    pull = _pull(_client(box, clock), [JP], start, end)

    assert box.counters.count("meta", "meta.report_run") == 1
    assert box.counters.count("meta", "meta.report_poll") == 3 + 4
    assert box.counters.count("meta", "meta.report_page") == 1  # never fetched early
    assert clock.sleeps == [2.0, 3.0, 4.5, 6.75, 10.125, 15.1875, 22.78125]
    _assert_matches_ground_truth(box, pull, [JP], start, end)


def test_a_failed_report_run_is_resubmitted_as_two_smaller_runs(sandbox) -> None:  # noqa: F811
    box = sandbox(google_ads=False)
    box.faults.set("meta", async_fail_first_n=1)
    log = ListLogger()
    start, end = dt.date(2026, 10, 1), dt.date(2026, 10, 20)

    pull = _pull(_client(box, FakeClock(), log), [JP], start, end)

    assert box.counters.count("meta", "meta.report_run") == 3
    assert "splitting into 2026-10-01..2026-10-10 and 2026-10-11..2026-10-20" in log.text()
    assert pull.chunks == [(start, end)]
    _assert_matches_ground_truth(box, pull, [JP], start, end)


def test_report_runs_that_keep_failing_raise_naming_account_and_range(sandbox) -> None:  # noqa: F811
    box = sandbox(google_ads=False)
    box.faults.set("meta", async_fail_first_n=100)
    client = _client(box, FakeClock(), async_max_failed_jobs=2)

    with pytest.raises(MetaAsyncJobError) as caught:
        list(client.insights(JP, dt.date(2026, 10, 1), dt.date(2026, 10, 20)))

    # 20 days fail, then the first 10, then the first 5: the third failure is one too many.
    assert box.counters.count("meta", "meta.report_run") == 3
    assert str(caught.value) == (
        f"meta account act_{JP}, 2026-10-01..2026-10-05: report run 1000000000000003 ended with "
        "'Job Failed', 3 failed report runs for this range so far; giving up"
    )


def test_a_report_run_that_never_completes_times_out_naming_account_and_range(sandbox) -> None:  # noqa: F811
    box = sandbox(google_ads=False)
    box.faults.set("meta", async_polls_to_complete=10_000)
    clock = FakeClock()
    client = _client(box, clock, async_timeout_seconds=120, async_poll_max_seconds=30)

    with pytest.raises(MetaAsyncJobError) as caught:
        list(client.insights(UK, dt.date(2026, 9, 1), dt.date(2026, 9, 30)))

    assert str(caught.value).startswith(
        f"meta account act_{UK}, 2026-09-01..2026-09-30: report run"
    )
    assert "did not complete within 120s (last status 'Job Running'" in str(caught.value)
    assert sum(clock.sleeps) == pytest.approx(120.0)


def test_reduce_the_amount_of_data_splits_the_range_until_graph_answers(sandbox) -> None:  # noqa: F811
    box = sandbox(google_ads=False)
    box.faults.set("meta", reduce_data_max_days=2)
    start, end = dt.date(2026, 11, 1), dt.date(2026, 11, 7)

    pull = _pull(_client(box, FakeClock()), [US], start, end)

    # 7 days fail -> 3 + 4; 3 fail -> 1 + 2; 4 fail -> 2 + 2: 3 refusals, 4 answers.
    assert box.counters.count("meta", "meta.insights_sync") == 7
    _assert_matches_ground_truth(box, pull, [US], start, end)


def test_dropped_connections_and_server_errors_are_retried_with_backoff(sandbox) -> None:  # noqa: F811
    box = sandbox(google_ads=False)
    box.faults.set("meta", drop_first_n=1, fail_first_n=3)
    clock, log = FakeClock(), ListLogger()
    start, end = dt.date(2026, 11, 1), dt.date(2026, 11, 3)

    pull = _pull(_client(box, clock, log), [US], start, end)

    backoffs = log.waits("backoff after transient failure")
    assert len(backoffs) == 3  # the drop, then two 503s (the first request was the drop)
    for waited, base in zip(backoffs, [2.0, 4.0, 8.0], strict=True):
        assert base <= waited <= base * 1.1
    assert "ConnectionError" in log.text()
    _assert_matches_ground_truth(box, pull, [US], start, end)


def test_the_sdk_crash_reporter_stays_off_and_nothing_is_sent_to_meta(
    sandbox,  # noqa: F811
    monkeypatch,
) -> None:
    from facebook_business.api import FacebookAdsApi
    from facebook_business.crashreporter import CrashReporter

    box = sandbox(google_ads=False)
    box.faults.set("meta", expired_credentials=True)
    # A fresh process: no crash reporter, Python's own excepthook.
    monkeypatch.setattr(CrashReporter, "reporter_instance", None)
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    default_api = FacebookAdsApi.get_default_api()
    sent: list[str] = []
    real_send = requests.Session.send

    def recording_send(self, request, **kwargs):
        sent.append(request.url)
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", recording_send)
    client = _client(box, FakeClock())

    with pytest.raises(MetaFatalError) as caught:
        client.account(US)
    sys.excepthook(caught.type, caught.value, caught.tb)  # what an uncaught error would do

    assert CrashReporter.reporter_instance is None
    assert sys.excepthook is sys.__excepthook__
    assert FacebookAdsApi.get_default_api() is default_api  # the global API is left alone
    assert len(sent) == 1 and sent[0].startswith(box.url("meta") + "/v26.0/act_")


def test_attribution_windows_and_unified_attribution_come_from_the_settings(
    sandbox,  # noqa: F811
    monkeypatch,
) -> None:
    box = sandbox(google_ads=False)
    sent: list[str] = []
    real_send = requests.Session.send

    def recording_send(self, request, **kwargs):
        sent.append(request.url)
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", recording_send)
    client = _client(
        box,
        FakeClock(),
        attribution_windows=["1d_click", "28d_click"],
        use_unified_attribution_setting=True,
    )
    day = dt.date(2026, 11, 1)

    (chunk,) = list(client.insights(US, day, day))

    query = parse_qs(urlsplit(sent[0]).query)
    assert query["action_attribution_windows"] == ['["1d_click","28d_click"]']
    assert query["use_unified_attribution_setting"] == ["true"]
    assert (query["level"], query["time_increment"]) == (["ad"], ["1"])
    keys = {key for r in chunk.records for a in r.get("actions", []) for key in a}
    assert keys == {"action_type", "value", "1d_click", "28d_click"}


def test_days_beyond_graphs_37_months_are_skipped_with_a_warning_and_the_rest_is_read(
    sandbox,  # noqa: F811
) -> None:
    box = sandbox(google_ads=False)
    log = ListLogger()
    # The sandbox's as-of day is 2026-11-20: Graph serves insights from 2023-10-20 on.
    # The world's history starts on 2024-01-01: the last days have ads.
    start, end = dt.date(2023, 9, 1), dt.date(2024, 1, 10)
    pull = _pull(_client(box, FakeClock(), log), [UK], start, end)

    # Report runs of 30 days: the first wholly too old, the second read from 2023-10-20.
    assert pull.chunks == [
        (dt.date(2023, 10, 20), dt.date(2023, 10, 30)),
        (dt.date(2023, 10, 31), dt.date(2023, 11, 29)),
        (dt.date(2023, 11, 30), dt.date(2023, 12, 29)),
        (dt.date(2023, 12, 30), dt.date(2024, 1, 10)),
    ]
    assert {row["date"] for row in pull.insights} == {dt.date(2024, 1, day) for day in range(1, 11)}
    # One-day probes: 2023-09-30 (refused); 2023-10-30, then halving 10-15, 10-22, 10-18,
    # 10-20, 10-19.
    assert box.counters.count("meta", "meta.insights_sync", UK) == 7
    skipped = [message for level, message in log.lines if level == "warning"]
    assert [message.split(": Graph keeps")[1] for message in skipped] == [
        " insights for 37 months; 2023-09-01..2023-09-30 skipped (the warehouse keeps what it "
        "holds for those days)",
        " insights for 37 months; 2023-10-01..2023-10-19 skipped (the warehouse keeps what it "
        "holds for those days)",
    ]
    assert skipped[0].startswith(f"meta act_{UK}: report run 2023-09-01..2023-09-30: ")
    _assert_matches_ground_truth(box, pull, [UK], dt.date(2023, 10, 20), end)


def test_ad_sets_and_ads_are_listed_page_by_page_following_the_cursors(sandbox):  # noqa: F811
    """Issue #17: one listing per edge, every page followed (page_limit 3 over 8 ads), records
    as the stand-in's Graph objects describe them, creatives expanded in place."""
    from perfmkt_pipeline.platforms.meta.standin import listings

    box = sandbox(google_ads=False)
    client = _client(box, FakeClock(), page_limit=3)
    account = box.world.account("meta", UK)
    expected_ads = listings.ads(box.world.spec, account, box.world.as_of)

    adsets, ads = client.adsets(UK), client.ads(UK)

    assert [a["id"] for a in adsets] == [
        s["id"] for s in listings.adsets(box.world.spec, account, box.world.as_of)
    ]
    assert ads == expected_ads and len(ads) == 8
    # the archived ad (it has insights rows) is listed: the client asks for every status
    assert [a["effective_status"] for a in ads].count("ARCHIVED") == 1
    # 4 ad sets in 2 pages, 8 ads in 3 pages: every page one request
    assert box.counters.count("meta", "meta.adsets", UK) == 2
    assert box.counters.count("meta", "meta.ads", UK) == 3
