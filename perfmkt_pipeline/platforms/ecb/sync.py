"""The ECB rates' raw landing: the whole history the run needs (transform/fx.history_window) in
one request, replacing those days of raw.ecb_rates."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from perfmkt_pipeline.platforms.base.spec import Landed, SyncRequest
from perfmkt_pipeline.platforms.ecb import client
from perfmkt_pipeline.platforms.ecb.tables import ecb_rates
from perfmkt_pipeline.transform.fx import history_window
from perfmkt_pipeline.warehouse.write import Slice, replace_slice

KEY = ("raw", "ecb_rates")


def sync(request: SyncRequest) -> Iterator[Landed]:
    """Land the reference rates from a year before `start_date` to the end of the window."""
    settings = request.settings
    first, end = history_window(settings.start_date, request.start, request.end)
    rates = client.parse(client.fetch(settings.endpoints.ecb), first, end)
    frame = pd.DataFrame(
        {
            "date": [r.date for r in rates],
            "currency": [r.currency for r in rates],
            "units_per_eur": [r.units_per_eur for r in rates],
        }
    )
    result = replace_slice(request.warehouse, ecb_rates, frame, Slice({}, "date", first, end))
    request.log.info(f"ECB rates {first}..{end}: {result.rows_inserted} rows")
    yield Landed(
        KEY,
        {
            "dagster/row_count": result.rows_inserted,
            "window": f"{first}..{end}",
            "currencies": len(set(frame["currency"])),
            "preview": frame,
        },
    )
