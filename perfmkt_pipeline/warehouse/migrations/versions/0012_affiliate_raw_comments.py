"""raw.affiliate_actions: column comments that hold for any network (they named the built-in
networks' fields; the table is every affiliate source's, built-in or a plug-in's)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# This migration's own copies of the comments (tables.py may change; a migration may not).
_NEW = {
    "platform": "the source's platform name (a network's, or a file feed's name)",
    "record_id": "the record's own id (the action id where a record is the action)",
    "action_id": "the action the record describes (a correction record: the original's id)",
    "is_correction": "a record correcting an earlier one, whose amounts are deltas; else false",
}
_OLD = {
    "platform": "impact, cj, awin or a file feed's name",
    "record_id": "the record's own id (CJ: commissionId; else the action id)",
    "action_id": "the action the record describes (CJ: originalActionId)",
    "is_correction": "CJ: a correction record (original = false) whose amounts are deltas; else false",
}


def _comment(comments: dict[str, str]) -> None:
    # COMMENT ON COLUMN: the same statement on PostgreSQL and DuckDB.
    for column, text in comments.items():
        quoted = text.replace("'", "''")
        op.execute(f"COMMENT ON COLUMN raw.affiliate_actions.{column} IS '{quoted}'")


def upgrade() -> None:
    _comment(_NEW)


def downgrade() -> None:
    _comment(_OLD)
