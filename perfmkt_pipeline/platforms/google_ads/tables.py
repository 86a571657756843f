"""Raw landing tables for Google Ads (owned by the Google Ads connector)."""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.warehouse.raw.common import loaded_at, record
from perfmkt_pipeline.warehouse.tables import CONVERSIONS, COUNT, MONEY, RAW, _c, _table

google_ads_accounts = _table(
    RAW,
    "google_ads_accounts",
    ["account_id"],
    "Google Ads customers as described by `FROM customer`.",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("account_name", sa.Text, "customer.descriptive_name"),
    _c("currency", sa.String(3), "customer.currency_code"),
    _c("timezone", sa.String(64), "customer.time_zone"),
    record(),
    loaded_at(),
)

google_ads_campaign_daily = _table(
    RAW,
    "google_ads_campaign_daily",
    ["account_id", "date", "campaign_id"],
    "Google Ads `FROM campaign` rows segmented by date.",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("date", sa.Date, "segments.date (account time zone)", False),
    _c("campaign_id", sa.String(32), "campaign.id", False),
    _c("campaign_name", sa.Text, "campaign.name"),
    _c("campaign_status", sa.String(32), "campaign.status"),
    _c("cost_micros", COUNT, "metrics.cost_micros (account currency x 1,000,000)"),
    _c("impressions", COUNT, "metrics.impressions"),
    _c("clicks", COUNT, "metrics.clicks"),
    _c("conversions", CONVERSIONS, "metrics.conversions"),
    _c("conversions_value", MONEY, "metrics.conversions_value (account currency)"),
    record(),
    loaded_at(),
)

google_ads_conversion_daily = _table(
    RAW,
    "google_ads_conversion_daily",
    ["account_id", "date", "campaign_id", "conversion_action_name"],
    "Google Ads conversions per campaign, day and conversion action.",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("date", sa.Date, "segments.date (account time zone)", False),
    _c("campaign_id", sa.String(32), "campaign.id", False),
    _c("conversion_action_name", sa.Text, "segments.conversion_action_name", False),
    _c("conversions", CONVERSIONS, "metrics.conversions (only actions included in conversions)"),
    _c("conversions_value", MONEY, "metrics.conversions_value (account currency)"),
    record(),
    loaded_at(),
    # Added by migration 0003, hence after loaded_at.
    _c("all_conversions", CONVERSIONS, "metrics.all_conversions (every action, counted or not)"),
    _c("all_conversions_value", MONEY, "metrics.all_conversions_value (account currency)"),
)

# Below the campaign (issue #17). Listings (no metrics, once per run, upserted: an object the
# listing no longer shows keeps its last description) and daily reports (replaced per window).
_METRIC_COLUMNS = (
    ("cost_micros", COUNT, "metrics.cost_micros (account currency x 1,000,000)"),
    ("impressions", COUNT, "metrics.impressions"),
    ("clicks", COUNT, "metrics.clicks"),
    ("conversions", CONVERSIONS, "metrics.conversions"),
    ("conversions_value", MONEY, "metrics.conversions_value (account currency)"),
)


def _metrics() -> list[sa.Column]:
    return [_c(name, type_, comment) for name, type_, comment in _METRIC_COLUMNS]


google_ads_campaigns = _table(
    RAW,
    "google_ads_campaigns",
    ["account_id", "campaign_id"],
    "Google Ads campaigns as `FROM campaign` (no metrics) last listed them, with their type.",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("campaign_id", sa.String(32), "campaign.id", False),
    _c("campaign_name", sa.Text, "campaign.name"),
    _c("campaign_status", sa.String(32), "campaign.status"),
    _c("channel_type", sa.String(32), "campaign.advertising_channel_type"),
    record(),
    loaded_at(),
)

google_ads_ad_groups = _table(
    RAW,
    "google_ads_ad_groups",
    ["account_id", "ad_group_id"],
    "Google Ads ad groups as `FROM ad_group` last listed them.",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("ad_group_id", sa.String(32), "ad_group.id", False),
    _c("campaign_id", sa.String(32), "campaign.id"),
    _c("ad_group_name", sa.Text, "ad_group.name"),
    _c("ad_group_status", sa.String(32), "ad_group.status"),
    record(),
    loaded_at(),
)

google_ads_ads = _table(
    RAW,
    "google_ads_ads",
    ["account_id", "ad_id"],
    "Google Ads ads as `FROM ad_group_ad` (no metrics) last listed them.",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("ad_id", sa.String(32), "ad_group_ad.ad.id", False),
    _c("ad_group_id", sa.String(32), "ad_group.id"),
    _c("campaign_id", sa.String(32), "campaign.id"),
    _c("ad_name", sa.Text, "ad_group_ad.ad.name (empty for most Search ads)"),
    _c("ad_type", sa.String(64), "ad_group_ad.ad.type"),
    _c("ad_status", sa.String(32), "ad_group_ad.status"),
    _c("final_url", sa.Text, "ad_group_ad.ad.final_urls[0] (NULL: none)"),
    record(),
    loaded_at(),
)

google_ads_ad_daily = _table(
    RAW,
    "google_ads_ad_daily",
    ["account_id", "date", "ad_group_id", "ad_id"],
    "Google Ads `FROM ad_group_ad` rows segmented by date (only campaign types with ads).",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("date", sa.Date, "segments.date (account time zone)", False),
    _c("campaign_id", sa.String(32), "campaign.id"),
    _c("ad_group_id", sa.String(32), "ad_group.id", False),
    _c("ad_id", sa.String(32), "ad_group_ad.ad.id", False),
    *_metrics(),
    record(),
    loaded_at(),
)

google_ads_keyword_daily = _table(
    RAW,
    "google_ads_keyword_daily",
    ["account_id", "date", "ad_group_id", "criterion_id"],
    "Google Ads `FROM keyword_view` rows segmented by date.",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("date", sa.Date, "segments.date (account time zone)", False),
    _c("campaign_id", sa.String(32), "campaign.id"),
    _c("ad_group_id", sa.String(32), "ad_group.id", False),
    _c("criterion_id", sa.String(32), "ad_group_criterion.criterion_id", False),
    _c("keyword_text", sa.Text, "ad_group_criterion.keyword.text"),
    _c("match_type", sa.String(16), "ad_group_criterion.keyword.match_type"),
    *_metrics(),
    record(),
    loaded_at(),
)

# Conversions per conversion action below the campaign (`segments.conversion_action_name`, which
# the API lets a query combine with conversion metrics only): what google_ads.conversion_actions
# counts for ads and keywords, as the campaign's per-action rows do for campaigns.
_ACTION_COLUMNS = (
    ("conversion_action_name", sa.Text, "segments.conversion_action_name"),
    ("conversions", CONVERSIONS, "metrics.conversions (only actions included in conversions)"),
    ("conversions_value", MONEY, "metrics.conversions_value (account currency)"),
    ("all_conversions", CONVERSIONS, "metrics.all_conversions (every action, counted or not)"),
    ("all_conversions_value", MONEY, "metrics.all_conversions_value (account currency)"),
)


def _actions() -> list[sa.Column]:
    name, type_, comment = _ACTION_COLUMNS[0]
    return [
        _c(name, type_, comment, False),
        *[_c(n, t, c) for n, t, c in _ACTION_COLUMNS[1:]],
    ]


google_ads_ad_conversion_daily = _table(
    RAW,
    "google_ads_ad_conversion_daily",
    ["account_id", "date", "ad_group_id", "ad_id", "conversion_action_name"],
    "Google Ads conversions per ad, day and conversion action (`FROM ad_group_ad`).",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("date", sa.Date, "segments.date (account time zone)", False),
    _c("campaign_id", sa.String(32), "campaign.id"),
    _c("ad_group_id", sa.String(32), "ad_group.id", False),
    _c("ad_id", sa.String(32), "ad_group_ad.ad.id", False),
    *_actions(),
    record(),
    loaded_at(),
)

google_ads_keyword_conversion_daily = _table(
    RAW,
    "google_ads_keyword_conversion_daily",
    ["account_id", "date", "ad_group_id", "criterion_id", "conversion_action_name"],
    "Google Ads conversions per keyword, day and conversion action (`FROM keyword_view`).",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("date", sa.Date, "segments.date (account time zone)", False),
    _c("campaign_id", sa.String(32), "campaign.id"),
    _c("ad_group_id", sa.String(32), "ad_group.id", False),
    _c("criterion_id", sa.String(32), "ad_group_criterion.criterion_id", False),
    _c("keyword_text", sa.Text, "ad_group_criterion.keyword.text"),
    _c("match_type", sa.String(16), "ad_group_criterion.keyword.match_type"),
    *_actions(),
    record(),
    loaded_at(),
)
