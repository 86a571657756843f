"""How long to wait before calling Google Ads again after a retryable failure.

Quota errors carry the wait the API wants (`QuotaErrorDetails.retry_delay`): it is honoured as
given, unless it is longer than `max_retry_delay_seconds`, in which case the run fails at once
(a daily quota will not come back within a run, and sleeping for hours helps nobody). Other
transient failures back off exponentially with jitter, so parallel runs do not retry in step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from perfmkt_pipeline.platforms.google_ads.errors import Failure


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # calls per query, the first included
    backoff_seconds: float = 2.0  # ceiling of the first backoff; doubles per retry
    backoff_max_seconds: float = 60.0
    max_retry_delay_seconds: float = 300.0  # longest advised quota wait honoured

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.backoff_seconds, self.backoff_max_seconds, self.max_retry_delay_seconds) < 0:
            raise ValueError("waits cannot be negative")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Wait before retry number `retry` (1-based): between half and all of the ceiling."""
        ceiling = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** (retry - 1))
        return ceiling * (0.5 + 0.5 * rng.random())

    def wait(self, failure: Failure, retry: int, rng: random.Random) -> float | None:
        """Seconds to wait before retry number `retry`, or None if the advised wait is too long."""
        if failure.kind == "quota" and failure.retry_delay is not None:
            advised = failure.retry_delay.total_seconds()
            return advised if advised <= self.max_retry_delay_seconds else None
        return self.backoff(retry, rng)
