"""Asset checks on the below-campaign tables (issue #17), for the run's window.

- every new table keeps its grain;
- ad rows reconcile with campaign rows, per account and day, on every measure as the platform
  reports it (local currency): a platform whose ads sum to its campaigns must match to the
  micro; one with campaign types that have no ad rows (those its spec's
  `BelowCampaign.uncovered_types` names) must never exceed its campaigns, and must equal them
  for every campaign of another type. The share of spend no ad row covers is reported per account.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from dagster import AssetCheckExecutionContext, AssetChecksDefinition, AssetKey

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
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


def _uncovered_share(campaigns: pa.Table, ads: pa.Table) -> dict[str, str]:
    """Per account: the share of its campaign spend in the span that no ad row covers."""
    spent = _sums(campaigns, ["account_id"], "")
    covered = _sums(ads, ["account_id"], "_ads")
    joined = spent.join(covered, ["account_id"], join_type="left outer", use_threads=False)
    share = {}
    for row in joined.to_pylist():
        total = row["spend_local"] or Decimal(0)
        on_ads = row["spend_local_ads"] or Decimal(0)
        share[row["account_id"]] = (
            "n/a (no spend)" if total == 0 else f"{(total - on_ads) / total:.4%}"
        )
    return share


def evaluate_ads_reconcile(
    conn: sa.Connection, spec: Any, span: Window, compared: list[str] | None = None
) -> Outcome:
    """The spec's platform's ad rows against its campaign rows in `span` (see module), on the
    `compared` measures (default: every measure as reported)."""
    names = compared or REPORTED
    below = spec.core.below
    ads = _rows(conn, tables.ad_daily, spec.name, span)
    campaigns = _rows(conn, tables.ad_performance_daily, spec.name, span)
    if below.ads_equal_campaigns:
        outcome = _outcome(quality.total_differences(campaigns, ads, _DAY, names), "differences")
        outcome.metadata["campaign_days_checked"] = campaigns.num_rows
        return outcome
    types = below.campaign_types(conn, span).select(_TYPE_COLUMNS)
    paired = _sums(campaigns, _CAMPAIGN_DAY, "_campaign", names).join(
        _sums(ads, _CAMPAIGN_DAY, "_ads", names), _CAMPAIGN_DAY, join_type="full outer",
        use_threads=False,
    ).join(types, ["account_id", "campaign_id"], join_type="left outer", use_threads=False)  # fmt: skip
    uncovered = pc.is_in(paired["campaign_type"], pa.array(list(below.uncovered_types)))
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
    outcome = _outcome(paired.filter(bad), "campaign_days_off")
    outcome.metadata["campaign_days_checked"] = paired.num_rows
    outcome.metadata["uncovered_spend_share_by_account"] = _uncovered_share(campaigns, ads)
    return outcome


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
            return evaluate_grain(conn, table, "date", span(conn, context))

        return Check(
            AssetKey([table.schema, table.name]),
            "grain_is_unique",
            f"No two rows of {table.fullname} share ({', '.join(table.info['grain'])}).",
            evaluate,
        )

    def compared(spec: Any) -> list[str] | None:
        """Delivery and spend only where the campaign rows count configured conversion
        actions that ad rows do not carry (a section's `conversion_actions`)."""
        if getattr(spec.section(settings), "conversion_actions", None):
            return ["spend_local", "impressions", "clicks"]
        return None

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
            lambda conn, context: evaluate_ads_reconcile(
                conn, spec, span(conn, context), compared(spec)
            ),
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
