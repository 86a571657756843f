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
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.assets import core_io
from perfmkt_pipeline.defs.metadata import preview
from perfmkt_pipeline.defs.partitions import daily_partitions, window
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.transform import quality
from perfmkt_pipeline.transform.decimals import micros_to_units
from perfmkt_pipeline.transform.fx import FX_LOOKBACK_DAYS
from perfmkt_pipeline.warehouse import measures, raw, tables
from perfmkt_pipeline.warehouse.read import read_arrow

Window = tuple[dt.date, dt.date]
_EXAMPLES = 10
MONEY_SUM = pa.decimal128(38, 6)
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


def _outcome(offenders: pa.Table, label: str) -> Outcome:
    metadata: dict[str, Any] = {label: offenders.num_rows}
    if offenders.num_rows:
        metadata["examples"] = preview(offenders.slice(0, _EXAMPLES).to_pandas())
    return Outcome(offenders.num_rows == 0, metadata)


def _between(table: sa.Table, column: str, span: Window) -> sa.ColumnElement[bool]:
    return table.c[column].between(span[0], span[1])


# --- evaluations ------------------------------------------------------------------------------


def evaluate_grain(
    conn: sa.Connection, table: sa.Table, where: sa.ColumnElement[bool] | None = None
) -> Outcome:
    """No two rows share the table's grain (its 'one row per')."""
    grain = table.info["grain"]
    rows = read_arrow(conn, table, where, grain)
    outcome = _outcome(quality.duplicate_keys(rows, grain), "duplicated_keys")
    outcome.metadata["rows_checked"] = rows.num_rows
    return outcome


def evaluate_non_negative(conn: sa.Connection, span: Window) -> Outcome:
    table = tables.ad_performance_daily
    rows = read_arrow(conn, table, _between(table, "date", span))
    return _outcome(quality.negative_values(rows, NEVER_NEGATIVE), "negative_rows")


def evaluate_clicks_within_impressions(conn: sa.Connection, span: Window) -> Outcome:
    table = tables.ad_performance_daily
    rows = read_arrow(conn, table, _between(table, "date", span))
    return _outcome(quality.clicks_above_impressions(rows), "rows_with_more_clicks")


def evaluate_fx_coverage(conn: sa.Connection, settings: Settings, span: Window) -> Outcome:
    """Every (currency, day) of the core money tables has an ECB rate (latest fix on or before
    the day) and the stored fx_rate is the one the rates give now."""
    rates = core_io.read_fx(conn, span)
    problems = []
    for table, day in (
        (tables.ad_performance_daily, "date"),
        (tables.conversions_daily, "date"),
        (tables.affiliate_actions, "event_date"),
    ):
        rows = read_arrow(conn, table, _between(table, day, span), [day, "currency", "fx_rate"])
        found = quality.fx_problems(rows, rates, settings.reporting_currency, day)
        problems.append(found.rename_columns(["date", *found.column_names[1:]]))
    return _outcome(pa.concat_tables(problems), "currency_days_without_rate")


def configured_accounts(settings: Settings) -> list[tuple[str, str]]:
    """(platform, account_id) of every explicitly configured account."""
    pairs = [("google_ads", a) for a in settings.google_ads.customer_ids]
    pairs += [("meta", a) for a in settings.meta.account_ids]
    for name in core_io.NETWORKS:
        pairs += [(name, a) for a in getattr(settings, name).account_ids]
    pairs += [(feed.name, feed.account_id) for feed in settings.file_feeds]
    return pairs


def evaluate_accounts_present(conn: sa.Connection, settings: Settings) -> Outcome:
    accounts = read_arrow(conn, tables.ad_accounts, None, ["platform", "account_id"])
    missing = quality.missing_accounts(configured_accounts(settings), accounts)
    metadata: dict[str, Any] = {"missing_accounts": len(missing)}
    if missing:
        metadata["missing"] = MetadataValue.json([f"{p}:{a}" for p, a in missing])
    return Outcome(not missing, metadata)


def _core_totals(conn: sa.Connection, platform: str, span: Window) -> pa.Table:
    table = tables.ad_performance_daily
    rows = read_arrow(
        conn,
        table,
        sa.and_(table.c.platform == platform, _between(table, "date", span)),
        ["date", "spend_local", "impressions", "clicks"],
    )
    return rows.rename_columns(["date", "spend", "impressions", "clicks"])


def _raw_totals(conn: sa.Connection, platform: str, span: Window) -> pa.Table:
    if platform == "google_ads":
        t = raw.google_ads_campaign_daily
        rows = read_arrow(
            conn, t, _between(t, "date", span), ["date", "cost_micros", "impressions", "clicks"]
        )
        spend = micros_to_units(rows["cost_micros"], MONEY_SUM)
        return pa.table(
            {
                "date": rows["date"],
                "spend": spend,
                "impressions": rows["impressions"],
                "clicks": rows["clicks"],
            }
        )
    t = raw.meta_ad_insights
    rows = read_arrow(
        conn, t, _between(t, "date", span), ["date", "spend", "impressions", "clicks"]
    )
    return rows


def _affiliate_differences(conn: sa.Connection, platform: str, span: Window) -> pa.Table:
    """Commission of the non-reversed actions per event day vs core spend, and the actions raw
    holds an original record of vs core.affiliate_actions."""
    actions = tables.affiliate_actions
    latest = read_arrow(
        conn,
        actions,
        sa.and_(actions.c.platform == platform, _between(actions, "event_date", span)),
        ["event_date", "status", "commission_local", "action_id"],
    )
    live = latest.filter(pc.not_equal(latest["status"], "reversed"))
    expected = pa.table({"date": live["event_date"], "spend": live["commission_local"]})
    core = _core_totals(conn, platform, span).select(["date", "spend"])
    differences = quality.total_differences(expected, core, ["date"], ["spend"])
    r = raw.affiliate_actions
    # Every action raw holds an original record of (a CJ correction alone, its sale posted
    # before the loaded history, cannot be settled and is rightly absent from core).
    originals = sa.and_(
        r.c.platform == platform, _between(r, "event_date", span), r.c.is_correction.is_(False)
    )
    raw_ids = read_arrow(conn, r, originals, ["action_id"])
    raw_actions = pc.unique(raw_ids["action_id"])
    missing = raw_actions.filter(pc.invert(pc.is_in(raw_actions, latest["action_id"])))
    if len(missing):
        extra = pa.table({"date": pa.nulls(len(missing), pa.date32()), "missing_action": missing})
        differences = pa.concat_tables([differences, extra], promote_options="default")
    return differences


def evaluate_raw_totals(
    conn: sa.Connection, settings: Settings, windows: Mapping[str, Window]
) -> Outcome:
    """Per platform and day, core equals raw: Google Ads cost (micros / 1e6), impressions and
    clicks; Meta spend, impressions, clicks; affiliates: commission of non-reversed actions,
    and every raw action present in core.affiliate_actions."""
    found = []
    for platform, span in windows.items():
        if platform in ("google_ads", "meta"):
            d = quality.total_differences(
                _raw_totals(conn, platform, span),
                _core_totals(conn, platform, span),
                ["date"],
                ["spend", "impressions", "clicks"],
            )
        else:
            d = _affiliate_differences(conn, platform, span)
        if d.num_rows:
            found.append(d.append_column("platform", pa.array([platform] * d.num_rows)))
    offenders = pa.concat_tables(found, promote_options="default") if found else pa.table({})
    return _outcome(offenders, "differences")


def evaluate_mart_totals(conn: sa.Connection, span: Window) -> Outcome:
    """Per day and platform, both marts sum to what core.ad_performance_daily holds."""
    core = read_arrow(
        conn, tables.ad_performance_daily, _between(tables.ad_performance_daily, "date", span),
        ["date", "platform", *MART_MEASURES],
    )  # fmt: skip
    found = []
    for mart in (tables.campaign_daily, tables.channel_daily):
        rows = read_arrow(
            conn, mart, _between(mart, "date", span), ["date", "platform", *MART_MEASURES]
        )
        d = quality.total_differences(core, rows, ["date", "platform"], MART_MEASURES)
        found.append(d.append_column("mart", pa.array([mart.fullname] * d.num_rows, pa.string())))
    return _outcome(pa.concat_tables(found), "differences")


# --- Dagster checks ---------------------------------------------------------------------------

AD_PERFORMANCE = AssetKey(["core", "ad_performance_daily"])


def _span(conn: sa.Connection, settings: Settings, context: AssetCheckExecutionContext) -> Window:
    start, end = window(context)
    return core_io.overall(core_io.platform_windows(conn, settings, start, end), start, end)


def _check(
    settings: Settings,
    asset: AssetKey,
    name: str,
    description: str,
    evaluate: Callable[[sa.Connection, AssetCheckExecutionContext], Outcome],
    blocking: bool = True,
) -> AssetChecksDefinition:
    severity = AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN

    @asset_check(
        asset=asset,
        name=name,
        description=description,
        blocking=blocking,
        partitions_def=daily_partitions(settings),
    )
    def _run(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        with warehouse.get().begin() as conn:
            outcome = evaluate(conn, context)
        return AssetCheckResult(passed=outcome.passed, severity=severity, metadata=outcome.metadata)

    return _run


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


def _grain_check(settings: Settings, table: sa.Table) -> AssetChecksDefinition:
    column, before = _GRAIN_WINDOWS[table.name]

    def evaluate(conn: sa.Connection, context: AssetCheckExecutionContext) -> Outcome:
        if column is None:
            return evaluate_grain(conn, table)
        first, last = _span(conn, settings, context)
        return evaluate_grain(
            conn, table, _between(table, column, (first - dt.timedelta(days=before), last))
        )

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
    windows = lambda conn, context: core_io.platform_windows(conn, settings, *window(context))  # noqa: E731
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
               "Every currency and day in the core money tables has an ECB rate (latest fix on "
               "or before the day) and rows carry the rate it gives.",
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
    return checks


__all__ = ["Outcome", "build_checks"]
