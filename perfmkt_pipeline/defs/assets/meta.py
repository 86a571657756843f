"""Meta assets: ad-level daily insights of every configured ad account, landed in `raw`.

One multi-asset fills raw.meta_accounts, raw.meta_ad_insights and raw.meta_ad_actions: per
account it describes the account, then fetches the run's window chunk by chunk (see
sources/meta/client.py) and replaces each chunk's days for that account in one transaction.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
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

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.metadata import table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.sources.meta import (
    MetaClient,
    action_rows,
    counted_conversions,
    insight_row,
)
from perfmkt_pipeline.sources.meta.transport import Clock
from perfmkt_pipeline.warehouse import raw
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice

ACCESS_TOKEN_ENV_VAR = "META_ACCESS_TOKEN"
APP_SECRET_ENV_VAR = "META_APP_SECRET"
ACCOUNTS_KEY = AssetKey(["raw", "meta_accounts"])
INSIGHTS_KEY = AssetKey(["raw", "meta_ad_insights"])
ACTIONS_KEY = AssetKey(["raw", "meta_ad_actions"])


class MetaResource(ConfigurableResource):
    """Credentials for the Meta Marketing API. `access_token` is a system-user or user token
    with ads_read; `app_secret`, when set, signs every request (appsecret_proof)."""

    access_token: str
    app_secret: str | None = None

    def client(
        self, settings: Settings, logger: Any = None, clock: Clock | None = None
    ) -> MetaClient:
        """A client for the configured endpoint and API version (no I/O until it is used)."""
        return MetaClient(
            settings.meta,
            settings.endpoints.meta,
            self.access_token,
            self.app_secret or None,
            logger=logger,
            clock=clock,
        )


def meta_resource() -> MetaResource:
    """The resource with its secrets as `EnvVar`s (the UI shows only the variables' names).
    META_APP_SECRET is optional: it is wired in only when the variable exists."""
    secret = EnvVar(APP_SECRET_ENV_VAR) if os.environ.get(APP_SECRET_ENV_VAR) else None
    return MetaResource(access_token=EnvVar(ACCESS_TOKEN_ENV_VAR), app_secret=secret)


def _table(table: sa.Table, rows: list[dict[str, Any]]) -> pa.Table:
    columns = [c.name for c in table.columns if c.name != "loaded_at"]
    return pa.Table.from_pylist(rows, schema=arrow_schema(table, columns))


def build_meta_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """The Meta raw assets, or none when no ad account is configured."""
    if not settings.meta.configured:
        return []
    partitions = daily_partitions(settings)
    kinds = {"python", engine_kind, "meta"}
    specs = [
        AssetSpec(
            ACCOUNTS_KEY,
            description="Meta ad accounts as Graph describes them (name, currency, time zone), "
            "one row per configured account, with the record as received.",
            group_name="meta",
            kinds=kinds,
            metadata=table_definition_metadata(raw.meta_accounts),
        ),
        AssetSpec(
            INSIGHTS_KEY,
            description="Meta ad-level daily insights (level=ad, time_increment=1) in each ad "
            "account's own currency and time zone: spend, impressions, clicks, and actions / "
            "action values kept whole, plus every record exactly as received.",
            group_name="meta",
            kinds=kinds,
            metadata=table_definition_metadata(raw.meta_ad_insights),
        ),
        AssetSpec(
            ACTIONS_KEY,
            description="Meta actions and action values per ad, day, action type and "
            "attribution ('value' = the attribution setting in force, or a requested window "
            "such as 7d_click / 1d_view), broken out of the insights records.",
            group_name="meta",
            kinds=kinds,
            metadata=table_definition_metadata(raw.meta_ad_actions),
        ),
    ]

    @multi_asset(
        name="meta_raw",
        specs=specs,
        partitions_def=partitions,
        backfill_policy=SINGLE_RUN,
        pool="meta",
    )
    def meta_raw(
        context: AssetExecutionContext, warehouse: WarehouseResource, meta: MetaResource
    ) -> Iterator[MaterializeResult]:
        """Meta Marketing API insights for the partition window, landed in raw."""
        start, end = window(context)
        wh = warehouse.get()
        client = meta.client(settings, logger=context.log)
        yield from _load(context, wh, client, settings, start, end)

    return [meta_raw]


def _write_chunk(wh, account: dict[str, Any] | None, chunk, insights, actions) -> None:
    """Replace the chunk's days of one account in both tables (and the account's row, when
    given) in one transaction."""
    days = Slice({"account_id": chunk.account_id}, "date", chunk.since, chunk.until)
    with wh.begin() as conn:
        if account is not None:
            rows = _table(raw.meta_accounts, [account])
            replace_slice(
                wh,
                raw.meta_accounts,
                rows,
                Slice({"account_id": chunk.account_id}),
                connection=conn,
            )
        rows = _table(raw.meta_ad_insights, insights)
        replace_slice(wh, raw.meta_ad_insights, rows, days, connection=conn)
        rows = _table(raw.meta_ad_actions, actions)
        replace_slice(wh, raw.meta_ad_actions, rows, days, connection=conn)


def _load(context, wh, client: MetaClient, settings: Settings, start: dt.date, end: dt.date):
    accounts = settings.meta.account_ids
    spend: dict[str, str] = {}
    conversions: dict[str, str] = {}
    insight_count = action_count = 0
    for number, account_id in enumerate(accounts, start=1):
        info = client.account(account_id)
        account: dict[str, Any] | None = info.row()
        total_spend = total_conversions = Decimal(0)
        for chunk in client.insights(account_id, start, end):
            insights = [insight_row(account_id, record) for record in chunk.records]
            actions = [row for record in chunk.records for row in action_rows(account_id, record)]
            _write_chunk(wh, account, chunk, insights, actions)
            account = None  # written with the first chunk
            insight_count += len(insights)
            action_count += len(actions)
            total_spend += sum((row["spend"] or Decimal(0) for row in insights), Decimal(0))
            counted, _ = counted_conversions(actions, settings.meta.conversion_action_types)
            total_conversions += counted
            context.log.info(
                f"meta act_{account_id} ({number}/{len(accounts)} accounts): "
                f"{chunk.since}..{chunk.until}: {len(insights)} rows; {insight_count} rows so far"
            )
        spend[account_id] = f"{total_spend} {info.currency}"
        conversions[account_id] = str(total_conversions)
    window_metadata = {
        "accounts": len(accounts),
        "days": (end - start).days + 1,
        "window": f"{start}..{end}",
    }
    yield MaterializeResult(
        asset_key=ACCOUNTS_KEY,
        metadata={"dagster/row_count": len(accounts), "accounts": len(accounts)},
    )
    yield MaterializeResult(
        asset_key=INSIGHTS_KEY,
        metadata={
            "dagster/row_count": insight_count,
            "rows": insight_count,
            **window_metadata,
            "spend_by_account": MetadataValue.json(spend),
            "conversions_by_account": MetadataValue.json(conversions),
            "rate_limit_wait_seconds": round(client.transport.waited_seconds, 1),
        },
    )
    yield MaterializeResult(
        asset_key=ACTIONS_KEY,
        metadata={"dagster/row_count": action_count, "rows": action_count, **window_metadata},
    )


__all__ = ["MetaResource", "build_meta_assets", "meta_resource"]
