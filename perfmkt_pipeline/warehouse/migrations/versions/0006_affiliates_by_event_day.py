"""Affiliate raw: every record under its event day (networks and feeds are read by event day)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    "platform, account_id, record_id, action_id, event_date, updated_at, status, action_type, "
    "partner_id, partner_name, currency, sale_amount, commission, record, loaded_at, "
    "is_correction"
)


def upgrade() -> None:
    # Before this version impact.com records sat under their decision (or creation) day and CJ
    # records and feed rows under their posting or update day; the connectors now read and
    # replace windows of event days. A re-read of an event-day window would otherwise find rows
    # of other days under it (and the row-loss guard would count the difference as lost), and
    # the older readings under their old days would never be replaced. Each record keeps only
    # its latest reading under its event day: the version the core reduction would pick (latest
    # update, then latest load, then latest window). Records without an event day stay as they
    # are: no window of event days can ever replace them, and core reads them by action.
    op.execute(
        f"""
        CREATE TEMPORARY TABLE _affiliate_by_event_day AS
        SELECT {_COLUMNS} FROM (
            SELECT *, ROW_NUMBER() OVER (
                PARTITION BY platform, account_id, action_id, record_id, event_date
                ORDER BY updated_at DESC NULLS LAST, loaded_at DESC, window_date DESC
            ) AS _newest
            FROM raw.affiliate_actions
            WHERE event_date IS NOT NULL
        ) AS ranked
        WHERE _newest = 1
        """
    )
    op.execute("DELETE FROM raw.affiliate_actions WHERE event_date IS NOT NULL")
    op.execute(
        f"INSERT INTO raw.affiliate_actions ({_COLUMNS}, window_date) "
        f"SELECT {_COLUMNS}, event_date FROM _affiliate_by_event_day"
    )
    op.execute("DROP TABLE _affiliate_by_event_day")


def downgrade() -> None:
    # The readings this replaced are gone; the rows stay valid for the older code, which
    # replaces its own windows as it re-reads them.
    pass
