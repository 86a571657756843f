"""Google Ads assets: accounts, daily campaign metrics and conversions per action, landed in `raw`
as the API returned them, plus the resource holding the API credentials."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import pyarrow as pa
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
from perfmkt_pipeline.sources.google_ads import (
    AccountReport,
    GoogleAdsConfig,
    GoogleAdsCredentials,
    GoogleAdsReader,
    RetryPolicy,
)
from perfmkt_pipeline.warehouse import raw
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice

GROUP = "google_ads"
POOL = "google_ads"
RESOURCE_KEY = "google_ads"
LOGIN_CUSTOMER_ID_ENV_VAR = "GOOGLE_ADS_LOGIN_CUSTOMER_ID"
CAMPAIGN_DAILY = AssetKey(["raw", "google_ads_campaign_daily"])
CONVERSION_DAILY = AssetKey(["raw", "google_ads_conversion_daily"])
ACCOUNTS = AssetKey(["raw", "google_ads_accounts"])


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
        """Reads the run's day range from Google Ads for every account and replaces that range
        in raw.google_ads_campaign_daily and raw.google_ads_conversion_daily (and the account's
        row in raw.google_ads_accounts), one transaction per account."""
        start, end = window(context)
        wh = warehouse.get()
        reports: list[AccountReport] = []
        with google_ads.reader(settings, logger=context.log) as reader:
            accounts = reader.accounts()
            context.log.info(f"Google Ads {start}..{end}: {len(accounts)} account(s) to read")
            for number, account in enumerate(accounts, start=1):
                report = reader.fetch(account, start, end)
                _write(wh, report)
                reports.append(report)
                rows = sum(len(r.campaign_days) + len(r.conversion_days) for r in reports)
                context.log.info(
                    f"Google Ads account {number}/{len(accounts)} ({account.customer_id}, "
                    f"{report.account.currency}) landed: {len(report.campaign_days)} campaign "
                    f"rows, {len(report.conversion_days)} conversion rows; {rows} rows so far"
                )
        yield from _results(reports, start, end)

    return [google_ads_raw]


def _write(wh: Warehouse, report: AccountReport) -> None:
    """Replace the account's range in both daily tables and its account row, atomically."""
    customer = report.account.customer_id
    window_slice = Slice({"account_id": customer}, "date", report.start, report.end)
    loaded_at = dt.datetime.now(dt.UTC)  # one load time for the three tables
    with wh.begin() as conn:
        replace_slice(
            wh,
            raw.google_ads_campaign_daily,
            _campaign_table(report),
            window_slice,
            loaded_at=loaded_at,
            connection=conn,
        )
        replace_slice(
            wh,
            raw.google_ads_conversion_daily,
            _conversion_table(report),
            window_slice,
            loaded_at=loaded_at,
            connection=conn,
        )
        replace_slice(
            wh,
            raw.google_ads_accounts,
            _account_table(report),
            Slice({"account_id": customer}),
            loaded_at=loaded_at,
            connection=conn,
        )


def _table(table, rows: list[dict[str, Any]]) -> pa.Table:
    columns = [c.name for c in table.columns if c.name != "loaded_at"]
    return pa.Table.from_pylist(rows, schema=arrow_schema(table, columns))


def _campaign_table(report: AccountReport) -> pa.Table:
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
            for d in report.campaign_days
        ],
    )


def _conversion_table(report: AccountReport) -> pa.Table:
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
                "record": d.record,
            }
            for d in report.conversion_days
        ],
    )


def _account_table(report: AccountReport) -> pa.Table:
    a = report.account
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


def _results(reports: list[AccountReport], start, end) -> Iterator[MaterializeResult]:
    days = (end - start).days + 1
    spend = {
        r.account.customer_id: f"{sum((d.cost for d in r.campaign_days), Decimal(0))} "
        f"{r.account.currency}"
        for r in reports
    }
    common = {"accounts": len(reports), "days": days, "window": f"{start}..{end}"}
    yield MaterializeResult(
        asset_key=CAMPAIGN_DAILY,
        metadata={
            "dagster/row_count": sum(len(r.campaign_days) for r in reports),
            **common,
            "spend_by_account": MetadataValue.json(spend),
        },
    )
    yield MaterializeResult(
        asset_key=CONVERSION_DAILY,
        metadata={"dagster/row_count": sum(len(r.conversion_days) for r in reports), **common},
    )
    yield MaterializeResult(
        asset_key=ACCOUNTS,
        metadata={
            "dagster/row_count": len(reports),
            **common,
            "currencies": MetadataValue.json(
                {r.account.customer_id: r.account.currency for r in reports}
            ),
        },
    )
