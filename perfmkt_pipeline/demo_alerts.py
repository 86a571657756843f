"""What `perfmkt demo` adds after loading: the notifications of the run it made (printed when no
channel is configured, exactly what the `notifications` sensor would send) and the channel
chart of the loaded days as a PNG and an HTML page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from perfmkt_pipeline import charts
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.mart_metadata import chart_findings
from perfmkt_pipeline.defs.notifications import NotifyCursor, collect, notify
from perfmkt_pipeline.notify.channels import build_channels, secrets_from_environment
from perfmkt_pipeline.warehouse import monitoring
from perfmkt_pipeline.warehouse.engine import Warehouse


def _instance(dagster_home: str):
    from dagster import DagsterInstance

    return DagsterInstance.from_config(dagster_home)


def notification_cursor(dagster_home: str) -> NotifyCursor:
    """Past every run already in the instance: only the demo's own run is notified."""
    instance = _instance(dagster_home)
    try:
        return NotifyCursor.at_newest(instance)
    finally:
        instance.dispose()


def send_notifications(
    dagster_home: str, cursor: NotifyCursor, settings: Settings, environ: Mapping[str, str]
) -> int:
    """Notify the runs finished since `cursor`; returns how many notifications were sent."""
    notify_settings = settings.alerts.notify
    channels = build_channels(notify_settings, secrets_from_environment(notify_settings, environ))
    instance = _instance(dagster_home)
    try:
        found, _ = collect(instance, cursor, settings.alerts.webserver_url)
    finally:
        instance.dispose()
    for failure in notify(found, channels, environ):
        print(f"demo: notification not delivered: {failure}")
    return len(found)


def write_chart(
    url: str, settings: Settings, first: dt.date, last: dt.date, folder: Path
) -> tuple[Path, Path]:
    """The chart of [first, last] with its warnings, as `<folder>/channel_daily_<first>_<last>`
    .png and .html; returns both paths."""
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            days = monitoring.channel_days(conn, first, last)
            findings = chart_findings(conn, settings, first, last)
    finally:
        warehouse.dispose()
    figure = charts.channel_chart(days, findings, settings.reporting_currency)
    png = charts.png_bytes(figure)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"channel_daily_{first}_{last}"
    png_path, html_path = stem.with_suffix(".png"), stem.with_suffix(".html")
    png_path.write_bytes(png)
    html_path.write_text(
        charts.html_page(png, findings, settings.reporting_currency, first, last), encoding="ascii"
    )
    return png_path.resolve(), html_path.resolve()
