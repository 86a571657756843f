"""Meta's raw inputs of the core tables, read for a window.

Meta lands one row per ad (and per ad, action type and attribution window), while core is at
campaign grain: the warehouse sums ads to campaigns (warehouse/core_raw.rollup, the same roll-ups
as core.rollup_insights / rollup_actions). How many raw rows the window holds and the newest load
among them count every row, whatever attribution.
"""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.platforms.meta import core
from perfmkt_pipeline.platforms.meta.core_below import MetaBelowRaw
from perfmkt_pipeline.platforms.meta.tables import (
    meta_accounts,
    meta_ad_actions,
    meta_ad_insights,
    meta_ads,
    meta_adsets,
)
from perfmkt_pipeline.warehouse import core_raw
from perfmkt_pipeline.warehouse.core_raw import Covered, Window, in_window
from perfmkt_pipeline.warehouse.read import read_arrow


def _read_actions(conn: sa.Connection, window: Window):
    """The configured-attribution raw.meta_ad_actions rows of the window summed per campaign
    and action type, and every raw.meta_ad_actions row of the window (whatever attribution)."""
    actions = meta_ad_actions
    value = actions.c.attribution == core.CONFIGURED_ATTRIBUTION
    rolled, _ = core_raw.rollup(
        conn, actions, core.ACTIONS_ROLLUP, ["actions", "action_value"],
        sa.and_(in_window(actions, window), value), covered=False,
    )  # fmt: skip
    # Coverage counts every attribution's rows, which the roll-up leaves out.
    return rolled, core_raw.coverage(conn, [actions], window)


def read(conn: sa.Connection, window: Window) -> tuple[core.MetaRaw, Covered]:
    """The window's Meta inputs, summed to campaigns in the warehouse, and the raw rows they
    cover."""
    insights = meta_ad_insights
    core_raw.rollup_memory(conn)
    rolled_insights, (insight_rows, insights_loaded) = core_raw.rollup(
        conn, insights, core.INSIGHTS_ROLLUP, ["spend", "impressions", "clicks"],
        in_window(insights, window), covered=True,
    )  # fmt: skip
    accounts = read_arrow(conn, meta_accounts, None, core_raw.ACCOUNT_COLUMNS)
    names = core_raw.campaign_names(
        conn, insights, ["account_id", "campaign_id", "date", "campaign_name", "loaded_at"]
    )
    rolled_actions, (action_rows, actions_loaded) = _read_actions(conn, window)
    inputs = core.MetaRaw(accounts, rolled_insights, rolled_actions, names)
    stamps = [moment for moment in (insights_loaded, actions_loaded) if moment is not None]
    return inputs, (insight_rows + action_rows, max(stamps) if stamps else None)


_AD_INSIGHTS = [
    "account_id", "date", "campaign_id", "adset_id", "ad_id", "currency", "spend", "impressions",
    "clicks",
]  # fmt: skip
_AD_ACTIONS = [
    "account_id", "date", "campaign_id", "ad_id", "action_type", "attribution", "actions",
    "action_value",
]  # fmt: skip


def read_below(conn: sa.Connection, window: Window) -> tuple[MetaBelowRaw, Covered]:
    """The window's ad-level Meta rows (the configured attribution's actions only), every
    listed ad set and ad, and the raw daily rows they cover."""
    insights, actions = meta_ad_insights, meta_ad_actions
    value = actions.c.attribution == core.CONFIGURED_ATTRIBUTION
    inputs = MetaBelowRaw(
        accounts=read_arrow(conn, meta_accounts, None, core_raw.ACCOUNT_COLUMNS),
        insights=read_arrow(conn, insights, in_window(insights, window), _AD_INSIGHTS),
        actions=read_arrow(conn, actions, sa.and_(in_window(actions, window), value), _AD_ACTIONS),
        adsets=read_arrow(conn, meta_adsets, None),
        ads=read_arrow(conn, meta_ads, None),
    )
    return inputs, core_raw.coverage(conn, [insights, actions], window)
