"""raw.load_log: an audit row for every slice the write path replaces

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "load_log",
        sa.Column(
            "table_name",
            sa.String(length=128),
            nullable=False,
            comment="schema-qualified table written",
        ),
        sa.Column(
            "slice",
            sa.Text(),
            nullable=False,
            comment="the replaced slice as JSON: equality filters and the date window",
        ),
        sa.Column(
            "window_start",
            sa.Date(),
            nullable=True,
            comment="first day of the replaced window (NULL for a window-less slice)",
        ),
        sa.Column(
            "window_end",
            sa.Date(),
            nullable=True,
            comment="last day of the replaced window (NULL for a window-less slice)",
        ),
        sa.Column(
            "rows_deleted", sa.BigInteger(), nullable=False, comment="rows the slice held before"
        ),
        sa.Column(
            "rows_inserted", sa.BigInteger(), nullable=False, comment="rows the slice holds now"
        ),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, comment="UTC time of the load"
        ),
        schema="raw",
        comment="One row per slice replaced by the write path: what was replaced, how many rows, when.",
        info={"grain": ["table_name", "slice", "loaded_at"]},
    )


def downgrade() -> None:
    op.drop_table("load_log", schema="raw")
