"""The days a core (or marts, or check) run covers per platform: the partition window, widened
for affiliate platforms by what their read windows touched (warehouse/core_io.platform_windows),
with the configured registered platforms taken from the registry."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.warehouse import core_io

Window = tuple[dt.date, dt.date]


def core_windows(
    conn: sa.Connection, settings: Settings, start: dt.date, end: dt.date
) -> dict[str, Window]:
    """The inclusive days each configured platform's core rows are rebuilt for."""
    return core_io.platform_windows(conn, settings, start, end, platforms.configured(settings))


def core_span(conn: sa.Connection, settings: Settings, start: dt.date, end: dt.date) -> Window:
    """The smallest window holding [start, end] and every platform's window."""
    return core_io.overall(core_windows(conn, settings, start, end), start, end)
