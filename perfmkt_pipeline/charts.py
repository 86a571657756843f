"""The channel chart: spend and ROAS per channel per day, anomaly warnings marked, as a
matplotlib figure (Agg: no display, no global pyplot state), a PNG, an HTML page and the
Markdown that embeds the PNG on the asset page in the Dagster UI."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Sequence

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from perfmkt_pipeline.transform.anomalies import Finding

CHART_DAYS = 30
_SIZE_INCHES = (10.0, 6.0)
_DPI = 80  # 800 x 480 px: readable on the asset page, about 50 KB


def channel_series(days: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per channel: date, spend, roas (None where spend is 0), in date order."""
    series = {}
    for channel, rows in days.groupby("channel", sort=True):
        rows = rows.sort_values("date")
        spend = rows["spend"].astype(float)
        value = rows["conversion_value"].astype(float)
        roas = (value / spend).where(spend > 0)
        series[str(channel)] = pd.DataFrame(
            {"date": pd.to_datetime(rows["date"]).to_numpy(), "spend": spend.to_numpy(),
             "roas": roas.to_numpy()}
        )  # fmt: skip
    return series


def channel_chart(days: pd.DataFrame, findings: Sequence[Finding], currency: str) -> Figure:
    """Two panels sharing the day axis: spend (top) and ROAS (bottom), one line per channel;
    each warning's first day shaded on both panels."""
    figure = Figure(figsize=_SIZE_INCHES, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    spend_axes, roas_axes = figure.subplots(2, 1, sharex=True)
    for channel, series in channel_series(days).items():
        spend_axes.plot(series["date"], series["spend"], marker="o", markersize=3, label=channel)
        roas_axes.plot(series["date"], series["roas"], marker="o", markersize=3, label=channel)
    for n, day in enumerate(sorted({f.day for f in findings})):
        for axes in (spend_axes, roas_axes):
            start = pd.Timestamp(day) - pd.Timedelta(hours=12)
            axes.axvspan(start, start + pd.Timedelta(days=1), color="tab:red", alpha=0.2,
                         label="warning" if n == 0 and axes is spend_axes else None)  # fmt: skip
    spend_axes.set_ylabel(f"spend ({currency})")
    roas_axes.set_ylabel("ROAS")
    spend_axes.set_title("Spend and ROAS per channel, warnings shaded")
    spend_axes.legend(loc="upper left", fontsize="small")
    roas_axes.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    for axes in (spend_axes, roas_axes):
        axes.grid(True, alpha=0.3)
    return figure


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


def markdown(png: bytes, caption: str) -> str:
    """Markdown with the PNG inline: the Dagster UI's Markdown metadata renders data: images."""
    encoded = base64.b64encode(png).decode("ascii")
    return f"![{caption}](data:image/png;base64,{encoded})"


def html_page(
    png: bytes, findings: Sequence[Finding], currency: str, first: dt.date, last: dt.date
) -> str:
    """A standalone page: the same chart, and the warnings it marks. It is ASCII (any other
    character, an account's name say, is a character reference), so it reads the same in
    whatever encoding a browser assumes for a local file, with no charset to declare."""
    encoded = base64.b64encode(png).decode("ascii")
    items = "".join(f"<li>{html.escape(f.describe(currency))}</li>" for f in findings)
    warnings = f"<ul>{items}</ul>" if items else "<p>No warnings.</p>"
    title = f"marts.channel_daily {first}..{last}"
    page = (
        '<!doctype html>\n<html lang="en"><head>'
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<img alt="spend and ROAS per channel" src="data:image/png;base64,{encoded}">'
        f"<h2>Warnings</h2>{warnings}"
        "<p>Each platform claims its own conversions: ROAS is the platform's claim.</p>"
        "</body></html>\n"
    )
    return page.encode("ascii", "xmlcharrefreplace").decode("ascii")
