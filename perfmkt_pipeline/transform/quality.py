"""Data-quality findings over frames (pure): what the asset checks in defs/checks.py report.

Each function returns the offending rows (empty when all is well), so a check passes exactly when
its finding is empty and can show the first offenders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.transform.fx import lookup_fx_rates


def duplicate_keys(table: pa.Table, grain: Sequence[str]) -> pa.Table:
    """Grain values held by more than one row, with how many (`rows`)."""
    counted = (
        table.select(list(grain))
        .group_by(list(grain), use_threads=False)
        .aggregate([([], "count_all")])
    )
    counted = pa.table({**{k: counted[k] for k in grain}, "rows": counted["count_all"]})
    return counted.filter(pc.greater(counted["rows"], 1))


def negative_values(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """Rows where any of `columns` is below zero."""
    bad = pa.array([False] * table.num_rows, pa.bool_())
    for name in columns:
        column = table[name]
        below = pc.fill_null(pc.less(column, pa.scalar(0, column.type)), False)
        bad = pc.or_(bad, below)
    return table.filter(bad)


def clicks_above_impressions(table: pa.Table) -> pa.Table:
    """Rows reporting more clicks than impressions (rows where either is NULL cannot)."""
    return table.filter(pc.fill_null(pc.greater(table["clicks"], table["impressions"]), False))


def fx_problems(
    rows: pa.Table, rates: pa.Table, reporting_currency: str, date_column: str = "date"
) -> pa.Table:
    """(day, currency) pairs of `rows` (with `fx_rate` as stored) whose rate is missing from
    `rates` or differs from the stored one; `expected` is what the rates give (NULL: none)."""
    stored = (
        rows.select([date_column, "currency", "fx_rate"])
        .group_by([date_column, "currency", "fx_rate"], use_threads=False)
        .aggregate([])
    )
    if stored.num_rows == 0:
        return stored.append_column("expected", pa.array([], rows["fx_rate"].type))
    expected = lookup_fx_rates(stored, rates, reporting_currency, date_column)
    expected = expected.select([date_column, "currency", "fx_rate"]).rename_columns(
        [date_column, "currency", "expected"]
    )
    paired = stored.join(expected, [date_column, "currency"], use_threads=False)
    same = pc.fill_null(pc.equal(paired["fx_rate"], paired["expected"]), False)
    return paired.filter(pc.invert(same)).sort_by(
        [(date_column, "ascending"), ("currency", "ascending")]
    )


def missing_accounts(
    configured: Iterable[tuple[str, str]], accounts: pa.Table
) -> list[tuple[str, str]]:
    """Configured (platform, account_id) pairs without a row in `accounts`."""
    present = set(
        zip(accounts["platform"].to_pylist(), accounts["account_id"].to_pylist(), strict=True)
    )
    return [pair for pair in configured if pair not in present]


def total_differences(
    expected: pa.Table, actual: pa.Table, keys: Sequence[str], measures: Sequence[str]
) -> pa.Table:
    """Per `keys`, the sums of `measures` in `expected` and `actual` where any differs (a key
    missing on one side has NULL sums there; NULL equals only NULL)."""

    def totals(table: pa.Table, suffix: str) -> pa.Table:
        summed = table.group_by(list(keys), use_threads=False).aggregate(
            [(m, "sum") for m in measures]
        )
        return pa.table(
            {
                **{k: summed[k] for k in keys},
                **{f"{m}_{suffix}": summed[f"{m}_sum"] for m in measures},
            }
        )

    paired = totals(expected, "expected").join(
        totals(actual, "actual"), list(keys), join_type="full outer", use_threads=False
    )
    differs = pa.array([False] * paired.num_rows, pa.bool_())
    for m in measures:
        left, right = paired[f"{m}_expected"], paired[f"{m}_actual"]
        same = pc.or_(
            pc.fill_null(pc.equal(left, right), False),
            pc.and_(pc.is_null(left), pc.is_null(right)),
        )
        differs = pc.or_(differs, pc.invert(same))
    return paired.filter(differs).sort_by([(k, "ascending") for k in keys])
