"""Freshness and anomaly checks: warnings (severity WARN, never blocking), partitioned like the
assets, run with them.

- `<platform>_is_fresh` on core.ad_performance_daily, one per configured platform and file feed:
  the platform's newest loaded day against its expected lag, as of the day after the run's last
  partition (the daily sync's "today"), with each account's newest day in the metadata.
- On marts.campaign_daily, one check per anomaly rule (transform/anomalies.py) over the days the
  marts run rebuilt, judged against the history before them.

Each result carries its findings as JSON (`findings`: platform, account, day, value, expected
range, key), which the notification sensor sends once per key. The freshness checks share one
step, and so do the anomaly checks (defs/check_steps.py: the warnings of one asset).
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from dagster import (
    AssetCheckExecutionContext,
    AssetChecksDefinition,
    AssetKey,
    MetadataValue,
)

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.check_steps import Check, check_steps
from perfmkt_pipeline.defs.checks import Outcome
from perfmkt_pipeline.defs.core_windows import core_span
from perfmkt_pipeline.defs.partitions import daily_partitions, window
from perfmkt_pipeline.transform import anomalies
from perfmkt_pipeline.transform.freshness import platform_freshness
from perfmkt_pipeline.warehouse import monitoring

AD_PERFORMANCE = AssetKey(["core", "ad_performance_daily"])
CAMPAIGN_DAILY = AssetKey(["marts", "campaign_daily"])
_SHOWN = 20  # findings listed in the Markdown summary (all are in `findings`)

ANOMALY_CHECKS = {
    anomalies.SPEND_OUTLIER: (
        "spend_within_recent_range",
        "Each account-day's spend lies within median +- threshold x spread (1.4826 x MAD) of its "
        "trailing days (alerts.anomalies). A warning, never blocking.",
    ),
    anomalies.BROKEN_TRACKING: (
        "conversions_tracked_while_spending",
        "No account that usually converts spends for days in a row with zero conversions "
        "(broken tracking). A warning, never blocking.",
    ),
    anomalies.STOPPED_REPORTING: (
        "accounts_and_campaigns_reporting",
        "No account (or campaign) that was spending every day stops reporting while its "
        "platform is loaded. A warning, never blocking.",
    ),
}


def _warning_check(
    asset: AssetKey,
    name: str,
    description: str,
    evaluate: Callable[[sa.Connection, AssetCheckExecutionContext], Outcome],
) -> Check:
    return Check(asset, name, description, evaluate, blocking=False)


def _freshness_check(platform: str, lag: int) -> Check:
    def evaluate(conn: sa.Connection, context: AssetCheckExecutionContext) -> Outcome:
        _, end = window(context)
        checked_for = end + dt.timedelta(days=1)
        newest = monitoring.newest_days(conn, end)
        found = platform_freshness(newest, {platform: lag}, checked_for)[0]
        metadata: dict[str, Any] = {
            "checked_for": checked_for.isoformat(),
            "newest_day": str(found.newest_day or "-"),
            "expected_lag_days": lag,
            "accounts": MetadataValue.json({a: d.isoformat() for a, d in found.accounts.items()}),
        }
        if found.lag_days is not None:
            metadata["lag_days"] = found.lag_days
        return Outcome(passed=not found.stale, metadata=metadata, description=found.describe())

    return _warning_check(
        AD_PERFORMANCE,
        f"{platform}_is_fresh",
        f"{platform}'s newest day in core.ad_performance_daily is at most {lag} day(s) before "
        "the day after the run's last partition (alerts.freshness.lag_days). A warning.",
        evaluate,
    )


def findings_metadata(found: list[anomalies.Finding], currency: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "warnings": len(found),
        "findings": MetadataValue.json([f.as_dict() | {"message": f.describe(currency)}
                                        for f in found]),
    }  # fmt: skip
    if found:
        lines = [f"- {f.describe(currency)}" for f in found[:_SHOWN]]
        if len(found) > _SHOWN:
            lines.append(f"- ... and {len(found) - _SHOWN} more (see `findings`)")
        metadata["summary"] = MetadataValue.md("\n".join(lines))
    return metadata


def _anomaly_check(settings: Settings, rule: str) -> Check:
    name, description = ANOMALY_CHECKS[rule]
    rules = anomalies.AnomalyRules.from_settings(settings.alerts.anomalies)
    currency = settings.reporting_currency

    def evaluate(conn: sa.Connection, context: AssetCheckExecutionContext) -> Outcome:
        start, end = window(context)
        first, last = core_span(conn, settings, start, end)
        history = first - dt.timedelta(days=rules.history_needed())
        rows = monitoring.campaign_days(conn, history, last)
        found = anomalies.RULES[rule](rows, first, last, rules)
        found.sort(key=lambda f: (f.day, f.platform, f.account_id, f.campaign_id or ""))
        return Outcome(
            passed=not found,
            metadata=findings_metadata(found, currency),
            description=found[0].describe(currency) if found else f"none in {first}..{last}",
        )

    return _warning_check(CAMPAIGN_DAILY, name, description, evaluate)


def build_alert_checks(settings: Settings) -> list[AssetChecksDefinition]:
    """Freshness per configured platform and feed, and the anomaly checks on the marts; the
    warnings of one asset in one step."""
    checks = [_freshness_check(p, lag) for p, lag in settings.expected_lags().items()]
    checks += [_anomaly_check(settings, rule) for rule in ANOMALY_CHECKS]
    return check_steps(checks, daily_partitions(settings))


__all__ = ["ANOMALY_CHECKS", "build_alert_checks", "findings_metadata"]
