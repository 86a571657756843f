"""Google Ads' raw landing: daily campaign metrics and conversions per action of every
configured account, into google_ads_campaign_daily, google_ads_conversion_daily and
google_ads_accounts; below the campaign (issue #17) each account's campaigns, ad groups and ads
listed once per run (upserted into google_ads_campaigns, google_ads_ad_groups, google_ads_ads) and
its ad and keyword reports, and their conversions per action, read with each chunk
(google_ads_ad_daily, google_ads_keyword_daily, google_ads_ad_conversion_daily,
google_ads_keyword_conversion_daily, replaced with the chunk's days).

The reader (client.py) lists the accounts, then streams each account's window chunk by chunk;
each chunk streams into files on local disk (base/spool.py) and is written from them in one
transaction, replacing that account's days in both daily tables and its account row. Several
accounts are read at once (`google_ads.max_concurrent_accounts` threads over one reader).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.platforms.base import row_loss
from perfmkt_pipeline.platforms.base.parallel import Progress, for_each_account
from perfmkt_pipeline.platforms.base.spec import Landed, SyncRequest
from perfmkt_pipeline.platforms.base.spool import ArrowSpool
from perfmkt_pipeline.platforms.google_ads.client import (
    ChunkRead,
    GoogleAdsConfig,
    GoogleAdsCredentials,
    GoogleAdsReader,
    Listings,
)
from perfmkt_pipeline.platforms.google_ads.parsing import (
    Account,
    CampaignDay,
    ConversionDay,
    micros_to_decimal,
)
from perfmkt_pipeline.platforms.google_ads.retry import RetryPolicy
from perfmkt_pipeline.platforms.google_ads.tables import (
    google_ads_accounts,
    google_ads_ad_conversion_daily,
    google_ads_ad_daily,
    google_ads_ad_groups,
    google_ads_ads,
    google_ads_campaign_daily,
    google_ads_campaigns,
    google_ads_conversion_daily,
    google_ads_keyword_conversion_daily,
    google_ads_keyword_daily,
)
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.loss import LossGuard
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice, upsert_rows

CAMPAIGN_DAILY = ("raw", "google_ads_campaign_daily")
CONVERSION_DAILY = ("raw", "google_ads_conversion_daily")
ACCOUNTS = ("raw", "google_ads_accounts")
LISTINGS = (google_ads_campaigns, google_ads_ad_groups, google_ads_ads)
# In stream_chunks' order: ads, keywords, and their conversions per action.
BELOW_DAILY = (
    google_ads_ad_daily, google_ads_keyword_daily, google_ads_ad_conversion_daily,
    google_ads_keyword_conversion_daily,
)  # fmt: skip
# Said when a re-read that lost too many rows is refused (PLATFORMS.md).
ROW_LOSS_REASON = "Google Ads omits a campaign-day without any metric and restates conversions"


def reader(
    settings: Settings, credentials: Mapping[str, str | None], logger: Any = None
) -> GoogleAdsReader:
    """A reader for the configured accounts (no I/O until it is used); close it when done (it is
    a context manager). `credentials` are the spec's fields: developer_token, client_id,
    client_secret, refresh_token and, optionally, login_customer_id (the manager acting for its
    client accounts; default: google_ads.manager_customer_id)."""
    options = settings.google_ads
    login = (credentials.get("login_customer_id") or "").replace("-", "") or None
    secrets = GoogleAdsCredentials(
        developer_token=credentials["developer_token"] or "",
        client_id=credentials["client_id"] or "",
        client_secret=credentials["client_secret"] or "",
        refresh_token=credentials["refresh_token"] or "",
        login_customer_id=login,
    )
    config = GoogleAdsConfig(
        endpoint=settings.endpoints.google_ads,
        token_uri=settings.endpoints.google_oauth,
        api_version=options.api_version,
        customer_ids=tuple(options.customer_ids),
        manager_customer_id=options.manager_customer_id,
        chunk_days=options.chunk_days,
        timeout_seconds=options.timeout_seconds,
        retry=RetryPolicy(
            max_attempts=options.max_attempts,
            backoff_seconds=options.backoff_seconds,
            max_retry_delay_seconds=options.max_retry_delay_seconds,
        ),
    )
    return GoogleAdsReader(secrets, config, logger=logger)


def sync(request: SyncRequest) -> Iterator[Landed]:
    """Land the request's window of every configured account (the spec's `sync`): several
    accounts at once (google_ads.max_concurrent_accounts), each chunk of days of each account
    replaced in google_ads_campaign_daily and google_ads_conversion_daily (and the
    account's row in google_ads_accounts) in one transaction."""
    settings, log, wh = request.settings, request.log, request.warehouse
    start, end = request.start, request.end
    guard = row_loss.guard("google_ads", settings.google_ads, log, why=ROW_LOSS_REASON)
    with reader(settings, request.credentials, logger=log) as reader_:
        accounts = reader_.accounts()
        progress = Progress(len(accounts))
        log.info(
            f"Google Ads {start}..{end}: {len(accounts)} account(s) to read, "
            f"{settings.google_ads.max_concurrent_accounts} at a time"
        )

        def land(account: Account) -> _Landed:
            landed = _Landed(account)
            # Listed once per run, written with the account's first chunk.
            listed: Listings | None = reader_.listings(account.customer_id)
            landed.listed = _listed(listed)
            # Each chunk streams into files on local disk, then is written from them in one
            # transaction: memory stays at one streamed batch however long the chunk.
            with tempfile.TemporaryDirectory(prefix="perfmkt-google-ads-") as folder:
                campaign = ArrowSpool(google_ads_campaign_daily, Path(folder), _campaign_table)
                conversions = ArrowSpool(
                    google_ads_conversion_daily, Path(folder), _conversion_table
                )
                below = [ArrowSpool(table, Path(folder)) for table in BELOW_DAILY]
                for read in reader_.stream_chunks(
                    account, start, end, campaign, conversions, *below
                ):
                    cost_micros = _write(wh, read, campaign, conversions, guard, below, listed)
                    listed = None
                    for spool in (campaign, conversions, *below):
                        spool.clear()
                    landed.add(read, cost_micros)
                    total = progress.add_rows(read.campaign_rows + read.conversion_rows)
                    log.info(
                        f"Google Ads account {account.customer_id} "
                        f"({read.account.currency}) {read.start}..{read.end} landed: "
                        f"{read.campaign_rows} campaign rows, {read.conversion_rows} "
                        f"conversion rows; {total} rows so far"
                    )
            done = progress.account_done()
            log.info(f"Google Ads: {done}/{len(accounts)} accounts done")
            return landed

        landed = for_each_account(
            accounts, land, settings.google_ads.max_concurrent_accounts, name="google-ads"
        )
    wh.refresh_statistics(
        [google_ads_accounts, google_ads_campaign_daily, google_ads_conversion_daily,
         *LISTINGS, *BELOW_DAILY]
    )  # fmt: skip
    yield from _results(landed, start, end)


def _upsert_listings(wh: Warehouse, conn, listed: Listings) -> None:
    """The account's campaigns, ad groups and ads, upserted (an object no longer listed keeps
    its row), on the caller's transaction."""
    rows = (listed.campaigns, listed.ad_groups, listed.ads)
    for table, found in zip(LISTINGS, rows, strict=True):
        upsert_rows(wh, table, _table(table, found), connection=conn)


def _listed(listed: Listings) -> dict[str, int]:
    rows = (listed.campaigns, listed.ad_groups, listed.ads)
    return {table.name: len(found) for table, found in zip(LISTINGS, rows, strict=True)}


def _write(
    wh: Warehouse,
    read: ChunkRead,
    campaign: ArrowSpool,
    conversions: ArrowSpool,
    guard: LossGuard,
    below: list[ArrowSpool] = (),
    listed: Listings | None = None,
) -> int:
    """Replace the chunk's days of its account in both daily tables, and the account's row,
    atomically, from the spools (an answer that lost too many of a table's rows is refused by
    `guard` and nothing of the chunk is written). Returns the chunk's cost in micros."""
    customer = read.account.customer_id
    window_slice = Slice({"account_id": customer}, "date", read.start, read.end)
    loaded_at = dt.datetime.now(dt.UTC)  # one load time for the three tables
    cost = [0]

    def costed(frames: Iterator[pa.Table]) -> Iterator[pa.Table]:
        for frame in frames:
            cost[0] += pc.sum(frame["cost_micros"]).as_py() or 0
            yield frame

    with wh.begin() as conn:
        replace_slice(
            wh,
            google_ads_campaign_daily,
            costed(campaign.frames()),
            window_slice,
            loaded_at=loaded_at,
            connection=conn,
            guard=guard,
        )
        replace_slice(
            wh,
            google_ads_conversion_daily,
            conversions.frames(),
            window_slice,
            loaded_at=loaded_at,
            connection=conn,
            guard=guard,
        )
        if listed is not None:
            _upsert_listings(wh, conn, listed)
        for spool in below:
            replace_slice(
                wh, spool.table, spool.frames(), window_slice, loaded_at=loaded_at,
                connection=conn, guard=guard,
            )  # fmt: skip
        replace_slice(
            wh,
            google_ads_accounts,
            _account_table(read),
            Slice({"account_id": customer}),
            loaded_at=loaded_at,
            connection=conn,
        )
    return cost[0]


def _table(table, rows: list[dict[str, Any]]) -> pa.Table:
    columns = [c.name for c in table.columns if c.name != "loaded_at"]
    return pa.Table.from_pylist(rows, schema=arrow_schema(table, columns))


def _campaign_table(days: list[CampaignDay]) -> pa.Table:
    return _table(
        google_ads_campaign_daily,
        [
            {
                "account_id": d.customer_id,
                "date": d.date,
                "campaign_id": d.campaign_id,
                "campaign_name": d.campaign_name,
                "campaign_status": d.campaign_status,
                "cost_micros": d.cost_micros,
                "impressions": d.impressions,
                "clicks": d.clicks,
                "conversions": d.conversions,
                "conversions_value": d.conversions_value,
                "record": d.record,
            }
            for d in days
        ],
    )


def _conversion_table(days: list[ConversionDay]) -> pa.Table:
    return _table(
        google_ads_conversion_daily,
        [
            {
                "account_id": d.customer_id,
                "date": d.date,
                "campaign_id": d.campaign_id,
                "conversion_action_name": d.conversion_action_name,
                "conversions": d.conversions,
                "conversions_value": d.conversions_value,
                "all_conversions": d.all_conversions,
                "all_conversions_value": d.all_conversions_value,
                "record": d.record,
            }
            for d in days
        ],
    )


def _account_table(read: ChunkRead) -> pa.Table:
    a = read.account
    return _table(
        google_ads_accounts,
        [
            {
                "account_id": a.customer_id,
                "account_name": a.name,
                "currency": a.currency,
                "timezone": a.time_zone,
                "record": a.record,
            }
        ],
    )


@dataclass
class _Landed:
    """What was landed for one account: counts and cost, for the materialization metadata."""

    account: Account
    campaign_rows: int = 0
    conversion_rows: int = 0
    cost: Decimal = Decimal(0)
    ad_rows: int = 0
    keyword_rows: int = 0
    ad_conversion_rows: int = 0
    keyword_conversion_rows: int = 0
    listed: dict[str, int] | None = None

    def add(self, read: ChunkRead, cost_micros: int) -> None:
        self.account = read.account
        self.campaign_rows += read.campaign_rows
        self.conversion_rows += read.conversion_rows
        self.ad_rows += read.ad_rows
        self.keyword_rows += read.keyword_rows
        self.ad_conversion_rows += read.ad_conversion_rows
        self.keyword_conversion_rows += read.keyword_conversion_rows
        self.cost += micros_to_decimal(cost_micros)


def _results(landed: list[_Landed], start: dt.date, end: dt.date) -> Iterator[Landed]:
    days = (end - start).days + 1
    spend = {a.account.customer_id: f"{a.cost} {a.account.currency}" for a in landed}
    common = {"accounts": len(landed), "days": days, "window": f"{start}..{end}"}
    yield Landed(
        CAMPAIGN_DAILY,
        {
            "dagster/row_count": sum(a.campaign_rows for a in landed),
            **common,
            "spend_by_account": spend,
        },
    )
    yield Landed(
        CONVERSION_DAILY,
        {"dagster/row_count": sum(a.conversion_rows for a in landed), **common},
    )
    attributes = ("ad_rows", "keyword_rows", "ad_conversion_rows", "keyword_conversion_rows")
    for table, attribute in zip(BELOW_DAILY, attributes, strict=True):
        count = sum(getattr(a, attribute) for a in landed)
        yield Landed(("raw", table.name), {"dagster/row_count": count, **common})
    for table in LISTINGS:
        listed = sum((a.listed or {}).get(table.name, 0) for a in landed)
        yield Landed(("raw", table.name), {"listed": listed, "accounts": len(landed)})
    yield Landed(
        ACCOUNTS,
        {
            "dagster/row_count": len(landed),
            **common,
            "currencies": {a.account.customer_id: a.account.currency for a in landed},
        },
    )
