"""Retry policies: a transient failure of a step is retried by Dagster, an error classified as
fatal or as bad data fails the step at once (`fail_fast`, applied to every step by
`fail_fast_steps`), whatever the policy says."""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from collections.abc import Iterator

import pytest
from dagster import (
    AssetExecutionContext,
    DagsterEventType,
    Failure,
    Output,
    RetryPolicy,
    asset,
    instance_for_test,
    materialize,
)

from perfmkt_pipeline.config import ConfigError
from perfmkt_pipeline.defs.policies import (
    SOURCE_RETRY,
    WAREHOUSE_RETRY,
    fail_fast,
    fail_fast_steps,
)
from perfmkt_pipeline.platforms.base.errors import (
    AuthenticationError,
    RetriesExhaustedError,
)
from perfmkt_pipeline.platforms.google_ads.errors import (
    GoogleAdsAuthError,
    GoogleAdsDataError,
    GoogleAdsFatalError,
    GoogleAdsQuotaError,
)
from perfmkt_pipeline.platforms.meta.errors import MetaFatalError, MetaRetriesExhausted

# The policies' shape, without their minutes of delay.
FAST_RETRY = RetryPolicy(max_retries=SOURCE_RETRY.max_retries)


@pytest.mark.parametrize(
    ("policy", "first", "second"),
    [(SOURCE_RETRY, (0, 600), (600, 1200)), (WAREHOUSE_RETRY, (0, 60), (60, 120))],
    ids=["source", "warehouse"],
)
def test_the_policies_retry_twice_with_growing_jittered_delays(
    policy: RetryPolicy, first: tuple[int, int], second: tuple[int, int]
) -> None:
    assert policy.max_retries == 2
    for attempt, (low, high) in ((1, first), (2, second)):
        delays = [policy.calculate_delay(attempt) for _ in range(200)]
        assert low <= min(delays) and max(delays) <= high, attempt
        assert max(delays) - min(delays) > (high - low) / 2, "jitter spreads the retries"


@pytest.mark.parametrize(
    "error",
    [
        GoogleAdsAuthError("invalid_grant", "1234567890"),
        GoogleAdsDataError("1234567890", "2026-11-19", "metrics.cost_micros", "is 'x'"),
        MetaFatalError("act_101: (#200) permission"),
        AuthenticationError("401", network="cj", account_id="777"),
        ConfigError("cj.currency: missing"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_fatal_and_data_errors_become_failures_that_skip_retries(error: Exception) -> None:
    with pytest.raises(Failure) as raised, fail_fast():
        raise error
    assert raised.value.allow_retries is False
    # The error's own message is the failure's first line; its class is metadata.
    assert raised.value.description == str(error)
    assert raised.value.metadata["error"].value == type(error).__name__
    assert raised.value.__cause__ is error


@pytest.mark.parametrize(
    "error",
    [
        GoogleAdsFatalError("failed 5 times, giving up", "1234567890"),
        GoogleAdsQuotaError("asks to wait 3600 s", "1234567890"),
        MetaRetriesExhausted("act_101: rate limited 8 times"),
        RetriesExhaustedError("503 six times", network="awin", account_id="555"),
        ConnectionResetError("warehouse connection dropped"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_a_later_attempt_can_cure_pass_through_unchanged(error: Exception) -> None:
    with pytest.raises(type(error)) as raised, fail_fast():
        raise error
    assert raised.value is error


def _attempts(error: Exception) -> int:
    """How many times a plain asset and a generator asset (one that yields its result first),
    each raising `error` and made to fail fast by `fail_fast_steps`, were run: the same for
    both."""
    calls: dict[str, list[int]] = {"plain": [], "generator": []}

    @asset(retry_policy=FAST_RETRY)
    def plain(context: AssetExecutionContext) -> None:
        """Fails every time it runs."""
        calls["plain"].append(context.retry_number)
        raise error

    @asset(retry_policy=FAST_RETRY)
    def generator(context: AssetExecutionContext) -> Iterator[Output]:
        """Fails every time it runs, after its result."""
        calls["generator"].append(context.retry_number)
        yield Output(None)
        raise error

    with instance_for_test() as instance:
        result = materialize(
            fail_fast_steps([plain, generator]), instance=instance, raise_on_error=False
        )
        assert not result.success
        restarts = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_RESTARTED]
        assert len(restarts) == len(calls["plain"]) + len(calls["generator"]) - 2
    assert len(calls["plain"]) == len(calls["generator"])
    return len(calls["plain"])


def test_dagster_retries_a_transient_failure_and_not_a_fatal_one() -> None:
    assert _attempts(MetaRetriesExhausted("act_101: rate limited 8 times")) == 3
    assert _attempts(MetaFatalError("act_101: (#190) token expired")) == 1


def test_steps_made_to_fail_fast_keep_their_parameters_policy_and_pool() -> None:
    @asset(retry_policy=FAST_RETRY, pool="meta")
    def sourced(context: AssetExecutionContext, upstream: int) -> int:
        """Doubles its upstream."""
        return 2 * upstream

    [guarded] = fail_fast_steps([sourced])
    assert guarded.op.retry_policy == FAST_RETRY
    assert guarded.op.pool == "meta"
    assert list(guarded.op.ins) == ["upstream"]
    assert (
        guarded.keys == sourced.keys and guarded.descriptions_by_key == sourced.descriptions_by_key
    )
    assert guarded.op.compute_fn.decorated_fn.__wrapped__ is sourced.op.compute_fn.decorated_fn
