"""LoopAds, described for perfmkt_pipeline's registry: its settings section, its raw tables, its
landing and its spec (named by this package's entry point, pyproject.toml)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import sqlalchemy as sa
from pydantic import Field

from perfmkt_loopads.client import LoopadsAuthError, LoopadsClient, LoopadsDataError, LoopadsError
from perfmkt_pipeline.config import LookbackDays, RowLossPct, Section
from perfmkt_pipeline.platforms.base import row_loss
from perfmkt_pipeline.platforms.base.spec import (
    Connector,
    CoreMapping,
    Credential,
    Endpoint,
    ErrorClasses,
    Landed,
    PlatformSpec,
    RawAsset,
    RawTotals,
    SyncRequest,
)
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice

NAME = "loopads"
# LoopAds restates a day for a week (its conversions are attributed for 7 days).
LOOKBACK_DAYS = 7


class LoopadsSettings(Section):
    account_ids: list[str] = []
    lookback_days: LookbackDays = LOOKBACK_DAYS
    request_timeout_seconds: Annotated[float, Field(gt=0)] = 60.0
    # A restatement may drop a campaign-day without activity: a tenth of a window's rows.
    max_row_loss_pct: RowLossPct = 10.0
    allow_row_loss: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.account_ids)

    def problems(self, name: str) -> list[str]:
        return [] if self.configured else [f"{name}.account_ids: no account listed"]


# Its raw tables, on a metadata of its own: its migration branch creates them (migrations/).
metadata = sa.MetaData()
loopads_accounts = sa.Table(
    "loopads_accounts",
    metadata,
    sa.Column("account_id", sa.String(32), primary_key=True),
    sa.Column("account_name", sa.Text),
    sa.Column("currency", sa.String(3)),
    sa.Column("timezone", sa.String(64)),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    schema="raw",
    info={"grain": ["account_id"]},
)
loopads_daily = sa.Table(
    "loopads_daily",
    metadata,
    sa.Column("account_id", sa.String(32), primary_key=True),
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("campaign_id", sa.String(32), primary_key=True),
    sa.Column("campaign_name", sa.Text),
    sa.Column("spend", sa.Numeric(20, 6), nullable=False),
    sa.Column("impressions", sa.BigInteger, nullable=False),
    sa.Column("clicks", sa.BigInteger, nullable=False),
    sa.Column("conversions", sa.Numeric(20, 6), nullable=False),
    sa.Column("conversion_value", sa.Numeric(20, 6), nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    schema="raw",
    info={"grain": ["account_id", "date", "campaign_id"]},
)
ACCOUNTS_KEY = ("raw", "loopads_accounts")
DAILY_KEY = ("raw", "loopads_daily")


def _frame(table: sa.Table, rows: list[dict]) -> pa.Table:
    names = [c.name for c in table.columns if c.name != "loaded_at"]
    return pa.Table.from_pylist(rows, schema=arrow_schema(table, names))


def sync(request: SyncRequest) -> Iterator[Landed]:
    """Each configured account's window, landed in one transaction per account."""
    section: LoopadsSettings = request.settings.loopads
    client = LoopadsClient(
        request.settings.endpoints.loopads,
        request.credentials["token"] or "",
        section.request_timeout_seconds,
    )
    guard = row_loss.guard(NAME, section, request.log, why="a restatement drops idle days")
    wh, start, end = request.warehouse, request.start, request.end
    landed = 0
    for account_id in section.account_ids:
        account = client.account(account_id)
        rows = client.report(account_id, start, end)
        with wh.begin() as conn:
            replace_slice(
                wh,
                loopads_accounts,
                _frame(loopads_accounts, [account]),
                Slice({"account_id": account_id}),
                connection=conn,
            )
            replace_slice(
                wh,
                loopads_daily,
                _frame(loopads_daily, rows),
                Slice({"account_id": account_id}, "date", start, end),
                connection=conn,
                guard=guard,
            )
        request.log.info(f"loopads {account_id} {start}..{end}: {len(rows)} rows")
        landed += len(rows)
    accounts = len(section.account_ids)
    yield Landed(ACCOUNTS_KEY, {"dagster/row_count": accounts})
    yield Landed(DAILY_KEY, {"dagster/row_count": landed, "window": f"{start}..{end}"})


def _read(conn: sa.Connection, window: tuple[dt.date, dt.date]):
    from perfmkt_loopads import core  # the core mapping imports transform, only when read

    return core.read(conn, window)


SPEC = PlatformSpec(
    name=NAME,
    channel="social",
    config_section=NAME,
    credentials=(Credential("token", "LOOPADS_TOKEN"),),
    raw_tables=(loopads_accounts, loopads_daily),
    connector=Connector(
        asset_name="loopads_raw",
        raw_assets=(
            RawAsset(loopads_accounts, "LoopAds accounts: name, currency and time zone."),
            RawAsset(loopads_daily, "LoopAds daily campaign rows, in each account's currency."),
        ),
        sync=sync,
        group=NAME,
        kind=None,
        pool=NAME,
        resource_key=NAME,
        description="Reads the run's days of every LoopAds account.",
        resource_description="LoopAds API token (Bearer).",
    ),
    errors=ErrorClasses(fatal=(LoopadsAuthError,), data=(LoopadsDataError,), base=(LoopadsError,)),
    default_lookback_days=LOOKBACK_DAYS,
    core=CoreMapping(
        read=_read,
        accounts=loopads_accounts,
        daily=(loopads_daily,),
        names=loopads_daily,
        totals=RawTotals(loopads_daily, spend="spend"),
    ),
    endpoints={NAME: Endpoint("https://api.loopads.example", "PERFMKT_LOOPADS_URL")},
    settings=LoopadsSettings,
    expected_lag_days=1,
    migrations=Path(__file__).parent / "migrations",
)
