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
