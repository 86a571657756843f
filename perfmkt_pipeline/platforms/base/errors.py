"""Error classes shared by the affiliate clients, classified once: retryable, fatal or data.

Every message names the network and the account (and, for data errors, the day and field), never
a credential.
"""

from __future__ import annotations


class AffiliateError(Exception):
    """Base of every affiliate source error."""

    def __init__(self, message: str, *, network: str, account_id: str | None = None):
        super().__init__(message)
        self.network = network
        self.account_id = account_id


class RetryableError(AffiliateError):
    """A failure worth retrying (rate limit, 5xx, dropped connection, a transient GraphQL error).

    Raised inside the HTTP layer to ask for a retry; it reaches callers only as the cause of a
    `RetriesExhaustedError`.
    """


class RetriesExhaustedError(AffiliateError):
    """A retryable failure persisted through every retry the policy allows."""


class FatalError(AffiliateError):
    """Retrying cannot help: bad request, unknown resource, invalid query."""


class RequestRefusedError(FatalError):
    """The network refused the request itself (an HTTP 4xx other than 401, 403 and 429).

    `status` and `detail` (the network's own message) let a client recognise a refusal it can
    work around, such as a window holding too many records.
    """

    def __init__(
        self,
        message: str,
        *,
        network: str,
        account_id: str | None = None,
        status: int,
        detail: str,
    ):
        super().__init__(message, network=network, account_id=account_id)
        self.status = status
        self.detail = detail


class AuthenticationError(FatalError):
    """The credentials were refused (HTTP 401/403, or a GraphQL authorisation error)."""


class AffiliateDataError(AffiliateError, ValueError):
    """A record that does not parse; the message names source, account, day and field."""
