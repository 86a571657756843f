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

from perfmkt_pipeline.transform.metrics import ratios
from perfmkt_pipeline.warehouse import measures, tables

MEASURES = list(measures.NAMES)
_MEASURE_TYPES = {m.name: m.arrow_type for m in measures.MEASURES}
CAMPAIGN_GRAIN = list(tables.campaign_daily.info["grain"])
CHANNEL_GRAIN = list(tables.channel_daily.info["grain"])
# Column order of the marts (loaded_at is added by the write path).
CAMPAIGN_COLUMNS = tables.column_names(tables.campaign_daily, ["loaded_at"])
CHANNEL_COLUMNS = tables.column_names(tables.channel_daily, ["loaded_at"])


class MartError(ValueError):
    """Core rows that cannot make a consistent mart (the message says why)."""


def _one_reporting_currency(
    performance: pa.Table, table: str = "core.ad_performance_daily"
) -> None:
    currencies = pc.unique(performance["reporting_currency"]).to_pylist()
    if len(currencies) > 1:
        raise MartError(
            f"{table} holds rows in several reporting currencies {currencies}: "
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


def sum_measures(rows: pa.Table, keys: list[str]) -> pa.Table:
    """`keys` plus every measure summed exactly per `keys` (a sum over only NULLs stays NULL),
    and `settled` true only when every summed row is settled."""
    summed = rows.group_by(keys, use_threads=False).aggregate(
        [*[(name, "sum") for name in MEASURES], ("settled", "all")]
    )
    return pa.table(
        {
            **{key: summed[key] for key in keys},
            **{name: summed[f"{name}_sum"].cast(_MEASURE_TYPES[name]) for name in MEASURES},
            "settled": summed["settled_all"],
        }
    )


def channel_daily(performance: pa.Table) -> pa.Table:
    """marts.channel_daily rows (without loaded_at) from core.ad_performance_daily rows."""
    _one_reporting_currency(performance)
    rows = sum_measures(performance, [*CHANNEL_GRAIN, "reporting_currency"])
    return _with_ratios(rows, CHANNEL_COLUMNS, CHANNEL_GRAIN)
