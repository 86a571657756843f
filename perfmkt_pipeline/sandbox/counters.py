"""Thread-safe request counters of the sandbox, per platform, endpoint kind and account.

Every stand-in records each request it receives (`record`), every fault it injects
(`record_fault`) and every request that broke an enforced rate limit (`record_violation`), so
tests and benchmarks can measure how efficiently — and how politely — a connector used an API.

Endpoint kinds are "<platform>.<what>" (a stand-in's own: a report run, a page of results, a
token request, ...), named in each stand-in's app.
"""

from __future__ import annotations

import threading
from collections import Counter

Key = tuple[str, str, str | None]  # (platform, kind, account_id)


class RequestCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[Key] = Counter()
        self._faults: Counter[tuple[str, str, str, str | None]] = Counter()
        self._violations: Counter[tuple[str, str | None]] = Counter()

    def record(self, platform: str, kind: str, account_id: str | None = None, n: int = 1) -> None:
        with self._lock:
            self._requests[(platform, kind, account_id)] += n

    def record_fault(
        self, platform: str, fault: str, kind: str, account_id: str | None = None
    ) -> None:
        """`fault`: "rate_limit" | "server_error" | "drop" | "auth" | "async_failed" | ..."""
        with self._lock:
            self._faults[(platform, fault, kind, account_id)] += 1

    def record_violation(self, platform: str, account_id: str | None = None) -> None:
        with self._lock:
            self._violations[(platform, account_id)] += 1

    def count(
        self, platform: str | None = None, kind: str | None = None, account_id: str | None = None
    ) -> int:
        """Requests received matching every filter given (None = any)."""
        with self._lock:
            return sum(
                n
                for (p, k, a), n in self._requests.items()
                if (platform is None or p == platform)
                and (kind is None or k == kind)
                and (account_id is None or a == account_id)
            )

    def faults(
        self, platform: str | None = None, fault: str | None = None, kind: str | None = None
    ) -> int:
        """Faults injected matching every filter given."""
        with self._lock:
            return sum(
                n
                for (p, f, k, _), n in self._faults.items()
                if (platform is None or p == platform)
                and (fault is None or f == fault)
                and (kind is None or k == kind)
            )

    def violations(self, platform: str | None = None, account_id: str | None = None) -> int:
        """Requests that exceeded an enforced rate limit (0 means the client stayed inside)."""
        with self._lock:
            return sum(
                n
                for (p, a), n in self._violations.items()
                if (platform is None or p == platform) and (account_id is None or a == account_id)
            )

    def snapshot(self) -> dict[Key, int]:
        """Copy of the request counts keyed by (platform, kind, account_id)."""
        with self._lock:
            return dict(self._requests)

    def fault_snapshot(self) -> dict[tuple[str, str, str, str | None], int]:
        with self._lock:
            return dict(self._faults)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self._violations.clear()
