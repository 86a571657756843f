"""Google Ads below the campaign: raw.google_ads_campaigns, google_ads_ad_groups, google_ads_ads
(listings) and google_ads_ad_daily, google_ads_keyword_daily (daily reports; issue #17)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# This migration's own copies of the types (tables.py may change; a migration may not).
_MONEY = sa.Numeric(20, 6)
_UTC = sa.DateTime(timezone=True)
_TABLES = (
    "google_ads_campaigns", "google_ads_ad_groups", "google_ads_ads", "google_ads_ad_daily",
    "google_ads_keyword_daily",
)  # fmt: skip


def _c(name: str, type_, comment: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, type_, nullable=nullable, comment=comment)


def upgrade() -> None:
    op.create_table(
        'google_ads_campaigns',
        _c('account_id', sa.String(16), 'customer id, 10 digits', False),
        _c('campaign_id', sa.String(32), 'campaign.id', False),
        _c('campaign_name', sa.Text(), 'campaign.name'),
        _c('campaign_status', sa.String(32), 'campaign.status'),
        _c('channel_type', sa.String(32), 'campaign.advertising_channel_type'),
        _c('record', sa.Text(), 'the record exactly as the source returned it (JSON)'),
        _c('loaded_at', _UTC, 'UTC time of the load', False),
        schema='raw',
        comment='Google Ads campaigns as `FROM campaign` (no metrics) last listed them, with their type.',
    )  # fmt: skip
    op.create_table(
        'google_ads_ad_groups',
        _c('account_id', sa.String(16), 'customer id, 10 digits', False),
        _c('ad_group_id', sa.String(32), 'ad_group.id', False),
        _c('campaign_id', sa.String(32), 'campaign.id'),
        _c('ad_group_name', sa.Text(), 'ad_group.name'),
        _c('ad_group_status', sa.String(32), 'ad_group.status'),
        _c('record', sa.Text(), 'the record exactly as the source returned it (JSON)'),
        _c('loaded_at', _UTC, 'UTC time of the load', False),
        schema='raw',
        comment='Google Ads ad groups as `FROM ad_group` last listed them.',
    )  # fmt: skip
    op.create_table(
        'google_ads_ads',
        _c('account_id', sa.String(16), 'customer id, 10 digits', False),
        _c('ad_id', sa.String(32), 'ad_group_ad.ad.id', False),
        _c('ad_group_id', sa.String(32), 'ad_group.id'),
        _c('campaign_id', sa.String(32), 'campaign.id'),
        _c('ad_name', sa.Text(), 'ad_group_ad.ad.name (empty for most Search ads)'),
        _c('ad_type', sa.String(64), 'ad_group_ad.ad.type'),
        _c('ad_status', sa.String(32), 'ad_group_ad.status'),
        _c('final_url', sa.Text(), 'ad_group_ad.ad.final_urls[0] (NULL: none)'),
        _c('record', sa.Text(), 'the record exactly as the source returned it (JSON)'),
        _c('loaded_at', _UTC, 'UTC time of the load', False),
        schema='raw',
        comment='Google Ads ads as `FROM ad_group_ad` (no metrics) last listed them.',
    )  # fmt: skip
    op.create_table(
        'google_ads_ad_daily',
        _c('account_id', sa.String(16), 'customer id, 10 digits', False),
        _c('date', sa.Date(), 'segments.date (account time zone)', False),
        _c('campaign_id', sa.String(32), 'campaign.id'),
        _c('ad_group_id', sa.String(32), 'ad_group.id', False),
        _c('ad_id', sa.String(32), 'ad_group_ad.ad.id', False),
        _c('cost_micros', sa.BigInteger(), 'metrics.cost_micros (account currency x 1,000,000)'),
        _c('impressions', sa.BigInteger(), 'metrics.impressions'),
        _c('clicks', sa.BigInteger(), 'metrics.clicks'),
        _c('conversions', _MONEY, 'metrics.conversions'),
        _c('conversions_value', _MONEY, 'metrics.conversions_value (account currency)'),
        _c('record', sa.Text(), 'the record exactly as the source returned it (JSON)'),
        _c('loaded_at', _UTC, 'UTC time of the load', False),
        schema='raw',
        comment='Google Ads `FROM ad_group_ad` rows segmented by date (only campaign types with ads).',
    )  # fmt: skip
    op.create_table(
        'google_ads_keyword_daily',
        _c('account_id', sa.String(16), 'customer id, 10 digits', False),
        _c('date', sa.Date(), 'segments.date (account time zone)', False),
        _c('campaign_id', sa.String(32), 'campaign.id'),
        _c('ad_group_id', sa.String(32), 'ad_group.id', False),
        _c('criterion_id', sa.String(32), 'ad_group_criterion.criterion_id', False),
        _c('keyword_text', sa.Text(), 'ad_group_criterion.keyword.text'),
        _c('match_type', sa.String(16), 'ad_group_criterion.keyword.match_type'),
        _c('cost_micros', sa.BigInteger(), 'metrics.cost_micros (account currency x 1,000,000)'),
        _c('impressions', sa.BigInteger(), 'metrics.impressions'),
        _c('clicks', sa.BigInteger(), 'metrics.clicks'),
        _c('conversions', _MONEY, 'metrics.conversions'),
        _c('conversions_value', _MONEY, 'metrics.conversions_value (account currency)'),
        _c('record', sa.Text(), 'the record exactly as the source returned it (JSON)'),
        _c('loaded_at', _UTC, 'UTC time of the load', False),
        schema='raw',
        comment='Google Ads `FROM keyword_view` rows segmented by date.',
    )  # fmt: skip


def downgrade() -> None:
    for name in reversed(_TABLES):
        op.drop_table(name, schema="raw")
