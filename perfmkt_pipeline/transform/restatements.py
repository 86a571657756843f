"""core.restatements: what a reload changed in days that had already been loaded.

Compared are the core.ad_performance_daily rows a window held before the reload (`old`) and the
rows that replace them (`new`), per (date, platform, account_id, campaign_id), on every measure
(warehouse/measures.py) as the platform reports it: impressions, clicks, conversions, spend_local
and conversion_value_local (local currency, so an FX correction is not mistaken for a platform
restating its numbers). A day counts as already loaded for an account when `old` has any row for
that (date, platform, account_id): there, a campaign row that appears is recorded with
old_value NULL, one that disappears with new_value NULL. A first load records nothing.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.warehouse import measures, tables

# Every measure as the platform reported it (money: in the account's currency).
RESTATED_METRICS = tuple(m.reported for m in measures.MEASURES)
GRAIN = list(tables.ad_performance_daily.info["grain"])
_SCHEMA = tables.arrow_schema(tables.restatements)
VALUE = _SCHEMA.field("old_value").type
DETECTED_AT = _SCHEMA.field("detected_at").type


def changed_values(old: pa.Table, new: pa.Table, grain: list[str]) -> pa.Table:
    """(grain..., metric, old_value, new_value) for every measure value (as the platform reports
    it) that differs between `old` and `new` rows of a daily table keyed by `grain` (its first
    three columns: date, platform, account_id), where the account's day had been loaded
    before. The rule of core.restatements, for any daily table (campaigns, ads, keywords)."""
    value_schema = pa.schema(
        [*[old.schema.field(k) for k in grain], ("metric", pa.string()),
         ("old_value", VALUE), ("new_value", VALUE)]
    )  # fmt: skip
    if old.num_rows == 0:
        return value_schema.empty_table()
    columns = [*grain, *RESTATED_METRICS]
    loaded_days = (
        old.select(["date", "platform", "account_id"])
        .group_by(["date", "platform", "account_id"], use_threads=False)
        .aggregate([])
    )
    paired = old.select(columns).join(
        new.select(columns),
        grain,
        join_type="full outer",
        left_suffix="_old",
        right_suffix="_new",
        use_threads=False,
    )
    paired = paired.join(
        loaded_days, ["date", "platform", "account_id"], join_type="left semi", use_threads=False
    )
    pieces = []
    for metric in RESTATED_METRICS:
        before, after = paired[f"{metric}_old"], paired[f"{metric}_new"]
        same = pc.fill_null(pc.equal(before, after), False)
        both_null = pc.and_(pc.is_null(before), pc.is_null(after))
        changed = pc.invert(pc.or_(same, both_null))
        rows = paired.filter(changed)
        if rows.num_rows == 0:
            continue
        pieces.append(
            pa.table(
                {
                    **{key: rows[key] for key in grain},
                    "metric": pa.array([metric] * rows.num_rows, pa.string()),
                    "old_value": rows[f"{metric}_old"].cast(VALUE),
                    "new_value": rows[f"{metric}_new"].cast(VALUE),
                },
                schema=value_schema,
            )
        )
    return pa.concat_tables([value_schema.empty_table(), *pieces])


def restatements(old: pa.Table, new: pa.Table, detected_at: dt.datetime) -> pa.Table:
    """core.restatements rows for every metric value that differs between `old` and `new`."""
    values = changed_values(old, new, GRAIN)
    stamps = pa.array([detected_at] * values.num_rows, DETECTED_AT)
    result = pa.table(
        {**{name: values[name] for name in values.column_names}, "detected_at": stamps},
        schema=_SCHEMA,
    )
    return result.sort_by([(name, "ascending") for name in [*GRAIN, "metric"]])
