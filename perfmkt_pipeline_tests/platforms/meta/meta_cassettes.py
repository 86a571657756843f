"""Recorded Meta Graph API conversations (vcrpy cassettes in cassettes/meta/) and their recorder.

Each scenario is a sandbox fault configuration plus one thing the client does. Recording runs it
against a fresh in-process sandbox through `recording.recorder("meta")`, which scrubs
access_token and appsecret_proof; tests replay the YAML with record mode "none" (no sandbox, no
network). Re-record after changing the client's requests:

    .venv/bin/python -m perfmkt_pipeline_tests.platforms.meta.meta_cassettes [scenario ...]
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from dataclasses import dataclass, field
from typing import Any

from perfmkt_pipeline.config import MetaSettings
from perfmkt_pipeline.platforms.meta import MetaClient, MetaError
from perfmkt_pipeline.sandbox.http_server import Response
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline_tests.platforms.meta.meta_support import JP, UK, US, FakeClock, ListLogger
from perfmkt_pipeline_tests.recording import recorder
from perfmkt_pipeline_tests.sandbox_fixtures import AS_OF

UNKNOWN_ACCOUNT = "999000000000009"
# What replays send instead of the sandbox's: cassettes match with credentials scrubbed.
REPLAY_TOKEN = "replay-access-token"
REPLAY_APP_SECRET = "replay-app-secret"
REPLAY_ENDPOINT = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Scenario:
    name: str
    account_id: str
    start: dt.date
    end: dt.date
    faults: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    describe_account: bool = False
    # The sandbox reports "Job Completed" while the run still reads 100% and is running, the way
    # Graph sometimes does: fetching the results then fails with 2601 / 1815107.
    premature_completion: bool = False


_D = dt.date
SCENARIOS = {
    s.name: s
    for s in [
        Scenario(
            "sync_paging", UK, _D(2026, 11, 17), _D(2026, 11, 19), {}, {"page_limit": 5}, True
        ),
        Scenario(
            "async_running_at_100_percent",
            JP,
            _D(2026, 11, 10),
            _D(2026, 11, 19),
            {"async_polls_to_complete": 2, "async_stuck_at_100_polls": 2},
            {"sync_max_days": 3},
        ),
        Scenario(
            "async_results_not_ready",
            JP,
            _D(2026, 11, 10),
            _D(2026, 11, 19),
            {"async_polls_to_complete": 2, "async_stuck_at_100_polls": 2},
            {"sync_max_days": 3},
            premature_completion=True,
        ),
        Scenario(
            "async_job_failed",
            JP,
            _D(2026, 11, 10),
            _D(2026, 11, 19),
            {"async_fail_first_n": 1},
            {"sync_max_days": 3},
        ),
        Scenario(
            "rate_limit_code_17",
            US,
            _D(2026, 11, 17),
            _D(2026, 11, 19),
            {"rate_limit_first_n": 1, "rate_limit_code": 17},
        ),
        Scenario(
            "rate_limit_code_80000_regain_access",
            US,
            _D(2026, 11, 17),
            _D(2026, 11, 19),
            {"rate_limit_first_n": 1, "rate_limit_code": 80000, "regain_access_minutes": 2},
        ),
        Scenario("transient_error", US, _D(2026, 11, 17), _D(2026, 11, 19), {"fail_first_n": 1}),
        Scenario(
            "reduce_the_amount_of_data",
            US,
            _D(2026, 11, 15),
            _D(2026, 11, 19),
            {"reduce_data_max_days": 2},
        ),
        Scenario(
            "expired_token", UK, _D(2026, 11, 17), _D(2026, 11, 19), {"expired_credentials": True}
        ),
        Scenario(
            "unknown_account", UNKNOWN_ACCOUNT, _D(2026, 11, 17), _D(2026, 11, 19), {}, {}, True
        ),
        Scenario(
            "usage_headers",
            UK,
            _D(2026, 11, 17),
            _D(2026, 11, 19),
            {"usage_percent": 90},
            {"page_limit": 10},
        ),
    ]
}


@dataclass
class Outcome:
    account: dict[str, Any] | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    error: MetaError | None = None
    clock: FakeClock = field(default_factory=FakeClock)
    log: ListLogger = field(default_factory=ListLogger)


def run(scenario: Scenario, endpoint: str, token: str, app_secret: str) -> Outcome:
    """What the client does in `scenario`; errors of the connector are kept, not raised."""
    outcome = Outcome()
    settings = MetaSettings(account_ids=[scenario.account_id], **scenario.settings)
    client = MetaClient(
        settings,
        endpoint,
        token,
        app_secret,
        clock=outcome.clock,
        rng=random.Random(7),
        logger=outcome.log,
    )
    try:
        if scenario.describe_account:
            outcome.account = client.account(scenario.account_id).record
        for chunk in client.insights(scenario.account_id, scenario.start, scenario.end):
            outcome.records.extend(chunk.records)
    except MetaError as error:
        outcome.error = error
    return outcome


def replay(scenario: Scenario):
    """Run `scenario` against its cassette; returns (outcome, cassette)."""
    with recorder("meta").use_cassette(f"{scenario.name}.yaml") as cassette:
        outcome = run(scenario, REPLAY_ENDPOINT, REPLAY_TOKEN, REPLAY_APP_SECRET)
    return outcome, cassette


def _recorder():
    return recorder("meta", record_mode="all")


def _complete_prematurely(box: Sandbox) -> None:
    app = box.apps["meta"]
    real_poll = app._report_poll

    def poll(request, params, run):
        response = real_poll(request, params, run)
        body = json.loads(response.body)
        if body["async_status"] == "Job Running" and body["async_percent_completion"] == 100:
            body.update(async_status="Job Completed", is_running=False)
            return Response.json(body, headers=response.headers)
        return response

    app._report_poll = poll


def record(names: list[str] | None = None) -> None:
    """Re-record the named scenarios (all by default) against fresh sandboxes."""
    for name in names or list(SCENARIOS):
        scenario = SCENARIOS[name]
        with Sandbox(as_of=AS_OF, google_ads=False) as box:
            box.faults.set("meta", **scenario.faults)
            if scenario.premature_completion:
                _complete_prematurely(box)
            creds = box.credentials.meta
            with _recorder().use_cassette(f"{name}.yaml"):
                outcome = run(scenario, box.url("meta"), creds.access_token, creds.app_secret)
        print(f"{name}: {len(outcome.records)} records, error: {outcome.error}")


if __name__ == "__main__":
    record(sys.argv[1:] or None)
