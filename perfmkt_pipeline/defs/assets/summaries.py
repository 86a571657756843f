"""Materialisation metadata shared by the core and marts assets: rows, date range, spend per
platform in the reporting currency, and a small markdown preview."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from dagster import MetadataValue

from perfmkt_pipeline.defs.metadata import preview

_PREVIEW_ROWS = 10


def _sum_by_platform(frame: pa.Table, column: str, where: pa.Array | None = None) -> dict[str, str]:
    rows = frame if where is None else frame.filter(where)
    summed = rows.group_by("platform", use_threads=False).aggregate([(column, "sum")])
    pairs = zip(summed["platform"].to_pylist(), summed[f"{column}_sum"].to_pylist(), strict=True)
    return {platform: str(total) for platform, total in sorted(pairs)}


def summary(
    frame: pa.Table,
    *,
    date_column: str | None = None,
    money: str | None = None,
    money_label: str = "spend_by_platform",
    money_where: pa.Array | None = None,
    reporting_currency: str | None = None,
) -> dict[str, Any]:
    """Metadata of one written table: row count, date range, `money` summed per platform
    (exact, as strings), preview of the first rows."""
    metadata: dict[str, Any] = {"dagster/row_count": frame.num_rows}
    if date_column is not None and frame.num_rows:
        bounds = pc.min_max(frame[date_column]).as_py()
        metadata["date_range"] = f"{bounds['min']}..{bounds['max']}"
    if money is not None:
        metadata[money_label] = MetadataValue.json(_sum_by_platform(frame, money, money_where))
        if reporting_currency:
            metadata["reporting_currency"] = reporting_currency
    if "platform" in frame.column_names:
        metadata["platforms"] = ", ".join(sorted(pc.unique(frame["platform"]).to_pylist())) or "-"
    metadata["preview"] = preview(frame.slice(0, _PREVIEW_ROWS).to_pandas())
    return metadata
