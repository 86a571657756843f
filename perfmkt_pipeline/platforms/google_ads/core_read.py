"""Google Ads' raw inputs of the core tables, read for a window.

Google Ads lands campaign rows already, so nothing is rolled up: the window's metric columns are
read without the raw JSON `record` (the transform never reads it), with every account row and the
rows naming each campaign on its latest day (their `loaded_at` is the evidence of the core rows).
"""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.platforms.google_ads.core import GoogleAdsRaw
from perfmkt_pipeline.platforms.google_ads.core_below import GoogleAdsBelowRaw
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


_METRICS = ["cost_micros", "impressions", "clicks", "conversions", "conversions_value"]
_AD_DAILY = ["account_id", "date", "campaign_id", "ad_group_id", "ad_id", *_METRICS]
_KEYWORD_DAILY = [
    "account_id", "date", "campaign_id", "ad_group_id", "criterion_id", "keyword_text",
    "match_type", *_METRICS,
]  # fmt: skip
_ACTIONS = ["conversion_action_name", "conversions", "conversions_value", "all_conversions",
            "all_conversions_value"]  # fmt: skip
_AD_ACTIONS = ["account_id", "date", "campaign_id", "ad_group_id", "ad_id", *_ACTIONS]
_KEYWORD_ACTIONS = [
    "account_id", "date", "campaign_id", "ad_group_id", "criterion_id", "keyword_text",
    "match_type", *_ACTIONS,
]  # fmt: skip
_GROUPS = ["account_id", "campaign_id", "ad_group_id", "ad_group_name", "ad_group_status",
           "loaded_at"]  # fmt: skip
_ADS = ["account_id", "campaign_id", "ad_group_id", "ad_id", "ad_name", "ad_type", "ad_status",
        "final_url", "loaded_at"]  # fmt: skip


def read_below(conn: sa.Connection, window: Window) -> tuple[GoogleAdsBelowRaw, Covered]:
    """The window's ad and keyword rows and their conversions per action, every listed ad group
    and ad, and the raw daily rows they cover."""
    ads, keywords = google_ads_ad_daily, google_ads_keyword_daily
    ad_actions, keyword_actions = (
        google_ads_ad_conversion_daily,
        google_ads_keyword_conversion_daily,
    )
    daily = [ads, keywords, ad_actions, keyword_actions]

    inputs = GoogleAdsBelowRaw(
        accounts=read_arrow(conn, google_ads_accounts, None, core_raw.ACCOUNT_COLUMNS),
        ad_groups=read_arrow(conn, google_ads_ad_groups, None, _GROUPS),
        ads=read_arrow(conn, google_ads_ads, None, _ADS),
        ad_daily=read_arrow(conn, ads, in_window(ads, window), _AD_DAILY),
        keyword_daily=read_arrow(conn, keywords, in_window(keywords, window), _KEYWORD_DAILY),
        ad_conversion_daily=read_arrow(
            conn, ad_actions, in_window(ad_actions, window), _AD_ACTIONS
        ),
        keyword_conversion_daily=read_arrow(
            conn, keyword_actions, in_window(keyword_actions, window), _KEYWORD_ACTIONS
        ),
    )
    return inputs, core_raw.coverage(conn, daily, window)


def campaign_types(conn: sa.Connection, window: Window):
    """(account_id, campaign_id, campaign_type): each listed campaign's
    advertising_channel_type."""
    table = google_ads_campaigns
    rows = read_arrow(conn, table, None, ["account_id", "campaign_id", "channel_type"])
    return rows.rename_columns(["account_id", "campaign_id", "campaign_type"])
