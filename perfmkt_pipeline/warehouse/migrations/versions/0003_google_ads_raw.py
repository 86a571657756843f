"""Google Ads raw: all_conversions per conversion action (metrics.conversions omits the actions
not "included in conversions")

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for name, type_, comment in (
        (
            "all_conversions",
            sa.Numeric(20, 6),
            "metrics.all_conversions (every action, counted or not)",
        ),
        (
            "all_conversions_value",
            sa.Numeric(20, 6),
            "metrics.all_conversions_value (account currency)",
        ),
    ):
        op.add_column(
            "google_ads_conversion_daily",
            sa.Column(name, type_, nullable=True, comment=comment),
            schema="raw",
        )


def downgrade() -> None:
    for name in ("all_conversions_value", "all_conversions"):
        op.drop_column("google_ads_conversion_daily", name, schema="raw")
