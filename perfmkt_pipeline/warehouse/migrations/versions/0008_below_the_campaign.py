"""Below the campaign: core.ad_groups, core.ads, core.ad_daily, core.keyword_daily and the marts
account_daily, ad_group_daily, ad_daily, keyword_daily, url_daily (issue #17)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# This migration's own copies of the types (tables.py may change; a migration may not).
_MONEY = sa.Numeric(20, 6)
_FX_RATE = sa.Numeric(24, 12)
_RATIO = sa.Numeric(28, 10)
_UTC = sa.DateTime(timezone=True)
_CORE = ("ad_groups", "ads", "ad_daily", "keyword_daily")
_MARTS = ("account_daily", "ad_group_daily", "ad_daily", "keyword_daily", "url_daily")


def _c(name: str, type_, comment: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, type_, nullable=nullable, comment=comment)


def upgrade() -> None:
    op.create_table(
        'ad_groups',
        _c('platform', sa.String(32), 'google_ads or meta', False),
        _c('account_id', sa.String(64), "the platform's account id", False),
        _c('campaign_id', sa.String(64), 'campaign id'),
        _c('ad_group_id', sa.String(64), 'ad group id (Google Ads) or ad set id (Meta)', False),
        _c('ad_group_name', sa.Text(), "the ad group's / ad set's name"),
        _c('ad_group_status', sa.String(32), "the platform's status word for it"),
        _c('loaded_at', _UTC, 'UTC time of the load that wrote this row', False),
        _c('source_loaded_at', _UTC, "UTC load time of the raw row this row's values come from (NULL: from configuration); a rebuild replaces the row only with values at least as recent"),
        schema='core',
        comment='One row per ad group (Google Ads) or ad set (Meta), with its latest name and status.',
    )  # fmt: skip
    op.create_table(
        'ads',
        _c('platform', sa.String(32), 'google_ads or meta', False),
        _c('account_id', sa.String(64), "the platform's account id", False),
        _c('campaign_id', sa.String(64), 'campaign id'),
        _c('ad_group_id', sa.String(64), 'ad group id (Google Ads) or ad set id (Meta)'),
        _c('ad_id', sa.String(64), 'ad id', False),
        _c('ad_name', sa.Text(), "the ad's name (Google Ads: its name, else its type)"),
        _c('ad_status', sa.String(32), "the platform's status word for the ad"),
        _c('final_url', sa.Text(), "Google Ads: the ad's first final URL; Meta: the creative's destination link with its url_tags appended as query parameters; NULL where the ad has none"),
        _c('loaded_at', _UTC, 'UTC time of the load that wrote this row', False),
        _c('source_loaded_at', _UTC, "UTC load time of the raw row this row's values come from (NULL: from configuration); a rebuild replaces the row only with values at least as recent"),
        schema='core',
        comment='One row per ad, with its latest name, status and landing URL.',
    )  # fmt: skip
    op.create_table(
        'ad_daily',
        _c('date', sa.Date(), "the day in the account's time zone", False),
        _c('platform', sa.String(32), 'google_ads or meta', False),
        _c('channel', sa.String(16), 'search or social', False),
        _c('account_id', sa.String(64), "the platform's account id", False),
        _c('campaign_id', sa.String(64), 'campaign id'),
        _c('ad_group_id', sa.String(64), 'ad group id (Google Ads) or ad set id (Meta)'),
        _c('ad_id', sa.String(64), 'ad id', False),
        _c('impressions', sa.BigInteger(), 'impressions (NULL where an affiliate network does not report them)'),
        _c('clicks', sa.BigInteger(), 'clicks (NULL where an affiliate network does not report them)'),
        _c('conversions', _MONEY, 'conversions that count per the configured mapping'),
        _c('currency', sa.String(3), "ISO 4217 code of the account's currency", False),
        _c('spend_local', _MONEY, "spend in the account's own currency"),
        _c('conversion_value_local', _MONEY, "conversion_value in the account's own currency"),
        _c('reporting_currency', sa.String(3), 'ISO 4217 code of the reporting currency', False),
        _c('fx_rate', _FX_RATE, 'reporting-currency units per unit of `currency` on `date` (ECB)'),
        _c('spend', _MONEY, 'spend in the reporting currency (local x fx_rate)'),
        _c('conversion_value', _MONEY, 'conversion_value in the reporting currency (local x fx_rate)'),
        _c('settled', sa.Boolean(), "true once the day is older than the platform's restatement window"),
        _c('loaded_at', _UTC, 'UTC time of the load that wrote this row', False),
        schema='core',
        comment="Daily delivery, spend and conversions per ad, in local and reporting currency. Meta's ads sum to its campaigns; Google Ads reports ads only for campaign types that have them (Performance Max has none), so its ad sums may be lower than the campaign's, never higher.",
    )  # fmt: skip
    op.create_table(
        'keyword_daily',
        _c('date', sa.Date(), "the day in the account's time zone", False),
        _c('platform', sa.String(32), 'google_ads or meta', False),
        _c('account_id', sa.String(64), "the platform's account id", False),
        _c('campaign_id', sa.String(64), 'campaign id'),
        _c('ad_group_id', sa.String(64), 'ad group id (Google Ads) or ad set id (Meta)', False),
        _c('keyword_id', sa.String(64), 'the ad group criterion id of the keyword (Google Ads)', False),
        _c('keyword_text', sa.Text(), 'the keyword as entered'),
        _c('match_type', sa.String(16), 'exact, phrase or broad'),
        _c('impressions', sa.BigInteger(), 'impressions (NULL where an affiliate network does not report them)'),
        _c('clicks', sa.BigInteger(), 'clicks (NULL where an affiliate network does not report them)'),
        _c('conversions', _MONEY, 'conversions that count per the configured mapping'),
        _c('currency', sa.String(3), "ISO 4217 code of the account's currency", False),
        _c('spend_local', _MONEY, "spend in the account's own currency"),
        _c('conversion_value_local', _MONEY, "conversion_value in the account's own currency"),
        _c('reporting_currency', sa.String(3), 'ISO 4217 code of the reporting currency', False),
        _c('fx_rate', _FX_RATE, 'reporting-currency units per unit of `currency` on `date` (ECB)'),
        _c('spend', _MONEY, 'spend in the reporting currency (local x fx_rate)'),
        _c('conversion_value', _MONEY, 'conversion_value in the reporting currency (local x fx_rate)'),
        _c('settled', sa.Boolean(), "true once the day is older than the platform's restatement window"),
        _c('loaded_at', _UTC, 'UTC time of the load that wrote this row', False),
        schema='core',
        comment='Daily delivery, spend and conversions per keyword (Google Ads), in local and reporting currency.',
    )  # fmt: skip
    op.create_table(
        'account_daily',
        _c('date', sa.Date(), "the day in the account's time zone", False),
        _c('channel', sa.String(16), 'search, social or affiliate', False),
        _c('platform', sa.String(32), "google_ads, meta, impact, cj, awin or a file feed's name", False),
        _c('account_id', sa.String(64), "the platform's account id", False),
        _c('account_name', sa.Text(), "the account's name on the platform"),
        _c('reporting_currency', sa.String(3), 'ISO 4217 code of the reporting currency', False),
        _c('spend', _MONEY, 'spend in the reporting currency'),
        _c('impressions', sa.BigInteger(), 'impressions'),
        _c('clicks', sa.BigInteger(), 'clicks'),
        _c('conversions', _MONEY, 'conversions as each platform claims them'),
        _c('conversion_value', _MONEY, 'conversion value in the reporting currency'),
        _c('ctr', _RATIO, 'clicks / impressions; NULL when impressions is 0 or NULL'),
        _c('cpc', _RATIO, 'spend / clicks; NULL when clicks is 0 or NULL'),
        _c('cpm', _RATIO, '1000 x spend / impressions; NULL when impressions is 0 or NULL'),
        _c('cvr', _RATIO, 'conversions / clicks; NULL when clicks is 0 or NULL'),
        _c('cpa', _RATIO, 'spend / conversions; NULL when conversions is 0 or NULL'),
        _c('roas', _RATIO, 'conversion_value / spend; NULL when spend is 0 or NULL'),
        _c('settled', sa.Boolean(), 'true once every contributing day is settled'),
        _c('loaded_at', _UTC, 'UTC time of the load that wrote this row', False),
        schema='marts',
        comment='Daily metrics per ad or affiliate account, reporting currency (from the campaign rows, so complete for every campaign type).',
    )  # fmt: skip
    op.create_table(
        'ad_group_daily',
        _c('date', sa.Date(), "the day in the account's time zone", False),
        _c('platform', sa.String(32), 'google_ads or meta', False),
        _c('account_id', sa.String(64), "the platform's account id", False),
        _c('account_name', sa.Text(), "the account's name on the platform"),
        _c('campaign_id', sa.String(64), 'campaign id'),
        _c('campaign_name', sa.Text(), 'campaign name'),
        _c('ad_group_id', sa.String(64), 'ad group id (Google Ads) or ad set id (Meta)', False),
        _c('ad_group_name', sa.Text(), 'ad group / ad set name'),
        _c('reporting_currency', sa.String(3), 'ISO 4217 code of the reporting currency', False),
        _c('spend', _MONEY, 'spend in the reporting currency'),
        _c('impressions', sa.BigInteger(), 'impressions'),
        _c('clicks', sa.BigInteger(), 'clicks'),
        _c('conversions', _MONEY, 'conversions as each platform claims them'),
        _c('conversion_value', _MONEY, 'conversion value in the reporting currency'),
        _c('ctr', _RATIO, 'clicks / impressions; NULL when impressions is 0 or NULL'),
        _c('cpc', _RATIO, 'spend / clicks; NULL when clicks is 0 or NULL'),
        _c('cpm', _RATIO, '1000 x spend / impressions; NULL when impressions is 0 or NULL'),
        _c('cvr', _RATIO, 'conversions / clicks; NULL when clicks is 0 or NULL'),
        _c('cpa', _RATIO, 'spend / conversions; NULL when conversions is 0 or NULL'),
        _c('roas', _RATIO, 'conversion_value / spend; NULL when spend is 0 or NULL'),
        _c('settled', sa.Boolean(), 'true once every contributing day is settled'),
        _c('loaded_at', _UTC, 'UTC time of the load that wrote this row', False),
        schema='marts',
        comment='Daily metrics per ad group / ad set (summed from its ads), reporting currency.',
    )  # fmt: skip
    op.create_table(
        'ad_daily',
        _c('date', sa.Date(), "the day in the account's time zone", False),
        _c('platform', sa.String(32), 'google_ads or meta', False),
        _c('account_id', sa.String(64), "the platform's account id", False),
        _c('account_name', sa.Text(), "the account's name on the platform"),
        _c('campaign_id', sa.String(64), 'campaign id'),
        _c('campaign_name', sa.Text(), 'campaign name'),
        _c('ad_group_id', sa.String(64), 'ad group id (Google Ads) or ad set id (Meta)'),
        _c('ad_group_name', sa.Text(), 'ad group / ad set name'),
        _c('ad_id', sa.String(64), 'ad id', False),
        _c('ad_name', sa.Text(), 'ad name'),
        _c('final_url', sa.Text(), "the ad's landing URL (core.ads.final_url)"),
        _c('reporting_currency', sa.String(3), 'ISO 4217 code of the reporting currency', False),
        _c('spend', _MONEY, 'spend in the reporting currency'),
        _c('impressions', sa.BigInteger(), 'impressions'),
        _c('clicks', sa.BigInteger(), 'clicks'),
        _c('conversions', _MONEY, 'conversions as each platform claims them'),
        _c('conversion_value', _MONEY, 'conversion value in the reporting currency'),
        _c('ctr', _RATIO, 'clicks / impressions; NULL when impressions is 0 or NULL'),
        _c('cpc', _RATIO, 'spend / clicks; NULL when clicks is 0 or NULL'),
        _c('cpm', _RATIO, '1000 x spend / impressions; NULL when impressions is 0 or NULL'),
        _c('cvr', _RATIO, 'conversions / clicks; NULL when clicks is 0 or NULL'),
        _c('cpa', _RATIO, 'spend / conversions; NULL when conversions is 0 or NULL'),
        _c('roas', _RATIO, 'conversion_value / spend; NULL when spend is 0 or NULL'),
        _c('settled', sa.Boolean(), 'true once every contributing day is settled'),
        _c('loaded_at', _UTC, 'UTC time of the load that wrote this row', False),
        schema='marts',
        comment="Daily metrics per ad, reporting currency, with the ad's landing URL.",
    )  # fmt: skip
    op.create_table(
        'keyword_daily',
        _c('date', sa.Date(), "the day in the account's time zone", False),
        _c('platform', sa.String(32), 'google_ads or meta', False),
        _c('account_id', sa.String(64), "the platform's account id", False),
        _c('account_name', sa.Text(), "the account's name on the platform"),
        _c('campaign_id', sa.String(64), 'campaign id'),
        _c('campaign_name', sa.Text(), 'campaign name'),
        _c('ad_group_id', sa.String(64), 'ad group id (Google Ads) or ad set id (Meta)', False),
        _c('ad_group_name', sa.Text(), 'ad group / ad set name'),
        _c('keyword_id', sa.String(64), 'the ad group criterion id of the keyword (Google Ads)', False),
        _c('keyword_text', sa.Text(), 'the keyword as entered'),
        _c('match_type', sa.String(16), 'exact, phrase or broad'),
        _c('reporting_currency', sa.String(3), 'ISO 4217 code of the reporting currency', False),
        _c('spend', _MONEY, 'spend in the reporting currency'),
        _c('impressions', sa.BigInteger(), 'impressions'),
        _c('clicks', sa.BigInteger(), 'clicks'),
        _c('conversions', _MONEY, 'conversions as each platform claims them'),
        _c('conversion_value', _MONEY, 'conversion value in the reporting currency'),
        _c('ctr', _RATIO, 'clicks / impressions; NULL when impressions is 0 or NULL'),
        _c('cpc', _RATIO, 'spend / clicks; NULL when clicks is 0 or NULL'),
        _c('cpm', _RATIO, '1000 x spend / impressions; NULL when impressions is 0 or NULL'),
        _c('cvr', _RATIO, 'conversions / clicks; NULL when clicks is 0 or NULL'),
        _c('cpa', _RATIO, 'spend / conversions; NULL when conversions is 0 or NULL'),
        _c('roas', _RATIO, 'conversion_value / spend; NULL when spend is 0 or NULL'),
        _c('settled', sa.Boolean(), 'true once every contributing day is settled'),
        _c('loaded_at', _UTC, 'UTC time of the load that wrote this row', False),
        schema='marts',
        comment='Daily metrics per keyword (Google Ads), reporting currency.',
    )  # fmt: skip
    op.create_table(
        'url_daily',
        _c('date', sa.Date(), "the day in the account's time zone", False),
        _c('platform', sa.String(32), 'google_ads or meta', False),
        _c('account_id', sa.String(64), "the platform's account id", False),
        _c('final_url', sa.Text(), "the ads' landing URL", False),
        _c('url_host', sa.Text(), "the URL's host (lower case)"),
        _c('url_path', sa.Text(), "the URL's path"),
        _c('utm_source', sa.Text(), "the final URL's utm_source parameter, as sent (NULL when absent)"),
        _c('utm_medium', sa.Text(), "the final URL's utm_medium parameter, as sent (NULL when absent)"),
        _c('utm_campaign', sa.Text(), "the final URL's utm_campaign parameter, as sent (NULL when absent)"),
        _c('utm_content', sa.Text(), "the final URL's utm_content parameter, as sent (NULL when absent)"),
        _c('utm_term', sa.Text(), "the final URL's utm_term parameter, as sent (NULL when absent)"),
        _c('reporting_currency', sa.String(3), 'ISO 4217 code of the reporting currency', False),
        _c('spend', _MONEY, 'spend in the reporting currency'),
        _c('impressions', sa.BigInteger(), 'impressions'),
        _c('clicks', sa.BigInteger(), 'clicks'),
        _c('conversions', _MONEY, 'conversions as each platform claims them'),
        _c('conversion_value', _MONEY, 'conversion value in the reporting currency'),
        _c('ctr', _RATIO, 'clicks / impressions; NULL when impressions is 0 or NULL'),
        _c('cpc', _RATIO, 'spend / clicks; NULL when clicks is 0 or NULL'),
        _c('cpm', _RATIO, '1000 x spend / impressions; NULL when impressions is 0 or NULL'),
        _c('cvr', _RATIO, 'conversions / clicks; NULL when clicks is 0 or NULL'),
        _c('cpa', _RATIO, 'spend / conversions; NULL when conversions is 0 or NULL'),
        _c('roas', _RATIO, 'conversion_value / spend; NULL when spend is 0 or NULL'),
        _c('settled', sa.Boolean(), 'true once every contributing day is settled'),
        _c('loaded_at', _UTC, 'UTC time of the load that wrote this row', False),
        schema='marts',
        comment="Daily metrics per landing URL (the ads' final URLs; ads without one are left out), reporting currency, with the URL's host, path and UTM parameters.",
    )  # fmt: skip


def downgrade() -> None:
    for name in _MARTS:
        op.drop_table(name, schema="marts")
    for name in _CORE:
        op.drop_table(name, schema="core")
