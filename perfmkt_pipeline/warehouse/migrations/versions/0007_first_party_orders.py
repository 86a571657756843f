"""First-party orders: raw.orders, core.orders, marts.blended_daily, marts.utm_daily

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# This migration's own copies of the types (tables.py may change; a migration may not).
_MONEY = sa.Numeric(20, 6)
_FX_RATE = sa.Numeric(24, 12)
_RATIO = sa.Numeric(28, 10)
_UTC = sa.DateTime(timezone=True)
_UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


def _c(name: str, type_, comment: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, type_, nullable=nullable, comment=comment)


def _loaded_at(comment: str = "UTC time of the load that wrote this row") -> sa.Column:
    return _c("loaded_at", _UTC, comment, nullable=False)


def upgrade() -> None:
    op.create_table(
        "orders",
        _c("source", sa.String(32), "the configured orders source", False),
        _c("order_id", sa.String(128), "the shop's order id", False),
        _c("updated_at", _UTC, "when the shop last changed the order (UTC)", False),
        _c("ordered_at", _UTC, "when the order was placed (UTC)", False),
        _c("status", sa.String(64), "the shop's own status word", False),
        _c("currency", sa.String(3), "ISO 4217 code of the order's amounts", False),
        _c("revenue", _MONEY, "the order's amount as sent", False),
        _c("refunded", _MONEY, "the amount refunded so far, as sent (NULL where not mapped)"),
        _c("customer_id", sa.String(128), "the shop's customer id"),
        _c("is_new_customer", sa.Boolean(), "the customer's first order"),
        *[
            _c(n, sa.Text(), f"{n} as sent (a column of its own, or the landing URL's)")
            for n in _UTM
        ],
        _c("record", sa.Text(), "the record exactly as the source returned it (JSON)"),
        _loaded_at("UTC time of the load"),
        schema="raw",
        comment="First-party orders as each source returned them, one row per order and update "
        "time.",
    )
    if op.get_bind().dialect.name == "postgresql":
        # Each chunk of a read is upserted by its grain: without an index PostgreSQL plans the
        # delete of the rows it replaces against an unanalysed temporary table as a scan of the
        # whole table per chunk (a million orders: minutes). DuckDB hashes it either way, and
        # its index would slow its bulk loads (README "The warehouse").
        op.create_index(
            "orders_reading", "orders", ["source", "order_id", "updated_at"], schema="raw"
        )
    op.create_table(
        "orders",
        _c("source", sa.String(32), "the configured orders source", False),
        _c("order_id", sa.String(128), "the shop's order id", False),
        _c("ordered_at", _UTC, "when the order was placed (UTC)", False),
        _c("date", sa.Date(), "the order's day in the configured business time zone", False),
        _c("status", sa.String(16), "placed, refunded (in part or whole) or cancelled", False),
        _c("currency", sa.String(3), "ISO 4217 code of the order's currency", False),
        _c("revenue_local", _MONEY, "the order's revenue net of refunds, in its own currency",
           False),
        _c("reporting_currency", sa.String(3), "ISO 4217 code of the reporting currency", False),
        _c("fx_rate", _FX_RATE, "reporting-currency units per unit of `currency` on `date` (ECB)"),
        _c("revenue", _MONEY, "revenue net of refunds in the reporting currency (local x fx_rate)"),
        _c("customer_id", sa.String(128), "the shop's customer id (NULL where not mapped)"),
        _c("is_new_customer", sa.Boolean(), "the customer's first order (NULL where not known)"),
        *[_c(n, sa.Text(), f"the order's {n} parameter, as sent (NULL when absent)") for n in _UTM],
        _c("source_updated_at", _UTC, "when the shop last changed the order"),
        _loaded_at(),
        schema="core",
        comment="The latest known state of every first-party order (the shop's own orders), in "
        "local and reporting currency.",
    )  # fmt: skip
    op.create_table(
        "blended_daily",
        _c("date", sa.Date(), "the day (orders: business time zone; spend: the platforms' days)",
           False),
        _c("reporting_currency", sa.String(3), "ISO 4217 code of the reporting currency", False),
        _c("spend", _MONEY, "spend of every channel (NULL: no platform row for the day)"),
        _c("orders", sa.BigInteger(), "orders placed that day, not cancelled or fully refunded",
           False),
        _c("revenue", _MONEY, "revenue net of refunds of the day's orders, cancelled ones left out"),
        _c("new_customer_orders", sa.BigInteger(), "orders of new customers (NULL where no order "
           "says)"),
        _c("mer", _RATIO, "revenue / spend; NULL when spend is 0 or NULL"),
        _c("blended_cpa", _RATIO, "spend / orders; NULL when orders is 0"),
        _c("new_customer_cpa", _RATIO, "spend / new_customer_orders; NULL when 0 or NULL"),
        _c("claimed_conversions", sa.Numeric(20, 6), "conversions the platforms claim, summed "
           "over all"),
        _c("claimed_conversion_value", _MONEY, "conversion value the platforms claim, summed"),
        _c("over_attribution", _RATIO, "claimed_conversions / orders; NULL when orders is 0"),
        _c("settled", sa.Boolean(), "true once the orders and every platform's day are settled"),
        _loaded_at(),
        schema="marts",
        comment="Per day: spend across every channel beside the shop's own orders and revenue: "
        "MER, blended CPA, and how far the platforms' claimed conversions exceed the orders "
        "(over_attribution). Spend is by each account's own day, orders by the business time "
        "zone's day.",
    )  # fmt: skip
    op.create_table(
        "utm_daily",
        _c("date", sa.Date(), "the orders' day in the business time zone", False),
        _c("utm_source", sa.Text(), "utm_source as sent (NULL: orders without one)"),
        _c("utm_medium", sa.Text(), "utm_medium as sent (NULL: orders without one)"),
        _c("utm_campaign", sa.Text(), "utm_campaign as sent (NULL: orders without one)"),
        _c("reporting_currency", sa.String(3), "ISO 4217 code of the reporting currency", False),
        _c("orders", sa.BigInteger(), "orders placed that day, not cancelled or fully refunded",
           False),
        _c("revenue", _MONEY, "revenue net of refunds, cancelled orders left out"),
        _c("spend", _MONEY, "spend of the ads whose final_url carries the same three values (NULL "
           "until ad-level final URLs are loaded)"),
        _c("first_party_roas", _RATIO, "revenue / spend; NULL when spend is 0 or NULL"),
        _c("settled", sa.Boolean(), "true once the day is older than every orders source's "
           "lookback"),
        _loaded_at(),
        schema="marts",
        comment="Per day and UTM source / medium / campaign: the shop's own orders and revenue "
        "beside the spend of the ads whose final URLs carry the same tags (spend and "
        "first_party_roas stay NULL until ad-level final URLs are loaded).",
    )  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("orders_reading", table_name="orders", schema="raw")
    op.drop_table("utm_daily", schema="marts")
    op.drop_table("blended_daily", schema="marts")
    op.drop_table("orders", schema="core")
    op.drop_table("orders", schema="raw")
