"""SQL reads behind freshness, anomaly checks and the channel chart (small frames: a row per
campaign, account or channel and day)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from perfmkt_pipeline.warehouse import tables


def _frame(conn: sa.Connection, query: sa.Select, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(query).all(), columns=columns)


def campaign_days(conn: sa.Connection, first: dt.date, last: dt.date) -> pd.DataFrame:
    """marts.campaign_daily over [first, last] (spend, conversions) with each campaign's
    current status from core.campaigns (NULL when unknown)."""
    mart, campaigns = tables.campaign_daily, tables.campaigns
    joined = mart.outerjoin(
        campaigns,
        sa.and_(
            campaigns.c.platform == mart.c.platform,
            campaigns.c.account_id == mart.c.account_id,
            campaigns.c.campaign_id == mart.c.campaign_id,
        ),
    )
    query = (
        sa.select(
            mart.c.platform, mart.c.account_id, mart.c.campaign_id, mart.c.date, mart.c.spend,
            mart.c.conversions, campaigns.c.campaign_status,
        )
        .select_from(joined)
        .where(mart.c.date.between(first, last))
    )  # fmt: skip
    columns = ["platform", "account_id", "campaign_id", "date", "spend", "conversions",
               "campaign_status"]  # fmt: skip
    return _frame(conn, query, columns)


def newest_days(conn: sa.Connection, through: dt.date) -> pd.DataFrame:
    """The newest day on or before `through` that core.ad_performance_daily holds, per
    platform and account (accounts without any row are absent)."""
    table = tables.ad_performance_daily
    query = (
        sa.select(table.c.platform, table.c.account_id, sa.func.max(table.c.date))
        .where(table.c.date <= through)
        .group_by(table.c.platform, table.c.account_id)
    )
    return _frame(conn, query, ["platform", "account_id", "newest_day"])


def channel_days(conn: sa.Connection, first: dt.date, last: dt.date) -> pd.DataFrame:
    """marts.channel_daily summed per day and channel over [first, last]."""
    mart = tables.channel_daily
    query = (
        sa.select(
            mart.c.date,
            mart.c.channel,
            sa.func.sum(mart.c.spend),
            sa.func.sum(mart.c.conversions),
            sa.func.sum(mart.c.conversion_value),
        )
        .where(mart.c.date.between(first, last))
        .group_by(mart.c.date, mart.c.channel)
        .order_by(mart.c.date, mart.c.channel)
    )
    frame = _frame(conn, query, ["date", "channel", "spend", "conversions", "conversion_value"])
    for column in ("spend", "conversions", "conversion_value"):
        frame[column] = frame[column].astype(float)
    return frame
