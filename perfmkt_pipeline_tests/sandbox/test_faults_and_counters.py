"""Fault switches decide deterministically from configuration; counters count per endpoint."""

from __future__ import annotations

import threading

import pytest

from perfmkt_pipeline.platforms.meta.standin.sandbox import MetaFaults
from perfmkt_pipeline.sandbox.counters import RequestCounters
from perfmkt_pipeline.sandbox.faults import PlatformFaults, RateLimit, SandboxFaults


def test_first_n_switches_hit_exactly_the_first_requests_in_order():
    config = PlatformFaults(drop_first_n=1, rate_limit_first_n=2, fail_first_n=3)
    assert [config.decide("k") for _ in range(5)] == [
        "drop", "rate_limit", "server_error", None, None,
    ]  # fmt: skip


def test_rates_draw_from_the_seed_so_a_run_repeats_exactly():
    def run(seed):
        config = PlatformFaults(fail_rate=0.3, seed=seed)
        return [config.decide("k") for _ in range(40)]

    assert run(7) == run(7)
    assert run(7) != run(8)
    assert 4 <= run(7).count("server_error") <= 20


def test_endpoint_filter_limits_injected_faults_to_those_kinds():
    config = PlatformFaults(fail_first_n=1, endpoints=("meta.report_poll",))
    assert config.decide("meta.insights_sync") is None
    assert config.decide("meta.report_poll") == "server_error"
    assert config.decide("meta.report_poll") is None


def test_enforced_limit_admits_calls_per_window_and_account():
    now = [100.0]
    config = PlatformFaults(enforce_limit=RateLimit(2, 60.0), clock=lambda: now[0])
    assert [config.decide("k", "a") for _ in range(3)] == [None, None, "limit_exceeded"]
    assert config.decide("k", "b") is None  # another account has its own window
    assert config.usage_fraction("a") == 1.0
    assert config.seconds_until_allowed("a") == 60.0
    now[0] += 60.5
    assert config.decide("k", "a") is None


def test_expired_credentials_reject_every_request():
    config = PlatformFaults(expired_credentials=True)
    assert {config.decide("k") for _ in range(3)} == {"auth"}


def test_set_installs_fresh_state_and_refuses_misspelt_settings():
    faults = SandboxFaults()
    first = faults.set("meta", async_fail_first_n=1)
    assert isinstance(first, MetaFaults) and first.next_run_fails() and not first.next_run_fails()
    again = faults.set("meta", async_fail_first_n=1)
    assert again.next_run_fails()  # a new config counts from zero
    faults.update("meta", usage_percent=95)
    assert faults.meta.usage_percent == 95 and faults.meta.async_fail_first_n == 1
    with pytest.raises(TypeError, match="rate_limit_frist_n"):
        faults.set("meta", rate_limit_frist_n=1)
    with pytest.raises(KeyError):
        faults.set("tiktok")


def test_counters_are_thread_safe_filterable_and_resettable():
    counters = RequestCounters()

    def hammer():
        for _ in range(500):
            counters.record("meta", "meta.insights_sync", "1")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counters.record("meta", "meta.report_run", "2")
    counters.record_fault("meta", "rate_limit", "meta.report_run", "2")
    counters.record_violation("awin", "45678")
    assert counters.count("meta") == 4001
    assert counters.count("meta", "meta.insights_sync") == 4000
    assert counters.count(account_id="2") == 1
    assert counters.faults("meta", "rate_limit") == 1
    assert counters.violations("awin") == 1 and counters.violations("meta") == 0
    counters.reset()
    assert counters.count() == 0 and counters.faults() == 0 and counters.violations() == 0
