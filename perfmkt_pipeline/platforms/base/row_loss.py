"""The row-loss guard of each source's raw landing, from its configuration: how much of a window
a re-read may lose (`max_row_loss_pct`), and whether a bigger loss is loaded anyway with a
warning in the run's log (`allow_row_loss`). The write path applies it (warehouse/loss.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from perfmkt_pipeline.config import FileFeedSettings
from perfmkt_pipeline.sources.affiliates.http import Logger
from perfmkt_pipeline.warehouse.loss import LossGuard

# What each kind of source without a reason of its own may drop on a re-read, said in the
# refusal (PLATFORMS.md; the defaults are config.DEFAULT_MAX_ROW_LOSS_PCT).
WHY = {
    "network": "affiliate records are never deleted: a reversal is a status, a correction a "
    "record of its own",
    "feed": "feed records are never deleted and keep their event day",
}


def guard(
    source: str,
    section: Any,
    log: Logger,
    *,
    why: str | None = None,
    read_from: Sequence[str] = (),
) -> LossGuard:
    """The guard of `source` (a platform or a file feed's name) configured by `section` (its
    settings: `max_row_loss_pct`, `allow_row_loss`); `why` is the platform's reason (its spec's
    `row_loss_reason`), else that of its kind of source."""
    if isinstance(section, FileFeedSettings):
        kind, setting = "feed", f"file_feeds[{section.name}].allow_row_loss"
    else:
        kind, setting = "network", f"{source}.allow_row_loss"
    return LossGuard(
        source,
        max_loss_pct=section.max_row_loss_pct,
        allow=section.allow_row_loss,
        setting=setting,
        why=why or WHY[kind],
        read_from=tuple(read_from),
        warn=log.warning,
    )
