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
