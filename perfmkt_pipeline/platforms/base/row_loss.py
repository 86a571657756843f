"""The row-loss guard of each source's raw landing, from its configuration: how much of a window
a re-read may lose (`max_row_loss_pct`), and whether a bigger loss is loaded anyway with a
warning in the run's log (`allow_row_loss`). The write path applies it (warehouse/loss.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from perfmkt_pipeline.platforms.base.http import Logger
from perfmkt_pipeline.warehouse.loss import LossGuard

# What a source without a reason of its own may drop on a re-read, said in the refusal
# (PLATFORMS.md; the defaults are each settings section's `max_row_loss_pct`).
WHY = (
    "affiliate records are never deleted: a reversal is a status, a correction a record of its own"
)


def guard(
    source: str,
    section: Any,
    log: Logger,
    *,
    why: str | None = None,
    read_from: Sequence[str] = (),
    setting: str | None = None,
) -> LossGuard:
    """The guard of `source` (a platform or one instance's name) configured by `section` (its
    settings: `max_row_loss_pct`, `allow_row_loss`); `why` is the platform's reason (its spec's
    `row_loss_reason`), else `WHY`; `setting` names the switch that allows a bigger loss
    (default `<source>.allow_row_loss`); `read_from` the files read, named in a refusal."""
    return LossGuard(
        source,
        max_loss_pct=section.max_row_loss_pct,
        allow=section.allow_row_loss,
        setting=setting or f"{source}.allow_row_loss",
        why=why or WHY,
        read_from=tuple(read_from),
        warn=log.warning,
    )
