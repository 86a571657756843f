"""Metadata Dagster shows for each table: column schema with descriptions, previews, counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from dagster import MetadataValue, TableColumn, TableSchema

_PREVIEW_ROWS = 10


def column_schema(table: sa.Table) -> TableSchema:
    return TableSchema(
        columns=[
            TableColumn(name=c.name, type=str(c.type), description=c.comment or "")
            for c in table.columns
        ]
    )


def table_definition_metadata(table: sa.Table) -> dict[str, Any]:
    """Static metadata for an asset definition: schema, table name, grain."""
    return {
        "dagster/column_schema": column_schema(table),
        "dagster/table_name": table.fullname,
        "grain": ", ".join(table.info["grain"]),
    }


def preview(frame: pd.DataFrame) -> MetadataValue:
    return MetadataValue.md(frame.head(_PREVIEW_ROWS).to_markdown(index=False))


def counts(rows: int, **extra: Any) -> Mapping[str, Any]:
    return {"dagster/row_count": rows, **extra}
