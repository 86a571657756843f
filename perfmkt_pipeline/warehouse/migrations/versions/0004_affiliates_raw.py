"""Affiliate raw: is_correction (CJ corrections are records of their own)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # CJ corrections are records of their own whose amounts are deltas to the original action:
    # the latest-state reduction must tell them apart from originals.
    op.add_column(
        "affiliate_actions",
        sa.Column(
            "is_correction",
            sa.Boolean(),
            nullable=True,
            comment="CJ: a correction record (original = false) whose amounts are deltas; else false",
        ),
        schema="raw",
    )
    op.execute("UPDATE raw.affiliate_actions SET is_correction = false")


def downgrade() -> None:
    op.drop_column("affiliate_actions", "is_correction", schema="raw")
