"""Affiliate assets: one per configured network (impact.com, CJ, Awin) and per file feed, all
built by one factory from configuration and landing in raw.affiliate_actions.

Each run reads the partition range plus the trailing `lookback_days` before its end by event day
(impact.com's ActionDate, CJ's event date, Awin's transaction date, a feed's event date) and
replaces exactly that window per account: a range read long after the fact gets its days' actions
in their current state, and statuses that changed since the last read are re-read in place while
their event day is inside the lookback (which must cover the network's locking or validation
period; see the README). An answer with fewer records than the window held is refused
(row_loss), unless configured.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    ConfigurableResource,
    EnvVar,
    MaterializeResult,
    MetadataValue,
    asset,
)

from perfmkt_pipeline.config import ConfigError, FileFeedSettings, NetworkSettings, Settings
from perfmkt_pipeline.defs.metadata import preview, table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.platforms.base import row_loss
from perfmkt_pipeline.platforms.base.parallel import Progress, for_each_account
from perfmkt_pipeline.sources.affiliates import ActionRecord, Window, sync_window
from perfmkt_pipeline.sources.affiliates.awin import AWIN_CALLS_PER_MINUTE, AwinClient
from perfmkt_pipeline.sources.affiliates.cj import CjClient
from perfmkt_pipeline.sources.affiliates.file_feed import FeedRead, read_feed_window
from perfmkt_pipeline.sources.affiliates.http import HttpClient, Logger, RetryPolicy
from perfmkt_pipeline.sources.affiliates.impact import ImpactClient
from perfmkt_pipeline.transform.affiliates import raw_frame
from perfmkt_pipeline.warehouse import raw
from perfmkt_pipeline.warehouse.loss import LossGuard
from perfmkt_pipeline.warehouse.write import Slice, replace_slice

NETWORKS = ("impact", "cj", "awin")
GROUP = "affiliates"
# Rows kept per account for the preview metadata (the rest of each window is let go).
PREVIEW_ROWS = 10
# Client-side pacing each network needs by default (calls a minute); None: none needed.
DEFAULT_CALLS_PER_MINUTE = {"impact": None, "cj": None, "awin": AWIN_CALLS_PER_MINUTE}
# (account, first day, last day) -> the range's read windows, one after another.
Fetch = Callable[[str, dt.date, dt.date], Iterable[Window]]


def _http(network: str, settings: NetworkSettings, log: Logger) -> HttpClient:
    return HttpClient(
        network,
        policy=RetryPolicy(
            max_retries=settings.max_retries,
            base_seconds=settings.retry_base_seconds,
            max_seconds=settings.retry_max_seconds,
            timeout_seconds=settings.request_timeout_seconds,
        ),
        calls_per_minute=settings.calls_per_minute or DEFAULT_CALLS_PER_MINUTE[network],
        log=log,
    )


class ImpactResource(ConfigurableResource):
    """impact.com advertiser API credentials (Basic auth): account SID and auth token."""

    account_sid: str
    auth_token: str

    def fetcher(self, settings: Settings, log: Logger) -> Fetch:
        network = settings.impact
        unset = [a for a in network.account_ids if not network.program_ids.get(a)]
        if unset:
            raise ConfigError(
                f"impact.program_ids.{unset[0]}: the Actions endpoint needs the account's "
                "program (CampaignId) ids"
            )
        return ImpactClient(
            _http("impact", network, log),
            settings.endpoints.impact,
            self.account_sid,
            self.auth_token,
            program_ids=network.program_ids,
            zone=ZoneInfo(network.timezone),
            lookback_days=network.lookback_days,
        ).windows


class CjResource(ConfigurableResource):
    """CJ personal access token (Bearer) for the commission detail GraphQL API."""

    access_token: str

    def fetcher(self, settings: Settings, log: Logger) -> Fetch:
        network = settings.cj
        if network.currency is None:
            raise ConfigError("cj.currency: CJ records carry no currency; set the advertiser's")
        return CjClient(
            _http("cj", network, log),
            settings.endpoints.cj,
            self.access_token,
            currency=network.currency,
            zone=ZoneInfo(network.timezone),
        ).windows


class AwinResource(ConfigurableResource):
    """Awin advertiser API access token (Bearer)."""

    access_token: str

    def fetcher(self, settings: Settings, log: Logger) -> Fetch:
        network = settings.awin
        return AwinClient(
            _http("awin", network, log),
            settings.endpoints.awin,
            self.access_token,
            zone=ZoneInfo(network.timezone),
        ).windows


def affiliate_resources(settings: Settings) -> dict[str, ConfigurableResource]:
    """The resource of each configured network, its secrets read from the environment at run
    time only (keys: "impact", "cj", "awin"). File feeds need none."""
    resources: dict[str, ConfigurableResource] = {
        "impact": ImpactResource(
            account_sid=EnvVar("IMPACT_ACCOUNT_SID"), auth_token=EnvVar("IMPACT_AUTH_TOKEN")
        ),
        "cj": CjResource(access_token=EnvVar("CJ_ACCESS_TOKEN")),
        "awin": AwinResource(access_token=EnvVar("AWIN_ACCESS_TOKEN")),
    }
    return {name: resources[name] for name in NETWORKS if getattr(settings, name).configured}


@dataclass(frozen=True)
class _Feed:
    """What differs between the affiliate assets; everything else is shared."""

    platform: str
    accounts: tuple[str, ...]
    lookback_days: int
    kind: str  # Dagster kind (icon) besides python and the warehouse engine
    resource_key: str | None
    description: str
    open: Callable[[AssetExecutionContext], Fetch]
    # The row-loss guard of the window `fetch` just read (row_loss.guard with its settings).
    guard: Callable[[Fetch, Logger], LossGuard]
    max_concurrent_accounts: int = 1


def _network_feed(settings: Settings, name: str) -> _Feed:
    network: NetworkSettings = getattr(settings, name)
    read_by = {
        "impact": "event day (ActionDate)",
        "cj": "event day (with their corrections)",
        "awin": "transaction day",
    }[name]
    return _Feed(
        platform=name,
        accounts=tuple(network.account_ids),
        lookback_days=network.lookback_days,
        kind=name,
        resource_key=name,
        description=(
            f"{name} affiliate records as received, read by {read_by} in their current state: "
            f"each run re-reads the partition range and the {network.lookback_days} days before "
            f"its end (so decisions are caught while the event day is that recent) and replaces "
            f"that window per account (one request window at a time) in raw.affiliate_actions."
        ),
        open=lambda context: getattr(context.resources, name).fetcher(settings, context.log),
        guard=lambda _fetch, log: row_loss.guard(name, network, log),
        max_concurrent_accounts=network.max_concurrent_accounts,
    )


class _FeedFetch:
    """A file feed read for a window, remembering the files it read for the row-loss guard (they
    are named when a load is refused)."""

    def __init__(self, feed: FileFeedSettings, http: HttpClient, log: Logger):
        self.feed, self.http, self.log = feed, http, log
        self.read: FeedRead | None = None

    def __call__(self, _account: str, start: dt.date, end: dt.date) -> list[Window]:
        # A feed is read whole (its files are the unit): one window.
        self.read = read_feed_window(self.feed, start, end, http=self.http, warn=self.log.warning)
        return [(start, end, self.read.records)]

    def guard(self, log: Logger) -> LossGuard:
        files = self.read.files if self.read else []
        return row_loss.guard(self.feed.name, self.feed, log, read_from=files)


def _file_feed(feed: FileFeedSettings) -> _Feed:
    def open_feed(context: AssetExecutionContext) -> Fetch:
        return _FeedFetch(feed, HttpClient(feed.name, log=context.log), context.log)

    return _Feed(
        platform=feed.name,
        accounts=(feed.account_id,),
        lookback_days=feed.lookback_days,
        kind="csv",
        resource_key=None,
        description=(
            f"{feed.name} affiliate actions from CSV exports at {feed.location}, by event day in "
            f"their latest state: each run re-reads the partition range and the "
            f"{feed.lookback_days} days before its end; a malformed row fails the run."
        ),
        open=open_feed,
        guard=lambda fetch, log: fetch.guard(log),
    )


@dataclass
class _Landed:
    """What was landed for one account: rows, commission per currency and a preview."""

    rows: int = 0
    commission: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    shown: pd.DataFrame | None = None

    def add(self, records: list[ActionRecord], frame: pd.DataFrame) -> None:
        self.rows += len(frame)
        for record in records:
            self.commission[record.currency or "?"] += record.commission or Decimal(0)
        if self.shown is None or self.shown.empty:
            self.shown = frame.head(PREVIEW_ROWS).copy()  # a copy: the window is let go


def _land(context: AssetExecutionContext, feed: _Feed, max_concurrent: int) -> MaterializeResult:
    start, end = window(context)
    first, last = sync_window(start, end, feed.lookback_days)
    fetch = feed.open(context)
    warehouse = context.resources.warehouse.get()
    progress = Progress(len(feed.accounts))

    def land(account: str) -> _Landed:
        landed = _Landed()
        # One transaction per read window: memory stays at one window, and every window is
        # replaced whole (its records are exactly those of its days).
        for window_first, window_last, records in fetch(account, first, last):
            frame = raw_frame(records)
            result = replace_slice(
                warehouse,
                raw.affiliate_actions,
                frame,
                Slice(
                    {"platform": feed.platform, "account_id": account},
                    "window_date",
                    window_first,
                    window_last,
                ),
                guard=feed.guard(fetch, context.log),
            )
            landed.add(records, frame)
            total = progress.add_rows(result.rows_inserted)
            context.log.info(
                f"{feed.platform}: account {account}: {result.rows_inserted} records for "
                f"{window_first}..{window_last} (replaced {result.rows_deleted}); "
                f"{total} rows so far"
            )
            del records, frame  # not held while the next window is read
        done = progress.account_done()
        context.log.info(f"{feed.platform}: {done} of {len(feed.accounts)} accounts done")
        return landed

    landed = for_each_account(feed.accounts, land, max_concurrent, name=feed.platform)
    warehouse.refresh_statistics([raw.affiliate_actions])
    shown = next((a.shown for a in landed if a.shown is not None), None)
    if shown is None:
        shown = raw_frame([])
    return MaterializeResult(
        metadata={
            "dagster/row_count": sum(a.rows for a in landed),
            "accounts": len(feed.accounts),
            "days": (last - first).days + 1,
            "window": f"{first}..{last}",
            "commission_by_account": MetadataValue.json(
                {
                    account: {c: str(t) for c, t in sorted(a.commission.items())}
                    for account, a in zip(feed.accounts, landed, strict=True)
                }
            ),
            "preview": preview(shown.drop(columns=["record"])),
        }
    )


def _asset(settings: Settings, engine_kind: str, feed: _Feed) -> AssetsDefinition:
    @asset(
        key=AssetKey(["raw", "affiliate_actions", feed.platform]),
        description=feed.description,
        group_name=GROUP,
        kinds={"python", engine_kind, feed.kind},
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        metadata=table_definition_metadata(raw.affiliate_actions),
        pool=feed.platform,
        required_resource_keys={"warehouse", *([feed.resource_key] if feed.resource_key else [])},
    )
    def _load(context: AssetExecutionContext) -> MaterializeResult:
        return _land(context, feed, feed.max_concurrent_accounts)

    return _load


def build_affiliate_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """One raw asset per configured network and per file feed (no I/O, no secrets read)."""
    feeds = [
        _network_feed(settings, name) for name in NETWORKS if getattr(settings, name).configured
    ]
    feeds += [_file_feed(feed) for feed in settings.file_feeds]
    return [_asset(settings, engine_kind, feed) for feed in feeds]
