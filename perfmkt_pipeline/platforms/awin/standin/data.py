"""Awin's view of the sandbox world's affiliate actions: transactions by transaction or
validation date."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from perfmkt_pipeline.sandbox.affiliate_data import (
    AffiliateAction,
    candidates,
)

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.world import World

# The type Awin gives the sandbox's transactions.
AWIN_TYPE = "sale"


def awin_transactions(
    world: World,
    account_id: str,
    start: datetime,
    end: datetime,
    date_type: str = "transaction",
    *,
    as_of: date | None = None,
) -> list[AffiliateAction]:
    """Awin transactions whose transaction time (date_type="transaction") or validation time
    (date_type="validation") is in [start, end]."""
    account = world.affiliate_account("awin", account_id)
    as_of = as_of or world.as_of
    if date_type not in ("transaction", "validation"):
        raise ValueError(f"unknown Awin dateType {date_type!r}")
    out = []
    for a in candidates(world, account, start, end, as_of):
        moment = a.event_time if date_type == "transaction" else a.decided_at
        if moment is not None and start <= moment <= end:
            out.append(a)
    return out
