"""Google Ads conversions per action below the campaign: raw.google_ads_ad_conversion_daily and
raw.google_ads_keyword_conversion_daily (what google_ads.conversion_actions counts for ads and
keywords, as raw.google_ads_conversion_daily does for campaigns; issue #17)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# This migration's own copies of the types (tables.py may change; a migration may not).
_MONEY = sa.Numeric(20, 6)
_UTC = sa.DateTime(timezone=True)
_TABLES = ("google_ads_ad_conversion_daily", "google_ads_keyword_conversion_daily")


def _c(name: str, type_, comment: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, type_, nullable=nullable, comment=comment)


def _actions() -> list[sa.Column]:
    return [
        _c('conversion_action_name', sa.Text(), 'segments.conversion_action_name', False),
        _c('conversions', _MONEY, 'metrics.conversions (only actions included in conversions)'),
        _c('conversions_value', _MONEY, 'metrics.conversions_value (account currency)'),
        _c('all_conversions', _MONEY, 'metrics.all_conversions (every action, counted or not)'),
        _c('all_conversions_value', _MONEY, 'metrics.all_conversions_value (account currency)'),
        _c('record', sa.Text(), 'the record exactly as the source returned it (JSON)'),
        _c('loaded_at', _UTC, 'UTC time of the load', False),
    ]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        'google_ads_ad_conversion_daily',
        _c('account_id', sa.String(16), 'customer id, 10 digits', False),
        _c('date', sa.Date(), 'segments.date (account time zone)', False),
        _c('campaign_id', sa.String(32), 'campaign.id'),
        _c('ad_group_id', sa.String(32), 'ad_group.id', False),
        _c('ad_id', sa.String(32), 'ad_group_ad.ad.id', False),
        *_actions(),
        schema='raw',
        comment='Google Ads conversions per ad, day and conversion action (`FROM ad_group_ad`).',
    )  # fmt: skip
    op.create_table(
        'google_ads_keyword_conversion_daily',
        _c('account_id', sa.String(16), 'customer id, 10 digits', False),
        _c('date', sa.Date(), 'segments.date (account time zone)', False),
        _c('campaign_id', sa.String(32), 'campaign.id'),
        _c('ad_group_id', sa.String(32), 'ad_group.id', False),
        _c('criterion_id', sa.String(32), 'ad_group_criterion.criterion_id', False),
        _c('keyword_text', sa.Text(), 'ad_group_criterion.keyword.text'),
        _c('match_type', sa.String(16), 'ad_group_criterion.keyword.match_type'),
        *_actions(),
        schema='raw',
        comment='Google Ads conversions per keyword, day and conversion action (`FROM keyword_view`).',
    )  # fmt: skip


def downgrade() -> None:
    for name in reversed(_TABLES):
        op.drop_table(name, schema="raw")
