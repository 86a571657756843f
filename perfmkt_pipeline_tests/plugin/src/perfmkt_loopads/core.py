"""LoopAds raw rows -> core rows (its spec's `CoreMapping`): campaign rows as landed, one
conversion row per campaign-day (LoopAds reports one conversion total, named "all")."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from perfmkt_loopads.spec import NAME, loopads_accounts, loopads_daily
from perfmkt_pipeline.transform.core import CoreRules, PlatformCore
from perfmkt_pipeline.transform.core.common import (
    ACCOUNTS,
    CAMPAIGNS,
    CONVERSIONS_LOCAL,
    PERFORMANCE_LOCAL,
    conform,
    constant,
)
from perfmkt_pipeline.warehouse import core_raw
from perfmkt_pipeline.warehouse.core_raw import Covered, Window, in_window
from perfmkt_pipeline.warehouse.read import read_arrow

NAMES = ["account_id", "campaign_id", "date", "campaign_name", "loaded_at"]


def _platform(rows: pa.Table) -> pa.Table:
    return rows.append_column("platform", constant(NAME, rows.num_rows, pa.string()))


@dataclass(frozen=True)
class LoopadsRaw:
    accounts: pa.Table
    daily: pa.Table
    campaign_names: pa.Table
    platform: str = NAME

    def core(self, rules: CoreRules) -> PlatformCore:
        currency = self.accounts.select(["account_id", "currency"])
        daily = self.daily.join(currency, "account_id", join_type="left outer", use_threads=False)
        performance = _platform(
            daily.rename_columns(
                {"spend": "spend_local", "conversion_value": "conversion_value_local"}
            )
        )
        counted = performance.filter(pc.greater(performance["conversions"], 0))
        conversions = counted.append_column(
            "conversion_name", constant("all", counted.num_rows, pa.string())
        )
        names = _platform(self.campaign_names)
        names = names.append_column("campaign_status", pa.nulls(names.num_rows, pa.string()))
        return PlatformCore(
            accounts=conform(_platform(self.accounts), ACCOUNTS),
            campaigns=conform(names, CAMPAIGNS),
            performance=conform(performance, PERFORMANCE_LOCAL),
            conversions=conform(conversions, CONVERSIONS_LOCAL),
        )


def read(conn: sa.Connection, window: Window) -> tuple[LoopadsRaw, Covered]:
    """The window's LoopAds rows, every account row, the rows naming each campaign, and the raw
    rows they cover."""
    inputs = LoopadsRaw(
        accounts=read_arrow(conn, loopads_accounts, None, core_raw.ACCOUNT_COLUMNS),
        daily=read_arrow(conn, loopads_daily, in_window(loopads_daily, window)),
        campaign_names=core_raw.campaign_names(conn, loopads_daily, NAMES),
    )
    return inputs, core_raw.coverage(conn, [loopads_daily], window)
