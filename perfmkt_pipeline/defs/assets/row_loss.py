"""The row-loss guard of each source's raw landing, from its configuration: how much of a window
a re-read may lose (`max_row_loss_pct`), and whether a bigger loss is loaded anyway with a
warning in the run's log (`allow_row_loss`). The write path applies it (warehouse/loss.py)."""

from __future__ import annotations

from collections.abc import Sequence

from perfmkt_pipeline.config import (
    FileFeedSettings,
    GoogleAdsSettings,
    MetaSettings,
    NetworkSettings,
)
from perfmkt_pipeline.sources.affiliates.http import Logger
from perfmkt_pipeline.warehouse.loss import LossGuard

# What each kind of source may drop on a re-read, said in the refusal (PLATFORMS.md; the defaults
# are config.DEFAULT_MAX_ROW_LOSS_PCT).
WHY = {
    "google_ads": "Google Ads omits a campaign-day without any metric and restates conversions",
    "meta": "Meta omits zero-activity rows and re-attributes actions for 28 days",
    "network": "affiliate records are never deleted: a reversal is a status, a correction a "
    "record of its own",
    "feed": "feed records are never deleted and keep their event day",
}

Section = GoogleAdsSettings | MetaSettings | NetworkSettings | FileFeedSettings


def guard(
    source: str,
    section: Section,
    log: Logger,
    *,
    read_from: Sequence[str] = (),
) -> LossGuard:
    """The guard of `source` (a platform or a file feed's name) configured by `section`."""
    if isinstance(section, FileFeedSettings):
        kind, setting = "feed", f"file_feeds[{section.name}].allow_row_loss"
    else:
        kind = source if source in WHY else "network"
        setting = f"{source}.allow_row_loss"
    return LossGuard(
        source,
        max_loss_pct=section.max_row_loss_pct,
        allow=section.allow_row_loss,
        setting=setting,
        why=WHY[kind],
        read_from=tuple(read_from),
        warn=log.warning,
    )
