"""CSV file feeds, described for the registry: one template spec that gives one source per
configured feed (`file_feeds[]`), each under the feed's own name, with its own status
vocabulary, lookback and account, landing in raw.affiliate_actions like the API networks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from importlib import resources

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.platforms.base import row_loss
from perfmkt_pipeline.platforms.base.affiliates import network
from perfmkt_pipeline.platforms.base.affiliates.landing import asset_key, land_actions
from perfmkt_pipeline.platforms.base.affiliates.records import Window
from perfmkt_pipeline.platforms.base.affiliates.tables import affiliate_actions
from perfmkt_pipeline.platforms.base.http import HttpClient, Logger
from perfmkt_pipeline.platforms.base.spec import (
    Actions,
    Connector,
    Landed,
    PlatformSpec,
    RawAsset,
    SyncRequest,
)
from perfmkt_pipeline.platforms.file_feeds.feed import FeedRead, read_feed_window
from perfmkt_pipeline.platforms.file_feeds.settings import (
    EXPECTED_LAG_DAYS,
    LOOKBACK_DAYS,
    FileFeeds,
    FileFeedSettings,
)
from perfmkt_pipeline.warehouse.loss import LossGuard

NAME = "file_feeds"
# Said when a re-read that lost rows is refused.
ROW_LOSS_REASON = "feed records are never deleted and keep their event day"
# Dagster kind (icon) of every feed's asset.
KIND = "csv"


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
        return row_loss.guard(
            self.feed.name,
            self.feed,
            log,
            why=ROW_LOSS_REASON,
            read_from=files,
            setting=f"file_feeds[{self.feed.name}].allow_row_loss",
        )


def _sync(feed: FileFeedSettings):
    def sync(request: SyncRequest) -> Iterator[Landed]:
        fetch = _FeedFetch(feed, HttpClient(feed.name, log=request.log), request.log)
        yield from land_actions(
            request, feed.name, (feed.account_id,), feed.lookback_days, fetch, fetch.guard
        )

    return sync


def _describe(feed: FileFeedSettings) -> str:
    return (
        f"{feed.name} affiliate actions from CSV exports at {feed.location}, by event day in "
        f"their latest state: each run re-reads the partition range and the "
        f"{feed.lookback_days} days before its end; a malformed row fails the run."
    )


def instance(feed: FileFeedSettings) -> PlatformSpec:
    """The source of one configured feed, named after it."""
    return PlatformSpec(
        name=feed.name,
        channel="affiliate",
        config_section=None,
        credentials=(),
        raw_tables=(affiliate_actions,),
        connector=Connector(
            asset_name=None,
            raw_assets=(RawAsset(affiliate_actions, _describe(feed), key=asset_key(feed.name)),),
            sync=_sync(feed),
            group=network.GROUP,
            kind=KIND,
            pool=feed.name,
            resource_key=None,
        ),
        errors=network.ERRORS,
        default_lookback_days=LOOKBACK_DAYS,
        actions=Actions(affiliate_actions, dict(feed.status_map)),
        row_loss_reason=ROW_LOSS_REASON,
        settings_of=lambda _settings: feed,
        accounts_of=lambda section: [section.account_id],
        expected_lag_days=EXPECTED_LAG_DAYS,
    )


def _instances(settings: Settings) -> list[PlatformSpec]:
    return [instance(feed) for feed in settings.file_feeds]


def _no_sync(request: SyncRequest) -> Iterator[Landed]:
    raise TypeError("file feeds land through their instances (one per configured feed)")


SPEC = PlatformSpec(
    name=NAME,
    channel="affiliate",
    config_section=NAME,
    credentials=(),
    raw_tables=(affiliate_actions,),
    connector=Connector(
        asset_name=None,
        raw_assets=(),
        sync=_no_sync,
        group=network.GROUP,
        kind=KIND,
        pool=NAME,
        resource_key=None,
    ),
    errors=network.ERRORS,
    default_lookback_days=LOOKBACK_DAYS,
    row_loss_reason=ROW_LOSS_REASON,
    expand=_instances,
    settings=FileFeeds,
    example=resources.files(__package__).joinpath("example.yaml"),
)
