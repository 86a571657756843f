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

Each platform's sandbox part (sandbox/parts.py) names the config class of its stand-ins (a
`PlatformFaults`, or a subclass with switches of its own). Install a fresh config with
`faults.set(name, rate_limit_first_n=2)` (resets its state) or assign one: `faults.<name> =
config`. Each stand-in asks `config.decide(kind, account)` once per request and renders the
decision in its platform's own form.
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
class NetworkFaults(PlatformFaults):
    """An affiliate network's: its rate-limit answer says when to try again."""

    reset_seconds: int = 1  # x-ratelimit-reset (or Retry-After) when rate limited


def fault_types() -> dict[str, type[PlatformFaults]]:
    """Stand-in name -> its fault switches, as each registered platform's sandbox part declares
    them (sandbox/parts.py)."""
    from perfmkt_pipeline.sandbox import parts

    return parts.every("faults")


class SandboxFaults:
    """One fault config per stand-in, each reachable as an attribute of its name
    (`faults.<name>`) or by `for_platform(name)`; `SandboxFaults(<name>=config)` installs
    some up front, the others start with their defaults."""

    def __init__(self, **configs: PlatformFaults):
        types = fault_types()
        unknown = sorted(set(configs) - set(types))
        if unknown:
            raise TypeError(f"no stand-in named {unknown}; known: {list(types)}")
        self.__dict__["_types"] = types
        self.__dict__["_configs"] = {n: configs.get(n) or cls() for n, cls in types.items()}

    def __getattr__(self, name: str) -> PlatformFaults:
        configs = self.__dict__.get("_configs", {})
        if name.startswith("_") or name not in configs:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return configs[name]

    def __setattr__(self, name: str, config: PlatformFaults) -> None:
        self.for_platform(name)
        self._configs[name] = config

    def for_platform(self, platform: str) -> PlatformFaults:
        if platform not in self._configs:
            raise KeyError(f"unknown platform {platform!r}; expected one of {list(self._types)}")
        return self._configs[platform]

    def set(self, platform: str, **changes) -> PlatformFaults:
        """Install a fresh config for a platform (defaults + changes); its state starts at 0."""
        self.for_platform(platform)
        known = {f.name for f in fields(self._types[platform])}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown {platform} fault settings: {sorted(unknown)}")
        config = self._types[platform](**changes)
        self._configs[platform] = config
        return config

    def update(self, platform: str, **changes) -> PlatformFaults:
        """Like `set`, but keeps the platform's other current settings."""
        config = replace(self.for_platform(platform), **changes)
        self._configs[platform] = config
        return config

    def clear(self) -> None:
        for platform in self._types:
            self.set(platform)

    @classmethod
    def realistic_limits(cls) -> SandboxFaults:
        """The limits the platforms document, enforced (each part's `documented_limit`)."""
        from perfmkt_pipeline.sandbox import parts

        faults = cls()
        for part in parts.all_parts():
            if part.documented_limit is not None:
                faults.update(part.name, enforce_limit=part.documented_limit)
        return faults
