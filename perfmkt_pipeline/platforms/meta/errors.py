"""Meta error types and the one place Graph API failures are classified.

Graph reports every failure as a body with a top-level `error` (`code`, `error_subcode`,
`is_transient`, `message`, ...); the facebook-business SDK raises it as `FacebookRequestError`.
`classify` maps a failure to what the client does next: wait and retry, split the range, keep
polling a report run, or stop and name the account. Messages never carry credentials: text taken
from the server or from `requests` passes through `scrub` first.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

import requests
from facebook_business.exceptions import FacebookRequestError

SOURCE = "meta"

# "Slow down" codes (PLATFORMS.md): 4 app limit, 17 user limit, 32 page limit, 613 calls limit,
# 80000-80014 business-use-case limits (one code per API family; 80000 is ads insights).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
# 2 "service temporarily unavailable"; 1 "unknown error" is temporary unless it asks for less data.
TRANSIENT_CODES = frozenset({1, 2})
# Code 1 with this text means the query is too large: split the range (or go async).
REDUCE_DATA_CODE = 1
REDUCE_DATA_TEXT = "reduce the amount of data"
# 190 token expired or invalid; 102 session invalid.
AUTH_CODES = frozenset({102, 190})
# 10 and 200-299: the token lacks a permission on the object.
PERMISSION_CODES = frozenset({10, *range(200, 300)})
# 100 invalid parameter (also unknown objects).
BAD_REQUEST_CODES = frozenset({100})
# The range starts beyond the 37 months Graph keeps insights for.
RETENTION_CODE = 3018
# Fetching a report run's results before it is really done: code 2601, subcode 1815107.
JOB_NOT_READY_CODE = 2601
JOB_NOT_READY_SUBCODE = 1815107
_SCRUBBED = "***"


class Action(enum.Enum):
    RETRY = "retry"  # rate limited or transient: wait, then send the same request again
    SPLIT = "split"  # too much data: ask for a smaller range
    NOT_READY = "not ready"  # report run results are not ready: keep polling
    TOO_OLD = "too old"  # the range starts before Graph's retention: ask for later days
    FATAL = "fatal"  # credentials, permissions, bad request: stop and say which account


@dataclass(frozen=True)
class Failure:
    """What went wrong with one request, already classified and free of credentials."""

    action: Action
    code: int | None
    subcode: int | None
    message: str
    rate_limited: bool = False

    def describe(self) -> str:
        code = "" if self.code is None else f" (code {self.code}"
        if code and self.subcode is not None:
            code += f", subcode {self.subcode}"
        return f"{self.message}{code + ')' if code else ''}"


class MetaError(Exception):
    """Base of every Meta connector error; the message names the account."""


class MetaFatalError(MetaError):
    """Credentials, permission or request rejected by Graph: retrying cannot help."""


class MetaRetriesExhausted(MetaError):
    """A request kept being rate limited or failing transiently after every retry."""


class MetaAsyncJobError(MetaError):
    """Report runs for a range kept failing, or did not complete in time."""


class MetaDataError(MetaError, ValueError):
    """A record that does not parse; the message names source, account, day and field."""

    def __init__(self, account_id: str, day: str | None, field: str, problem: str):
        super().__init__(
            f"{SOURCE}: account {account_id}, day {day or '?'}: field {field!r} {problem}"
        )


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret value replaced (for messages built from foreign text)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _SCRUBBED)
    return text


def describe_range(account_id: str, since: dt.date, until: dt.date) -> str:
    return f"{SOURCE} account act_{account_id}, {since.isoformat()}..{until.isoformat()}"


class MetaServerError(MetaError):
    """An HTTP 5xx whose body is not a Graph error (the SDK would take it for a success)."""


# Failures of the connection itself: the request may never have arrived, so it is sent again.
_RETRYABLE_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def classify(error: BaseException, secrets: Iterable[str | None] = ()) -> Failure | None:
    """The failure behind an exception the SDK or `requests` raised (None: not a request failure).

    `requests` messages hold the URL, whose query carries the access token: they are scrubbed.
    """
    secrets = tuple(secrets)
    if isinstance(error, FacebookRequestError):
        return _classify_graph(error, secrets)
    if isinstance(error, MetaServerError):
        return Failure(Action.RETRY, None, None, str(error))
    if isinstance(error, requests.RequestException):
        action = Action.RETRY if isinstance(error, _RETRYABLE_TRANSPORT_ERRORS) else Action.FATAL
        return Failure(action, None, None, f"{type(error).__name__}: {scrub(str(error), secrets)}")
    return None


def _classify_graph(error: FacebookRequestError, secrets: tuple[str | None, ...]) -> Failure:
    code = error.api_error_code()
    subcode = error.api_error_subcode()
    message = scrub(str(error.api_error_message() or error.get_message()), secrets)
    if code is None and (error.http_status() or 0) >= 500:
        return Failure(Action.RETRY, None, None, f"HTTP {error.http_status()}")
    if code == JOB_NOT_READY_CODE and subcode == JOB_NOT_READY_SUBCODE:
        return Failure(Action.NOT_READY, code, subcode, message)
    if code == RETENTION_CODE:
        return Failure(Action.TOO_OLD, code, subcode, message)
    if code in AUTH_CODES or code in PERMISSION_CODES or code in BAD_REQUEST_CODES:
        return Failure(Action.FATAL, code, subcode, message)
    if code in RATE_LIMIT_CODES:
        return Failure(Action.RETRY, code, subcode, message, rate_limited=True)
    if code == REDUCE_DATA_CODE and REDUCE_DATA_TEXT in message.lower():
        return Failure(Action.SPLIT, code, subcode, message)
    if code in TRANSIENT_CODES or error.api_transient_error():
        return Failure(Action.RETRY, code, subcode, message)
    return Failure(Action.FATAL, code, subcode, message)
