"""Meta listings: raw.meta_adsets and raw.meta_ads (names, statuses, creative links; issue #17)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# This migration's own copies of the types (tables.py may change; a migration may not).
_UTC = sa.DateTime(timezone=True)


def _c(name: str, type_, comment: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, type_, nullable=nullable, comment=comment)


def upgrade() -> None:
    op.create_table(
        'meta_adsets',
        _c('account_id', sa.String(32), 'ad account id without `act_`', False),
        _c('adset_id', sa.String(32), 'id', False),
        _c('campaign_id', sa.String(32), 'campaign_id'),
        _c('adset_name', sa.Text(), 'name'),
        _c('status', sa.String(32), "status (the ad set's own setting)"),
        _c('effective_status', sa.String(32), 'effective_status'),
        _c('record', sa.Text(), 'the record exactly as the source returned it (JSON)'),
        _c('loaded_at', _UTC, 'UTC time of the load', False),
        schema='raw',
        comment='Meta ad sets as listed by GET /act_<id>/adsets, the latest listing of each.',
    )  # fmt: skip
    op.create_table(
        'meta_ads',
        _c('account_id', sa.String(32), 'ad account id without `act_`', False),
        _c('ad_id', sa.String(32), 'id', False),
        _c('adset_id', sa.String(32), 'adset_id'),
        _c('campaign_id', sa.String(32), 'campaign_id'),
        _c('ad_name', sa.Text(), 'name'),
        _c('status', sa.String(32), "status (the ad's own setting)"),
        _c('effective_status', sa.String(32), 'effective_status'),
        _c('link', sa.Text(), "the creative's destination link (object_story_spec, else link_url)"),
        _c('url_tags', sa.Text(), 'creative.url_tags'),
        _c('record', sa.Text(), 'the record exactly as the source returned it (JSON)'),
        _c('loaded_at', _UTC, 'UTC time of the load', False),
        schema='raw',
        comment='Meta ads as listed by GET /act_<id>/ads with their creative, the latest listing of each.',
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("meta_ads", schema="raw")
    op.drop_table("meta_adsets", schema="raw")
