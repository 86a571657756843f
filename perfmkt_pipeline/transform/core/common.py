"""What every platform's core rows share: column types, the "local" frames each platform module
produces, channels, `settled`, and the step that adds FX and reporting-currency amounts.

Platform core mappings (platforms/<name>/core.py, networks.py) turn raw frames into *local* frames: the
core rows with amounts in the account's currency only. `finish_*` then adds the columns that are
the same for every platform (channel, reporting currency, fx_rate, converted amounts, settled)
and puts the columns in the order of the core tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from perfmkt_pipeline.transform.fx import FX_RATE, MONEY, convert
from perfmkt_pipeline.warehouse import measures, tables, types

COUNT = types.arrow_type(types.COUNT)
CONVERSIONS = types.arrow_type(types.CONVERSIONS)

# WAREHOUSE.md: every affiliate network and file feed is in this channel; a registered platform
# names its own in its spec (search, social, ...).
AFFILIATE_CHANNEL = "affiliate"

# What finish_* adds to every platform's rows (and the write path adds: loaded_at, evidence).
_SHARED = ["channel", "reporting_currency", "fx_rate", "settled", "loaded_at", tables.EVIDENCE]


def _local(table: sa.Table) -> pa.Schema:
    """The columns of `table` a platform's core mapping fills: all but the shared ones and the
    reporting-currency amounts (amounts are in the account's currency, `<name>_local`)."""
    converted = tables.converted_amounts(table).values()
    return tables.arrow_schema(table, tables.column_names(table, [*_SHARED, *converted]))


ACCOUNTS = _local(tables.ad_accounts)
CAMPAIGNS = _local(tables.campaigns)
PERFORMANCE_LOCAL = _local(tables.ad_performance_daily)
CONVERSIONS_LOCAL = _local(tables.conversions_daily)
ACTIONS_LOCAL = _local(tables.affiliate_actions)
# Below the campaign (issue #17): the dimension rows, and the daily rows before FX.
AD_GROUPS = _local(tables.ad_groups)
ADS = _local(tables.ads)
AD_DAILY_LOCAL = _local(tables.ad_daily)
KEYWORD_DAILY_LOCAL = _local(tables.keyword_daily)

# Column order of the core tables (loaded_at is added by the write path).
PERFORMANCE_COLUMNS = tables.column_names(tables.ad_performance_daily, ["loaded_at"])
CONVERSION_COLUMNS = tables.column_names(tables.conversions_daily, ["loaded_at"])
ACTION_COLUMNS = tables.column_names(tables.affiliate_actions, ["loaded_at"])
PERFORMANCE_GRAIN = list(tables.ad_performance_daily.info["grain"])
CONVERSION_GRAIN = list(tables.conversions_daily.info["grain"])
ACTION_GRAIN = list(tables.affiliate_actions.info["grain"])
# A measure a platform's rows lack is one it does not report: NULL, like affiliate impressions.
_MEASURE_COLUMNS = frozenset(m.reported for m in measures.MEASURES)


class CoreDataError(ValueError):
    """Raw rows that cannot become core rows; the message names platform, account and day."""


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table`'s columns of `schema`, in its order and with its types (exact casts only); a
    measure column `table` lacks is NULL (the platform does not report that measure)."""
    return pa.table({f.name: _column(table, f) for f in schema}, schema=schema)


def _column(table: pa.Table, field: pa.Field) -> pa.ChunkedArray | pa.Array:
    if field.name not in table.column_names and field.name in _MEASURE_COLUMNS:
        return pa.nulls(table.num_rows, field.type)
    return table[field.name].cast(field.type)


def constant(value: object, length: int, type_: pa.DataType) -> pa.Array:
    return pa.array([value] * length, type_)


def settled(
    platforms: pa.ChunkedArray | pa.Array,
    days: pa.ChunkedArray | pa.Array,
    as_of: dt.date | Mapping[str, dt.date],
    lookback_days: Mapping[str, int],
) -> pa.ChunkedArray | pa.Array:
    """True where the day was at least the platform's lookback old on `as_of` (the day its data
    was pulled; one day for all platforms or one per platform): the daily sync re-pulls the last
    `lookback_days` days, so a day that old had been read for the last time."""
    result = pa.array([False] * len(days), pa.bool_())
    for platform in pc.unique(platforms).to_pylist():
        if platform not in lookback_days:
            raise KeyError(f"no lookback_days configured for platform {platform!r}")
        pulled = as_of if isinstance(as_of, dt.date) else as_of[platform]
        last_settled = pulled - dt.timedelta(days=lookback_days[platform])
        mine = pc.equal(platforms, platform)
        old = pc.less_equal(days, pa.scalar(last_settled, pa.date32()))
        result = pc.or_(result, pc.and_(mine, old))
    return result


def registered_channels() -> dict[str, str]:
    """Registered platform -> its channel, from the registry (asked lazily: transform never
    imports a platform). For callers that give no channels of their own."""
    from perfmkt_pipeline import platforms

    return {spec.name: spec.channel for spec in platforms.all_specs()}


def _channel_column(
    platforms: pa.ChunkedArray | pa.Array, channels: Mapping[str, str]
) -> pa.ChunkedArray | pa.Array:
    """Each row's channel; a platform `channels` does not name is an error naming it, never a
    default."""
    unknown = sorted(set(pc.unique(platforms).to_pylist()) - set(channels))
    if unknown:
        raise CoreDataError(
            f"platform {unknown[0]!r} has no channel (known platforms: "
            f"{', '.join(sorted(channels))})"
        )
    names = list(channels)
    index = pc.index_in(platforms, value_set=pa.array(names, pa.string()))
    return pc.take(pa.array([channels[n] for n in names], pa.string()), index)


def _sorted(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    return table.sort_by([(key, "ascending") for key in keys])


def finish_daily(
    local: pa.Table,
    table: sa.Table,
    rates: pa.Table,
    reporting_currency: str,
    as_of: dt.date | Mapping[str, dt.date],
    lookback_days: Mapping[str, int],
    channels: Mapping[str, str] | None = None,
) -> pa.Table:
    """Rows of the daily core table `table` (without loaded_at) from its local rows (the columns
    `_local(table)`): FX and reporting-currency amounts, the platform's channel where the table
    has one (`channels`; None: the registered platforms' own), and `settled`. The one path every
    daily measure table goes through: campaigns, ads, keywords."""
    local = conform(local, _local(table))
    rows = convert(local, tables.converted_amounts(table), rates, reporting_currency)
    if "channel" in table.c:
        channels = registered_channels() if channels is None else channels
        rows = rows.append_column("channel", _channel_column(rows["platform"], channels))
    rows = rows.append_column(
        "settled", settled(rows["platform"], rows["date"], as_of, lookback_days)
    )
    columns = tables.column_names(table, ["loaded_at"])
    return _sorted(rows.select(columns), list(table.info["grain"]))


def finish_performance(
    local: pa.Table,
    rates: pa.Table,
    reporting_currency: str,
    as_of: dt.date | Mapping[str, dt.date],
    lookback_days: Mapping[str, int],
    channels: Mapping[str, str] | None = None,
) -> pa.Table:
    """core.ad_performance_daily rows (without loaded_at) from PERFORMANCE_LOCAL rows; each
    platform's channel from `channels` (None: the registered platforms' own)."""
    return finish_daily(
        local, tables.ad_performance_daily, rates, reporting_currency, as_of, lookback_days,
        channels,
    )  # fmt: skip


def finish_conversions(
    local: pa.Table,
    rates: pa.Table,
    reporting_currency: str,
    as_of: dt.date | Mapping[str, dt.date],
    lookback_days: Mapping[str, int],
) -> pa.Table:
    """core.conversions_daily rows (without loaded_at) from CONVERSIONS_LOCAL rows."""
    local = conform(local, CONVERSIONS_LOCAL)
    amounts = tables.converted_amounts(tables.conversions_daily)
    rows = convert(local, amounts, rates, reporting_currency)
    rows = rows.append_column(
        "settled", settled(rows["platform"], rows["date"], as_of, lookback_days)
    )
    return _sorted(rows.select(CONVERSION_COLUMNS), CONVERSION_GRAIN)


def finish_actions(local: pa.Table, rates: pa.Table, reporting_currency: str) -> pa.Table:
    """core.affiliate_actions rows (without loaded_at) from ACTIONS_LOCAL rows; converted with
    the rate of the action's event day."""
    local = conform(local, ACTIONS_LOCAL)
    amounts = tables.converted_amounts(tables.affiliate_actions)
    rows = convert(local, amounts, rates, reporting_currency, date_column="event_date")
    return _sorted(rows.select(ACTION_COLUMNS), ACTION_GRAIN)


def latest_per_key(table: pa.Table, keys: Sequence[str], order: Sequence[str]) -> pa.Table:
    """One whole row per `keys`: the one that sorts last by `order` (ties: the later row)."""
    if table.num_rows == 0:
        return table
    indexed = table.append_column("__latest_position", pa.array(range(table.num_rows), pa.int64()))
    # NULLs sort first: a row without an ordering value never beats one with it.
    ordered = indexed.sort_by(
        [(name, "ascending", "at_start") for name in [*order, "__latest_position"]]
    )
    ordered = ordered.drop_columns(["__latest_position"])
    ranked = ordered.append_column("__latest_rank", pa.array(range(ordered.num_rows), pa.int64()))
    last = ranked.group_by(list(keys), use_threads=False).aggregate([("__latest_rank", "max")])
    return ordered.take(last["__latest_rank_max"])


__all__ = [
    "ACCOUNTS", "ACTIONS_LOCAL", "CAMPAIGNS", "CONVERSIONS", "CONVERSIONS_LOCAL", "COUNT", "FX_RATE",
    "AD_DAILY_LOCAL", "AD_GROUPS", "ADS", "KEYWORD_DAILY_LOCAL", "finish_daily",
    "AFFILIATE_CHANNEL", "MONEY", "PERFORMANCE_LOCAL", "CoreDataError", "conform", "constant",
    "empty", "registered_channels",
    "finish_actions", "finish_conversions", "finish_performance", "latest_per_key", "settled",
]  # fmt: skip
