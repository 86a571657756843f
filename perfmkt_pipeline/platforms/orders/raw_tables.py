"""The raw landing table of first-party orders (owned by the orders source).

One row per reading of an order: (source, order_id, updated_at). A re-read of the same state
replaces its row; a later state (a refund, a cancellation) is a row of its own, so raw keeps
every state the pipeline received, and core takes the latest. Nothing is ever deleted by a read:
an answer without an order says nothing about it.
"""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.warehouse.raw.common import loaded_at, record
from perfmkt_pipeline.warehouse.tables import MONEY, RAW, _c, _table

orders = _table(
    RAW,
    "orders",
    ["source", "order_id", "updated_at"],
    "First-party orders as each source returned them, one row per order and update time.",
    _c("source", sa.String(32), "the configured orders source", False),
    _c("order_id", sa.String(128), "the shop's order id", False),
    _c(
        "updated_at",
        sa.DateTime(timezone=True),
        "when the shop last changed the order (UTC)",
        False,
    ),
    _c("ordered_at", sa.DateTime(timezone=True), "when the order was placed (UTC)", False),
    _c("status", sa.String(64), "the shop's own status word", False),
    _c("currency", sa.String(3), "ISO 4217 code of the order's amounts", False),
    _c("revenue", MONEY, "the order's amount as sent", False),
    _c("refunded", MONEY, "the amount refunded so far, as sent (NULL where not mapped)"),
    _c("customer_id", sa.String(128), "the shop's customer id"),
    _c("is_new_customer", sa.Boolean, "the customer's first order"),
    *[
        _c(name, sa.Text, f"{name} as sent (a column of its own, or the landing URL's)")
        for name in ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
    ],
    record(),
    loaded_at(),
)
