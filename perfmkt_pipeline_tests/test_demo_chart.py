"""`perfmkt demo` (what `make demo` runs) prints the paths of the chart it writes; the PNG is
800 x 480 and is exactly the figure whose lines, one per channel, hold the mart's daily spend
and ROAS (read back from matplotlib, not by eye)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from PIL import Image

from perfmkt_pipeline import charts, cli
from perfmkt_pipeline.config import load_settings
from perfmkt_pipeline.defs.mart_metadata import chart_findings
from perfmkt_pipeline.transform.anomalies import Finding
from perfmkt_pipeline.warehouse import monitoring
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.sandbox_fixtures import AS_OF

DAYS = 5
FIRST, LAST = AS_OF - dt.timedelta(days=DAYS), AS_OF - dt.timedelta(days=1)


def test_demo_prints_the_chart_paths_and_the_png_has_one_line_per_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_today", lambda: AS_OF)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    for var in ("PERFMKT_CONFIG", "PERFMKT_WAREHOUSE_URL", "PERFMKT_DAGSTER_INSTANCE"):
        monkeypatch.delenv(var, raising=False)
    assert cli.main(["demo", "--days", str(DAYS)]) == 0
    out = capsys.readouterr().out
    found = re.findall(rf"^demo: chart of {FIRST}\.\.{LAST}: (\S+)$", out, re.M)
    png_path = tmp_path / "data" / "charts" / f"channel_daily_{FIRST}_{LAST}.png"
    assert found == [str(png_path), str(png_path.with_suffix(".html"))]
    assert "demo: 0 notification(s)" in out

    with Image.open(png_path) as image:
        assert (image.format, image.size) == ("PNG", (800, 480))

    settings = load_settings({})
    warehouse = Warehouse("duckdb:///data/perfmkt.duckdb")
    with warehouse.begin() as conn:
        days = monitoring.channel_days(conn, FIRST, LAST)
        findings = chart_findings(conn, settings, FIRST, LAST)
    warehouse.dispose()
    figure = charts.channel_chart(days, findings, "USD")
    assert charts.png_bytes(figure) == png_path.read_bytes()  # the PNG is this figure

    spend_axes, roas_axes = figure.axes
    assert [line.get_label() for line in spend_axes.get_lines()] == [
        "affiliate", "search", "social"
    ]  # fmt: skip
    assert [line.get_label() for line in roas_axes.get_lines()] == [
        "affiliate", "search", "social"
    ]  # fmt: skip
    for spend_line, roas_line in zip(spend_axes.get_lines(), roas_axes.get_lines(), strict=True):
        mine = days[days["channel"] == spend_line.get_label()].sort_values("date")
        assert len(mine) == DAYS
        assert list(spend_line.get_ydata()) == list(mine["spend"])
        assert list(roas_line.get_ydata()) == list(mine["conversion_value"] / mine["spend"])
    html = png_path.with_suffix(".html").read_text()
    assert f"marts.channel_daily {FIRST}..{LAST}" in html and "<p>No warnings.</p>" in html


def test_the_chart_page_is_ascii_with_other_characters_as_references() -> None:
    # No charset to declare: the page reads the same in any encoding a browser assumes.
    finding = Finding("spend_outlier", "meta", "Zürich 1", dt.date(2026, 1, 6), 400.0, 85.0,
                      115.0, "spend", days=2)  # fmt: skip
    page = charts.html_page(b"png", [finding], "EUR", dt.date(2026, 1, 1), dt.date(2026, 1, 7))
    assert page.isascii()
    assert (
        "<ul><li>meta account Z&#252;rich 1 on 2026-01-06: spend outside its recent range "
        "(2 days in a row): spend 400.00 EUR, expected 85.00..115.00 EUR</li></ul>"
    ) in page
