"""First-party orders: core.orders in the reporting currency, and the marts beside ad spend.

Pure and platform-agnostic: any orders source's rows in local currency (ORDERS_LOCAL) become
core.orders rows (`finish_orders`, converted with the FX rate of the order's day, exactly as
every other amount, transform/fx.py); `blended_daily` and `utm_daily` are built from core.orders
and core.ad_performance_daily rows.

What counts (WAREHOUSE.md "First-party orders"):
- an order counts in `orders` when it is `placed`, or `refunded` with revenue left (a partial
  refund); a cancelled or fully refunded order does not;
- `revenue` sums revenue net of refunds of every order that is not cancelled (a refund recorded
  as its own negative order lowers it);
- `new_customer_orders` counts the counted orders flagged as a new customer's, NULL when none of
  the day's counted orders says;
- ratios are exact quotients rounded half-even to 10 places, NULL on a zero or NULL denominator:
  mer = revenue / spend, blended_cpa = spend / orders, new_customer_cpa = spend /
  new_customer_orders, over_attribution = claimed_conversions / orders, first_party_roas =
  revenue / spend.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.transform.decimals import divide_round
from perfmkt_pipeline.transform.fx import MONEY, convert
from perfmkt_pipeline.transform.utm import UTM_FIELDS

RATIO = pa.decimal128(28, 10)
CONVERSIONS = pa.decimal128(20, 6)
COUNT = pa.int64()
TEXT = pa.string()
UTC = pa.timestamp("us", tz="UTC")

ORDERS_LOCAL = pa.schema(
    [("source", TEXT), ("order_id", TEXT), ("ordered_at", UTC), ("date", pa.date32()),
     ("status", TEXT), ("currency", TEXT), ("revenue_local", MONEY), ("customer_id", TEXT),
     ("is_new_customer", pa.bool_()), *[(name, TEXT) for name in UTM_FIELDS],
     ("source_updated_at", UTC)]
)  # fmt: skip
ORDER_COLUMNS = [
    "source", "order_id", "ordered_at", "date", "status", "currency", "revenue_local",
    "reporting_currency", "fx_rate", "revenue", "customer_id", "is_new_customer", *UTM_FIELDS,
    "source_updated_at",
]  # fmt: skip
ORDER_GRAIN = ["source", "order_id"]
BLENDED_COLUMNS = [
    "date", "reporting_currency", "spend", "orders", "revenue", "new_customer_orders", "mer",
    "blended_cpa", "new_customer_cpa", "claimed_conversions", "claimed_conversion_value",
    "over_attribution", "settled",
]  # fmt: skip
UTM_GRAIN = ["date", "utm_source", "utm_medium", "utm_campaign"]
UTM_COLUMNS = [*UTM_GRAIN, "reporting_currency", "orders", "revenue", "spend",
               "first_party_roas", "settled"]  # fmt: skip
PLACED, REFUNDED, CANCELLED = "placed", "refunded", "cancelled"


class OrdersMartError(ValueError):
    """Core rows that cannot make a consistent mart (the message says why)."""


def finish_orders(local: pa.Table, rates: pa.Table, reporting_currency: str) -> pa.Table:
    """core.orders rows (without loaded_at) from ORDERS_LOCAL rows: revenue converted with the
    FX rate of the order's day (a missing rate raises FxRateMissing naming currency and day)."""
    local = pa.table({f.name: local[f.name].cast(f.type) for f in ORDERS_LOCAL}, ORDERS_LOCAL)
    rows = convert(local, {"revenue_local": "revenue"}, rates, reporting_currency)
    return rows.select(ORDER_COLUMNS).sort_by([(k, "ascending") for k in ORDER_GRAIN])


def counted(orders: pa.Table) -> pa.ChunkedArray:
    """True for the orders that count in `orders`: placed, or partly refunded."""
    status = orders["status"]
    partial = pc.and_(
        pc.equal(status, REFUNDED), pc.greater(orders["revenue_local"], pa.scalar(0, MONEY))
    )
    return pc.fill_null(pc.or_(pc.equal(status, PLACED), partial), False)


def _order_measures(orders: pa.Table) -> pa.Table:
    """Per order: counted (0/1), revenue (0 when cancelled), new (0/1), known (0/1)."""
    count = counted(orders)
    revenue = pc.if_else(
        pc.equal(orders["status"], CANCELLED), pa.scalar(0, MONEY), orders["revenue"]
    )
    known = pc.and_(count, pc.is_valid(orders["is_new_customer"]))
    new = pc.and_(known, pc.fill_null(orders["is_new_customer"], False))
    return pa.table(
        {
            "counted": count.cast(COUNT),
            "revenue": revenue,
            "new": new.cast(COUNT),
            "known": known.cast(COUNT),
        }
    )


def _one_currency(reporting_currency: str, *tables: pa.Table) -> None:
    found = set()
    for table in tables:
        found |= set(pc.unique(table["reporting_currency"]).to_pylist())
    other = sorted(found - {reporting_currency})
    if other:
        raise OrdersMartError(
            f"core holds rows in reporting currencies {other} besides {reporting_currency}: "
            "reload core for the whole period after changing reporting_currency"
        )


def _settled(days: pa.ChunkedArray | pa.Array, through: dt.date | None) -> pa.Array:
    if through is None:
        return pa.array([False] * len(days), pa.bool_())
    return pc.less_equal(days, pa.scalar(through, pa.date32()))


def _order_days(orders: pa.Table, keys: list[str]) -> pa.Table:
    measures = _order_measures(orders)
    table = orders.select(keys)
    for name in measures.column_names:
        table = table.append_column(name, measures[name])
    summed = table.group_by(keys, use_threads=False).aggregate(
        [("counted", "sum"), ("revenue", "sum"), ("new", "sum"), ("known", "sum")]
    )
    new = pc.if_else(pc.greater(summed["known_sum"], 0), summed["new_sum"], pa.scalar(None, COUNT))
    return pa.table(
        {
            **{key: summed[key] for key in keys},
            "orders": summed["counted_sum"].cast(COUNT),
            "revenue": summed["revenue_sum"].cast(MONEY),
            "new_customer_orders": new.cast(COUNT),
        }
    )


def blended_daily(
    performance: pa.Table,
    orders: pa.Table,
    reporting_currency: str,
    orders_settled_through: dt.date | None,
) -> pa.Table:
    """marts.blended_daily rows (without loaded_at), one per day holding an order or a
    platform row. `performance`: core.ad_performance_daily rows (date, reporting_currency,
    spend, conversions, conversion_value, settled); `orders`: core.orders rows; days up to
    `orders_settled_through` have settled orders."""
    _one_currency(reporting_currency, performance, orders)
    spend = performance.group_by(["date"], use_threads=False).aggregate(
        [("spend", "sum"), ("conversions", "sum"), ("conversion_value", "sum"),
         ("settled", "all")]
    )  # fmt: skip
    spend = pa.table(
        {
            "date": spend["date"],
            "spend": spend["spend_sum"].cast(MONEY),
            "claimed_conversions": spend["conversions_sum"].cast(CONVERSIONS),
            "claimed_conversion_value": spend["conversion_value_sum"].cast(MONEY),
            "ads_settled": spend["settled_all"],
        }
    )
    days = _order_days(orders, ["date"])
    rows = days.join(spend, "date", join_type="full outer", use_threads=False)
    rows = rows.sort_by("date")
    orders_count = pc.fill_null(rows["orders"], pa.scalar(0, COUNT))
    revenue = pc.fill_null(rows["revenue"], pa.scalar(0, MONEY))
    settled = pc.and_(
        _settled(rows["date"], orders_settled_through), pc.fill_null(rows["ads_settled"], True)
    )
    spend_values = rows["spend"]
    return pa.table(
        {
            "date": rows["date"],
            "reporting_currency": pa.array([reporting_currency] * rows.num_rows, TEXT),
            "spend": spend_values,
            "orders": orders_count,
            "revenue": revenue,
            "new_customer_orders": rows["new_customer_orders"],
            "mer": divide_round(revenue, spend_values, RATIO),
            "blended_cpa": divide_round(spend_values, orders_count, RATIO),
            "new_customer_cpa": divide_round(spend_values, rows["new_customer_orders"], RATIO),
            "claimed_conversions": rows["claimed_conversions"],
            "claimed_conversion_value": rows["claimed_conversion_value"],
            "over_attribution": divide_round(rows["claimed_conversions"], orders_count, RATIO),
            "settled": settled,
        }
    ).select(BLENDED_COLUMNS)


def utm_daily(
    orders: pa.Table,
    reporting_currency: str,
    orders_settled_through: dt.date | None,
    ad_spend: pa.Table | None = None,
) -> pa.Table:
    """marts.utm_daily rows (without loaded_at): the orders side per (date, utm_source,
    utm_medium, utm_campaign), orders without a tag grouped under NULL, beside `ad_spend`
    (transform/ad_marts.utm_spend: the spend of the ads whose final URLs carry the same three
    values). A group with spend but no order has 0 orders and 0 revenue; one with orders but no
    such ad has spend 0. Without `ad_spend` (no ad-level final URLs loaded) spend, and so
    first_party_roas, are NULL."""
    _one_currency(reporting_currency, orders)
    rows = _order_days(orders, UTM_GRAIN).select([*UTM_GRAIN, "orders", "revenue"])
    if ad_spend is None:
        rows = rows.append_column("spend", pa.nulls(rows.num_rows, MONEY))
    else:
        _one_currency(reporting_currency, ad_spend)
        # Both sides stacked and summed per grain: a grouping keeps NULL tags together (a join
        # would not match them).
        orders_side = rows.append_column("spend", pa.nulls(rows.num_rows, MONEY))
        spend_side = ad_spend.select([*UTM_GRAIN, "spend"])
        spend_side = pa.table(
            {
                **{key: spend_side[key] for key in UTM_GRAIN},
                "orders": pa.nulls(spend_side.num_rows, COUNT),
                "revenue": pa.nulls(spend_side.num_rows, MONEY),
                "spend": spend_side["spend"].cast(MONEY),
            }
        )
        both = pa.concat_tables([orders_side.select(spend_side.column_names), spend_side])
        summed = both.group_by(UTM_GRAIN, use_threads=False).aggregate(
            [("orders", "sum"), ("revenue", "sum"), ("spend", "sum")]
        )
        rows = pa.table(
            {
                **{key: summed[key] for key in UTM_GRAIN},
                "orders": pc.fill_null(summed["orders_sum"], 0).cast(COUNT),
                "revenue": pc.fill_null(summed["revenue_sum"].cast(MONEY), pa.scalar(0, MONEY)),
                "spend": pc.fill_null(summed["spend_sum"].cast(MONEY), pa.scalar(0, MONEY)),
            }
        )
    rows = rows.sort_by([(key, "ascending", "at_start") for key in UTM_GRAIN])
    spend = rows["spend"]
    return pa.table(
        {
            **{key: rows[key] for key in UTM_GRAIN},
            "reporting_currency": pa.array([reporting_currency] * rows.num_rows, TEXT),
            "orders": rows["orders"],
            "revenue": rows["revenue"],
            "spend": spend,
            "first_party_roas": divide_round(rows["revenue"], spend, RATIO),
            "settled": _settled(rows["date"], orders_settled_through),
        }
    ).select(UTM_COLUMNS)


__all__ = [
    "BLENDED_COLUMNS", "ORDERS_LOCAL", "ORDER_COLUMNS", "UTM_COLUMNS", "OrdersMartError",
    "blended_daily", "counted", "finish_orders", "utm_daily",
]  # fmt: skip
