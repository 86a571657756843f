"""Google Ads' raw inputs of the core tables, read for a window.

Google Ads lands campaign rows already, so nothing is rolled up: the window's metric columns are
read without the raw JSON `record` (the transform never reads it), with every account row and the
rows naming each campaign on its latest day (their `loaded_at` is the evidence of the core rows).
"""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.platforms.google_ads.core import GoogleAdsRaw
from perfmkt_pipeline.platforms.google_ads.tables import (
    google_ads_accounts,
    google_ads_campaign_daily,
    google_ads_conversion_daily,
)
from perfmkt_pipeline.warehouse import core_raw
from perfmkt_pipeline.warehouse.core_raw import Covered, Window, in_window
from perfmkt_pipeline.warehouse.read import read_arrow

DAILY = [
    "account_id", "date", "campaign_id", "cost_micros", "impressions", "clicks", "conversions",
    "conversions_value",
]  # fmt: skip
CONVERSIONS = [
    "account_id", "date", "campaign_id", "conversion_action_name", "conversions",
    "conversions_value", "all_conversions", "all_conversions_value",
]  # fmt: skip
NAMES = ["account_id", "campaign_id", "date", "campaign_name", "campaign_status", "loaded_at"]


def read(conn: sa.Connection, window: Window) -> tuple[GoogleAdsRaw, Covered]:
    """The window's Google Ads inputs and the raw rows they cover."""
    daily, actions = google_ads_campaign_daily, google_ads_conversion_daily
    inputs = GoogleAdsRaw(
        accounts=read_arrow(conn, google_ads_accounts, None, core_raw.ACCOUNT_COLUMNS),
        campaign_daily=read_arrow(conn, daily, in_window(daily, window), DAILY),
        conversion_daily=read_arrow(conn, actions, in_window(actions, window), CONVERSIONS),
        campaign_names=core_raw.campaign_names(conn, daily, NAMES),
    )
    return inputs, core_raw.coverage(conn, [daily, actions], window)
