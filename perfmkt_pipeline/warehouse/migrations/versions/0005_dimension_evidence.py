"""Core dimensions: source_loaded_at (dimension rows are upserted; an older reading never wins)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMENT = (
    "UTC load time of the raw row this row's values come from (NULL: from configuration); "
    "a rebuild replaces the row only with values at least as recent"
)


def upgrade() -> None:
    # Rows written before this version have no evidence: the next rebuild replaces them, as the
    # whole-slice replacement did.
    for table in ("ad_accounts", "campaigns"):
        op.add_column(
            table,
            sa.Column(
                "source_loaded_at", sa.DateTime(timezone=True), nullable=True, comment=COMMENT
            ),
            schema="core",
        )


def downgrade() -> None:
    for table in ("ad_accounts", "campaigns"):
        op.drop_column(table, "source_loaded_at", schema="core")
