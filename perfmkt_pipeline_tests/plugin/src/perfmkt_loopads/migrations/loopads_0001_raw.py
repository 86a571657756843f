"""LoopAds raw tables: raw.loopads_accounts, raw.loopads_daily (the loopads branch's first
version; it needs the built-in schema's 0007).

Revision ID: loopads_0001
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loopads_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("loopads",)
depends_on: str | Sequence[str] | None = "0007"

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "loopads_accounts",
        sa.Column("account_id", sa.String(32), primary_key=True),
        sa.Column("account_name", sa.Text),
        sa.Column("currency", sa.String(3)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("loaded_at", _UTC, nullable=False),
        schema="raw",
    )
    op.create_table(
        "loopads_daily",
        sa.Column("account_id", sa.String(32), primary_key=True),
        sa.Column("date", sa.Date, primary_key=True),
        sa.Column("campaign_id", sa.String(32), primary_key=True),
        sa.Column("campaign_name", sa.Text),
        sa.Column("spend", sa.Numeric(20, 6), nullable=False),
        sa.Column("impressions", sa.BigInteger, nullable=False),
        sa.Column("clicks", sa.BigInteger, nullable=False),
        sa.Column("conversions", sa.Numeric(20, 6), nullable=False),
        sa.Column("conversion_value", sa.Numeric(20, 6), nullable=False),
        sa.Column("loaded_at", _UTC, nullable=False),
        schema="raw",
    )


def downgrade() -> None:
    op.drop_table("loopads_daily", schema="raw")
    op.drop_table("loopads_accounts", schema="raw")
