"""The sandbox shop's `orders` table: its columns, its rows at a moment, and the configuration
that maps it (the bundled sandbox.yaml names the same columns).

Like many shop systems (Magento, WooCommerce's `_gmt` columns), the database keeps times as
naive UTC values (DATETIME); the UTM parameters live only in the landing page's URL, some with
their names in capitals (the pipeline reads them with transform/utm.py). The CSV export writes
the same columns, its times in ISO 8601 with each storefront's own UTC offset.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from perfmkt_pipeline.platforms.orders.standin.stream import STATUS_MAP, STOREFRONTS, ShopOrder

COLUMNS = (
    "id", "created_at", "currency", "total", "refunded_total", "status", "customer_id",
    "first_order", "landing_page", "updated_at",
)  # fmt: skip
# orders[].columns of the sandbox's source.
MAPPING = {
    "order_id": "id", "ordered_at": "created_at", "updated_at": "updated_at", "revenue": "total",
    "refunded": "refunded_total", "currency": "currency", "status": "status",
    "customer_id": "customer_id", "is_new_customer": "first_order", "landing_url": "landing_page",
}  # fmt: skip
CREATE_TABLE = """
CREATE TABLE orders (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    created_at DATETIME(6) NOT NULL,
    currency CHAR(3) NOT NULL,
    total DECIMAL(14, 2) NOT NULL,
    refunded_total DECIMAL(14, 2) NOT NULL DEFAULT 0,
    status VARCHAR(32) NOT NULL,
    customer_id VARCHAR(32),
    first_order TINYINT(1),
    landing_page TEXT,
    updated_at DATETIME(6) NOT NULL,
    KEY orders_updated_at (updated_at),
    KEY orders_created_at (created_at)
)
"""


def source_settings(name: str = "shop", **form) -> dict:
    """An `orders[]` entry reading the sandbox shop (form: sql={...} or files={...})."""
    return {
        "name": name,
        **form,
        "columns": dict(MAPPING),
        "status_map": dict(STATUS_MAP),
        "timezone": "UTC",
    }


def db_row(order: ShopOrder, now: dt.datetime) -> tuple:
    """The order's row in the database at `now` (times naive UTC)."""
    word, refunded, updated = order.state(now)
    naive = lambda moment: moment.astimezone(dt.UTC).replace(tzinfo=None)  # noqa: E731
    return (
        order.order_id, naive(order.ordered_at), order.currency, order.total, refunded, word,
        order.customer_id, int(order.first_order), order.landing_page, naive(updated),
    )  # fmt: skip


def csv_row(order: ShopOrder, now: dt.datetime) -> list[str]:
    """The order's line in the CSV export at `now` (times with the storefront's offset)."""
    word, refunded, updated = order.state(now)
    zone = ZoneInfo(STOREFRONTS.get(order.currency, "UTC"))
    return [
        order.order_id, order.ordered_at.astimezone(zone).isoformat(), order.currency,
        str(order.total), str(refunded), word, order.customer_id,
        "true" if order.first_order else "false", order.landing_page or "",
        updated.astimezone(zone).isoformat(),
    ]  # fmt: skip
