"""Materialisation metadata that pictures a mart: numeric values per group (the UI plots each
numeric key over the asset's materialisations) and the chart of the last 30 days.

`numeric_metadata` takes any {group: {measure: value}}, so another mart (marts.blended_daily,
one group) reuses it; `channel_picture` is marts.channel_daily's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from dagster import MetadataValue

from perfmkt_pipeline import charts
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.transform.anomalies import RULES, AnomalyRules, Finding
from perfmkt_pipeline.transform.daily_metrics import day_metrics
from perfmkt_pipeline.warehouse import monitoring


def numeric_metadata(
    metrics: Mapping[str, Mapping[str, float | None]], day: dt.date
) -> dict[str, Any]:
    """`<group>_<measure>` float values of `day` (a None measure, e.g. ROAS without spend, is
    left out rather than plotted as 0), and `metrics_day`."""
    metadata: dict[str, Any] = {"metrics_day": day.isoformat()}
    for group, measures in sorted(metrics.items()):
        for measure, value in measures.items():
            if value is not None:
                metadata[f"{group}_{measure}"] = MetadataValue.float(float(value))
    return metadata


def chart_findings(conn: sa.Connection, settings: Settings, first: dt.date, last: dt.date):
    """Every anomaly rule's findings in [first, last] (what the chart marks)."""
    rules = AnomalyRules.from_settings(settings.alerts.anomalies)
    rows = monitoring.campaign_days(conn, first - dt.timedelta(days=rules.history_needed()), last)
    found: list[Finding] = []
    for rule in RULES.values():
        found += rule(rows, first, last, rules)
    return sorted(found, key=lambda f: (f.day, f.rule, f.platform, f.account_id))


def channel_picture(conn: sa.Connection, settings: Settings, last: dt.date) -> dict[str, Any]:
    """Numeric metadata of `last` per channel and the 30-day chart ending on it."""
    first = last - dt.timedelta(days=charts.CHART_DAYS - 1)
    days = monitoring.channel_days(conn, first, last)
    metadata = numeric_metadata(day_metrics(days, last), last)
    if not days.empty:
        findings = chart_findings(conn, settings, first, last)
        figure = charts.channel_chart(days, findings, settings.reporting_currency)
        caption = f"spend and ROAS per channel, {first}..{last}"
        metadata["chart_last_30_days"] = MetadataValue.md(
            charts.markdown(charts.png_bytes(figure), caption)
        )
        metadata["warnings_last_30_days"] = len(findings)
    return metadata
