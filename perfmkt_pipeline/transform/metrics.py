"""Derived metrics of the marts (WAREHOUSE.md), exact and vectorised.

ctr = clicks / impressions; cpc = spend / clicks; cpm = 1000 x spend / impressions;
cvr = conversions / clicks; cpa = spend / conversions; roas = conversion_value / spend.
Each is NULL where its denominator is 0 or NULL (never 0, never infinity), and otherwise the exact
quotient rounded half-even to 10 decimal places (the scale of the ratio columns).
"""

from __future__ import annotations

import pyarrow as pa

from perfmkt_pipeline.transform.decimals import divide_round, multiply_round

RATIO = pa.decimal128(28, 10)
RATIO_COLUMNS = ["ctr", "cpc", "cpm", "cvr", "cpa", "roas"]
# 1000 x spend keeps spend's 6 decimal places and needs 4 more integer digits than MONEY.
_THOUSAND_SPEND = pa.decimal128(24, 6)


def ratios(table: pa.Table) -> dict[str, pa.Array | pa.ChunkedArray]:
    """The six ratios of rows holding spend, impressions, clicks, conversions, conversion_value."""
    spend, clicks, impressions = table["spend"], table["clicks"], table["impressions"]
    conversions, value = table["conversions"], table["conversion_value"]
    thousand_spend = multiply_round(spend, pa.scalar(1000, pa.int64()), _THOUSAND_SPEND)
    return {
        "ctr": divide_round(clicks, impressions, RATIO),
        "cpc": divide_round(spend, clicks, RATIO),
        "cpm": divide_round(thousand_spend, impressions, RATIO),
        "cvr": divide_round(conversions, clicks, RATIO),
        "cpa": divide_round(spend, conversions, RATIO),
        "roas": divide_round(value, spend, RATIO),
    }
