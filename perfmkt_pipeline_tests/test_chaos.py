"""Chaos: the raw layer against a sandbox that misbehaves.

- Every API platform at once, with 20% of requests rate limited, 5% failing with a server error
  and 2% dropped (seeded per platform): the backfill completes and raw equals the ground truth.
- A run killed with SIGKILL inside a write transaction: the warehouse keeps exactly what was
  committed before, and the re-run leaves exactly the ground truth, without duplicates.
- Garbage bodies (truncated JSON, an HTML page, wrong types), served by wrapping a sandbox
  stand-in in the test (the sandbox has no such fault): the error names the source and the
  account, and the warehouse is left exactly as it was.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from perfmkt_pipeline.platforms.meta import tables as meta_tables
from perfmkt_pipeline.sandbox.http_server import Response
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline_tests.chaos_support import (
    affiliate_landed,
    affiliate_truth,
    backfill,
    google_campaign_landed,
    google_campaign_truth,
    google_conversion_keys_landed,
    google_conversion_keys_truth,
    rows,
    settings_for,
    snapshot,
)
from perfmkt_pipeline_tests.platforms.meta.meta_support import (
    ACCOUNTS,
    UK,
    US,
    actions,
    ad_days,
    expected_actions,
    expected_ad_days,
)
from perfmkt_pipeline_tests.sandbox_fixtures import AS_OF, sandbox, sandbox_env  # noqa: F401

START, END = AS_OF - timedelta(days=40), AS_OF - timedelta(days=1)
WINDOWS = ("7d_click", "1d_view")
NETWORKS = ("impact", "cj", "awin")
# 20% of requests rate limited, 5% server errors, 2% dropped, drawn from a seeded generator in
# the order requests arrive. Every platform meets each kind however few requests it makes: its
# first request is dropped and its second rate limited, and its seed is one under which a server
# error comes up among the requests this backfill makes (the draws, and so the number of each
# fault, do not depend on which thread's request arrives first).
CHAOS = {
    "rate_limit_rate": 0.20,
    "fail_rate": 0.05,
    "drop_rate": 0.02,
    "drop_first_n": 1,
    "rate_limit_first_n": 2,
}
SEEDS = {"google_ads": 2, "meta": 1, "impact": 5, "cj": 2, "awin": 5}
KILL_TIMEOUT_SECONDS = 90


@pytest.fixture
def box(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    started = request.getfixturevalue("sandbox")()
    sandbox_env(monkeypatch, started)
    return started


def test_a_backfill_through_rate_limits_server_errors_and_dropped_connections_is_exact(
    box, duckdb_url
):
    for platform, seed in SEEDS.items():
        extra = {"reset_seconds": 0} if platform in NETWORKS else {}
        box.faults.set(platform, **CHAOS, seed=seed, **extra)
    box.apps["cj"].page_size = 100  # more pages, so more requests for the faults to hit

    result = backfill(settings_for(box), duckdb_url, START, END)

    assert result.success
    for platform in SEEDS:  # every kind of fault hit every platform
        for fault in ("rate_limit", "server_error", "drop"):
            assert box.counters.faults(platform, fault) >= 1, (platform, fault)
    assert google_campaign_landed(duckdb_url) == google_campaign_truth(box, START, END)
    assert google_conversion_keys_landed(duckdb_url) == google_conversion_keys_truth(
        box, START, END
    )
    assert ad_days(rows(duckdb_url, meta_tables.meta_ad_insights)) == expected_ad_days(
        box.world, ACCOUNTS, START, END
    )
    assert actions(rows(duckdb_url, meta_tables.meta_ad_actions)) == expected_actions(
        box.world, ACCOUNTS, START, END, WINDOWS
    )
    for platform in NETWORKS:
        landed = affiliate_landed(duckdb_url, platform)
        assert landed == affiliate_truth(box, platform, START, END), platform
        assert len(landed) > 400


def _kill_inside_a_load(settings, url: str, work: Path, loads: int) -> None:
    """Run the backfill in a child process and SIGKILL it once it sits inside its `loads`-th
    bulk load (after the delete and insert of that write, before its commit)."""
    marker = work / "inside-a-load"
    command = [
        sys.executable,
        "-m",
        "perfmkt_pipeline_tests.chaos_kill_child",
        # The keys the settings were given: a section left out stays out (one given without
        # accounts is a configuration error).
        json.dumps(settings.model_dump(mode="json", exclude_unset=True)),
        url,
        START.isoformat(),
        END.isoformat(),
        str(marker),
        str(loads),
    ]
    log = work / "child.log"
    with log.open("w") as out:
        child = subprocess.Popen(command, stdout=out, stderr=out, env=os.environ.copy())
    try:
        deadline = time.monotonic() + KILL_TIMEOUT_SECONDS
        while not marker.exists():
            assert child.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the child never reached the load"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert marker.read_text() == "raw.meta_ad_insights"


def test_a_run_killed_inside_a_write_keeps_what_was_committed_and_the_rerun_is_exact(
    box, warehouse_url, tmp_path
):
    # One account at a time, 40 days = 2 chunks (30 + 10 days) each. The first account's two
    # chunks commit (5 bulk loads: its account row, then insights and actions per chunk; on
    # PostgreSQL also the staged upserts of its ad sets and ads, listed once per run with the
    # first chunk (issue #17): 7); the second account's first write is killed after its account
    # row and its insights are loaded (the 7th load; PostgreSQL the 9th), before it commits.
    settings = settings_for(box, ("meta",), concurrency=1)
    assert backfill(settings, warehouse_url, START, END).success
    before = snapshot(warehouse_url)
    box.world.as_of = AS_OF + timedelta(days=5)  # numbers restate: a re-pull changes rows

    loads = 7 if warehouse_url.startswith("duckdb") else 9
    _kill_inside_a_load(settings, warehouse_url, tmp_path, loads=loads)

    after = snapshot(warehouse_url)
    first, rest = ACCOUNTS[0], ACCOUNTS[1:]
    for table in ("raw.meta_ad_insights", "raw.meta_ad_actions", "raw.meta_accounts"):
        untouched = [r for r in after[table] if r["account_id"] in rest]
        assert untouched == [r for r in before[table] if r["account_id"] in rest], table
    # The first account committed before the kill: its rows are the new numbers.
    landed = [
        r for r in rows(warehouse_url, meta_tables.meta_ad_actions) if r["account_id"] == first
    ]
    assert actions(landed) == expected_actions(box.world, [first], START, END, WINDOWS)
    assert actions(landed) != actions(
        r for r in before["raw.meta_ad_actions"] if r["account_id"] == first
    )  # the as-of date moved: the first account's numbers did restate
    # 5 slices and the 2 listing upserts logged by the first account
    assert len(after["raw.load_log"]) == len(before["raw.load_log"]) + 7

    assert backfill(settings, warehouse_url, START, END).success

    insights = rows(warehouse_url, meta_tables.meta_ad_insights)
    assert ad_days(insights) == expected_ad_days(box.world, ACCOUNTS, START, END)
    assert len(insights) == len(ad_days(insights))  # no duplicates
    landed = rows(warehouse_url, meta_tables.meta_ad_actions)
    assert actions(landed) == expected_actions(box.world, ACCOUNTS, START, END, WINDOWS)
    assert len(landed) == len(actions(landed))
    assert [r["account_id"] for r in rows(warehouse_url, meta_tables.meta_accounts)] == sorted(
        ACCOUNTS
    )


def _truncated(response: Response) -> Response:
    return Response(200, response.body[: len(response.body) // 2], response.headers)


def _html(response: Response) -> Response:
    page = "<html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>"
    return Response.text(page, 200, "text/html")


def _wrong_types(field: str, value):
    def corrupt(response: Response) -> Response:
        body = json.loads(response.body)
        records = body["data"] if isinstance(body, dict) and "data" in body else body
        if isinstance(body, dict) and "Actions" in body:
            records = body["Actions"]
        records[0][field] = value
        return Response.json(body, response.status, response.headers)

    return corrupt


GARBAGE = {
    # name: (platform, what to serve instead, words the error must hold)
    "meta truncated JSON": ("meta", _truncated, ["meta", f"act_{UK}"]),
    "meta HTML page": ("meta", _html, ["meta", f"act_{UK}", "not JSON"]),
    "meta wrong types": ("meta", _wrong_types("spend", {"amount": 1}), [f"account {UK}", "spend"]),
    "impact truncated JSON": ("impact", _truncated, ["impact account", "not JSON"]),
    "cj HTML page": ("cj", _html, ["cj account", "not JSON"]),
    "awin wrong types": (
        "awin",
        _wrong_types("commissionAmount", "ten pounds"),
        ["awin account", "commissionAmount"],
    ),
}


DATA_PATHS = {
    "meta": "/insights",
    "impact": "/Actions",
    "cj": "/query",
    "awin": "/transactions/",
}


def _serve_garbage(box: Sandbox, platform: str, corrupt) -> None:
    """Every successful data response of `platform` (Meta insights pages, impact.com actions,
    CJ's GraphQL answers, Awin transactions) is replaced by `corrupt(response)`; other calls
    (Meta account lookups, report-run creation and status) are served unchanged."""
    app = box.apps[platform]
    original = app.handle

    def handle(request):
        response = original(request)
        data = request.path.endswith(DATA_PATHS[platform])
        reads = request.method == ("POST" if platform == "cj" else "GET")
        return corrupt(response) if response.status == 200 and data and reads else response

    app.handle = handle


@pytest.mark.parametrize("case", sorted(GARBAGE))
def test_garbage_bodies_fail_naming_source_and_account_and_change_nothing(box, duckdb_url, case):
    platform, corrupt, words = GARBAGE[case]
    settings = settings_for(box, (platform,), meta_accounts=[UK])
    assert backfill(settings, duckdb_url, START, END).success
    before = snapshot(duckdb_url)
    assert before["raw.load_log"]  # something was loaded that garbage could have replaced

    _serve_garbage(box, platform, corrupt)
    result = backfill(settings, duckdb_url, START, END, raise_on_error=False)

    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.error
    message = error.message + "".join(c.message for c in _causes(error))
    for word in words:
        assert word in message, (word, message)
    assert snapshot(duckdb_url) == before
    assert US not in message  # only the account that got garbage is named


def _causes(error):
    while error.cause is not None:
        error = error.cause
        yield error
