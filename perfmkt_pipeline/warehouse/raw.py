"""The `raw` landing tables: what each source returned, typed, plus the record as received.

`raw` is the pipeline's own business (WAREHOUSE.md): it may change freely, as long as every record a
source returned is kept in `record` (JSON text, exactly as received) before anything transforms it.
Every table carries the slice columns the write path replaces by: a source/platform, an account and
a date (`date` for daily reports, `window_date` for affiliate actions read by update day).
"""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.warehouse.tables import (
    CONVERSIONS,
    COUNT,
    MONEY,
    RAW,
    UNITS_PER_EUR,
    _c,
    _table,
)


def _record() -> sa.Column:
    return _c("record", sa.Text, "the record exactly as the source returned it (JSON)")


def _loaded_at() -> sa.Column:
    return _c("loaded_at", sa.DateTime(timezone=True), "UTC time of the load", nullable=False)


google_ads_accounts = _table(
    RAW,
    "google_ads_accounts",
    ["account_id"],
    "Google Ads customers as described by `FROM customer`.",
    _c("account_id", sa.String(16), "customer id, 10 digits", False),
    _c("account_name", sa.Text, "customer.descriptive_name"),
    _c("currency", sa.String(3), "customer.currency_code"),
    _c("timezone", sa.String(64), "customer.time_zone"),
    _record(),
    _loaded_at(),
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
    _record(),
    _loaded_at(),
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
    _c("conversions", CONVERSIONS, "metrics.conversions"),
    _c("conversions_value", MONEY, "metrics.conversions_value (account currency)"),
    _record(),
    _loaded_at(),
)

meta_accounts = _table(
    RAW,
    "meta_accounts",
    ["account_id"],
    "Meta ad accounts as described by the Graph API.",
    _c("account_id", sa.String(32), "ad account id without `act_`", False),
    _c("account_name", sa.Text, "name"),
    _c("currency", sa.String(3), "currency"),
    _c("timezone", sa.String(64), "timezone_name"),
    _record(),
    _loaded_at(),
)

meta_ad_insights = _table(
    RAW,
    "meta_ad_insights",
    ["account_id", "date", "ad_id"],
    "Meta ad-level daily insights (time_increment=1).",
    _c("account_id", sa.String(32), "account_id", False),
    _c("date", sa.Date, "date_start (account time zone)", False),
    _c("campaign_id", sa.String(32), "campaign_id"),
    _c("campaign_name", sa.Text, "campaign_name"),
    _c("adset_id", sa.String(32), "adset_id"),
    _c("ad_id", sa.String(32), "ad_id", False),
    _c("currency", sa.String(3), "account_currency"),
    _c("spend", MONEY, "spend (account currency)"),
    _c("impressions", COUNT, "impressions"),
    _c("clicks", COUNT, "clicks"),
    _c("actions", sa.Text, "actions, whole, as JSON"),
    _c("action_values", sa.Text, "action_values, whole, as JSON"),
    _record(),
    _loaded_at(),
)

meta_ad_actions = _table(
    RAW,
    "meta_ad_actions",
    ["account_id", "date", "ad_id", "action_type", "attribution"],
    "Meta actions and action values broken out per action type and attribution window.",
    _c("account_id", sa.String(32), "account_id", False),
    _c("date", sa.Date, "date_start (account time zone)", False),
    _c("campaign_id", sa.String(32), "campaign_id"),
    _c("ad_id", sa.String(32), "ad_id", False),
    _c("action_type", sa.Text, "actions[].action_type", False),
    _c("attribution", sa.String(16), "`value` (the default) or a window such as 7d_click", False),
    _c("actions", CONVERSIONS, "count of actions"),
    _c("action_value", MONEY, "value of the actions (account currency)"),
    _loaded_at(),
)

affiliate_actions = _table(
    RAW,
    "affiliate_actions",
    ["platform", "account_id", "action_id", "record_id", "window_date"],
    "Affiliate actions as each network returned them, one row per record per pull window.",
    _c("platform", sa.String(32), "impact, cj, awin or a file feed's name", False),
    _c("account_id", sa.String(64), "advertiser account on the network", False),
    _c("window_date", sa.Date, "the day of the read window this record came from", False),
    _c(
        "record_id",
        sa.String(64),
        "the record's own id (CJ: commissionId; else the action id)",
        False,
    ),
    _c("action_id", sa.String(64), "the action the record describes (CJ: originalActionId)", False),
    _c("event_date", sa.Date, "day of the sale or lead"),
    _c("updated_at", sa.DateTime(timezone=True), "when the network last changed the record"),
    _c("status", sa.String(32), "the network's own status word"),
    _c("action_type", sa.Text, "the network's action type / tracker"),
    _c("partner_id", sa.String(64), "publisher id"),
    _c("partner_name", sa.Text, "publisher name"),
    _c("currency", sa.String(3), "currency of the amounts"),
    _c("sale_amount", MONEY, "sale amount"),
    _c("commission", MONEY, "commission (the advertiser's cost)"),
    _record(),
    _loaded_at(),
)

ecb_rates = _table(
    RAW,
    "ecb_rates",
    ["date", "currency"],
    "ECB reference rates as published (units per EUR).",
    _c("date", sa.Date, "publication day", False),
    _c("currency", sa.String(3), "ISO 4217 code", False),
    _c("units_per_eur", UNITS_PER_EUR, "units per 1 EUR", False),
    _loaded_at(),
)

load_log = _table(
    RAW,
    "load_log",
    ["table_name", "slice", "loaded_at"],
    "One row per slice replaced by the write path: what was replaced, how many rows, when.",
    _c("table_name", sa.String(128), "schema-qualified table written", False),
    _c("slice", sa.Text, "the replaced slice as JSON: equality filters and the date window", False),
    _c("window_start", sa.Date, "first day of the replaced window (NULL for a window-less slice)"),
    _c("window_end", sa.Date, "last day of the replaced window (NULL for a window-less slice)"),
    _c("rows_deleted", COUNT, "rows the slice held before", False),
    _c("rows_inserted", COUNT, "rows the slice holds now", False),
    _loaded_at(),
)
