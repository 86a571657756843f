"""What every Google Ads stand-in call passes before it is served: counting, injected faults,
authentication and authorization.

Order follows the API: the request is counted and may be delayed or dropped (a transport
failure, before anything is checked); then the OAuth bearer token and developer token are
checked; then injected quota/server errors apply; finally the customer id, the
`login-customer-id` header and the account hierarchy decide whether the customer may be read.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time

import grpc

from perfmkt_pipeline.platforms.google_ads.standin.accounts import AdsCustomer, CustomerDirectory
from perfmkt_pipeline.platforms.google_ads.standin.errors import (
    AdsError,
    AdsRpcError,
    authentication_error,
    internal_error,
    quota_error,
    request_error,
)
from perfmkt_pipeline.platforms.google_ads.standin.sandbox import ACCESS_TOKEN_PREFIX
from perfmkt_pipeline.sandbox.counters import RequestCounters
from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
from perfmkt_pipeline.sandbox.faults import SandboxFaults

PLATFORM = "google_ads"
# Customer ids travel as 10 digits without dashes (request field and login-customer-id header).
_CUSTOMER_ID_RE = re.compile(r"\d{10}")


class CallGate:
    """Admission of one call; shared by the RPC handlers of one server."""

    def __init__(
        self, faults: SandboxFaults, counters: RequestCounters, credentials: SandboxCredentials
    ):
        self.faults = faults
        self.counters = counters
        self.credentials = credentials

    def admit(self, kind: str, customer_id: str | None, metadata: dict[str, str]) -> bool:
        """Count, delay, authenticate and apply injected faults.

        Returns False when the connection is to be dropped; raises `AdsRpcError` for an error
        response; True means serve the call.
        """
        account = customer_id or None
        self.counters.record(PLATFORM, kind, account)
        # Looked up per call: tests install a fresh config with `faults.set("google_ads", ...)`.
        config = self.faults.for_platform(PLATFORM)
        decision = config.decide(kind, account)
        if config.latency_seconds:
            time.sleep(config.latency_seconds)
        if decision is not None:
            if decision == "limit_exceeded":
                self.counters.record_violation(PLATFORM, account)
            self.counters.record_fault(PLATFORM, decision, kind, account)
        if decision == "drop":
            return False
        self.authenticate(metadata)
        if decision == "auth":
            raise AdsRpcError(
                authentication_error("OAUTH_TOKEN_EXPIRED", "The OAuth access token has expired.")
            )
        if decision == "rate_limit":
            raise AdsRpcError(quota_error(dt.timedelta(seconds=config.retry_delay_seconds)))
        if decision == "limit_exceeded":
            wait = config.seconds_until_allowed(account)
            raise AdsRpcError(quota_error(dt.timedelta(seconds=round(wait, 3))))
        if decision == "server_error":
            raise AdsRpcError(internal_error())
        return True

    def authenticate(self, metadata: dict[str, str]) -> None:
        """Bearer token issued by the sandbox OAuth endpoint, then the developer token."""
        scheme, _, token = metadata.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AdsRpcError(
                authentication_error(
                    "OAUTH_TOKEN_HEADER_INVALID",
                    "Request is missing the 'authorization: Bearer' OAuth access token.",
                )
            )
        if not self.credentials.google_ads.is_valid_access_token(token):
            # A token the sandbox once issued has been expired/revoked; anything else is bogus.
            # The message never repeats the token.
            expired = token.startswith(ACCESS_TOKEN_PREFIX)
            raise AdsRpcError(
                authentication_error(
                    "OAUTH_TOKEN_EXPIRED" if expired else "OAUTH_TOKEN_INVALID",
                    "Request had invalid authentication credentials.",
                )
            )
        developer_token = metadata.get("developer-token")
        if not developer_token:
            raise AdsRpcError(
                request_error(
                    "DEVELOPER_TOKEN_PARAMETER_MISSING", "The developer-token header is missing."
                )
            )
        if not secrets.compare_digest(developer_token, self.credentials.google_ads.developer_token):
            raise AdsRpcError(
                authentication_error("DEVELOPER_TOKEN_INVALID", "The developer token is not valid.")
            )

    def authorize(
        self, directory: CustomerDirectory, customer_id: str, metadata: dict[str, str]
    ) -> AdsCustomer:
        """The customer the call may read, given the request's customer id and login header."""
        if not _CUSTOMER_ID_RE.fullmatch(customer_id):
            raise AdsRpcError(
                request_error(
                    "INVALID_CUSTOMER_ID",
                    "The customer id must be 10 digits without dashes.",
                    customer_id,
                )
            )
        login = metadata.get("login-customer-id") or None
        if login is not None and not _CUSTOMER_ID_RE.fullmatch(login):
            raise AdsRpcError(
                AdsError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "header_error",
                    "INVALID_LOGIN_CUSTOMER_ID",
                    "The login-customer-id header must be 10 digits without dashes.",
                )
            )
        return directory.authorize(customer_id, login)
