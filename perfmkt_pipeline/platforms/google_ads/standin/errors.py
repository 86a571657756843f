"""Google Ads API errors as the official client library receives them.

A failed call ends with a gRPC status plus trailing metadata holding a serialized
`GoogleAdsFailure` under `google.ads.googleads.<version>.errors.googleadsfailure-bin` and a
`request-id`. The library's exception interceptor turns that into `GoogleAdsException` (for
RESOURCE_EXHAUSTED and INTERNAL it deliberately leaves the gRPC error, which google-api-core then
maps to `ResourceExhausted` / `InternalServerError`, trailers still attached).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import import_module
from typing import NoReturn

import grpc

REQUEST_ID_KEY = "request-id"


def failure_metadata_key(api_version: str) -> str:
    """Trailing-metadata key the library reads the `GoogleAdsFailure` from."""
    return f"google.ads.googleads.{api_version}.errors.googleadsfailure-bin"


@dataclass(frozen=True)
class AdsError:
    """One error the server reports: gRPC status and the `GoogleAdsError` it carries."""

    status: grpc.StatusCode
    category: str  # the ErrorCode oneof field: "query_error", "quota_error", ...
    code: str  # enum value name within that category, e.g. "UNRECOGNIZED_FIELD"
    message: str
    trigger: str | None = None
    retry_delay: dt.timedelta | None = None  # quota errors: QuotaErrorDetails.retry_delay
    rate_scope: str = "ACCOUNT"  # quota errors: QuotaRateScope name
    rate_name: str = ""  # quota errors: which quota ran out
    with_failure: bool = True  # False: a bare transport error (e.g. a dropped connection)


class AdsRpcError(Exception):
    """Raised inside the server's request handling to end the call with `error`."""

    def __init__(self, error: AdsError):
        super().__init__(error.message)
        self.error = error


def serialize_failure(error: AdsError, api_version: str, request_id: str) -> bytes:
    """The wire bytes of a `GoogleAdsFailure` holding `error`, built from the library's types."""
    types = import_module(f"google.ads.googleads.{api_version}.errors.types.errors")
    failure = types.GoogleAdsFailure.pb()()
    failure.request_id = request_id
    item = failure.errors.add()
    code_field = item.error_code.DESCRIPTOR.fields_by_name[error.category]
    setattr(item.error_code, error.category, code_field.enum_type.values_by_name[error.code].number)
    item.message = error.message
    if error.trigger is not None:
        item.trigger.string_value = error.trigger
    if error.retry_delay is not None:
        quota = item.details.quota_error_details
        scope_field = quota.DESCRIPTOR.fields_by_name["rate_scope"]
        quota.rate_scope = scope_field.enum_type.values_by_name[error.rate_scope].number
        quota.rate_name = error.rate_name
        quota.retry_delay.FromTimedelta(error.retry_delay)
    return failure.SerializeToString()


def abort(
    context: grpc.ServicerContext, error: AdsError, api_version: str, request_id: str
) -> NoReturn:
    """End the call with `error`: trailers first (abort sends them), then the status."""
    trailers: list[tuple[str, str | bytes]] = [(REQUEST_ID_KEY, request_id)]
    if error.with_failure:
        failure = serialize_failure(error, api_version, request_id)
        trailers.insert(0, (failure_metadata_key(api_version), failure))
    context.set_trailing_metadata(tuple(trailers))
    context.abort(error.status, error.message)
    raise AssertionError("grpc.ServicerContext.abort returned")  # abort always raises


# --- the errors the server raises, named once ------------------------------------------------


def query_error(code: str, message: str, trigger: str | None = None) -> AdsError:
    return AdsError(grpc.StatusCode.INVALID_ARGUMENT, "query_error", code, message, trigger)


def request_error(code: str, message: str, trigger: str | None = None) -> AdsError:
    return AdsError(grpc.StatusCode.INVALID_ARGUMENT, "request_error", code, message, trigger)


def authentication_error(code: str, message: str) -> AdsError:
    return AdsError(grpc.StatusCode.UNAUTHENTICATED, "authentication_error", code, message)


def authorization_error(code: str, message: str) -> AdsError:
    return AdsError(grpc.StatusCode.PERMISSION_DENIED, "authorization_error", code, message)


def quota_error(retry_delay: dt.timedelta) -> AdsError:
    seconds = retry_delay.total_seconds()
    return AdsError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "quota_error",
        "RESOURCE_TEMPORARILY_EXHAUSTED",
        f"Too many requests. Retry in {seconds:g} seconds.",
        retry_delay=retry_delay,
        rate_scope="ACCOUNT",
        rate_name="Number of operations for basic access",
    )


def internal_error() -> AdsError:
    return AdsError(
        grpc.StatusCode.INTERNAL,
        "internal_error",
        "INTERNAL_ERROR",
        "An internal error has occurred. Retry the request.",
    )


def dropped_connection() -> AdsError:
    # What a client sees when the TCP connection dies mid-call: UNAVAILABLE and no failure.
    return AdsError(
        grpc.StatusCode.UNAVAILABLE,
        "internal_error",
        "TRANSIENT_ERROR",
        "Connection reset by peer",
        with_failure=False,
    )
