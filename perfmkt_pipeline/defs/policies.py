"""Step-level retry policies, shared by the assets and the scheduled jobs.

The clients already retry each request (rate limits, 5xx, dropped connections) within a bounded
budget. A step fails only when that budget is spent (an outage longer than the client waits) or
something outside the client broke (the warehouse connection, the run worker): a retry of the
whole step a few minutes later then usually succeeds, and is safe because every write replaces
exactly its window. Errors that a retry cannot fix (bad credentials, missing permission, a record
that does not parse, a bad configuration) must not burn the retries: `fail_fast` turns them into
a `Failure` that bypasses the policy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from dagster import Backoff, Failure, Jitter, RetryPolicy

from perfmkt_pipeline.config import ConfigError
from perfmkt_pipeline.sources.affiliates.errors import AffiliateDataError, FatalError
from perfmkt_pipeline.sources.ecb import EcbDataError
from perfmkt_pipeline.sources.google_ads.errors import (
    GoogleAdsAuthError,
    GoogleAdsDataError,
    GoogleAdsPermissionError,
)
from perfmkt_pipeline.sources.meta.errors import MetaDataError, MetaFatalError
from perfmkt_pipeline.warehouse.loss import RowLossError
from perfmkt_pipeline.warehouse.write import SliceViolation

# Source steps (raw landing): 2 more attempts, about 5 and 15 minutes after the failure
# (exponential backoff, +/- 5 minutes of jitter so that the platforms' steps of one failed
# schedule tick do not all come back at the same second).
SOURCE_RETRY = RetryPolicy(
    max_retries=2, delay=300, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)
# Warehouse-only steps (core, marts, FX rates): transient database trouble (a dropped connection,
# a lock timeout) clears in seconds: about 30 and 90 seconds, +/- 30 seconds.
WAREHOUSE_RETRY = RetryPolicy(
    max_retries=2, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)

# Errors a retry cannot fix: the client has classified them as fatal or as bad data. Google Ads'
# plain GoogleAdsFatalError is left out on purpose: the client also raises it when its own
# retries ran out, which a step retry minutes later can cure (as it can GoogleAdsQuotaError).
NOT_RETRYABLE: tuple[type[BaseException], ...] = (
    ConfigError,
    GoogleAdsAuthError,
    GoogleAdsPermissionError,
    GoogleAdsDataError,
    MetaFatalError,
    MetaDataError,
    FatalError,
    AffiliateDataError,
    EcbDataError,
    SliceViolation,
    RowLossError,
)


@contextlib.contextmanager
def fail_fast() -> Iterator[None]:
    """Re-raise a non-retryable error as a `Failure(allow_retries=False)`, so the step fails at
    once instead of waiting out its retry policy; anything else propagates unchanged."""
    try:
        yield
    except NOT_RETRYABLE as error:
        raise Failure(
            description=f"{type(error).__name__}: {error}", allow_retries=False
        ) from error
