"""Asset checks on the core and marts tables, for the run's window.

Each `evaluate_*` function reads what it needs on a connection and returns an `Outcome`; the
Dagster checks built by `build_checks` only find the window and report. Blocking (a failure stops
the assets downstream of the checked one) wherever a downstream number would be wrong: duplicate
grain, negative spend/clicks/impressions, a missing or stale FX rate, a configured account
missing, raw and core totals apart, core and marts totals apart. More clicks than impressions is
reported as a warning: platforms do count clicks without an impression (sitelinks, calls), so it
is suspicious rather than wrong.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from dagster import (
    AssetCheckExecutionContext,
    AssetChecksDefinition,
    AssetKey,
    MetadataValue,
)

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.check_steps import Check, check_steps
from perfmkt_pipeline.defs.core_windows import core_span, core_windows
from perfmkt_pipeline.defs.metadata import preview
from perfmkt_pipeline.defs.partitions import daily_partitions, window
from perfmkt_pipeline.platforms.base.spec import RawTotals
from perfmkt_pipeline.transform import quality
from perfmkt_pipeline.transform.fx import FX_LOOKBACK_DAYS
from perfmkt_pipeline.warehouse import check_reads, core_io, measures, tables

Window = tuple[dt.date, dt.date]
_EXAMPLES = 10
MART_MEASURES = list(measures.NAMES)
# Columns no row may hold a negative value in (spend local and reporting, impressions, clicks).
NEVER_NEGATIVE = [
    column
    for m in measures.MEASURES
    if m.never_negative
    for column in ([m.reported, m.name] if m.money else [m.name])
]


@dataclass(frozen=True)
class Outcome:
    passed: bool
    metadata: dict[str, Any] = field(default_factory=dict)
    description: str | None = None  # the result's, shown with it in the UI


def _outcome(offenders: pa.Table, label: str) -> Outcome:
    metadata: dict[str, Any] = {label: offenders.num_rows}
    if offenders.num_rows:
        metadata["examples"] = preview(offenders.slice(0, _EXAMPLES).to_pandas())
    return Outcome(offenders.num_rows == 0, metadata)


# --- evaluations ------------------------------------------------------------------------------


def evaluate_grain(
    conn: sa.Connection, table: sa.Table, column: str | None = None, span: Window | None = None
) -> Outcome:
    """No two rows share the table's grain (its 'one row per'); with `column`, among the rows
    whose `column` lies in `span`."""
    grain = table.info["grain"]
    rows = check_reads.grain_rows(conn, table, column, span)
    outcome = _outcome(quality.duplicate_keys(rows, grain), "duplicated_keys")
    outcome.metadata["rows_checked"] = rows.num_rows
    return outcome


def evaluate_non_negative(conn: sa.Connection, span: Window) -> Outcome:
    rows = check_reads.rows_in(conn, tables.ad_performance_daily, "date", span)
    return _outcome(quality.negative_values(rows, NEVER_NEGATIVE), "negative_rows")


def evaluate_clicks_within_impressions(conn: sa.Connection, span: Window) -> Outcome:
    rows = check_reads.rows_in(conn, tables.ad_performance_daily, "date", span)
    return _outcome(quality.clicks_above_impressions(rows), "rows_with_more_clicks")


def evaluate_fx_coverage(conn: sa.Connection, settings: Settings, span: Window) -> Outcome:
    """Every (currency, day) of the core money tables has a reference rate (latest fix on or
    before the day) and the stored fx_rate is the one the rates give now."""
    rates = core_io.read_fx(conn, span)
    problems = []
    for table, day in (
        (tables.ad_performance_daily, "date"),
        (tables.conversions_daily, "date"),
        (tables.affiliate_actions, "event_date"),
    ):
        rows = check_reads.rows_in(conn, table, day, span, [day, "currency", "fx_rate"])
        found = quality.fx_problems(rows, rates, settings.reporting_currency, day)
        problems.append(found.rename_columns(["date", *found.column_names[1:]]))
    return _outcome(pa.concat_tables(problems), "currency_days_without_rate")


def configured_accounts(settings: Settings) -> list[tuple[str, str]]:
    """(platform, account_id) of every explicitly configured account."""
    pairs = []
    for spec in platforms.all_specs():
        for instance in [spec] if spec.expand is None else spec.instances(settings):
            pairs += [(instance.name, a) for a in instance.account_ids(settings)]
    return pairs


def evaluate_accounts_present(conn: sa.Connection, settings: Settings) -> Outcome:
    accounts = check_reads.rows_of(conn, tables.ad_accounts, ["platform", "account_id"])
    missing = quality.missing_accounts(configured_accounts(settings), accounts)
    metadata: dict[str, Any] = {"missing_accounts": len(missing)}
    if missing:
        metadata["missing"] = MetadataValue.json([f"{p}:{a}" for p, a in missing])
    return Outcome(not missing, metadata)


def _raw_totals(platform: str) -> RawTotals:
    core = platforms.get(platform).core
    assert core is not None, platform
    return core.totals


def _affiliate_differences(
    conn: sa.Connection, spec: platforms.PlatformSpec, span: Window
) -> pa.Table:
    """Commission of the non-reversed actions per event day vs core spend, and the actions raw
    holds an original record of vs core.affiliate_actions."""
    platform = spec.name
    latest = check_reads.affiliate_latest(conn, platform, span)
    live = latest.filter(pc.not_equal(latest["status"], "reversed"))
    expected = pa.table({"date": live["event_date"], "spend": live["commission_local"]})
    core = check_reads.core_totals(conn, platform, span).select(["date", "spend"])
    differences = quality.total_differences(expected, core, ["date"], ["spend"])
    # Every action raw holds an original record of (a correction alone, its sale posted before
    # the loaded history, cannot be settled and is rightly absent from core).
    assert spec.actions is not None, platform
    raw_ids = check_reads.affiliate_original_ids(conn, spec.actions.table, platform, span)
    raw_actions = pc.unique(raw_ids["action_id"])
    missing = raw_actions.filter(pc.invert(pc.is_in(raw_actions, latest["action_id"])))
    if len(missing):
        extra = pa.table({"date": pa.nulls(len(missing), pa.date32()), "missing_action": missing})
        differences = pa.concat_tables([differences, extra], promote_options="default")
    return differences


def evaluate_raw_totals(
    conn: sa.Connection, settings: Settings, windows: Mapping[str, Window]
) -> Outcome:
    """Per platform and day, core equals raw: each registered platform's spend (micros / 1e6
    where its spec says so), impressions and clicks (its core mapping's `totals`); affiliates:
    commission of non-reversed actions, and every raw action present in core.affiliate_actions."""
    found = []
    reported = {spec.name for spec in platforms.all_specs() if spec.core}
    for platform, span in windows.items():
        if platform in reported:
            d = quality.total_differences(
                check_reads.raw_totals(conn, _raw_totals(platform), span),
                check_reads.core_totals(conn, platform, span),
                ["date"],
                ["spend", "impressions", "clicks"],
            )
        else:
            d = _affiliate_differences(
                conn, platforms.configured_instance(settings, platform), span
            )
        if d.num_rows:
            found.append(d.append_column("platform", pa.array([platform] * d.num_rows)))
    offenders = pa.concat_tables(found, promote_options="default") if found else pa.table({})
    return _outcome(offenders, "differences")


def evaluate_mart_totals(conn: sa.Connection, span: Window) -> Outcome:
    """Per day and platform, both marts sum to what core.ad_performance_daily holds."""
    columns = ["date", "platform", *MART_MEASURES]
    core = check_reads.rows_in(conn, tables.ad_performance_daily, "date", span, columns)
    found = []
    for mart in (tables.campaign_daily, tables.channel_daily):
        rows = check_reads.rows_in(conn, mart, "date", span, columns)
        d = quality.total_differences(core, rows, ["date", "platform"], MART_MEASURES)
        found.append(d.append_column("mart", pa.array([mart.fullname] * d.num_rows, pa.string())))
    return _outcome(pa.concat_tables(found), "differences")


# --- Dagster checks ---------------------------------------------------------------------------

AD_PERFORMANCE = AssetKey(["core", "ad_performance_daily"])


def _span(conn: sa.Connection, settings: Settings, context: AssetCheckExecutionContext) -> Window:
    return core_span(conn, settings, *window(context))


def _check(
    settings: Settings,
    asset: AssetKey,
    name: str,
    description: str,
    evaluate: Callable[[sa.Connection, AssetCheckExecutionContext], Outcome],
    blocking: bool = True,
) -> Check:
    return Check(asset, name, description, evaluate, blocking)


_GRAIN_WINDOWS: dict[str, tuple[str | None, int]] = {
    # table name -> (date column limiting the check to the window, or None: whole table;
    #                days before the window it also covers)
    "ad_accounts": (None, 0),
    "campaigns": (None, 0),
    "ad_performance_daily": ("date", 0),
    "conversions_daily": ("date", 0),
    "affiliate_actions": (None, 0),
    "restatements": ("date", 0),
    "fx_rates": ("date", FX_LOOKBACK_DAYS),
    "campaign_daily": ("date", 0),
    "channel_daily": ("date", 0),
}


def _grain_check(settings: Settings, table: sa.Table) -> Check:
    column, before = _GRAIN_WINDOWS[table.name]

    def evaluate(conn: sa.Connection, context: AssetCheckExecutionContext) -> Outcome:
        if column is None:
            return evaluate_grain(conn, table)
        first, last = _span(conn, settings, context)
        return evaluate_grain(conn, table, column, (first - dt.timedelta(days=before), last))

    return _check(
        settings,
        AssetKey([table.schema, table.name]),
        "grain_is_unique",
        f"No two rows of {table.fullname} share ({', '.join(table.info['grain'])}).",
        evaluate,
    )


def build_checks(settings: Settings, engine_kind: str | None = None) -> list[AssetChecksDefinition]:
    """Every asset check on the core and marts tables (partitioned like the assets)."""
    checks = [
        _grain_check(settings, t)
        for t in (
            tables.ad_accounts, tables.campaigns, tables.ad_performance_daily,
            tables.conversions_daily, tables.affiliate_actions, tables.restatements,
            tables.fx_rates, tables.campaign_daily, tables.channel_daily,
        )
    ]  # fmt: skip
    span = lambda conn, context: _span(conn, settings, context)  # noqa: E731
    windows = lambda conn, context: core_windows(conn, settings, *window(context))  # noqa: E731
    checks += [
        _check(settings, AD_PERFORMANCE, "no_negative_spend_clicks_impressions",
               "Spend (local and reporting), impressions and clicks are never negative.",
               lambda conn, context: evaluate_non_negative(conn, span(conn, context))),
        _check(settings, AD_PERFORMANCE, "clicks_within_impressions",
               "No row reports more clicks than impressions (a warning: some click types have "
               "no impression).",
               lambda conn, context: evaluate_clicks_within_impressions(conn, span(conn, context)),
               blocking=False),
        _check(settings, AD_PERFORMANCE, "fx_rate_for_every_currency_and_day",
               "Every currency and day in the core money tables has a reference rate (latest fix "
               "on or before the day) and rows carry the rate it gives.",
               lambda conn, context: evaluate_fx_coverage(conn, settings, span(conn, context))),
        _check(settings, AD_PERFORMANCE, "raw_totals_equal_core",
               "Per platform and day, core holds exactly the spend, impressions and clicks raw "
               "holds (affiliates: commission of non-reversed actions, every action present).",
               lambda conn, context: evaluate_raw_totals(conn, settings, windows(conn, context))),
        _check(settings, AssetKey(["core", "ad_accounts"]), "every_configured_account_present",
               "Every account named in the configuration has a row in core.ad_accounts.",
               lambda conn, context: evaluate_accounts_present(conn, settings)),
        _check(settings, AssetKey(["marts", "channel_daily"]), "core_totals_equal_marts",
               "Per day and platform, marts.campaign_daily and marts.channel_daily sum to "
               "core.ad_performance_daily (spend, impressions, clicks, conversions, value).",
               lambda conn, context: evaluate_mart_totals(conn, span(conn, context))),
    ]  # fmt: skip
    # The blocking checks of one asset run in one step (defs/check_steps.py).
    return check_steps(checks, daily_partitions(settings))


__all__ = ["Outcome", "build_checks"]
