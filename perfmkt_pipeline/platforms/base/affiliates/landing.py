"""The raw landing every affiliate source shares: a run reads the partition range plus the
trailing `lookback_days` before its end by event day and replaces exactly that window per
account in raw.affiliate_actions, one read window (one transaction) at a time.

A range read long after the fact gets its days' actions in their current state, and statuses
that changed since the last read are re-read in place while their event day is inside the
lookback (which must cover the network's locking or validation period; see the README). An answer
with fewer records than the window held is refused (row_loss), unless configured. What differs
between sources is how a window is fetched (`Fetch`) and the row-loss guard of what was read.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from perfmkt_pipeline.platforms.base.affiliates.records import ActionRecord, Window, sync_window
from perfmkt_pipeline.platforms.base.affiliates.tables import affiliate_actions
from perfmkt_pipeline.platforms.base.parallel import Progress, for_each_account
from perfmkt_pipeline.platforms.base.spec import Landed, Logger, SyncRequest
from perfmkt_pipeline.transform.affiliates import raw_frame
from perfmkt_pipeline.warehouse.loss import LossGuard
from perfmkt_pipeline.warehouse.write import Slice, replace_slice

# Rows kept per account for the preview metadata (the rest of each window is let go).
PREVIEW_ROWS = 10
# (account, first day, last day) -> the range's read windows, one after another.
Fetch = Callable[[str, dt.date, dt.date], Iterable[Window]]


def asset_key(platform: str) -> tuple[str, ...]:
    """The raw asset of one affiliate source: its slice of raw.affiliate_actions."""
    return ("raw", affiliate_actions.name, platform)


@dataclass
class _Landed:
    """What was landed for one account: rows, commission per currency and a preview."""

    rows: int = 0
    commission: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    shown: pd.DataFrame | None = None

    def add(self, records: list[ActionRecord], frame: pd.DataFrame) -> None:
        self.rows += len(frame)
        for record in records:
            self.commission[record.currency or "?"] += record.commission or Decimal(0)
        if self.shown is None or self.shown.empty:
            self.shown = frame.head(PREVIEW_ROWS).copy()  # a copy: the window is let go


def land_actions(
    request: SyncRequest,
    platform: str,
    accounts: Sequence[str],
    lookback_days: int,
    fetch: Fetch,
    guard: Callable[[Logger], LossGuard],
    max_concurrent: int = 1,
) -> Iterator[Landed]:
    """Land the request's range and lookback of every account of `platform` (read by `fetch`,
    each window checked by the row-loss `guard`), and say what was landed."""
    log, warehouse = request.log, request.warehouse
    first, last = sync_window(request.start, request.end, lookback_days)
    progress = Progress(len(accounts))

    def land(account: str) -> _Landed:
        landed = _Landed()
        # One transaction per read window: memory stays at one window, and every window is
        # replaced whole (its records are exactly those of its days).
        for window_first, window_last, records in fetch(account, first, last):
            frame = raw_frame(records)
            result = replace_slice(
                warehouse,
                affiliate_actions,
                frame,
                Slice(
                    {"platform": platform, "account_id": account},
                    "window_date",
                    window_first,
                    window_last,
                ),
                guard=guard(log),
            )
            landed.add(records, frame)
            total = progress.add_rows(result.rows_inserted)
            log.info(
                f"{platform}: account {account}: {result.rows_inserted} records for "
                f"{window_first}..{window_last} (replaced {result.rows_deleted}); "
                f"{total} rows so far"
            )
            del records, frame  # not held while the next window is read
        done = progress.account_done()
        log.info(f"{platform}: {done} of {len(accounts)} accounts done")
        return landed

    landed = for_each_account(accounts, land, max_concurrent, name=platform)
    warehouse.refresh_statistics([affiliate_actions])
    shown = next((a.shown for a in landed if a.shown is not None), None)
    if shown is None:
        shown = raw_frame([])
    yield Landed(
        asset_key(platform),
        {
            "dagster/row_count": sum(a.rows for a in landed),
            "accounts": len(accounts),
            "days": (last - first).days + 1,
            "window": f"{first}..{last}",
            "commission_by_account": {
                account: {c: str(t) for c, t in sorted(a.commission.items())}
                for account, a in zip(accounts, landed, strict=True)
            },
            "preview": shown.drop(columns=["record"]),
        },
    )
