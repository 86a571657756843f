"""Asset checks on the below-campaign tables (issue #17), for the run's window.

- every new table keeps its grain;
- ad rows reconcile with campaign rows, per account and day, on every measure as the platform
  reports it (local currency; conversions under the same mapping, configured conversion actions
  included): a platform whose ads sum to its campaigns must match to the micro; one with
  campaign types that have no ad rows (those its spec's `BelowCampaign.uncovered_types` names)
  must never exceed its campaigns, and must equal them for every campaign of another type. The
  share of spend no ad row covers is reported per account.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from dagster import AssetCheckExecutionContext, AssetChecksDefinition, AssetKey

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.assets.core import AD_PERFORMANCE_DAILY
from perfmkt_pipeline.defs.check_steps import Check, check_steps
from perfmkt_pipeline.defs.checks import Outcome, _outcome, evaluate_grain
from perfmkt_pipeline.defs.core_windows import core_span
from perfmkt_pipeline.defs.partitions import daily_partitions, window
from perfmkt_pipeline.transform import quality
from perfmkt_pipeline.warehouse import below_io, check_reads, measures, tables

Window = tuple[dt.date, dt.date]
REPORTED = [m.reported for m in measures.MEASURES]
_DAY = ["platform", "account_id", "date"]
_CAMPAIGN_DAY = [*_DAY, "campaign_id"]
_TYPE_COLUMNS = ["account_id", "campaign_id", "campaign_type"]


def _sums(rows: pa.Table, keys: list[str], suffix: str, names: list[str] = REPORTED) -> pa.Table:
    summed = rows.group_by(keys, use_threads=False).aggregate([(m, "sum") for m in names])
    return pa.table(
        {**{k: summed[k] for k in keys}, **{f"{m}{suffix}": summed[f"{m}_sum"] for m in names}}
    )


def _rows(conn: sa.Connection, table: sa.Table, platform: str, span: Window) -> pa.Table:
    found = check_reads.rows_in(conn, table, "date", span, [*_CAMPAIGN_DAY, *REPORTED])
    return found.filter(pc.equal(found["platform"], platform))


def _spend_by_account(rows: pa.Table, into: dict[str, Decimal]) -> None:
    for row in _sums(rows, ["account_id"], "", ["spend_local"]).to_pylist():
        into[row["account_id"]] = into.get(row["account_id"], Decimal(0)) + (
            row["spend_local"] or Decimal(0)
        )


def _uncovered_share(spent: dict[str, Decimal], covered: dict[str, Decimal]) -> dict[str, str]:
    """Per account: the share of its campaign spend in the span that no ad row covers."""
    share = {}
    for account, total in spent.items():
        on_ads = covered.get(account, Decimal(0))
        share[account] = "n/a (no spend)" if total == 0 else f"{(total - on_ads) / total:.4%}"
    return share


def _offending_days(
    campaigns: pa.Table,
    ads: pa.Table,
    types: pa.Table,
    uncovered_types: tuple[str, ...],
    names: list[str],
) -> tuple[pa.Table, int]:
    """The campaign-days whose ads exceed the campaign or, outside `uncovered_types`, differ
    from it; and how many campaign-days were compared."""
    paired = (
        _sums(campaigns, _CAMPAIGN_DAY, "_campaign", names)
        .join(
            _sums(ads, _CAMPAIGN_DAY, "_ads", names),
            _CAMPAIGN_DAY,
            join_type="full outer",
            use_threads=False,
        )
        .join(types, ["account_id", "campaign_id"], join_type="left outer", use_threads=False)
    )
    uncovered = pc.is_in(paired["campaign_type"], pa.array(list(uncovered_types)))
    uncovered = pc.fill_null(uncovered, False)
    bad = pa.array([False] * paired.num_rows, pa.bool_())
    for m in names:
        campaign, ad = paired[f"{m}_campaign"], paired[f"{m}_ads"]
        zero = pa.scalar(0, campaign.type if campaign.num_chunks else pa.int64())
        campaign0 = pc.fill_null(campaign, zero)
        ad0 = pc.fill_null(ad.cast(campaign.type), zero)
        above = pc.greater(ad0, campaign0)
        apart = pc.and_(pc.invert(uncovered), pc.not_equal(ad0, campaign0))
        bad = pc.or_(bad, pc.or_(above, apart))
    return paired.filter(bad), paired.num_rows  # fmt: skip


def _stacked(parts: list[pa.Table]) -> pa.Table:
    found = [p for p in parts if p.num_rows]
    if not found:
        return parts[0] if parts else pa.table({})
    return pa.concat_tables(found, promote_options="permissive")


def evaluate_ads_reconcile(conn: sa.Connection, spec: Any, span: Window) -> Outcome:
    """The spec's platform's ad rows against its campaign rows in `span` (see module), on every
    measure as reported. Read and compared chunk by chunk of days (below_io.CHUNK_DAYS; the
    comparison is per day), so memory does not grow with the span."""
    if spec.core.below.ads_equal_campaigns:
        return _ads_equal_campaigns(conn, spec.name, span)
    return _ads_within_campaigns(conn, spec.name, spec.core.below, span)


def _chunk_rows(conn: sa.Connection, platform: str, span: Window) -> Iterator[tuple]:
    """(campaign rows, ad rows) of `platform`, chunk by chunk of `span`'s days."""
    for chunk in below_io.chunks(*span):
        yield (
            _rows(conn, tables.ad_performance_daily, platform, chunk),
            _rows(conn, tables.ad_daily, platform, chunk),
        )


def _ads_equal_campaigns(conn: sa.Connection, platform: str, span: Window) -> Outcome:
    offenders, checked = [], 0
    for campaigns, ads in _chunk_rows(conn, platform, span):
        offenders.append(quality.total_differences(campaigns, ads, _DAY, REPORTED))
        checked += campaigns.num_rows
    outcome = _outcome(_stacked(offenders), "differences")
    outcome.metadata["campaign_days_checked"] = checked
    return outcome


def _ads_within_campaigns(conn: sa.Connection, platform: str, below: Any, span: Window) -> Outcome:
    types = below.campaign_types(conn, span).select(_TYPE_COLUMNS)
    offenders, checked = [], 0
    spent: dict[str, Decimal] = {}
    covered: dict[str, Decimal] = {}
    for campaigns, ads in _chunk_rows(conn, platform, span):
        bad, compared_days = _offending_days(campaigns, ads, types, below.uncovered_types, REPORTED)
        offenders.append(bad)
        checked += compared_days
        _spend_by_account(campaigns, spent)
        _spend_by_account(ads, covered)
    outcome = _outcome(_stacked(offenders), "campaign_days_off")
    outcome.metadata["campaign_days_checked"] = checked
    outcome.metadata["uncovered_spend_share_by_account"] = _uncovered_share(spent, covered)
    return outcome


def evaluate_grain_by_chunk(conn: sa.Connection, table: sa.Table, span: Window) -> Outcome:
    """No two rows of a dated table share its grain (which holds the date) among the rows of
    `span`, read chunk by chunk of days so memory does not grow with the span."""
    duplicated, checked, examples = 0, 0, None
    for chunk in below_io.chunks(*span):
        outcome = evaluate_grain(conn, table, "date", chunk)
        duplicated += outcome.metadata["duplicated_keys"]
        checked += outcome.metadata["rows_checked"]
        if examples is None and "examples" in outcome.metadata:
            examples = outcome.metadata["examples"]
    metadata: dict[str, Any] = {"duplicated_keys": duplicated, "rows_checked": checked}
    if examples is not None:
        metadata["examples"] = examples
    return Outcome(duplicated == 0, metadata)


def build_below_checks(settings: Settings) -> list[AssetChecksDefinition]:
    """The checks on the below-campaign tables (none when no platform reports below)."""
    specs = below_io.below_specs(platforms.configured(settings))
    if not specs:
        return []

    def span(conn: sa.Connection, context: AssetCheckExecutionContext) -> Window:
        return core_span(conn, settings, *window(context))

    def grain(table: sa.Table, dated: bool) -> Check:
        def evaluate(conn: sa.Connection, context: AssetCheckExecutionContext) -> Outcome:
            if not dated:
                return evaluate_grain(conn, table)
            return evaluate_grain_by_chunk(conn, table, span(conn, context))

        return Check(
            AssetKey([table.schema, table.name]),
            "grain_is_unique",
            f"No two rows of {table.fullname} share ({', '.join(table.info['grain'])}).",
            evaluate,
        )

    def reconcile(spec: Any) -> Check:
        equal = spec.core.below.ads_equal_campaigns
        rule = (
            "equal its campaign totals per account and day, to the micro"
            if equal
            else "never exceed its campaign totals and equal them for campaign types with ad "
            f"rows (not {', '.join(spec.core.below.uncovered_types)}); the share of spend no "
            "ad row covers is reported per account"
        )
        return Check(
            AssetKey(["core", "ad_daily"]),
            f"{spec.name}_ad_totals_reconcile_with_campaigns",
            f"{spec.name}'s ad-level totals (spend, impressions, clicks, conversions, value, as "
            f"reported) {rule}.",
            lambda conn, context: evaluate_ads_reconcile(conn, spec, span(conn, context)),
            # The campaign rows it compares with: written by the core step beside the ad rows'.
            deps=(AD_PERFORMANCE_DAILY,),
        )

    checks = [
        grain(tables.ad_groups, False),
        grain(tables.ads, False),
        *[grain(t, True) for t in (tables.ad_daily, tables.keyword_daily, tables.account_daily,
                                   tables.ad_group_daily, tables.ad_daily_mart,
                                   tables.keyword_daily_mart, tables.url_daily)],
        *[reconcile(spec) for spec in specs],
    ]  # fmt: skip
    return check_steps(checks, daily_partitions(settings))
