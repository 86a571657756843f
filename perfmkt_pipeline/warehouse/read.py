"""Reading slices back as frames (for transforms and checks)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa


def read_window(
    conn: sa.Connection,
    table: sa.Table,
    date_column: str,
    start: dt.date,
    end: dt.date,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Rows of `table` whose `date_column` lies in [start, end] (inclusive), as a DataFrame."""
    selected = [table.c[name] for name in columns] if columns else list(table.c)
    query = sa.select(*selected).where(table.c[date_column].between(start, end))
    return pd.DataFrame(conn.execute(query).all(), columns=[c.name for c in selected])
