"""The Google Ads client: accounts, then daily campaign metrics and conversions per account.

Built on the official `google-ads` library (gRPC). The pipeline constructs the OAuth credentials
itself (`google.oauth2.credentials.Credentials` with the refresh token, client id and secret and
the configured token endpoint) and refreshes them before the first call, so a refused refresh
token fails at once as an authentication error naming the account, instead of surfacing later as
an UNAVAILABLE from inside gRPC's auth plugin (which would look retryable).

A range is read with one SearchStream per account per chunk of `chunk_days` for the metrics and
one for the conversions per action. Account currency and time zone come from the manager's
`customer_client` listing (one query for all accounts); without a manager, the metrics query
also selects the `customer.*` fields, and a `FROM customer` query is made only for an account
that returned no rows at all. `fetch_chunks` hands the range over chunk by chunk, so a caller
lands each chunk before the next is read; `stream_chunks` goes further and hands each streamed
batch to a sink as it arrives. One reader may serve several accounts at once from threads.

TLS (for the README): the library always opens a TLS channel and trusts gRPC's root store. To
trust a private endpoint (the sandbox, a corporate proxy), name its CA file in
`GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` before the process opens its first gRPC channel; gRPC reads it
once per process. `GoogleAdsClient` offers no per-channel root certificates, so the pipeline has
no CA setting of its own.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import google.auth.transport.requests
import google.oauth2.credentials
import requests
from google.ads.googleads.client import GoogleAdsClient

from perfmkt_pipeline.platforms.base.sinks import RowList, RowSink
from perfmkt_pipeline.platforms.google_ads import queries
from perfmkt_pipeline.platforms.google_ads.errors import (
    TOKEN_EXPIRED_CODE,
    Failure,
    GoogleAdsAuthError,
    GoogleAdsFatalError,
    GoogleAdsPermissionError,
    GoogleAdsQuotaError,
    classify,
)
from perfmkt_pipeline.platforms.google_ads.parsing import (
    ENABLED,
    Account,
    CampaignDay,
    ConversionDay,
    ad_conversion_row,
    ad_day_row,
    ad_group_row,
    ad_row,
    campaign_listing_row,
    keyword_conversion_row,
    keyword_day_row,
    parse_campaign_row,
    parse_conversion_row,
    parse_customer,
    parse_customer_client_row,
)
from perfmkt_pipeline.platforms.google_ads.retry import RetryPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")

SOURCE = "google_ads"


@dataclass(frozen=True)
class GoogleAdsCredentials:
    """Secrets (from the environment only). `repr` never shows them."""

    developer_token: str = field(repr=False)
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    login_customer_id: str | None = None  # manager acting for its clients (10 digits)


@dataclass(frozen=True)
class GoogleAdsConfig:
    endpoint: str  # gRPC host:port
    token_uri: str  # OAuth token endpoint
    api_version: str = "v26"
    customer_ids: tuple[str, ...] = ()  # empty: every enabled client account under the manager
    manager_customer_id: str | None = None
    chunk_days: int = 90
    timeout_seconds: float = 900.0  # deadline of one SearchStream call
    retry: RetryPolicy = RetryPolicy()


@dataclass(frozen=True)
class ChunkRead:
    """One chunk of one account read into the sinks (`stream_chunks`)."""

    account: Account
    start: date
    end: date
    campaign_rows: int
    conversion_rows: int
    ad_rows: int = 0  # below the campaign (issue #17), when sinks for them were given
    keyword_rows: int = 0
    ad_conversion_rows: int = 0
    keyword_conversion_rows: int = 0


@dataclass(frozen=True)
class Listings:
    """An account's campaigns (with their type), ad groups and ads: raw rows (parsing.py)."""

    campaigns: list[dict[str, Any]]
    ad_groups: list[dict[str, Any]]
    ads: list[dict[str, Any]]


@dataclass(frozen=True)
class AccountReport:
    """Everything read for one account and range."""

    account: Account
    start: date
    end: date
    campaign_days: list[CampaignDay]
    conversion_days: list[ConversionDay]


class GoogleAdsReader:
    """Reads accounts and daily reports; retries, waits and classifies errors (errors.py)."""

    def __init__(
        self,
        credentials: GoogleAdsCredentials,
        config: GoogleAdsConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        logger: logging.Logger | logging.LoggerAdapter | Any = None,
    ):
        self.config = config
        self._secrets = credentials
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._log = logger or log
        self.login_customer_id = credentials.login_customer_id or config.manager_customer_id
        self.manager_customer_id = config.manager_customer_id or credentials.login_customer_id
        self._oauth = google.oauth2.credentials.Credentials(
            token=None,
            refresh_token=credentials.refresh_token,
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            token_uri=config.token_uri,
            # No scopes, as the library's own installed-app credentials: the refresh token
            # already carries the adwords scope it was granted.
        )
        self._session = requests.Session()
        self._auth_request = google.auth.transport.requests.Request(session=self._session)
        self._service: Any = None
        self._clients: list[Account] | None = None
        self._described: dict[str, Account] = {}
        # One reader serves several accounts at once (threads): the gRPC channel is thread-safe;
        # creating it and refreshing the token are done under this lock.
        self._lock = threading.RLock()

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        if self._service is not None:
            self._service.transport.close()
            self._service = None
        self._session.close()

    def __enter__(self) -> GoogleAdsReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ads_service(self) -> Any:
        with self._lock:
            return self._ads_service_unlocked()

    def _ads_service_unlocked(self) -> Any:
        if self._service is None:
            client = GoogleAdsClient(
                credentials=self._oauth,
                developer_token=self._secrets.developer_token,
                endpoint=self.config.endpoint,
                login_customer_id=self.login_customer_id,
                version=self.config.api_version,
                use_proto_plus=False,  # raw protobuf rows: several times faster to read
            )
            self._service = client.get_service("GoogleAdsService")
        return self._service

    def authenticate(self) -> None:
        """Exchange the refresh token for an access token now, so bad credentials fail before
        any query (the first query would do it anyway). Errors name the accounts to be read."""
        who = self.manager_customer_id or ", ".join(self.config.customer_ids) or "(none)"
        self._call(who, "OAuth token refresh", self._ensure_token)

    # -- accounts --------------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        """The accounts to read: the configured ids, or every enabled non-manager account under
        the manager. Described (currency, time zone) when a manager listing is available."""
        if self.manager_customer_id is None:
            if not self.config.customer_ids:
                raise GoogleAdsFatalError(
                    "Google Ads: configure google_ads.customer_ids or a manager customer id"
                )
            return [self._described.get(c, Account(c)) for c in self.config.customer_ids]
        clients = {a.customer_id: a for a in self._client_accounts()}
        if not self.config.customer_ids:
            return list(clients.values())
        missing = [c for c in self.config.customer_ids if c not in clients]
        if missing:
            raise GoogleAdsFatalError(
                f"Google Ads: customer(s) {', '.join(missing)} are not enabled client accounts "
                f"under manager {self.manager_customer_id}",
                missing[0],
            )
        return [clients[c] for c in self.config.customer_ids]

    def _client_accounts(self) -> list[Account]:
        if self._clients is None:
            manager = self.manager_customer_id
            assert manager is not None
            rows = self._stream(manager, queries.CUSTOMER_CLIENTS, "account listing")
            clients = [parse_customer_client_row(row, manager) for row in rows]
            usable = [c.account for c in clients if not c.manager and c.status == ENABLED]
            skipped = [
                f"{c.account.customer_id} ({'manager' if c.manager else c.status.lower()})"
                for c in clients
                if c.level > 0 and (c.manager or c.status != ENABLED)
            ]
            self._log.info(
                f"Google Ads manager {manager}: {len(usable)} client account(s)"
                + (f"; skipped {', '.join(skipped)}" if skipped else "")
            )
            self._clients = usable
        return self._clients

    # -- reports ---------------------------------------------------------------------------

    def fetch(self, account: Account, start: date, end: date) -> AccountReport:
        """Daily campaign metrics and conversions per action for [start, end] (inclusive)."""
        campaign_days: list[CampaignDay] = []
        conversion_days: list[ConversionDay] = []
        for part in self.fetch_chunks(account, start, end):
            campaign_days.extend(part.campaign_days)
            conversion_days.extend(part.conversion_days)
            account = part.account
        return AccountReport(account, start, end, campaign_days, conversion_days)

    def fetch_chunks(self, account: Account, start: date, end: date) -> Iterator[AccountReport]:
        """[start, end] read one chunk of `chunk_days` at a time: one report per chunk, so a
        caller can land each before the next is read (memory stays at one chunk). The account
        of the last chunk's report is always described (currency, time zone)."""
        campaign, conversions = RowList(), RowList()
        for part in self.stream_chunks(account, start, end, campaign, conversions):
            yield AccountReport(part.account, part.start, part.end, campaign.rows, conversions.rows)
            campaign.rows, conversions.rows = [], []  # not held while the next chunk is read

    def stream_chunks(
        self,
        account: Account,
        start: date,
        end: date,
        campaign: RowSink,
        conversions: RowSink,
        ads: RowSink | None = None,
        keywords: RowSink | None = None,
        ad_conversions: RowSink | None = None,
        keyword_conversions: RowSink | None = None,
    ) -> Iterator[ChunkRead]:
        """Like `fetch_chunks`, but each chunk's rows go into the sinks batch by batch as they
        stream in (`CampaignDay`s, `ConversionDay`s), so the reader holds one batch at a time;
        a `ChunkRead` is yielded once a chunk is complete. The caller empties the sinks (writes
        them out) before asking for the next chunk. With `ads` and `keywords`, each chunk also
        reads the ad and keyword reports (one query each per chunk) into them (raw rows); with
        `ad_conversions` and `keyword_conversions`, their conversions per action (one query
        each per chunk: the API allows segments.conversion_action_name with conversion metrics
        only, as for campaigns)."""
        customer_id = account.customer_id
        account = self._described.get(customer_id, account)
        parts = queries.chunks(start, end, self.config.chunk_days)
        for number, (first, last) in enumerate(parts, start=1):
            with_customer = not account.described
            described: list[Account] = []  # the first row's customer, when asked for
            campaign_rows = self._stream_into(
                customer_id,
                queries.campaign_metrics(first, last, with_customer=with_customer),
                f"campaign metrics {first}..{last}",
                _campaign_parser(customer_id, first, last, described if with_customer else None),
                campaign,
            )
            if described:
                account = self._remember(described[0])
            conversion_rows = self._stream_into(
                customer_id,
                queries.conversions_by_action(first, last),
                f"conversions {first}..{last}",
                lambda row, first=first, last=last: parse_conversion_row(
                    row, customer_id, first, last
                ),
                conversions,
            )
            ad_rows = keyword_rows = 0
            if ads is not None:
                ad_rows = self._stream_into(
                    customer_id,
                    queries.ad_metrics(first, last),
                    f"ad metrics {first}..{last}",
                    lambda row, first=first, last=last: ad_day_row(row, customer_id, first, last),
                    ads,
                )
            if keywords is not None:
                keyword_rows = self._stream_into(
                    customer_id,
                    queries.keyword_metrics(first, last),
                    f"keyword metrics {first}..{last}",
                    lambda row, first=first, last=last: keyword_day_row(
                        row, customer_id, first, last
                    ),
                    keywords,
                )
            below_actions = {}
            for name, sink, query, parse in (
                ("ad", ad_conversions, queries.ad_conversions_by_action, ad_conversion_row),
                ("keyword", keyword_conversions, queries.keyword_conversions_by_action,
                 keyword_conversion_row),
            ):  # fmt: skip
                if sink is not None:
                    below_actions[name] = self._stream_into(
                        customer_id,
                        query(first, last),
                        f"{name} conversions {first}..{last}",
                        lambda row, first=first, last=last, parse=parse: parse(
                            row, customer_id, first, last
                        ),
                        sink,
                    )
            if number == len(parts) and not account.described:
                account = self.describe(customer_id)
            self._log.info(
                f"Google Ads customer {customer_id}: chunk {number}/{len(parts)} "
                f"({first}..{last}) read: {campaign_rows} campaign rows and "
                f"{conversion_rows} conversion rows"
            )
            yield ChunkRead(
                account, first, last, campaign_rows, conversion_rows, ad_rows, keyword_rows,
                below_actions.get("ad", 0), below_actions.get("keyword", 0),
            )  # fmt: skip

    def listings(self, customer_id: str) -> Listings:
        """The account's campaigns, ad groups and ads (names, statuses, types, final URLs):
        resources without metrics, three queries whatever the window (once per run)."""
        read = [
            [parse(row, customer_id) for row in self._stream(customer_id, query, purpose)]
            for query, purpose, parse in (
                (queries.CAMPAIGN_LISTING, "campaign listing", campaign_listing_row),
                (queries.AD_GROUP_LISTING, "ad group listing", ad_group_row),
                (queries.AD_LISTING, "ad listing", ad_row),
            )
        ]
        return Listings(*read)

    def describe(self, customer_id: str) -> Account:
        """Name, currency and time zone of one account (`FROM customer`), remembered."""
        if customer_id not in self._described:
            rows = self._stream(customer_id, queries.CUSTOMER, "account description")
            if not rows:
                raise GoogleAdsFatalError(
                    f"Google Ads customer {customer_id}: FROM customer returned no row", customer_id
                )
            self._remember(parse_customer(rows[0], customer_id))
        return self._described[customer_id]

    def _remember(self, account: Account) -> Account:
        self._described[account.customer_id] = account
        return account

    # -- calls -----------------------------------------------------------------------------

    def _stream(self, customer_id: str, query: str, purpose: str) -> list[Any]:
        """Every row of one SearchStream, retried as a whole (a stream that dies midway leaves
        partial rows, which are dropped)."""

        def read() -> list[Any]:
            self._ensure_token()
            stream = self._ads_service().search_stream(
                customer_id=customer_id,
                query=query,
                retry=None,  # retries are ours: classified, bounded and logged
                timeout=self.config.timeout_seconds,
            )
            return [row for batch in stream for row in batch.results]

        return self._call(customer_id, purpose, read)

    def _stream_into(
        self,
        customer_id: str,
        query: str,
        purpose: str,
        parse: Callable[[Any], Any],
        sink: RowSink,
    ) -> int:
        """Every row of one SearchStream, parsed and handed to `sink` batch by batch; retried as
        a whole (what a stream that died midway delivered is rolled back). Returns the rows."""
        mark = sink.mark()

        def read() -> int:
            sink.rollback(mark)
            self._ensure_token()
            stream = self._ads_service().search_stream(
                customer_id=customer_id,
                query=query,
                retry=None,  # retries are ours: classified, bounded and logged
                timeout=self.config.timeout_seconds,
            )
            delivered = 0
            for batch in stream:
                rows = [parse(row) for row in batch.results]
                sink.add(rows)
                delivered += len(rows)
            return delivered

        return self._call(customer_id, purpose, read)

    def _call(self, customer_id: str, purpose: str, action: Callable[[], T]) -> T:
        """Run `action` until it succeeds, retrying what `classify` calls retryable."""
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            try:
                return action()
            except Exception as error:
                failure = classify(error, self.config.api_version)
                if failure is None:
                    raise
            expired = failure.kind == "auth" and TOKEN_EXPIRED_CODE in failure.error_codes
            if expired and not refreshed:  # the access token lapsed: one fresh token, then fail
                refreshed = True
                self._oauth.token = None
                attempt -= 1
                continue
            if not failure.retryable:
                raise _fatal(failure, customer_id, purpose) from None
            wait = self.config.retry.wait(failure, attempt, self._rng)
            if wait is None:
                raise GoogleAdsQuotaError(
                    f"Google Ads customer {customer_id}: {purpose} hit a quota limit and the API "
                    f"asks to wait {failure.retry_delay.total_seconds():g} s, longer than the "
                    f"{self.config.retry.max_retry_delay_seconds:g} s allowed "
                    f"(google_ads.max_retry_delay_seconds); run again later. {failure.describe()}",
                    customer_id,
                ) from None
            if attempt >= self.config.retry.max_attempts:
                raise GoogleAdsFatalError(
                    f"Google Ads customer {customer_id}: {purpose} failed {attempt} times, "
                    f"giving up. Last error: {failure.describe()}",
                    customer_id,
                ) from None
            reason = "as the API advises" if failure.kind == "quota" else "(backoff)"
            self._log.warning(
                f"Google Ads customer {customer_id}: {purpose} failed with {failure.describe()}; "
                f"waiting {wait:.2f} s {reason} before attempt {attempt + 1} of "
                f"{self.config.retry.max_attempts}"
            )
            self._sleep(wait)

    def _ensure_token(self) -> None:
        """Refresh the access token when there is none or it is about to expire."""
        with self._lock:
            if not self._oauth.valid:
                self._oauth.refresh(self._auth_request)


def _campaign_parser(
    customer_id: str, first: date, last: date, described: list[Account] | None
) -> Callable[[Any], CampaignDay]:
    """Parses campaign rows; when `described` is given, the first row's customer goes there."""

    def parse(row: Any) -> CampaignDay:
        if described is not None and not described:
            described.append(parse_customer(row, customer_id))
        return parse_campaign_row(row, customer_id, first, last)

    return parse


def _fatal(failure: Failure, customer_id: str, purpose: str) -> GoogleAdsFatalError:
    where = f"Google Ads customer {customer_id}: {purpose}"
    if failure.status == "OAUTH":
        return GoogleAdsAuthError(
            f"{where}: the OAuth token refresh was refused ({failure.detail}). Check "
            "GOOGLE_ADS_REFRESH_TOKEN, GOOGLE_ADS_CLIENT_ID and GOOGLE_ADS_CLIENT_SECRET.",
            customer_id,
        )
    if failure.kind == "auth":
        return GoogleAdsAuthError(
            f"{where}: authentication failed, {failure.describe()}. Check the developer token "
            "and OAuth credentials.",
            customer_id,
        )
    if failure.kind == "permission":
        return GoogleAdsPermissionError(
            f"{where}: permission denied, {failure.describe()}. Check that the login customer "
            "id is a manager of this account and the account is enabled.",
            customer_id,
        )
    return GoogleAdsFatalError(f"{where}: request refused, {failure.describe()}", customer_id)
