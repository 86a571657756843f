"""Fault configuration and injection for the sandbox stand-ins, per platform.

A `SandboxFaults` holds one config object per platform. Each config is a dataclass of switches
plus its own runtime state (how many requests it has seen, a seeded RNG, the sliding windows of
enforced limits), so faults are reproducible by configuration alone:

- "first N" switches (`fail_first_n`, `drop_first_n`, `rate_limit_first_n`, ...) hit the first N
  requests the platform receives after the config is installed (optionally only requests of the
  endpoint kinds in `endpoints`);
- `*_rate` switches draw from `random.Random(seed)` in request order (deterministic for a
  sequential client);
- `enforce_limit` is a real limit (calls per window per account); requests beyond it get the
  platform's rate-limit error and are counted as violations.

Install a fresh config with `faults.set("meta", rate_limit_first_n=2)` (resets its state) or
assign one: `faults.meta = MetaFaults(...)`. Each stand-in asks `config.decide(kind, account)`
once per request and renders the decision in its platform's own form.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field, fields, replace
from typing import Literal

Decision = Literal["drop", "auth", "rate_limit", "limit_exceeded", "server_error"]


@dataclass(frozen=True)
class RateLimit:
    """A real limit: at most `calls` requests per `per_seconds`, per account (or in total)."""

    calls: int
    per_seconds: float
    per_account: bool = True


@dataclass
class PlatformFaults:
    """Switches every platform understands. All off by default."""

    latency_seconds: float = 0.0  # added before every response
    drop_first_n: int = 0  # close the connection without a response
    drop_rate: float = 0.0
    fail_first_n: int = 0  # server error (HTTP 5xx; gRPC INTERNAL)
    fail_rate: float = 0.0
    server_error_status: int = 503
    rate_limit_first_n: int = 0  # injected rate-limit error in the platform's own form
    rate_limit_rate: float = 0.0
    expired_credentials: bool = False  # every credential is rejected with the platform's error
    enforce_limit: RateLimit | None = None
    endpoints: tuple[str, ...] | None = None  # restrict injected faults to these endpoint kinds
    seed: int = 0
    clock: object = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self._seen = 0
        self._windows: dict[str | None, deque[float]] = {}

    def decide(self, kind: str, account_id: str | None = None) -> Decision | None:
        """What to do with one request (None = serve it). Call exactly once per request."""
        with self._lock:
            targeted = self.endpoints is None or kind in self.endpoints
            if targeted:
                n = self._seen
                self._seen += 1
                if n < self.drop_first_n or self._draw(self.drop_rate):
                    return "drop"
            if self.expired_credentials:
                return "auth"
            if targeted and (n < self.rate_limit_first_n or self._draw(self.rate_limit_rate)):
                return "rate_limit"
            if self.enforce_limit is not None and not self._admit(account_id):
                return "limit_exceeded"
            if targeted and (n < self.fail_first_n or self._draw(self.fail_rate)):
                return "server_error"
            return None

    def usage_fraction(self, account_id: str | None = None) -> float | None:
        """Share of the enforced limit used in the current window (None without a limit)."""
        if self.enforce_limit is None:
            return None
        with self._lock:
            window = self._window(account_id)
            return len(window) / self.enforce_limit.calls

    def seconds_until_allowed(self, account_id: str | None = None) -> float:
        """How long until the enforced window admits another call (0 if it would now)."""
        if self.enforce_limit is None:
            return 0.0
        with self._lock:
            window = self._window(account_id)
            if len(window) < self.enforce_limit.calls:
                return 0.0
            return max(0.0, window[0] + self.enforce_limit.per_seconds - self.clock())

    def reset(self) -> None:
        self.__post_init__()

    def _draw(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def _window(self, account_id: str | None) -> deque[float]:
        key = account_id if self.enforce_limit.per_account else None
        window = self._windows.setdefault(key, deque())
        horizon = self.clock() - self.enforce_limit.per_seconds
        while window and window[0] <= horizon:
            window.popleft()
        return window

    def _admit(self, account_id: str | None) -> bool:
        window = self._window(account_id)
        if len(window) >= self.enforce_limit.calls:
            return False
        window.append(self.clock())
        return True


@dataclass
class MetaFaults(PlatformFaults):
    # Rate-limit error code: 17 (user), 613 (calls), 4 (app), 80000-80014 (business use case).
    rate_limit_code: int = 80000
    # estimated_time_to_regain_access (minutes) in the usage header while limited; keep it 0 in
    # tests so clients do not sleep for real.
    regain_access_minutes: float = 0
    usage_percent: int | None = None  # force call_count/total_time/... in the usage headers
    async_fail_first_n: int = 0  # report runs that end in "Job Failed"
    async_polls_to_complete: int = 2  # status polls before "Job Completed"
    # Polls that read 100% but "Job Running" after the normal progression (fetching then gives
    # 2601/1815107).
    async_stuck_at_100_polls: int = 0
    # Sync insights for a range longer than this many days get code 1 "reduce the amount of data".
    reduce_data_max_days: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._runs_created = 0

    def next_run_fails(self) -> bool:
        """Called once per report run created: True for the first `async_fail_first_n`."""
        with self._lock:
            n = self._runs_created
            self._runs_created += 1
            return n < self.async_fail_first_n


@dataclass
class GoogleAdsFaults(PlatformFaults):
    retry_delay_seconds: float = 0.0  # QuotaErrorDetails.retry_delay on RESOURCE_EXHAUSTED


@dataclass
class ImpactFaults(PlatformFaults):
    reset_seconds: int = 1  # x-ratelimit-reset when rate limited


@dataclass
class CjFaults(PlatformFaults):
    reset_seconds: int = 1
    graphql_error_first_n: int = 0  # GraphQL {"errors": [...]} with HTTP 200

    def __post_init__(self) -> None:
        super().__post_init__()
        self._queries = 0

    def next_query_errors(self) -> bool:
        """Called once per GraphQL query: True for the first `graphql_error_first_n`."""
        with self._lock:
            n = self._queries
            self._queries += 1
            return n < self.graphql_error_first_n


@dataclass
class AwinFaults(PlatformFaults):
    reset_seconds: int = 1


@dataclass
class OAuthFaults(PlatformFaults):
    """`expired_credentials` makes the refresh token invalid (invalid_grant)."""


@dataclass
class EcbFaults(PlatformFaults):
    pass


FAULT_TYPES = {
    "google_ads": GoogleAdsFaults,
    "google_oauth": OAuthFaults,
    "meta": MetaFaults,
    "impact": ImpactFaults,
    "cj": CjFaults,
    "awin": AwinFaults,
    "ecb": EcbFaults,
}


@dataclass
class SandboxFaults:
    google_ads: GoogleAdsFaults = field(default_factory=GoogleAdsFaults)
    google_oauth: OAuthFaults = field(default_factory=OAuthFaults)
    meta: MetaFaults = field(default_factory=MetaFaults)
    impact: ImpactFaults = field(default_factory=ImpactFaults)
    cj: CjFaults = field(default_factory=CjFaults)
    awin: AwinFaults = field(default_factory=AwinFaults)
    ecb: EcbFaults = field(default_factory=EcbFaults)

    def for_platform(self, platform: str) -> PlatformFaults:
        if platform not in FAULT_TYPES:
            raise KeyError(f"unknown platform {platform!r}; expected one of {list(FAULT_TYPES)}")
        return getattr(self, platform)

    def set(self, platform: str, **changes) -> PlatformFaults:
        """Install a fresh config for a platform (defaults + changes); its state starts at 0."""
        known = {f.name for f in fields(FAULT_TYPES[platform])}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown {platform} fault settings: {sorted(unknown)}")
        config = FAULT_TYPES[platform](**changes)
        setattr(self, platform, config)
        return config

    def update(self, platform: str, **changes) -> PlatformFaults:
        """Like `set`, but keeps the platform's other current settings."""
        config = replace(self.for_platform(platform), **changes)
        setattr(self, platform, config)
        return config

    def clear(self) -> None:
        for platform in FAULT_TYPES:
            self.set(platform)

    @classmethod
    def realistic_limits(cls) -> SandboxFaults:
        """The documented limits enforced (Awin 20 calls/min, impact 1,000/hour)."""
        return cls(
            impact=ImpactFaults(enforce_limit=RateLimit(1000, 3600.0)),
            awin=AwinFaults(enforce_limit=RateLimit(20, 60.0)),
        )
