"""What every platform's core rows share: column types, the "local" frames each platform module
produces, channels, `settled`, and the step that adds FX and reporting-currency amounts.

Platform modules (google_ads.py, meta.py, networks.py) turn raw frames into *local* frames: the
core rows with amounts in the account's currency only. `finish_*` then adds the columns that are
the same for every platform (channel, reporting currency, fx_rate, converted amounts, settled)
and puts the columns in the order of the core tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.transform.fx import FX_RATE, MONEY, convert

COUNT = pa.int64()
CONVERSIONS = pa.decimal128(20, 6)
TEXT = pa.string()

GOOGLE_ADS, META = "google_ads", "meta"
# WAREHOUSE.md: search (Google Ads), social (Meta), affiliate (every network and file feed).
CHANNELS = {GOOGLE_ADS: "search", META: "social"}
AFFILIATE_CHANNEL = "affiliate"

ACCOUNTS = pa.schema(
    [("platform", TEXT), ("account_id", TEXT), ("account_name", TEXT), ("currency", TEXT),
     ("timezone", TEXT)]
)  # fmt: skip
CAMPAIGNS = pa.schema(
    [("platform", TEXT), ("account_id", TEXT), ("campaign_id", TEXT), ("campaign_name", TEXT),
     ("campaign_status", TEXT)]
)  # fmt: skip
PERFORMANCE_LOCAL = pa.schema(
    [("date", pa.date32()), ("platform", TEXT), ("account_id", TEXT), ("campaign_id", TEXT),
     ("currency", TEXT), ("impressions", COUNT), ("clicks", COUNT), ("conversions", CONVERSIONS),
     ("spend_local", MONEY), ("conversion_value_local", MONEY)]
)  # fmt: skip
CONVERSIONS_LOCAL = pa.schema(
    [("date", pa.date32()), ("platform", TEXT), ("account_id", TEXT), ("campaign_id", TEXT),
     ("conversion_name", TEXT), ("currency", TEXT), ("conversions", CONVERSIONS),
     ("conversion_value_local", MONEY)]
)  # fmt: skip
ACTIONS_LOCAL = pa.schema(
    [("platform", TEXT), ("account_id", TEXT), ("action_id", TEXT), ("event_date", pa.date32()),
     ("status", TEXT), ("campaign_id", TEXT), ("currency", TEXT), ("sale_amount_local", MONEY),
     ("commission_local", MONEY), ("source_updated_at", pa.timestamp("us", tz="UTC"))]
)  # fmt: skip

# Column order of the core tables (loaded_at is added by the write path).
PERFORMANCE_COLUMNS = [
    "date", "platform", "channel", "account_id", "campaign_id", "impressions", "clicks",
    "conversions", "currency", "spend_local", "conversion_value_local", "reporting_currency",
    "fx_rate", "spend", "conversion_value", "settled",
]  # fmt: skip
CONVERSION_COLUMNS = [
    "date", "platform", "account_id", "campaign_id", "conversion_name", "conversions", "currency",
    "conversion_value_local", "reporting_currency", "fx_rate", "conversion_value", "settled",
]  # fmt: skip
ACTION_COLUMNS = [
    "platform", "account_id", "action_id", "event_date", "status", "campaign_id", "currency",
    "sale_amount_local", "commission_local", "reporting_currency", "fx_rate", "sale_amount",
    "commission", "source_updated_at",
]  # fmt: skip
PERFORMANCE_GRAIN = ["date", "platform", "account_id", "campaign_id"]
CONVERSION_GRAIN = [*PERFORMANCE_GRAIN, "conversion_name"]


class CoreDataError(ValueError):
    """Raw rows that cannot become core rows; the message names platform, account and day."""


def channel_of(platform: str) -> str:
    return CHANNELS.get(platform, AFFILIATE_CHANNEL)


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table`'s columns of `schema`, in its order and with its types (exact casts only)."""
    return pa.table({f.name: table[f.name].cast(f.type) for f in schema}, schema=schema)


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


def _channel_column(platforms: pa.ChunkedArray) -> pa.Array:
    channels = pa.array([AFFILIATE_CHANNEL] * len(platforms), TEXT)
    for platform, channel in CHANNELS.items():
        channels = pc.if_else(pc.equal(platforms, platform), channel, channels)
    return channels


def _sorted(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    return table.sort_by([(key, "ascending") for key in keys])


def finish_performance(
    local: pa.Table,
    rates: pa.Table,
    reporting_currency: str,
    as_of: dt.date | Mapping[str, dt.date],
    lookback_days: Mapping[str, int],
) -> pa.Table:
    """core.ad_performance_daily rows (without loaded_at) from PERFORMANCE_LOCAL rows."""
    local = conform(local, PERFORMANCE_LOCAL)
    rows = convert(
        local,
        {"spend_local": "spend", "conversion_value_local": "conversion_value"},
        rates,
        reporting_currency,
    )
    rows = rows.append_column("channel", _channel_column(rows["platform"]))
    rows = rows.append_column(
        "settled", settled(rows["platform"], rows["date"], as_of, lookback_days)
    )
    return _sorted(rows.select(PERFORMANCE_COLUMNS), PERFORMANCE_GRAIN)


def finish_conversions(
    local: pa.Table,
    rates: pa.Table,
    reporting_currency: str,
    as_of: dt.date | Mapping[str, dt.date],
    lookback_days: Mapping[str, int],
) -> pa.Table:
    """core.conversions_daily rows (without loaded_at) from CONVERSIONS_LOCAL rows."""
    local = conform(local, CONVERSIONS_LOCAL)
    rows = convert(local, {"conversion_value_local": "conversion_value"}, rates, reporting_currency)
    rows = rows.append_column(
        "settled", settled(rows["platform"], rows["date"], as_of, lookback_days)
    )
    return _sorted(rows.select(CONVERSION_COLUMNS), CONVERSION_GRAIN)


def finish_actions(local: pa.Table, rates: pa.Table, reporting_currency: str) -> pa.Table:
    """core.affiliate_actions rows (without loaded_at) from ACTIONS_LOCAL rows; converted with
    the rate of the action's event day."""
    local = conform(local, ACTIONS_LOCAL)
    rows = convert(
        local,
        {"sale_amount_local": "sale_amount", "commission_local": "commission"},
        rates,
        reporting_currency,
        date_column="event_date",
    )
    return _sorted(rows.select(ACTION_COLUMNS), ["platform", "action_id"])


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
    "MONEY", "PERFORMANCE_LOCAL", "CoreDataError", "channel_of", "conform", "constant", "empty",
    "finish_actions", "finish_conversions", "finish_performance", "latest_per_key", "settled",
]  # fmt: skip
