"""The small HTTP layer every affiliate client uses, on top of `requests`.

One `HttpClient` per network: it paces calls (the network's documented calls a minute, from its
spec), waits out rate limits using the network's own headers (`Retry-After`, or a count of calls
left in the window with its reset: `x-ratelimit-remaining-hour` / `-remaining` and
`x-ratelimit-reset`), retries 5xx answers and dropped connections with jittered exponential
backoff, and classifies every failure once (errors.py). Sleep, clocks and randomness are
injectable so tests never wait for real.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from perfmkt_pipeline.platforms.base.errors import (
    AffiliateError,
    AuthenticationError,
    FatalError,
    RequestRefusedError,
    RetriesExhaustedError,
    RetryableError,
)

# A reset header above this is an epoch timestamp, not a number of seconds to wait.
_EPOCH_THRESHOLD = 1_000_000_000
# The longest rate-limit window a network announces is one hour; an advised wait far beyond
# that means a broken header.
RATE_LIMIT_MAX_WAIT_SECONDS = 3_900.0
# Up to this fraction is added to an advised wait, so parallel clients do not return together.
RATE_LIMIT_JITTER = 0.1
# Headers that say how many calls are left; "0" means wait for the reset before the next call.
_REMAINING_HEADERS = ("x-ratelimit-remaining-hour", "x-ratelimit-remaining")
_RESET_HEADERS = ("retry-after", "x-ratelimit-reset")
_AUTH_STATUSES = (401, 403)
_CONNECTION_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
_MESSAGE_LIMIT = 300


class Logger(Protocol):
    def info(self, msg: str, *args: Any) -> Any: ...
    def warning(self, msg: str, *args: Any) -> Any: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. Backoff: base x 2^n, capped, then "equal jitter"."""

    max_retries: int = 6
    base_seconds: float = 1.0
    max_seconds: float = 300.0
    timeout_seconds: float = 120.0

    def backoff(self, retry: int, draw: float) -> float:
        wait = min(self.max_seconds, self.base_seconds * 2**retry)
        return wait / 2 + wait / 2 * draw


@dataclass
class Clock:
    """Injectable time: `sleep` and `monotonic` for waiting, `wall` for epoch reset headers."""

    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    random: Callable[[], float] = random.random


def error_message(response: requests.Response) -> str:
    """The network's own error text, from the usual JSON shapes or the plain body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:_MESSAGE_LIMIT].strip()
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
        for key in ("Message", "message", "description", "error_description", "error"):
            if body.get(key):
                return str(body[key])[:_MESSAGE_LIMIT]
    return str(body)[:_MESSAGE_LIMIT]


def _seconds(value: str | None, wall: float) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        return None  # an HTTP-date Retry-After: fall back to backoff
    if number > _EPOCH_THRESHOLD:
        number -= wall
    return max(0.0, number)


def advised_wait(headers: Mapping[str, str], wall: float) -> float | None:
    """Seconds the network asks us to wait (the longest of its reset headers), if it says."""
    waits = [_seconds(headers.get(name), wall) for name in _RESET_HEADERS]
    found = [w for w in waits if w is not None]
    return max(found) if found else None


class HttpClient:
    """Paced, retrying HTTP calls to one network; errors name the network and account."""

    def __init__(
        self,
        network: str,
        *,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
        calls_per_minute: float | None = None,
        clock: Clock | None = None,
        log: Logger | None = None,
    ):
        self.network = network
        self.session = session or requests.Session()
        self.policy = policy or RetryPolicy()
        self.clock = clock or Clock()
        self.log = log or logging.getLogger(f"perfmkt_pipeline.platforms.{network}")
        self._interval = 60.0 / calls_per_minute if calls_per_minute else 0.0
        self._last_start: float | None = None
        self._not_before = 0.0
        # Several accounts may share one client from threads: its pacing (the limits are per
        # credential) is kept under this lock.
        self._lock = threading.Lock()

    def send(
        self,
        method: str,
        url: str,
        *,
        account_id: str | None,
        check: Callable[[requests.Response], None] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """A successful response; `check` may raise RetryableError/FatalError for 2xx bodies."""
        what = f"{self.network} account {account_id}" if account_id else self.network
        path = urlsplit(url).path
        last: AffiliateError | None = None
        for attempt in range(self.policy.max_retries + 1):
            self._wait_turn(what)
            try:
                response = self.session.request(
                    method, url, timeout=self.policy.timeout_seconds, **kwargs
                )
            except _CONNECTION_ERRORS as error:
                last = RetryableError(
                    f"{what}: {method} {path}: connection failed ({type(error).__name__})",
                    network=self.network,
                    account_id=account_id,
                )
                wait = self.policy.backoff(attempt, self.clock.random())
            else:
                self._note_limits(response)
                try:
                    return self._classify(response, what, method, path, account_id, check)
                except RetryableError as error:
                    last = error
                    wait = self._retry_wait(response, attempt)
            if attempt == self.policy.max_retries:
                break
            self.log.warning(
                f"{last}; waiting {wait:.1f} s before retry {attempt + 1} of "
                f"{self.policy.max_retries}"
            )
            self.clock.sleep(wait)
        raise RetriesExhaustedError(
            f"{what}: gave up after {self.policy.max_retries + 1} attempts: {last}",
            network=self.network,
            account_id=account_id,
        ) from last

    def _classify(self, response, what, method, path, account_id, check) -> requests.Response:
        status = response.status_code
        ids = {"network": self.network, "account_id": account_id}
        if status == 429:
            raise RetryableError(f"{what}: rate limited (HTTP 429)", **ids)
        if status >= 500:
            raise RetryableError(f"{what}: {method} {path}: server error (HTTP {status})", **ids)
        if status in _AUTH_STATUSES:
            raise AuthenticationError(
                f"{what}: credentials refused (HTTP {status}): {error_message(response)}", **ids
            )
        if status >= 400:
            detail = error_message(response)
            raise RequestRefusedError(
                f"{what}: {method} {path} failed (HTTP {status}): {detail}",
                status=status,
                detail=detail,
                **ids,
            )
        if check is not None:
            check(response)
        return response

    def _retry_wait(self, response: requests.Response, attempt: int) -> float:
        advised = advised_wait(response.headers, self.clock.wall())
        if response.status_code != 429 or advised is None:
            return self.policy.backoff(attempt, self.clock.random())
        if advised > RATE_LIMIT_MAX_WAIT_SECONDS:
            raise FatalError(
                f"{self.network}: rate limited with an advised wait of {advised:.0f} s, beyond "
                f"the {RATE_LIMIT_MAX_WAIT_SECONDS:.0f} s any documented limit needs",
                network=self.network,
            )
        return advised * (1 + RATE_LIMIT_JITTER * self.clock.random())

    def _note_limits(self, response: requests.Response) -> None:
        """A successful answer that says no calls remain: hold the next call until the reset."""
        if response.status_code == 429:
            return
        if any(response.headers.get(name, "").strip() == "0" for name in _REMAINING_HEADERS):
            wait = advised_wait(response.headers, self.clock.wall())
            if wait:
                with self._lock:
                    self._not_before = max(self._not_before, self.clock.monotonic() + wait)

    def _wait_turn(self, what: str) -> None:
        # Under the lock, so that threads sharing the client (one credential, one limit) take
        # turns, and each call is spaced from when the one before really started.
        with self._lock:
            now = self.clock.monotonic()
            paced = self._last_start + self._interval if self._last_start is not None else now
            ready = max(self._not_before, paced)
            if ready > now:
                wait = ready - now
                if ready == self._not_before:
                    self.log.warning(
                        f"{what}: no calls left until the limit resets; waiting {wait:.1f} s"
                    )
                elif wait >= 1:  # sub-second pacing is routine; log the waits people notice
                    self.log.info(
                        f"{what}: pacing calls to the network's limit; waiting {wait:.1f} s"
                    )
                self.clock.sleep(wait)
                now = self.clock.monotonic()
            self._last_start = now
