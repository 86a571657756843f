"""Graph API usage headers and the pacing they call for.

Every Graph response reports how much of the rate limits has been used:
- `x-business-use-case-usage`: {"<business or ad account id>": [{"type", "call_count",
  "total_cputime", "total_time", "estimated_time_to_regain_access" (minutes)}, ...]};
- `x-fb-ads-insights-throttle`: {"app_id_util_pct", "acc_id_util_pct"} for the account called;
- `x-app-usage`: {"call_count", "total_cputime", "total_time"} for the whole app.
Percentages are 0-100. `UsageGovernor` keeps the latest reading per account (and for the app) and
says how long to wait before the next call: nothing below `start_pct`, a wait growing with usage
above it (so calls spread out before the limit is reached), and the advised time once Graph says
access is blocked.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

BUC_HEADER = "x-business-use-case-usage"
INSIGHTS_THROTTLE_HEADER = "x-fb-ads-insights-throttle"
APP_USAGE_HEADER = "x-app-usage"
_PERCENT_KEYS = ("call_count", "total_cputime", "total_time")
_THROTTLE_KEYS = {"app_id_util_pct": "app", "acc_id_util_pct": "account"}
_SECONDS_PER_MINUTE = 60.0


@dataclass(frozen=True)
class UsageReading:
    """One response's usage: the highest percentage per scope and the advised blocking time.

    Graph keys `x-business-use-case-usage` by the business object the limit belongs to; every
    entry of a response concerns the call that was made, so all of them count for its account.
    """

    app_pct: float | None = None  # x-app-usage, x-fb-ads-insights-throttle app_id_util_pct
    account_pct: float | None = None  # x-business-use-case-usage, acc_id_util_pct
    regain_seconds: float = 0.0  # estimated_time_to_regain_access, in seconds


def _json_header(headers: Mapping[str, str], name: str):
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        log.warning("meta: ignoring unparseable %s header", name)
        return None


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _max(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def parse_usage(headers: Mapping[str, str]) -> UsageReading:
    """Read the three usage headers (missing or malformed parts are ignored)."""
    app_pct = account_pct = None
    regain_minutes = 0.0
    app = _json_header(headers, APP_USAGE_HEADER)
    if isinstance(app, dict):
        app_pct = _max(*(_number(app.get(k)) for k in _PERCENT_KEYS))
    buc = _json_header(headers, BUC_HEADER)
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    account_pct = _max(account_pct, *(_number(entry.get(k)) for k in _PERCENT_KEYS))
                    minutes = _number(entry.get("estimated_time_to_regain_access")) or 0.0
                    regain_minutes = max(regain_minutes, minutes)
    throttle = _json_header(headers, INSIGHTS_THROTTLE_HEADER)
    if isinstance(throttle, dict):
        app_pct = _max(app_pct, _number(throttle.get("app_id_util_pct")))
        account_pct = _max(account_pct, _number(throttle.get("acc_id_util_pct")))
    return UsageReading(app_pct, account_pct, regain_minutes * _SECONDS_PER_MINUTE)


@dataclass
class _AccountState:
    pct: float = 0.0
    blocked_until: float = 0.0


class UsageGovernor:
    """Latest usage per account and for the app; `delay` says how long to wait before a call.

    `observe` is fed every response (success or error) with the account it was for and the
    monotonic time it arrived. Thread-safe: several clients may share one governor.
    """

    def __init__(self, start_pct: float = 75.0, max_wait_seconds: float = 60.0):
        if not 0 <= start_pct < 100:
            raise ValueError("start_pct must be in [0, 100)")
        self.start_pct = start_pct
        self.max_wait_seconds = max_wait_seconds
        self._lock = threading.Lock()
        self._app_pct = 0.0
        self._accounts: dict[str | None, _AccountState] = {}

    def observe(self, reading: UsageReading, account_id: str | None, now: float) -> None:
        with self._lock:
            if reading.app_pct is not None:
                self._app_pct = reading.app_pct
            state = self._state(account_id)
            if reading.account_pct is not None:
                state.pct = reading.account_pct
            if reading.regain_seconds > 0:
                state.blocked_until = max(state.blocked_until, now + reading.regain_seconds)

    def usage_pct(self, account_id: str | None) -> float:
        """The highest usage that applies to calls for `account_id` (app-wide or the account's)."""
        with self._lock:
            return max(self._app_pct, self._state(account_id).pct)

    def blocked_seconds(self, account_id: str | None, now: float) -> float:
        """Time left until Graph said access to `account_id` comes back (0 when not blocked)."""
        with self._lock:
            return max(0.0, self._state(account_id).blocked_until - now)

    def pacing_seconds(self, account_id: str | None) -> float:
        """The slow-down wait for the current usage: 0 up to `start_pct`, the maximum at 100%."""
        pct = self.usage_pct(account_id)
        if pct <= self.start_pct:
            return 0.0
        share = min(1.0, (pct - self.start_pct) / (100.0 - self.start_pct))
        return self.max_wait_seconds * share

    def delay(self, account_id: str | None, now: float) -> tuple[float, str]:
        """Seconds to wait before the next call for `account_id`, and why (for the log)."""
        blocked = self.blocked_seconds(account_id, now)
        pacing = self.pacing_seconds(account_id)
        if blocked > 0 and blocked >= pacing:
            return blocked, "Graph's estimated_time_to_regain_access"
        if pacing > 0:
            pct = self.usage_pct(account_id)
            return pacing, f"usage at {pct:.0f}% of the limit, slowing down"
        return 0.0, ""

    def _state(self, key: str | None) -> _AccountState:
        state = self._accounts.get(key)
        if state is None:
            state = self._accounts[key] = _AccountState()
        return state
