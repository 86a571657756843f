"""Google Ads assets: accounts, daily campaign metrics and conversions per action, landed in `raw`
as the API returned them, plus the resource holding the API credentials."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    ConfigurableResource,
    EnvVar,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from perfmkt_pipeline.config import SECRET_ENV_VARS, Settings
from perfmkt_pipeline.defs.metadata import table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.platforms.base import row_loss
from perfmkt_pipeline.platforms.base.parallel import Progress, for_each_account
from perfmkt_pipeline.platforms.base.spool import ArrowSpool
from perfmkt_pipeline.sources.google_ads import (
    Account,
    CampaignDay,
    ChunkRead,
    ConversionDay,
    GoogleAdsConfig,
    GoogleAdsCredentials,
    GoogleAdsReader,
    RetryPolicy,
    micros_to_decimal,
)
from perfmkt_pipeline.warehouse import raw
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.loss import LossGuard
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice

GROUP = "google_ads"
POOL = "google_ads"
RESOURCE_KEY = "google_ads"
LOGIN_CUSTOMER_ID_ENV_VAR = "GOOGLE_ADS_LOGIN_CUSTOMER_ID"
CAMPAIGN_DAILY = AssetKey(["raw", "google_ads_campaign_daily"])
CONVERSION_DAILY = AssetKey(["raw", "google_ads_conversion_daily"])
ACCOUNTS = AssetKey(["raw", "google_ads_accounts"])
ROW_LOSS_REASON = "Google Ads omits a campaign-day without any metric and restates conversions"


class GoogleAdsResource(ConfigurableResource):
    """Google Ads API credentials, each from an environment variable (see `google_ads_resource`).
    Nothing is read or connected until an asset asks for a reader."""

    developer_token: str
    client_id: str
    client_secret: str
    refresh_token: str
    # The manager (MCC) acting for its client accounts; default: google_ads.manager_customer_id.
    login_customer_id: str | None = None

    def reader(self, settings: Settings, logger: Any = None) -> GoogleAdsReader:
        """A reader for the configured accounts; close it when done (it is a context manager)."""
        options = settings.google_ads
        login = (self.login_customer_id or "").replace("-", "") or None
        credentials = GoogleAdsCredentials(
            developer_token=self.developer_token,
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=self.refresh_token,
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
        return GoogleAdsReader(credentials, config, logger=logger)


def google_ads_resource(environ: Mapping[str, str] | None = None) -> GoogleAdsResource:
    """The resource with every secret as an `EnvVar` (resolved when a run starts). The optional
    login customer id is wired only when its variable exists (an unset `EnvVar` is an error)."""
    environ = os.environ if environ is None else environ
    names = dict(
        zip(
            ("developer_token", "client_id", "client_secret", "refresh_token"),
            SECRET_ENV_VARS["google_ads"],
            strict=True,
        )
    )
    fields: dict[str, Any] = {name: EnvVar(var) for name, var in names.items()}
    if LOGIN_CUSTOMER_ID_ENV_VAR in environ:
        fields["login_customer_id"] = EnvVar(LOGIN_CUSTOMER_ID_ENV_VAR)
    return GoogleAdsResource(**fields)


def build_google_ads_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """The raw Google Ads assets (none when no Google Ads account is configured)."""
    if not settings.google_ads.configured:
        return []
    kinds = {"python", engine_kind, "googleads"}
    specs = [
        AssetSpec(
            CAMPAIGN_DAILY,
            description="Google Ads daily cost, impressions, clicks, conversions and conversion "
            "value per campaign, in each account's currency and time zone, as the API returned "
            "them (one SearchStream per account per chunk of days).",
            metadata=table_definition_metadata(raw.google_ads_campaign_daily),
            group_name=GROUP,
            kinds=kinds,
        ),
        AssetSpec(
            CONVERSION_DAILY,
            description="Google Ads daily conversions and conversion value per campaign and "
            "conversion action, as the API returned them.",
            metadata=table_definition_metadata(raw.google_ads_conversion_daily),
            group_name=GROUP,
            kinds=kinds,
        ),
        AssetSpec(
            ACCOUNTS,
            description="Google Ads accounts read by the pipeline: name, currency and time zone "
            "as the API described them.",
            metadata=table_definition_metadata(raw.google_ads_accounts),
            group_name=GROUP,
            kinds=kinds,
        ),
    ]

    @multi_asset(
        name="google_ads_raw",
        specs=specs,
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        pool=POOL,
    )
    def google_ads_raw(
        context: AssetExecutionContext,
        google_ads: GoogleAdsResource,
        warehouse: WarehouseResource,
    ) -> Iterator[MaterializeResult]:
        """Reads the run's day range from Google Ads, several accounts at once
        (google_ads.max_concurrent_accounts), and replaces each chunk of days of each account in
        raw.google_ads_campaign_daily and raw.google_ads_conversion_daily (and the account's row
        in raw.google_ads_accounts) in one transaction per account and chunk."""
        start, end = window(context)
        wh = warehouse.get()
        guard = row_loss.guard("google_ads", settings.google_ads, context.log, why=ROW_LOSS_REASON)
        with google_ads.reader(settings, logger=context.log) as reader:
            accounts = reader.accounts()
            progress = Progress(len(accounts))
            context.log.info(
                f"Google Ads {start}..{end}: {len(accounts)} account(s) to read, "
                f"{settings.google_ads.max_concurrent_accounts} at a time"
            )

            def land(account: Account) -> _Landed:
                landed = _Landed(account)
                # Each chunk streams into files on local disk, then is written from them in one
                # transaction: memory stays at one streamed batch however long the chunk.
                with tempfile.TemporaryDirectory(prefix="perfmkt-google-ads-") as folder:
                    campaign = ArrowSpool(
                        raw.google_ads_campaign_daily, Path(folder), _campaign_table
                    )
                    conversions = ArrowSpool(
                        raw.google_ads_conversion_daily, Path(folder), _conversion_table
                    )
                    for read in reader.stream_chunks(account, start, end, campaign, conversions):
                        cost_micros = _write(wh, read, campaign, conversions, guard)
                        campaign.clear()
                        conversions.clear()
                        landed.add(read, cost_micros)
                        total = progress.add_rows(read.campaign_rows + read.conversion_rows)
                        context.log.info(
                            f"Google Ads account {account.customer_id} "
                            f"({read.account.currency}) {read.start}..{read.end} landed: "
                            f"{read.campaign_rows} campaign rows, {read.conversion_rows} "
                            f"conversion rows; {total} rows so far"
                        )
                done = progress.account_done()
                context.log.info(f"Google Ads: {done}/{len(accounts)} accounts done")
                return landed

            landed = for_each_account(
                accounts, land, settings.google_ads.max_concurrent_accounts, name="google-ads"
            )
        wh.refresh_statistics(
            [
                raw.google_ads_accounts,
                raw.google_ads_campaign_daily,
                raw.google_ads_conversion_daily,
            ]
        )
        yield from _results(landed, start, end)

    return [google_ads_raw]


def _write(
    wh: Warehouse,
    read: ChunkRead,
    campaign: ArrowSpool,
    conversions: ArrowSpool,
    guard: LossGuard,
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
            raw.google_ads_campaign_daily,
            costed(campaign.frames()),
            window_slice,
            loaded_at=loaded_at,
            connection=conn,
            guard=guard,
        )
        replace_slice(
            wh,
            raw.google_ads_conversion_daily,
            conversions.frames(),
            window_slice,
            loaded_at=loaded_at,
            connection=conn,
            guard=guard,
        )
        replace_slice(
            wh,
            raw.google_ads_accounts,
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
        raw.google_ads_campaign_daily,
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
        raw.google_ads_conversion_daily,
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
        raw.google_ads_accounts,
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

    def add(self, read: ChunkRead, cost_micros: int) -> None:
        self.account = read.account
        self.campaign_rows += read.campaign_rows
        self.conversion_rows += read.conversion_rows
        self.cost += micros_to_decimal(cost_micros)


def _results(landed: list[_Landed], start, end) -> Iterator[MaterializeResult]:
    days = (end - start).days + 1
    spend = {a.account.customer_id: f"{a.cost} {a.account.currency}" for a in landed}
    common = {"accounts": len(landed), "days": days, "window": f"{start}..{end}"}
    yield MaterializeResult(
        asset_key=CAMPAIGN_DAILY,
        metadata={
            "dagster/row_count": sum(a.campaign_rows for a in landed),
            **common,
            "spend_by_account": MetadataValue.json(spend),
        },
    )
    yield MaterializeResult(
        asset_key=CONVERSION_DAILY,
        metadata={"dagster/row_count": sum(a.conversion_rows for a in landed), **common},
    )
    yield MaterializeResult(
        asset_key=ACCOUNTS,
        metadata={
            "dagster/row_count": len(landed),
            **common,
            "currencies": MetadataValue.json(
                {a.account.customer_id: a.account.currency for a in landed}
            ),
        },
    )
