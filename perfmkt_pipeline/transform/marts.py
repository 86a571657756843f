"""core.ad_performance_daily -> marts.campaign_daily and marts.channel_daily.

Both marts are in the reporting currency. campaign_daily is one row per core row, named from
core.campaigns; channel_daily sums the core rows of each (date, channel, platform). Measures are
summed exactly (a sum over only NULLs stays NULL, e.g. affiliate impressions); ratios follow
transform/metrics.py; `settled` is true only when every contributing core row is settled.
Platforms each claim their own conversions: summing conversions across platforms over-counts.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.transform.metrics import RATIO_COLUMNS, ratios

MONEY = pa.decimal128(20, 6)
CONVERSIONS = pa.decimal128(20, 6)
MEASURES = ["spend", "impressions", "clicks", "conversions", "conversion_value"]
_MEASURE_TYPES = {
    "spend": MONEY,
    "impressions": pa.int64(),
    "clicks": pa.int64(),
    "conversions": CONVERSIONS,
    "conversion_value": MONEY,
}
CAMPAIGN_GRAIN = ["date", "platform", "account_id", "campaign_id"]
CHANNEL_GRAIN = ["date", "channel", "platform"]
CAMPAIGN_COLUMNS = [
    "date", "channel", "platform", "account_id", "campaign_id", "campaign_name",
    "reporting_currency", *MEASURES, *RATIO_COLUMNS, "settled",
]  # fmt: skip
CHANNEL_COLUMNS = ["date", "channel", "platform", "reporting_currency", *MEASURES,
                   *RATIO_COLUMNS, "settled"]  # fmt: skip


class MartError(ValueError):
    """Core rows that cannot make a consistent mart (the message says why)."""


def _one_reporting_currency(performance: pa.Table) -> None:
    currencies = pc.unique(performance["reporting_currency"]).to_pylist()
    if len(currencies) > 1:
        raise MartError(
            f"core.ad_performance_daily holds rows in several reporting currencies {currencies}: "
            "reload core for the whole period after changing reporting_currency"
        )


def _with_ratios(table: pa.Table, columns: list[str], grain: list[str]) -> pa.Table:
    for name, values in ratios(table).items():
        table = table.append_column(name, values)
    return table.select(columns).sort_by([(key, "ascending") for key in grain])


def campaign_daily(performance: pa.Table, campaigns: pa.Table) -> pa.Table:
    """marts.campaign_daily rows (without loaded_at) from core.ad_performance_daily rows."""
    _one_reporting_currency(performance)
    names = campaigns.select(["platform", "account_id", "campaign_id", "campaign_name"])
    rows = performance.select(
        ["date", "channel", "platform", "account_id", "campaign_id", "reporting_currency",
         *MEASURES, "settled"]
    ).join(names, ["platform", "account_id", "campaign_id"], join_type="left outer",
           use_threads=False)  # fmt: skip
    return _with_ratios(rows, CAMPAIGN_COLUMNS, CAMPAIGN_GRAIN)


def channel_daily(performance: pa.Table) -> pa.Table:
    """marts.channel_daily rows (without loaded_at) from core.ad_performance_daily rows."""
    _one_reporting_currency(performance)
    keys = [*CHANNEL_GRAIN, "reporting_currency"]
    summed = performance.group_by(keys, use_threads=False).aggregate(
        [*[(name, "sum") for name in MEASURES], ("settled", "all")]
    )
    rows = pa.table(
        {
            **{key: summed[key] for key in keys},
            **{name: summed[f"{name}_sum"].cast(_MEASURE_TYPES[name]) for name in MEASURES},
            "settled": summed["settled_all"],
        }
    )
    return _with_ratios(rows, CHANNEL_COLUMNS, CHANNEL_GRAIN)
