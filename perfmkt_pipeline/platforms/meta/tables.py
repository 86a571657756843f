"""Raw landing tables for Meta (owned by the Meta connector)."""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.warehouse.raw.common import loaded_at, record
from perfmkt_pipeline.warehouse.tables import CONVERSIONS, COUNT, MONEY, RAW, _c, _table

meta_accounts = _table(
    RAW,
    "meta_accounts",
    ["account_id"],
    "Meta ad accounts as described by the Graph API.",
    _c("account_id", sa.String(32), "ad account id without `act_`", False),
    _c("account_name", sa.Text, "name"),
    _c("currency", sa.String(3), "currency"),
    _c("timezone", sa.String(64), "timezone_name"),
    record(),
    loaded_at(),
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
    record(),
    loaded_at(),
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
    loaded_at(),
)

# Listings (issue #17): what each ad set and ad is called, its status and where it lands, as the
# account's listing said on the latest run (one row per object: upserted, never deleted, so an
# ad that left the listing keeps its last description).
meta_adsets = _table(
    RAW,
    "meta_adsets",
    ["account_id", "adset_id"],
    "Meta ad sets as listed by GET /act_<id>/adsets, the latest listing of each.",
    _c("account_id", sa.String(32), "ad account id without `act_`", False),
    _c("adset_id", sa.String(32), "id", False),
    _c("campaign_id", sa.String(32), "campaign_id"),
    _c("adset_name", sa.Text, "name"),
    _c("status", sa.String(32), "status (the ad set's own setting)"),
    _c("effective_status", sa.String(32), "effective_status"),
    record(),
    loaded_at(),
)

meta_ads = _table(
    RAW,
    "meta_ads",
    ["account_id", "ad_id"],
    "Meta ads as listed by GET /act_<id>/ads with their creative, the latest listing of each.",
    _c("account_id", sa.String(32), "ad account id without `act_`", False),
    _c("ad_id", sa.String(32), "id", False),
    _c("adset_id", sa.String(32), "adset_id"),
    _c("campaign_id", sa.String(32), "campaign_id"),
    _c("ad_name", sa.Text, "name"),
    _c("status", sa.String(32), "status (the ad's own setting)"),
    _c("effective_status", sa.String(32), "effective_status"),
    _c("link", sa.Text, "the creative's destination link (object_story_spec, else link_url)"),
    _c("url_tags", sa.Text, "creative.url_tags"),
    record(),
    loaded_at(),
)
