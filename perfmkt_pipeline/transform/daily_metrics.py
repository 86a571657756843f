"""The numbers of one day per group (channel, or the blended total): spend, conversions and
ROAS, as plain floats for numeric metadata. Pure: a frame in, a mapping out."""

from __future__ import annotations

import datetime as dt

import pandas as pd

MEASURES = ("spend", "conversions", "roas")


def day_metrics(
    rows: pd.DataFrame, day: dt.date, group: str = "channel"
) -> dict[str, dict[str, float | None]]:
    """`rows` has date, `group`, spend, conversions, conversion_value; the sums of `day` per
    group, with roas = conversion_value / spend (None where spend is 0)."""
    mine = rows[pd.to_datetime(rows["date"]).dt.date == day]
    sums = mine.groupby(group, sort=True)[["spend", "conversions", "conversion_value"]].sum()
    metrics: dict[str, dict[str, float | None]] = {}
    for name, row in sums.iterrows():
        spend = float(row["spend"])
        metrics[str(name)] = {
            "spend": spend,
            "conversions": float(row["conversions"]),
            "roas": float(row["conversion_value"]) / spend if spend else None,
        }
    return metrics
