"""Meta Marketing API client: ad-level daily insights for several ad accounts.

A date range is cut into chunks: a range of up to `sync_max_days` is one synchronous insights
call; a longer one becomes async report runs of up to `async_chunk_days` each (one insights
request per chunk; paging and status polls are extra). A report run is polled, with growing
waits, until `async_status` is "Job Completed" - never judged by its percentage, which can read
100 while the run is still going; results asked for too early (2601 / 1815107) send it back to
polling. A failed run is re-submitted as two halves; a run that does not complete within
`async_timeout_seconds` raises an error naming the account and range. When Graph answers "reduce
the amount of data", the range is halved (a single day then goes through a report run).
`insights_into` hands the records over page by page as they arrive, into a sink.

Graph keeps insights for 37 months and refuses a range that starts earlier (3018). The first day
it still serves is then found with a few one-day requests, and the chunk is read from that day:
the days before are skipped with a warning (and keep what the warehouse holds), so a backfill
from a `start_date` further back still lands every day Graph has.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from facebook_business.adobjects.ad import Ad
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adreportrun import AdReportRun
from facebook_business.adobjects.adset import AdSet
from facebook_business.adobjects.adsinsights import AdsInsights
from facebook_business.adobjects.objectparser import ObjectParser
from facebook_business.api import FacebookRequest
from facebook_business.typechecker import TypeChecker

from perfmkt_pipeline.platforms.base.sinks import RowList, RowSink
from perfmkt_pipeline.platforms.meta.errors import MetaAsyncJobError, describe_range
from perfmkt_pipeline.platforms.meta.parsing import (
    ACCOUNT_FIELDS,
    AD_FIELDS,
    ADSET_FIELDS,
    INSIGHTS_FIELDS,
    AccountInfo,
    parse_account,
)
from perfmkt_pipeline.platforms.meta.settings import MetaSettings
from perfmkt_pipeline.platforms.meta.transport import (
    BeyondRetention,
    Clock,
    GraphTransport,
    JobNotReady,
    SplitRange,
)
from perfmkt_pipeline.platforms.meta.usage import UsageGovernor

# async_status values (AdReportRun); only "Job Completed" means the results can be read.
JOB_COMPLETED = "Job Completed"
JOB_ENDED_WITHOUT_RESULTS = frozenset({"Job Failed", "Job Skipped"})
# Each status poll waits this much longer than the one before (up to async_poll_max_seconds).
POLL_GROWTH = 1.5
_ONE_DAY = dt.timedelta(days=1)
RETENTION_MONTHS = 37  # how long Graph keeps insights (PLATFORMS.md)


@dataclass(frozen=True)
class Chunk:
    """A part of a requested range and how it is fetched."""

    since: dt.date
    until: dt.date  # inclusive
    is_async: bool

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


@dataclass(frozen=True)
class InsightsChunk:
    """The insights records of one account for one chunk, exactly as received."""

    account_id: str
    since: dt.date
    until: dt.date
    records: list[dict[str, Any]]


def plan_chunks(
    start: dt.date, end: dt.date, sync_max_days: int, async_chunk_days: int
) -> list[Chunk]:
    """Cut [start, end] into the chunks fetched with one insights request each."""
    if start > end:
        raise ValueError(f"range start {start} is after its end {end}")
    if (end - start).days + 1 <= sync_max_days:
        return [Chunk(start, end, False)]
    chunks = []
    since = start
    while since <= end:
        until = min(end, since + dt.timedelta(days=async_chunk_days - 1))
        days = (until - since).days + 1
        chunks.append(Chunk(since, until, days > sync_max_days))
        since = until + _ONE_DAY
    return chunks


@dataclass
class _FailedRuns:
    """Report runs that ended without results, counted over one planned chunk."""

    count: int = 0


def _as_received(data: Any, api: Any) -> Any:
    """Response parser that keeps each record as the JSON object received."""
    return data


def _as_dict(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else item.export_all_data()


def _halves(since: dt.date, until: dt.date) -> list[tuple[dt.date, dt.date]]:
    middle = since + dt.timedelta(days=((until - since).days + 1) // 2 - 1)
    return [(since, middle), (middle + _ONE_DAY, until)]


class MetaClient:
    """Reads ad-level daily insights of Meta ad accounts through the facebook-business SDK.

    `clock` (monotonic + sleep) and `rng` (jitter) are injectable so tests never sleep for real.
    Use one client per thread.
    """

    def __init__(
        self,
        settings: MetaSettings,
        endpoint: str,
        access_token: str,
        app_secret: str | None = None,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        logger: Any = None,
        governor: UsageGovernor | None = None,
    ):
        self.settings = settings
        self.transport = GraphTransport(
            endpoint,
            settings.api_version,
            access_token,
            app_secret,
            governor=governor
            or UsageGovernor(settings.throttle_start_pct, settings.throttle_max_wait_seconds),
            max_retries=settings.max_retries,
            retry_base_seconds=settings.retry_base_seconds,
            retry_max_seconds=settings.retry_max_seconds,
            timeout_seconds=settings.request_timeout_seconds,
            clock=clock,
            rng=rng,
            logger=logger,
        )
        self.api = self.transport.api
        self.clock = self.transport.clock
        self.log = self.transport.log

    def __repr__(self) -> str:
        return f"MetaClient({self.transport!r})"

    # -- accounts ------------------------------------------------------------------------------

    def account(self, account_id: str) -> AccountInfo:
        node = AdAccount(f"act_{account_id}", api=self.api)
        self.transport.call(
            account_id, "account", lambda: node.api_get(fields=list(ACCOUNT_FIELDS))
        )
        return parse_account(account_id, node.export_all_data())

    # -- listings (issue #17) ------------------------------------------------------------------

    def adsets(self, account_id: str) -> list[dict[str, Any]]:
        """Every ad set of the account (GET /act_<id>/adsets), records as received."""
        return self._listing(account_id, "adsets", AdSet, ADSET_FIELDS)

    def ads(self, account_id: str) -> list[dict[str, Any]]:
        """Every ad of the account with its creative (GET /act_<id>/ads), records as received."""
        return self._listing(account_id, "ads", Ad, AD_FIELDS)

    def _listing(self, account_id: str, edge: str, target: type, fields) -> list[dict[str, Any]]:
        """All pages of an edge of the ad account, following the cursors. Built as the SDK's
        `AdAccount.get_ads` / `get_ad_sets` build it, except that the fields go out as one
        parameter (the SDK warns about an expanded field such as `creative{...}`) and records
        stay the dicts received."""
        request = FacebookRequest(
            node_id=f"act_{account_id}",
            method="GET",
            endpoint=f"/{edge}",
            api=self.api,
            param_checker=TypeChecker({}, {}),
            target_class=target,
            api_type="EDGE",
            response_parser=ObjectParser(custom_parse_method=_as_received, api=self.api),
            include_summary=False,
        )
        # The edges leave out archived and deleted objects unless asked for them by status;
        # those still have insights rows (PLATFORMS.md), so every status is asked for.
        statuses = sorted(
            value
            for name, value in vars(target.EffectiveStatus).items()
            if not name.startswith("_") and isinstance(value, str)
        )
        request.add_params(
            {
                "fields": ",".join(fields),
                "limit": self.settings.page_limit,
                "effective_status": statuses,
            }
        )
        sink = RowList()
        self._read_pages(account_id, f"{edge} listing", request.execute, sink)
        return sink.rows

    # -- insights ------------------------------------------------------------------------------

    def insights(self, account_id: str, start: dt.date, end: dt.date) -> Iterator[InsightsChunk]:
        """Ad-level daily insights of [start, end], one `InsightsChunk` per planned chunk."""
        sink = RowList()
        for chunk in self.insights_into(account_id, start, end, sink):
            yield InsightsChunk(account_id, chunk.since, chunk.until, sink.rows)
            sink.rows = []  # not held while the next chunk is read

    def insights_into(
        self, account_id: str, start: dt.date, end: dt.date, sink: RowSink
    ) -> Iterator[Chunk]:
        """Like `insights`, but each page of records goes into `sink` as it arrives (the client
        holds one page at a time); each planned chunk is yielded once all its records are in
        the sink. The caller empties the sink (writes it out) before asking for the next.
        Days before Graph's retention are left out of the chunks yielded (logged)."""
        chunks = plan_chunks(
            start, end, self.settings.sync_max_days, self.settings.async_chunk_days
        )
        for chunk in chunks:
            try:
                self._fetch(account_id, chunk, sink)
            except BeyondRetention as refused:
                first = self._first_served_day(account_id, chunk.since, chunk.until)
                self.log.warning(
                    f"{refused}: Graph keeps insights for {RETENTION_MONTHS} months; "
                    f"{chunk.since}..{min(first - _ONE_DAY, chunk.until)} skipped (the "
                    "warehouse keeps what it holds for those days)"
                )
                if first > chunk.until:
                    continue
                chunk = dataclasses.replace(chunk, since=first)
                self._fetch(account_id, chunk, sink)
            yield chunk

    def _fetch(self, account_id: str, chunk: Chunk, sink: RowSink) -> None:
        if chunk.is_async:
            self._fetch_async(account_id, chunk.since, chunk.until, _FailedRuns(), sink)
        else:
            self._fetch_sync(account_id, chunk.since, chunk.until, sink)

    def _first_served_day(self, account_id: str, since: dt.date, until: dt.date) -> dt.date:
        """The first day of [since, until] Graph still serves insights for (the day after
        `until` if none), Graph having refused `since`: a binary search over one-day requests
        (one row at account level), a handful, made only when a range was refused."""
        if not self._serves(account_id, until):
            return until + _ONE_DAY
        refused, served = since, until
        while (served - refused).days > 1:
            middle = refused + dt.timedelta(days=(served - refused).days // 2)
            if self._serves(account_id, middle):
                served = middle
            else:
                refused = middle
        return served

    def _serves(self, account_id: str, day: dt.date) -> bool:
        node = AdAccount(f"act_{account_id}", api=self.api)
        params = {
            "level": "account",
            "time_range": {"since": day.isoformat(), "until": day.isoformat()},
            "limit": 1,
        }
        try:
            self.transport.call(
                account_id,
                f"retention probe {day}",
                lambda: node.get_insights(fields=["account_id"], params=params),
            )
        except BeyondRetention:
            return False
        return True

    def _params(self, since: dt.date, until: dt.date) -> dict[str, Any]:
        params: dict[str, Any] = {
            "level": "ad",
            "time_increment": "1",
            "time_range": {"since": since.isoformat(), "until": until.isoformat()},
            "action_attribution_windows": list(self.settings.attribution_windows),
            "limit": self.settings.page_limit,
        }
        if self.settings.use_unified_attribution_setting:
            params["use_unified_attribution_setting"] = True
        return params

    def _read_pages(self, account_id: str, what: str, first_page, sink: RowSink) -> None:
        """Every record of a cursor into `sink`, page by page: the first page from
        `first_page()`, then `paging.next`. If reading stops short (the range is to be split,
        the results are not ready), what was delivered is rolled back."""
        mark = sink.mark()
        try:
            cursor = self.transport.call(account_id, what, first_page)
            while True:
                sink.add([_as_dict(cursor[i]) for i in range(len(cursor))])
                if not self.transport.call(
                    account_id, f"{what} (next page)", cursor.load_next_page
                ):
                    return
        except BaseException:
            sink.rollback(mark)
            raise

    def _report_results(self, run_id: str) -> FacebookRequest:
        """The request for a report run's results (`GET /<run id>/insights`), as
        `AdReportRun.get_insights` builds it, except that records stay the dicts received: the
        SDK would turn every row into an `AdsInsights` object only for it to be exported back,
        which costs about as much as everything else a row goes through."""
        request = FacebookRequest(
            node_id=run_id,
            method="GET",
            endpoint="/insights",
            api=self.api,
            param_checker=TypeChecker({}, {}),
            target_class=AdsInsights,
            api_type="EDGE",
            response_parser=ObjectParser(custom_parse_method=_as_received, api=self.api),
            include_summary=False,
        )
        request.add_params({"limit": self.settings.page_limit})
        return request

    def _fetch_sync(self, account_id: str, since: dt.date, until: dt.date, sink: RowSink) -> None:
        node = AdAccount(f"act_{account_id}", api=self.api)
        params = self._params(since, until)
        what = f"insights {since}..{until}"
        try:
            self._read_pages(
                account_id,
                what,
                lambda: node.get_insights(fields=list(INSIGHTS_FIELDS), params=params),
                sink,
            )
            return
        except SplitRange as reason:
            message = str(reason)
        self._split(account_id, since, until, message, _FailedRuns(), sink, is_async=False)

    def _split(
        self,
        account_id: str,
        since: dt.date,
        until: dt.date,
        reason: str,
        failures: _FailedRuns,
        sink: RowSink,
        *,
        is_async: bool,
    ) -> None:
        """Fetch [since, until] as two halves (a single day: as a report run, if it was sync)."""
        if since == until:
            if not is_async:  # one day is still too much to answer at once: let Graph queue it
                self.log.info(f"{reason}; fetching {since} as a report run")
                self._fetch_async(account_id, since, until, failures, sink)
                return
            raise MetaAsyncJobError(f"{describe_range(account_id, since, until)}: {reason}")
        parts = _halves(since, until)
        (first_since, first_until), (second_since, second_until) = parts
        self.log.info(
            f"{reason}; splitting into {first_since}..{first_until} "
            f"and {second_since}..{second_until}"
        )
        for part_since, part_until in parts:
            if is_async:
                self._fetch_async(account_id, part_since, part_until, failures, sink)
            else:
                self._fetch_sync(account_id, part_since, part_until, sink)

    def _fetch_async(
        self,
        account_id: str,
        since: dt.date,
        until: dt.date,
        failures: _FailedRuns,
        sink: RowSink,
    ) -> None:
        """One report run for [since, until] (re-submitted in halves if it fails)."""
        node = AdAccount(f"act_{account_id}", api=self.api)
        params = self._params(since, until)
        what = f"report run {since}..{until}"
        run = self.transport.call(
            account_id,
            what,
            lambda: node.get_insights(fields=list(INSIGHTS_FIELDS), params=params, is_async=True),
        )
        run_id = str(run[AdReportRun.Field.id])
        deadline = self.clock.monotonic() + self.settings.async_timeout_seconds
        while True:
            status = self._wait_for_run(account_id, run_id, since, until, deadline)
            if status in JOB_ENDED_WITHOUT_RESULTS:
                failures.count += 1
                if failures.count > self.settings.async_max_failed_jobs:
                    raise MetaAsyncJobError(
                        f"{describe_range(account_id, since, until)}: report run {run_id} ended "
                        f"with {status!r}, {failures.count} failed report runs for this range "
                        "so far; giving up"
                    )
                reason = f"meta act_{account_id}: report run {run_id} ended with {status!r}"
                if since == until:
                    self.log.warning(f"{reason}; re-submitting")
                    self._fetch_async(account_id, since, until, failures, sink)
                    return
                self.log.warning(f"{reason}; re-submitting as smaller ranges")
                self._split(account_id, since, until, reason, failures, sink, is_async=True)
                return
            try:
                self._read_pages(
                    account_id,
                    f"{what} results",
                    lambda: self._report_results(run_id).execute(),
                    sink,
                )
                return
            except JobNotReady:
                self.log.info(
                    f"meta act_{account_id}: results of report run {run_id} not ready yet; "
                    "polling again"
                )
            except SplitRange as reason:
                message = str(reason)
                break
        self._split(account_id, since, until, message, failures, sink, is_async=True)

    def _wait_for_run(
        self, account_id: str, run_id: str, since: dt.date, until: dt.date, deadline: float
    ) -> str:
        """Poll until the run has ended (its async_status), or raise at the deadline."""
        run = AdReportRun(run_id, api=self.api)
        fields = [AdReportRun.Field.async_status, AdReportRun.Field.async_percent_completion]
        delay = self.settings.async_poll_seconds
        status, percent = "not polled yet", None
        while True:
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                raise MetaAsyncJobError(
                    f"{describe_range(account_id, since, until)}: report run {run_id} did not "
                    f"complete within {self.settings.async_timeout_seconds:g}s (last status "
                    f"{status!r}, {percent}%); giving up"
                )
            self.clock.sleep(min(delay, remaining))
            self.transport.call(
                account_id, f"status of report run {run_id}", lambda: run.api_get(fields=fields)
            )
            status = run.get(AdReportRun.Field.async_status)
            percent = run.get(AdReportRun.Field.async_percent_completion)
            if status == JOB_COMPLETED or status in JOB_ENDED_WITHOUT_RESULTS:
                return status
            self.log.debug(f"meta act_{account_id}: report run {run_id}: {status}, {percent}%")
            delay = min(delay * POLL_GROWTH, self.settings.async_poll_max_seconds)
