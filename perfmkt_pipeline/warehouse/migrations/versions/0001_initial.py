"""initial warehouse schema: core, marts and raw landing tables

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ad_accounts",
        sa.Column(
            "platform",
            sa.String(length=32),
            nullable=False,
            comment="google_ads, meta, impact, cj, awin or a file feed's name",
        ),
        sa.Column(
            "account_id", sa.String(length=64), nullable=False, comment="the platform's account id"
        ),
        sa.Column(
            "account_name", sa.Text(), nullable=True, comment="the account's name on the platform"
        ),
        sa.Column(
            "currency",
            sa.String(length=3),
            nullable=False,
            comment="ISO 4217 code of the account's currency",
        ),
        sa.Column(
            "timezone",
            sa.String(length=64),
            nullable=True,
            comment="IANA time zone the platform reports the account's days in",
        ),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="UTC time of the load that wrote this row",
        ),
        schema="core",
        comment="One row per advertising or affiliate account.",
        info={"grain": ["platform", "account_id"]},
    )
    op.create_table(
        "ad_performance_daily",
        sa.Column(
            "date",
            sa.Date(),
            nullable=False,
            comment="the day in the account's time zone (affiliates: the network's day)",
        ),
        sa.Column(
            "platform",
            sa.String(length=32),
            nullable=False,
            comment="google_ads, meta, impact, cj, awin or a file feed's name",
        ),
        sa.Column(
            "channel", sa.String(length=16), nullable=False, comment="search, social or affiliate"
        ),
        sa.Column(
            "account_id", sa.String(length=64), nullable=False, comment="the platform's account id"
        ),
        sa.Column(
            "campaign_id",
            sa.String(length=64),
            nullable=False,
            comment="campaign id (affiliates: partner id)",
        ),
        sa.Column(
            "impressions",
            sa.BigInteger(),
            nullable=True,
            comment="impressions (NULL where an affiliate network does not report them)",
        ),
        sa.Column(
            "clicks",
            sa.BigInteger(),
            nullable=True,
            comment="clicks (NULL where an affiliate network does not report them)",
        ),
        sa.Column(
            "conversions",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="conversions that count per the configured mapping",
        ),
        sa.Column(
            "currency",
            sa.String(length=3),
            nullable=False,
            comment="ISO 4217 code of the account's currency",
        ),
        sa.Column(
            "spend_local",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="spend in the account's own currency",
        ),
        sa.Column(
            "conversion_value_local",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="conversion_value in the account's own currency",
        ),
        sa.Column(
            "reporting_currency",
            sa.String(length=3),
            nullable=False,
            comment="ISO 4217 code of the reporting currency",
        ),
        sa.Column(
            "fx_rate",
            sa.Numeric(precision=24, scale=12),
            nullable=True,
            comment="reporting-currency units per unit of `currency` on `date` (ECB)",
        ),
        sa.Column(
            "spend",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="spend in the reporting currency (local x fx_rate)",
        ),
        sa.Column(
            "conversion_value",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="conversion_value in the reporting currency (local x fx_rate)",
        ),
        sa.Column(
            "settled",
            sa.Boolean(),
            nullable=True,
            comment="true once the day is older than the platform's restatement window",
        ),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="UTC time of the load that wrote this row",
        ),
        schema="core",
        comment="Daily delivery, spend and conversions per campaign, in local and reporting currency.",
        info={"grain": ["date", "platform", "account_id", "campaign_id"]},
    )
    op.create_table(
        "affiliate_actions",
        sa.Column(
            "platform",
            sa.String(length=32),
            nullable=False,
            comment="impact, cj, awin or a file feed's name",
        ),
        sa.Column(
            "account_id",
            sa.String(length=64),
            nullable=False,
            comment="the advertiser account on the network",
        ),
        sa.Column(
            "action_id",
            sa.String(length=64),
            nullable=False,
            comment="the network's action / transaction id",
        ),
        sa.Column(
            "event_date",
            sa.Date(),
            nullable=False,
            comment="the day of the sale or lead (network's reporting day)",
        ),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="pending, approved or reversed"
        ),
        sa.Column(
            "campaign_id", sa.String(length=64), nullable=True, comment="partner (publisher) id"
        ),
        sa.Column(
            "currency",
            sa.String(length=3),
            nullable=False,
            comment="ISO 4217 code of the account's currency",
        ),
        sa.Column(
            "sale_amount_local",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="sale_amount in the account's own currency",
        ),
        sa.Column(
            "commission_local",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="commission in the account's own currency",
        ),
        sa.Column(
            "reporting_currency",
            sa.String(length=3),
            nullable=False,
            comment="ISO 4217 code of the reporting currency",
        ),
        sa.Column(
            "fx_rate",
            sa.Numeric(precision=24, scale=12),
            nullable=True,
            comment="reporting-currency units per unit of `currency` on `event_date` (ECB)",
        ),
        sa.Column(
            "sale_amount",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="sale_amount in the reporting currency (local x fx_rate)",
        ),
        sa.Column(
            "commission",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="commission in the reporting currency (local x fx_rate)",
        ),
        sa.Column(
            "source_updated_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the network last changed the action",
        ),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="UTC time of the load that wrote this row",
        ),
        schema="core",
        comment="The latest known state of every affiliate action.",
        info={"grain": ["platform", "action_id"]},
    )
    op.create_table(
        "campaigns",
        sa.Column(
            "platform",
            sa.String(length=32),
            nullable=False,
            comment="google_ads, meta, impact, cj, awin or a file feed's name",
        ),
        sa.Column(
            "account_id", sa.String(length=64), nullable=False, comment="the platform's account id"
        ),
        sa.Column(
            "campaign_id",
            sa.String(length=64),
            nullable=False,
            comment="campaign id (affiliates: partner id)",
        ),
        sa.Column(
            "campaign_name",
            sa.Text(),
            nullable=True,
            comment="campaign name (affiliates: partner name)",
        ),
        sa.Column(
            "campaign_status",
            sa.String(length=32),
            nullable=True,
            comment="the platform's status word for the campaign",
        ),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="UTC time of the load that wrote this row",
        ),
        schema="core",
        comment="One row per campaign; for affiliates the partner (publisher) is the campaign.",
        info={"grain": ["platform", "account_id", "campaign_id"]},
    )
    op.create_table(
        "conversions_daily",
        sa.Column("date", sa.Date(), nullable=False, comment="the day in the account's time zone"),
        sa.Column(
            "platform",
            sa.String(length=32),
            nullable=False,
            comment="google_ads, meta, impact, cj, awin or a file feed's name",
        ),
        sa.Column(
            "account_id", sa.String(length=64), nullable=False, comment="the platform's account id"
        ),
        sa.Column(
            "campaign_id",
            sa.String(length=64),
            nullable=False,
            comment="campaign id (affiliates: partner id)",
        ),
        sa.Column(
            "conversion_name",
            sa.Text(),
            nullable=False,
            comment="conversion action name, Meta action_type, or affiliate action type",
        ),
        sa.Column(
            "conversions",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="conversions of this kind",
        ),
        sa.Column(
            "currency",
            sa.String(length=3),
            nullable=False,
            comment="ISO 4217 code of the account's currency",
        ),
        sa.Column(
            "conversion_value_local",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="conversion_value in the account's own currency",
        ),
        sa.Column(
            "reporting_currency",
            sa.String(length=3),
            nullable=False,
            comment="ISO 4217 code of the reporting currency",
        ),
        sa.Column(
            "fx_rate",
            sa.Numeric(precision=24, scale=12),
            nullable=True,
            comment="reporting-currency units per unit of `currency` on `date` (ECB)",
        ),
        sa.Column(
            "conversion_value",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="conversion_value in the reporting currency (local x fx_rate)",
        ),
        sa.Column(
            "settled",
            sa.Boolean(),
            nullable=True,
            comment="true once the day is older than the platform's restatement window",
        ),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="UTC time of the load that wrote this row",
        ),
        schema="core",
        comment="Daily conversions per campaign and conversion action / action type.",
        info={"grain": ["date", "platform", "account_id", "campaign_id", "conversion_name"]},
    )
    op.create_table(
        "fx_rates",
        sa.Column("date", sa.Date(), nullable=False, comment="the ECB publication day"),
        sa.Column("currency", sa.String(length=3), nullable=False, comment="ISO 4217 code"),
        sa.Column(
            "units_per_eur",
            sa.Numeric(precision=18, scale=6),
            nullable=False,
            comment="units of `currency` per 1 EUR",
        ),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="UTC time of the load that wrote this row",
        ),
        schema="core",
        comment="ECB euro reference rates: units of each currency per 1 EUR (EUR itself is 1).",
        info={"grain": ["date", "currency"]},
    )
    op.create_table(
        "restatements",
        sa.Column("date", sa.Date(), nullable=False, comment="the restated day"),
        sa.Column(
            "platform",
            sa.String(length=32),
            nullable=False,
            comment="the platform that restated it",
        ),
        sa.Column(
            "account_id", sa.String(length=64), nullable=False, comment="the platform's account id"
        ),
        sa.Column(
            "campaign_id",
            sa.String(length=64),
            nullable=False,
            comment="campaign id (affiliates: partner id)",
        ),
        sa.Column(
            "metric", sa.String(length=64), nullable=False, comment="the column that changed"
        ),
        sa.Column(
            "old_value",
            sa.Numeric(precision=28, scale=6),
            nullable=True,
            comment="the value before the re-pull",
        ),
        sa.Column(
            "new_value",
            sa.Numeric(precision=28, scale=6),
            nullable=True,
            comment="the value after the re-pull",
        ),
        sa.Column(
            "detected_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="UTC time of the load that saw the change",
        ),
        schema="core",
        comment="Every change a re-pull made to a day that had already been loaded.",
        info={"grain": ["date", "platform", "account_id", "campaign_id", "metric", "detected_at"]},
    )
    op.create_table(
        "campaign_daily",
        sa.Column("date", sa.Date(), nullable=False, comment="the day in the account's time zone"),
        sa.Column(
            "channel", sa.String(length=16), nullable=False, comment="search, social or affiliate"
        ),
        sa.Column(
            "platform",
            sa.String(length=32),
            nullable=False,
            comment="google_ads, meta, impact, cj, awin or a file feed's name",
        ),
        sa.Column(
            "account_id", sa.String(length=64), nullable=False, comment="the platform's account id"
        ),
        sa.Column(
            "campaign_id",
            sa.String(length=64),
            nullable=False,
            comment="campaign id (affiliates: partner id)",
        ),
        sa.Column(
            "campaign_name",
            sa.Text(),
            nullable=True,
            comment="campaign name (affiliates: partner name)",
        ),
        sa.Column(
            "reporting_currency",
            sa.String(length=3),
            nullable=False,
            comment="ISO 4217 code of the reporting currency",
        ),
        sa.Column(
            "spend",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="spend in the reporting currency",
        ),
        sa.Column("impressions", sa.BigInteger(), nullable=True, comment="impressions"),
        sa.Column("clicks", sa.BigInteger(), nullable=True, comment="clicks"),
        sa.Column(
            "conversions",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="conversions as each platform claims them",
        ),
        sa.Column(
            "conversion_value",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="conversion value in the reporting currency",
        ),
        sa.Column(
            "ctr",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="clicks / impressions; NULL when impressions is 0 or NULL",
        ),
        sa.Column(
            "cpc",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="spend / clicks; NULL when clicks is 0 or NULL",
        ),
        sa.Column(
            "cpm",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="1000 x spend / impressions; NULL when impressions is 0 or NULL",
        ),
        sa.Column(
            "cvr",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="conversions / clicks; NULL when clicks is 0 or NULL",
        ),
        sa.Column(
            "cpa",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="spend / conversions; NULL when conversions is 0 or NULL",
        ),
        sa.Column(
            "roas",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="conversion_value / spend; NULL when spend is 0 or NULL",
        ),
        sa.Column(
            "settled",
            sa.Boolean(),
            nullable=True,
            comment="true once every contributing day is settled",
        ),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="UTC time of the load that wrote this row",
        ),
        schema="marts",
        comment="Daily metrics per campaign, reporting currency.",
        info={"grain": ["date", "platform", "account_id", "campaign_id"]},
    )
    op.create_table(
        "channel_daily",
        sa.Column("date", sa.Date(), nullable=False, comment="the day as the platforms report it"),
        sa.Column(
            "channel", sa.String(length=16), nullable=False, comment="search, social or affiliate"
        ),
        sa.Column(
            "platform",
            sa.String(length=32),
            nullable=False,
            comment="google_ads, meta, impact, cj, awin or a file feed's name",
        ),
        sa.Column(
            "reporting_currency",
            sa.String(length=3),
            nullable=False,
            comment="ISO 4217 code of the reporting currency",
        ),
        sa.Column(
            "spend",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="spend in the reporting currency",
        ),
        sa.Column("impressions", sa.BigInteger(), nullable=True, comment="impressions"),
        sa.Column("clicks", sa.BigInteger(), nullable=True, comment="clicks"),
        sa.Column(
            "conversions",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="conversions as each platform claims them",
        ),
        sa.Column(
            "conversion_value",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="conversion value in the reporting currency",
        ),
        sa.Column(
            "ctr",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="clicks / impressions; NULL when impressions is 0 or NULL",
        ),
        sa.Column(
            "cpc",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="spend / clicks; NULL when clicks is 0 or NULL",
        ),
        sa.Column(
            "cpm",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="1000 x spend / impressions; NULL when impressions is 0 or NULL",
        ),
        sa.Column(
            "cvr",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="conversions / clicks; NULL when clicks is 0 or NULL",
        ),
        sa.Column(
            "cpa",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="spend / conversions; NULL when conversions is 0 or NULL",
        ),
        sa.Column(
            "roas",
            sa.Numeric(precision=28, scale=10),
            nullable=True,
            comment="conversion_value / spend; NULL when spend is 0 or NULL",
        ),
        sa.Column(
            "settled",
            sa.Boolean(),
            nullable=True,
            comment="true once every contributing day is settled",
        ),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="UTC time of the load that wrote this row",
        ),
        schema="marts",
        comment="Daily metrics per channel and platform, reporting currency. Platforms each claim their own conversions: summing conversions across platforms over-counts.",
        info={"grain": ["date", "channel", "platform"]},
    )
    op.create_table(
        "affiliate_actions",
        sa.Column(
            "platform",
            sa.String(length=32),
            nullable=False,
            comment="impact, cj, awin or a file feed's name",
        ),
        sa.Column(
            "account_id",
            sa.String(length=64),
            nullable=False,
            comment="advertiser account on the network",
        ),
        sa.Column(
            "window_date",
            sa.Date(),
            nullable=False,
            comment="the day of the read window this record came from",
        ),
        sa.Column(
            "record_id",
            sa.String(length=64),
            nullable=False,
            comment="the record's own id (CJ: commissionId; else the action id)",
        ),
        sa.Column(
            "action_id",
            sa.String(length=64),
            nullable=False,
            comment="the action the record describes (CJ: originalActionId)",
        ),
        sa.Column("event_date", sa.Date(), nullable=True, comment="day of the sale or lead"),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the network last changed the record",
        ),
        sa.Column(
            "status", sa.String(length=32), nullable=True, comment="the network's own status word"
        ),
        sa.Column(
            "action_type", sa.Text(), nullable=True, comment="the network's action type / tracker"
        ),
        sa.Column("partner_id", sa.String(length=64), nullable=True, comment="publisher id"),
        sa.Column("partner_name", sa.Text(), nullable=True, comment="publisher name"),
        sa.Column(
            "currency", sa.String(length=3), nullable=True, comment="currency of the amounts"
        ),
        sa.Column(
            "sale_amount", sa.Numeric(precision=20, scale=6), nullable=True, comment="sale amount"
        ),
        sa.Column(
            "commission",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="commission (the advertiser's cost)",
        ),
        sa.Column(
            "record",
            sa.Text(),
            nullable=True,
            comment="the record exactly as the source returned it (JSON)",
        ),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, comment="UTC time of the load"
        ),
        schema="raw",
        comment="Affiliate actions as each network returned them, one row per record per pull window.",
        info={"grain": ["platform", "account_id", "action_id", "record_id", "window_date"]},
    )
    op.create_table(
        "ecb_rates",
        sa.Column("date", sa.Date(), nullable=False, comment="publication day"),
        sa.Column("currency", sa.String(length=3), nullable=False, comment="ISO 4217 code"),
        sa.Column(
            "units_per_eur",
            sa.Numeric(precision=18, scale=6),
            nullable=False,
            comment="units per 1 EUR",
        ),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, comment="UTC time of the load"
        ),
        schema="raw",
        comment="ECB reference rates as published (units per EUR).",
        info={"grain": ["date", "currency"]},
    )
    op.create_table(
        "google_ads_accounts",
        sa.Column(
            "account_id", sa.String(length=16), nullable=False, comment="customer id, 10 digits"
        ),
        sa.Column("account_name", sa.Text(), nullable=True, comment="customer.descriptive_name"),
        sa.Column("currency", sa.String(length=3), nullable=True, comment="customer.currency_code"),
        sa.Column("timezone", sa.String(length=64), nullable=True, comment="customer.time_zone"),
        sa.Column(
            "record",
            sa.Text(),
            nullable=True,
            comment="the record exactly as the source returned it (JSON)",
        ),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, comment="UTC time of the load"
        ),
        schema="raw",
        comment="Google Ads customers as described by `FROM customer`.",
        info={"grain": ["account_id"]},
    )
    op.create_table(
        "google_ads_campaign_daily",
        sa.Column(
            "account_id", sa.String(length=16), nullable=False, comment="customer id, 10 digits"
        ),
        sa.Column("date", sa.Date(), nullable=False, comment="segments.date (account time zone)"),
        sa.Column("campaign_id", sa.String(length=32), nullable=False, comment="campaign.id"),
        sa.Column("campaign_name", sa.Text(), nullable=True, comment="campaign.name"),
        sa.Column(
            "campaign_status", sa.String(length=32), nullable=True, comment="campaign.status"
        ),
        sa.Column(
            "cost_micros",
            sa.BigInteger(),
            nullable=True,
            comment="metrics.cost_micros (account currency x 1,000,000)",
        ),
        sa.Column("impressions", sa.BigInteger(), nullable=True, comment="metrics.impressions"),
        sa.Column("clicks", sa.BigInteger(), nullable=True, comment="metrics.clicks"),
        sa.Column(
            "conversions",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="metrics.conversions",
        ),
        sa.Column(
            "conversions_value",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="metrics.conversions_value (account currency)",
        ),
        sa.Column(
            "record",
            sa.Text(),
            nullable=True,
            comment="the record exactly as the source returned it (JSON)",
        ),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, comment="UTC time of the load"
        ),
        schema="raw",
        comment="Google Ads `FROM campaign` rows segmented by date.",
        info={"grain": ["account_id", "date", "campaign_id"]},
    )
    op.create_table(
        "google_ads_conversion_daily",
        sa.Column(
            "account_id", sa.String(length=16), nullable=False, comment="customer id, 10 digits"
        ),
        sa.Column("date", sa.Date(), nullable=False, comment="segments.date (account time zone)"),
        sa.Column("campaign_id", sa.String(length=32), nullable=False, comment="campaign.id"),
        sa.Column(
            "conversion_action_name",
            sa.Text(),
            nullable=False,
            comment="segments.conversion_action_name",
        ),
        sa.Column(
            "conversions",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="metrics.conversions",
        ),
        sa.Column(
            "conversions_value",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="metrics.conversions_value (account currency)",
        ),
        sa.Column(
            "record",
            sa.Text(),
            nullable=True,
            comment="the record exactly as the source returned it (JSON)",
        ),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, comment="UTC time of the load"
        ),
        schema="raw",
        comment="Google Ads conversions per campaign, day and conversion action.",
        info={"grain": ["account_id", "date", "campaign_id", "conversion_action_name"]},
    )
    op.create_table(
        "meta_accounts",
        sa.Column(
            "account_id",
            sa.String(length=32),
            nullable=False,
            comment="ad account id without `act_`",
        ),
        sa.Column("account_name", sa.Text(), nullable=True, comment="name"),
        sa.Column("currency", sa.String(length=3), nullable=True, comment="currency"),
        sa.Column("timezone", sa.String(length=64), nullable=True, comment="timezone_name"),
        sa.Column(
            "record",
            sa.Text(),
            nullable=True,
            comment="the record exactly as the source returned it (JSON)",
        ),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, comment="UTC time of the load"
        ),
        schema="raw",
        comment="Meta ad accounts as described by the Graph API.",
        info={"grain": ["account_id"]},
    )
    op.create_table(
        "meta_ad_actions",
        sa.Column("account_id", sa.String(length=32), nullable=False, comment="account_id"),
        sa.Column("date", sa.Date(), nullable=False, comment="date_start (account time zone)"),
        sa.Column("campaign_id", sa.String(length=32), nullable=True, comment="campaign_id"),
        sa.Column("ad_id", sa.String(length=32), nullable=False, comment="ad_id"),
        sa.Column("action_type", sa.Text(), nullable=False, comment="actions[].action_type"),
        sa.Column(
            "attribution",
            sa.String(length=16),
            nullable=False,
            comment="`value` (the default) or a window such as 7d_click",
        ),
        sa.Column(
            "actions", sa.Numeric(precision=20, scale=6), nullable=True, comment="count of actions"
        ),
        sa.Column(
            "action_value",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="value of the actions (account currency)",
        ),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, comment="UTC time of the load"
        ),
        schema="raw",
        comment="Meta actions and action values broken out per action type and attribution window.",
        info={"grain": ["account_id", "date", "ad_id", "action_type", "attribution"]},
    )
    op.create_table(
        "meta_ad_insights",
        sa.Column("account_id", sa.String(length=32), nullable=False, comment="account_id"),
        sa.Column("date", sa.Date(), nullable=False, comment="date_start (account time zone)"),
        sa.Column("campaign_id", sa.String(length=32), nullable=True, comment="campaign_id"),
        sa.Column("campaign_name", sa.Text(), nullable=True, comment="campaign_name"),
        sa.Column("adset_id", sa.String(length=32), nullable=True, comment="adset_id"),
        sa.Column("ad_id", sa.String(length=32), nullable=False, comment="ad_id"),
        sa.Column("currency", sa.String(length=3), nullable=True, comment="account_currency"),
        sa.Column(
            "spend",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="spend (account currency)",
        ),
        sa.Column("impressions", sa.BigInteger(), nullable=True, comment="impressions"),
        sa.Column("clicks", sa.BigInteger(), nullable=True, comment="clicks"),
        sa.Column("actions", sa.Text(), nullable=True, comment="actions, whole, as JSON"),
        sa.Column(
            "action_values", sa.Text(), nullable=True, comment="action_values, whole, as JSON"
        ),
        sa.Column(
            "record",
            sa.Text(),
            nullable=True,
            comment="the record exactly as the source returned it (JSON)",
        ),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, comment="UTC time of the load"
        ),
        schema="raw",
        comment="Meta ad-level daily insights (time_increment=1).",
        info={"grain": ["account_id", "date", "ad_id"]},
    )


def downgrade() -> None:
    op.drop_table("meta_ad_insights", schema="raw")
    op.drop_table("meta_ad_actions", schema="raw")
    op.drop_table("meta_accounts", schema="raw")
    op.drop_table("google_ads_conversion_daily", schema="raw")
    op.drop_table("google_ads_campaign_daily", schema="raw")
    op.drop_table("google_ads_accounts", schema="raw")
    op.drop_table("ecb_rates", schema="raw")
    op.drop_table("affiliate_actions", schema="raw")
    op.drop_table("channel_daily", schema="marts")
    op.drop_table("campaign_daily", schema="marts")
    op.drop_table("restatements", schema="core")
    op.drop_table("fx_rates", schema="core")
    op.drop_table("conversions_daily", schema="core")
    op.drop_table("campaigns", schema="core")
    op.drop_table("affiliate_actions", schema="core")
    op.drop_table("ad_performance_daily", schema="core")
    op.drop_table("ad_accounts", schema="core")
