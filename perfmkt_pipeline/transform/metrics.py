"""Derived metrics of the marts (WAREHOUSE.md), exact and vectorised.

The ratios are declared in warehouse/measures.py (`RATIOS`): ctr = clicks / impressions;
cpc = spend / clicks; cpm = 1000 x spend / impressions; cvr = conversions / clicks;
cpa = spend / conversions; roas = conversion_value / spend. Each is NULL where its denominator is
0 or NULL (never 0, never infinity), and otherwise the exact quotient rounded half-even to 10
decimal places (the scale of the ratio columns).
"""

from __future__ import annotations

import pyarrow as pa

from perfmkt_pipeline.transform.decimals import divide_round, multiply_round
from perfmkt_pipeline.warehouse import measures, types

RATIO = types.arrow_type(types.RATIO)


def _scaled_type(ratio: measures.Ratio) -> pa.Decimal128Type:
    """factor x numerator keeps the numerator's scale and needs as many more integer digits as
    the factor has (1000 x spend: 4 more than MONEY)."""
    numerator = measures.BY_NAME[ratio.numerator].arrow_type
    return pa.decimal128(numerator.precision + len(str(ratio.factor)), numerator.scale)


def ratios(table: pa.Table) -> dict[str, pa.Array | pa.ChunkedArray]:
    """Every ratio of `RATIOS` over rows holding the measures (spend, impressions, ...)."""
    found = {}
    for ratio in measures.RATIOS:
        numerator = table[ratio.numerator]
        if ratio.factor != 1:
            factor = pa.scalar(ratio.factor, pa.int64())
            numerator = multiply_round(numerator, factor, _scaled_type(ratio))
        found[ratio.name] = divide_round(numerator, table[ratio.denominator], RATIO)
    return found
