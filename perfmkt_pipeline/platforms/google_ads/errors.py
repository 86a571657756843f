"""Google Ads errors, classified once: what to retry, what to wait for, what is fatal.

Failures reach the client in three shapes (PLATFORMS.md): `GoogleAdsException` (a gRPC error
whose trailers held a `GoogleAdsFailure`), `google.api_core` exceptions (the library leaves
RESOURCE_EXHAUSTED and INTERNAL unconverted, and transport failures such as UNAVAILABLE come as
`ServiceUnavailable`; their trailers may still hold the failure) and bare `grpc.RpcError`s. OAuth
failures are `google.auth` exceptions. `classify` turns every one of them into a `Failure`; the
client decides from `Failure.kind` alone. Messages carry status names, error codes, the API's own
message and the request id, never a credential.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Literal

import grpc
from google.ads.googleads.errors import GoogleAdsException
from google.api_core import exceptions as core_exceptions
from google.auth import exceptions as auth_exceptions

Kind = Literal["quota", "transient", "auth", "permission", "request"]

# Statuses that succeed when the same call is made again later (Google Ads API best practices:
# retry INTERNAL / UNAVAILABLE / DEADLINE_EXCEEDED with exponential backoff).
TRANSIENT_STATUSES = frozenset(
    {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
)
# The authentication error a fresh access token can cure (the token lapsed mid-run).
TOKEN_EXPIRED_CODE = "authentication_error.OAUTH_TOKEN_EXPIRED"
_REQUEST_ID_KEY = "request-id"


class GoogleAdsError(Exception):
    """Base of every error the Google Ads connector raises; `customer_id` names the account."""

    def __init__(self, message: str, customer_id: str | None = None):
        super().__init__(message)
        self.customer_id = customer_id


class GoogleAdsFatalError(GoogleAdsError):
    """Retrying cannot help: a bad query, a configuration problem, exhausted retries."""


class GoogleAdsAuthError(GoogleAdsFatalError):
    """Credentials refused: UNAUTHENTICATED, or the OAuth refresh failed (e.g. invalid_grant)."""


class GoogleAdsPermissionError(GoogleAdsFatalError):
    """PERMISSION_DENIED: the login customer cannot read this customer, or it is not enabled."""


class GoogleAdsQuotaError(GoogleAdsFatalError):
    """The API asked to wait longer than the configured maximum before retrying."""


class GoogleAdsDataError(GoogleAdsError):
    """A returned row does not parse; the message names the customer, the day and the field."""

    def __init__(self, customer_id: str, day: str | None, field: str, problem: str):
        where = f"customer {customer_id}, day {day or 'unknown'}"
        message = f"Google Ads returned a row that does not parse ({where}): {field} {problem}"
        super().__init__(message, customer_id)
        self.day = day
        self.field = field


@dataclass(frozen=True)
class Failure:
    """One failed call, classified."""

    kind: Kind
    status: str  # gRPC status name, or "OAUTH" for token-endpoint failures
    detail: str  # error codes and the API's messages (no credentials)
    retry_delay: dt.timedelta | None = None  # QuotaErrorDetails.retry_delay, when given
    request_id: str | None = None
    error_codes: tuple[str, ...] = ()  # "<category>.<CODE>" per GoogleAdsError

    @property
    def retryable(self) -> bool:
        return self.kind in ("quota", "transient")

    def describe(self) -> str:
        request = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.status}: {self.detail}{request}"


def classify(error: BaseException, api_version: str) -> Failure | None:
    """The `Failure` an exception stands for, or None for exceptions that are not API errors."""
    if isinstance(error, auth_exceptions.RefreshError):
        return _oauth_failure(error)
    if isinstance(error, auth_exceptions.TransportError):
        return Failure("transient", "OAUTH", "the token endpoint could not be reached")
    if isinstance(error, GoogleAdsException):
        status = error.error.code()
        failure = type(error.failure).pb(error.failure)
        return _grpc_failure(status, failure, error.request_id, _details(error.error))
    if isinstance(error, core_exceptions.GoogleAPICallError):
        status = error.grpc_status_code
        call = error.response if isinstance(error.response, grpc.Call) else None
        if status is None:
            return None
        trailers = call.trailing_metadata() if call is not None else None
        failure = _failure_from_trailers(trailers, api_version)
        return _grpc_failure(status, failure, _request_id(trailers), error.message)
    if isinstance(error, grpc.RpcError) and isinstance(error, grpc.Call):
        trailers = error.trailing_metadata()
        failure = _failure_from_trailers(trailers, api_version)
        return _grpc_failure(error.code(), failure, _request_id(trailers), error.details())
    return None


def _grpc_failure(
    status: grpc.StatusCode, failure: Any | None, request_id: str | None, fallback: str | None
) -> Failure:
    codes, messages, retry_delay = _read_failure(failure)
    detail = "; ".join(f"{c}: {m}" for c, m in zip(codes, messages, strict=True)) or (
        fallback or "no details"
    )
    if failure is not None and not request_id:
        request_id = failure.request_id or None
    if status == grpc.StatusCode.RESOURCE_EXHAUSTED:
        kind: Kind = "quota"
    elif status in TRANSIENT_STATUSES:
        kind = "transient"
    elif status == grpc.StatusCode.UNAUTHENTICATED:
        kind = "auth"
    elif status == grpc.StatusCode.PERMISSION_DENIED:
        kind = "permission"
    else:
        kind = "request"
    return Failure(kind, status.name, detail, retry_delay, request_id, tuple(codes))


def _read_failure(failure: Any | None) -> tuple[list[str], list[str], dt.timedelta | None]:
    """Error codes, messages and the quota retry delay of a raw-protobuf `GoogleAdsFailure`."""
    codes: list[str] = []
    messages: list[str] = []
    retry_delay: dt.timedelta | None = None
    for item in failure.errors if failure is not None else ():
        category = item.error_code.WhichOneof("error_code")
        if category is None:
            codes.append("unknown")
        else:
            number = getattr(item.error_code, category)
            enum = item.error_code.DESCRIPTOR.fields_by_name[category].enum_type
            value = enum.values_by_number.get(number)
            codes.append(f"{category}.{value.name if value else number}")
        messages.append(item.message)
        if item.details.HasField("quota_error_details"):
            quota = item.details.quota_error_details
            if quota.HasField("retry_delay"):
                delay = quota.retry_delay.ToTimedelta()
                retry_delay = delay if retry_delay is None else max(retry_delay, delay)
    return codes, messages, retry_delay


def _failure_from_trailers(trailers: Any, api_version: str) -> Any | None:
    key = f"google.ads.googleads.{api_version}.errors.googleadsfailure-bin"
    for name, value in trailers or ():
        if name == key:
            types = import_module(f"google.ads.googleads.{api_version}.errors.types.errors")
            try:
                return types.GoogleAdsFailure.pb().FromString(value)
            except Exception:  # an unreadable failure: classify on the status alone
                return None
    return None


def _request_id(trailers: Any) -> str | None:
    for name, value in trailers or ():
        if name == _REQUEST_ID_KEY:
            return value
    return None


def _details(error: grpc.RpcError) -> str | None:
    details = getattr(error, "details", None)
    return details() if callable(details) else None


def _oauth_failure(error: auth_exceptions.RefreshError) -> Failure:
    """google-auth puts the token endpoint's JSON body in args[1]; keep its error fields only."""
    body = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], dict) else {}
    code = str(body.get("error") or "refresh_failed")
    description = str(body.get("error_description") or "the token endpoint refused the refresh")
    kind: Kind = "transient" if getattr(error, "retryable", False) else "auth"
    return Failure(kind, "OAUTH", f"{code}: {description}", error_codes=(f"oauth.{code}",))
