"""The Graph API connection: the facebook-business SDK session, usage pacing and retries.

`GraphTransport` owns one `FacebookAdsApi` (never the SDK's process-wide default, and never
through `FacebookAdsApi.init`, whose `crash_log=True` default installs an excepthook that posts
tracebacks to Meta). The SDK's `requests` session gets a transport adapter that, for every HTTP
request actually sent, first waits as long as the `UsageGovernor` says (slowing down near the
limit, or until Graph's advised time) and then feeds the response's usage headers back to it.
`call` runs one SDK call with bounded, jittered retries and the failure classification of
errors.py. Waits go through an injectable `Clock`.

The SDK decodes every response body twice: once to tell success from failure
(`FacebookResponse.is_failure`, inside `FacebookAdsApi.call`) and again for whoever reads it
(`Cursor.load_next_page`, `FacebookRequest.execute`, `api_get`). For insights pages of 5,000
rows that second decoding was about 7% of a raw backfill's CPU (issue #18). `_GraphApi` makes
the SDK's own request, the same way, but wraps the answer in a response that decodes its body
once and hands the same decoded value to every reader.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import requests
from facebook_business.api import FacebookAdsApi, FacebookResponse, _top_level_param_json_encode
from facebook_business.exceptions import FacebookBadObjectError
from facebook_business.session import FacebookSession
from requests.adapters import HTTPAdapter

from perfmkt_pipeline.platforms.meta.errors import (
    Action,
    Failure,
    MetaError,
    MetaFatalError,
    MetaRetriesExhausted,
    MetaServerError,
    classify,
    scrub,
)
from perfmkt_pipeline.platforms.meta.usage import UsageGovernor, parse_usage

T = TypeVar("T")
# Waits are stretched by up to this share, so that parallel clients do not retry in lock-step.
JITTER_FRACTION = 0.1
_TOKEN_ENV_VAR = "META_ACCESS_TOKEN"
# Characters of a garbage answer quoted in the error.
_GARBAGE_SHOWN = 80


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class SplitRange(MetaError):
    """Graph asked for less data (code 1): the caller fetches the range in smaller parts."""


class JobNotReady(MetaError):
    """Report-run results were asked for before the run really completed (2601 / 1815107)."""


class BeyondRetention(MetaError):
    """The range starts before the days Graph still keeps insights for (3018)."""


def _is_graph_error_body(response: requests.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "error" in body


class _DecodedOnce(FacebookResponse):
    """A Graph answer whose body is decoded the first time it is asked for, and that same value
    returned every time after (the SDK's `json()`: the decoded body, or the text when it is not
    JSON). Readers get the value the SDK's own decoding gives; none of them modifies it."""

    _UNDECODED = object()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._decoded: Any = self._UNDECODED

    def json(self) -> Any:
        if self._decoded is self._UNDECODED:
            self._decoded = super().json()
        return self._decoded


class _GraphApi(FacebookAdsApi):
    """The SDK's API object, except that each answer is a `_DecodedOnce`. `call` is the SDK's
    `FacebookAdsApi.call` (facebook-business 26) step for step: the same URL, headers, encoded
    parameters and request, the same error raised for a failed call; only the response class
    differs (and its debug option, never enabled here, is left out)."""

    def call(
        self,
        method,
        path,
        params=None,
        headers=None,
        files=None,
        url_override=None,
        api_version=None,
    ):
        params, headers, files = params or {}, headers or {}, files or {}
        api_version = api_version or self._api_version
        if api_version and not re.search(r"v[0-9]+\.[0-9]+", api_version):
            raise FacebookBadObjectError(
                f"Please provide the API version in the following format: {self.API_VERSION}"
            )
        self._num_requests_attempted += 1
        if not isinstance(path, str):
            path = "/".join(
                (url_override or self._session.GRAPH, api_version, "/".join(map(str, path)))
            )
        headers = {**headers, **FacebookAdsApi.HTTP_DEFAULT_HEADERS}
        if params:
            params = _top_level_param_json_encode(params)
        payload = {"params": params} if method in ("GET", "DELETE") else {"data": params}
        response = self._session.requests.request(
            method, path, **payload, headers=headers, files=files, timeout=self._session.timeout
        )
        answer = _DecodedOnce(
            body=response.text,
            headers=response.headers,
            http_status=response.status_code,
            call={
                "method": method,
                "path": path,
                "params": params,
                "headers": headers,
                "files": files,
            },
        )
        if answer.is_failure():
            raise answer.error()
        self._num_requests_succeeded += 1
        return answer


class _PacedAdapter(HTTPAdapter):
    """Paces each request sent and reads the usage headers of each response received."""

    def __init__(self, transport: GraphTransport):
        super().__init__()
        self._transport = transport

    def send(self, request, **kwargs):  # type: ignore[override]
        self._transport.before_send()
        response = super().send(request, **kwargs)
        self._transport.after_receive(response)
        return response


class GraphTransport:
    """One authenticated Graph API connection (use from one thread at a time)."""

    def __init__(
        self,
        endpoint: str,
        api_version: str,
        access_token: str,
        app_secret: str | None = None,
        *,
        governor: UsageGovernor,
        max_retries: int,
        retry_base_seconds: float,
        retry_max_seconds: float,
        timeout_seconds: float,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        logger: Any = None,
    ):
        if not access_token:
            raise MetaFatalError(f"meta: no access token ({_TOKEN_ENV_VAR} is empty)")
        session = FacebookSession(
            access_token=access_token, app_secret=app_secret or None, timeout=timeout_seconds
        )
        session.GRAPH = endpoint.rstrip("/")  # per instance: the class attribute is Meta's URL
        adapter = _PacedAdapter(self)
        session.requests.mount("https://", adapter)
        session.requests.mount("http://", adapter)
        self.api = _GraphApi(session, api_version=api_version)
        self.governor = governor
        self.max_retries = max_retries
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_seconds = retry_max_seconds
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.log = logger or logging.getLogger("perfmkt_pipeline.platforms.meta")
        self._secrets = tuple(
            s for s in (access_token, app_secret, getattr(session, "appsecret_proof", None)) if s
        )
        self._account: str | None = None  # the account the request in flight is for
        self._received: requests.Response | None = None  # the last response of that request
        self.requests_sent = 0
        self.waited_seconds = 0.0

    def __repr__(self) -> str:  # never show the token
        return f"GraphTransport({self.api._session.GRAPH!r})"

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def before_send(self) -> None:
        seconds, reason = self.governor.delay(self._account, self.clock.monotonic())
        self.wait(seconds, reason, self._account)
        self.requests_sent += 1

    def after_receive(self, response: requests.Response) -> None:
        self._received = response
        self.governor.observe(parse_usage(response.headers), self._account, self.clock.monotonic())
        if response.status_code >= 500 and not _is_graph_error_body(response):
            # The SDK treats a non-JSON body as success; a 5xx without Graph's envelope is an
            # outage page or a proxy error, so it is raised here and retried.
            raise MetaServerError(f"HTTP {response.status_code} from Graph without an error body")

    def _garbled(self) -> Failure | None:
        """When the SDK chokes on a successful answer, whether that answer was garbage (not a
        JSON object: cut short, an HTML page from a proxy): a transient failure worth retrying.
        Checked only after a failure, so answers are not parsed an extra time."""
        response = self._received
        if response is None or response.status_code >= 400:
            return None
        try:
            if isinstance(json.loads(response.content), dict):
                return None
            problem = "is JSON but not an object"
        except ValueError:
            problem = "is not JSON"
        kind = response.headers.get("content-type", "no content type")
        text = scrub(response.content[:_GARBAGE_SHOWN].decode(errors="replace"), self._secrets)
        return Failure(
            Action.RETRY,
            None,
            None,
            f"the answer (HTTP {response.status_code}, {kind}, {len(response.content)} bytes) "
            f"{problem}: {text!r}",
        )

    def wait(self, seconds: float, reason: str, account_id: str | None) -> None:
        if seconds <= 0:
            return
        seconds *= 1 + self.rng.uniform(0, JITTER_FRACTION)
        self.log.info(f"meta act_{account_id}: waiting {seconds:.1f}s ({reason})")
        self.waited_seconds += seconds
        self.clock.sleep(seconds)

    def backoff_seconds(self, attempt: int) -> float:
        return min(self.retry_max_seconds, self.retry_base_seconds * 2 ** (attempt - 1))

    def call(self, account_id: str | None, what: str, request: Callable[[], T]) -> T:
        """Run one SDK request for `account_id`, pacing and retrying as the failure calls for.

        Raises MetaFatalError (no retry), MetaRetriesExhausted, SplitRange, JobNotReady or
        BeyondRetention; their messages name the account and the request, never a credential.
        """
        attempt = 0
        while True:
            self._account = account_id
            self._received = None
            failure: Failure | None = None
            try:
                return request()
            except Exception as error:  # classified below, outside the handler (no chained text)
                failure = classify(error, self._secrets) or self._garbled()
                if failure is None:
                    raise
            finally:
                self._account = None
            subject = f"meta act_{account_id}: {what}"
            if failure.action is Action.FATAL:
                raise MetaFatalError(f"{subject} failed: {failure.describe()}{_hint(failure)}")
            if failure.action is Action.SPLIT:
                raise SplitRange(f"{subject}: {failure.describe()}")
            if failure.action is Action.NOT_READY:
                raise JobNotReady(f"{subject}: {failure.describe()}")
            if failure.action is Action.TOO_OLD:
                raise BeyondRetention(f"{subject}: {failure.describe()}")
            attempt += 1
            if attempt > self.max_retries:
                raise MetaRetriesExhausted(
                    f"{subject} still failing after {self.max_retries} retries: "
                    f"{failure.describe()}"
                )
            kind = "rate limited" if failure.rate_limited else "transient failure"
            self.log.warning(
                f"{subject}: {kind}, retry {attempt} of {self.max_retries}: {failure.describe()}"
            )
            # The retry waits the longer of the backoff and what the usage headers of the error
            # call for (Graph's estimated_time_to_regain_access, or pacing near the limit);
            # the latter is waited by the adapter right before the retry is sent.
            pending, _ = self.governor.delay(account_id, self.clock.monotonic())
            backoff = self.backoff_seconds(attempt)
            if backoff > pending:
                self.wait(backoff - pending, f"backoff after {kind}", account_id)


def _hint(failure: Failure) -> str:
    if failure.code in (102, 190):
        return f" - the access token ({_TOKEN_ENV_VAR}) is expired or invalid"
    if failure.code == 10 or (failure.code is not None and 200 <= failure.code < 300):
        return " - the access token lacks permission on this ad account (ads_read)"
    return ""
