"""Below the campaign: each platform's ad-level raw rows -> core.ad_groups, core.ads,
core.ad_daily and core.keyword_daily (without loaded_at).

A platform's spec names its `CoreMapping.below` (platforms/base/spec.py): its `read` gives a
`BelowRaw` whose `core(rules)` makes the local frames (transform.core.common AD_GROUPS, ADS,
AD_DAILY_LOCAL, KEYWORD_DAILY_LOCAL; the dimension rows with their evidence). The daily rows then
go through the same `finish_daily` as the campaign rows: FX, reporting currency, channel,
`settled`. Pure: no clock, no warehouse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

from perfmkt_pipeline.transform.core.build import CoreRules
from perfmkt_pipeline.transform.core.common import (
    AD_DAILY_LOCAL,
    AD_GROUPS,
    ADS,
    KEYWORD_DAILY_LOCAL,
    CoreDataError,
    conform,
    finish_daily,
)
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.tables import EVIDENCE

_STAMP = pa.timestamp("us", tz="UTC")
# The dimension rows: their local columns and the evidence (the raw listing row's load time).
AD_GROUP_ROWS = pa.schema([*AD_GROUPS, (EVIDENCE, _STAMP)])
AD_ROWS = pa.schema([*ADS, (EVIDENCE, _STAMP)])


@dataclass(frozen=True)
class BelowCore:
    """One platform's rows below the campaign, before FX and `settled`."""

    ad_groups: pa.Table  # AD_GROUP_ROWS
    ads: pa.Table  # AD_ROWS
    ad_daily: pa.Table  # AD_DAILY_LOCAL
    keyword_daily: pa.Table  # KEYWORD_DAILY_LOCAL (empty for a platform without keywords)


class BelowRaw(Protocol):
    """What a platform's below-campaign mapping read from raw for a window."""

    platform: str

    def core(self, rules: CoreRules) -> BelowCore: ...


@dataclass(frozen=True)
class BelowTables:
    ad_groups: pa.Table
    ads: pa.Table
    ad_daily: pa.Table
    keyword_daily: pa.Table


def _stack(parts: list[pa.Table], schema: pa.Schema) -> pa.Table:
    return pa.concat_tables([schema.empty_table(), *[conform(p, schema) for p in parts]])


def build_below(
    raw: Mapping[str, BelowRaw],
    fx_rates: pa.Table,
    rules: CoreRules,
    as_of: dt.date | Mapping[str, dt.date],
) -> BelowTables:
    """Every below-campaign core table's rows for what `raw` holds (see build_core: `fx_rates`
    cover the window and its FX lookback, `as_of` decides `settled`)."""
    groups, ads, days, keywords = [], [], [], []
    for name, inputs in raw.items():
        if inputs.platform != name:
            raise CoreDataError(f"raw inputs of {inputs.platform!r} given as {name!r}")
        mapped = inputs.core(rules)
        groups.append(mapped.ad_groups)
        ads.append(mapped.ads)
        days.append(mapped.ad_daily)
        keywords.append(mapped.keyword_daily)
    currency, lookback = rules.reporting_currency, rules.lookback_days

    def finish(parts: list[pa.Table], schema: pa.Schema, table) -> pa.Table:
        return finish_daily(
            _stack(parts, schema), table, fx_rates, currency, as_of, lookback, rules.channels
        )

    return BelowTables(
        ad_groups=_stack(groups, AD_GROUP_ROWS),
        ads=_stack(ads, AD_ROWS),
        ad_daily=finish(days, AD_DAILY_LOCAL, tables.ad_daily),
        keyword_daily=finish(keywords, KEYWORD_DAILY_LOCAL, tables.keyword_daily),
    )
