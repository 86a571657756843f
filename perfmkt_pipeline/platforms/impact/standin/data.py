"""impact.com's view of the sandbox world's affiliate actions: what "List all actions" returns
for its date pairs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from perfmkt_pipeline.sandbox.affiliate_data import (
    AffiliateAction,
    actions_by_event_day,
)
from perfmkt_pipeline.sandbox.generation import AFFILIATE_DECISION_MAX_DAYS

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.world import World

# What impact.com names the action tracker of the sandbox's sales.
IMPACT_ACTION_TRACKER = "Online Sale"

# An inclusive (start, end) range of aware datetimes, as impact.com's date pairs filter.
Between = tuple[datetime, datetime]


def impact_actions(
    world: World,
    account_id: str,
    *,
    event: Between | None = None,
    locking: Between | None = None,
    updated: Between | None = None,
    as_of: date | None = None,
) -> list[AffiliateAction]:
    """The actions impact.com's "List all actions" returns for the given date pairs (all that
    are given must hold), newest creation first as its reference says. `event` filters on
    EventDate, `locking` on LockingDate, `updated` on the last update - which on impact.com
    leaves out state transitions, so a sandbox action (never otherwise edited) was last updated
    when it was created, however it was decided since."""
    account = world.affiliate_account("impact", account_id)
    as_of = as_of or world.as_of
    zone = ZoneInfo(account.timezone)
    firsts, lasts = [], []
    if event:
        firsts.append(event[0].astimezone(zone).date())
        lasts.append(event[1].astimezone(zone).date())
    if locking:  # an action locks at most AFFILIATE_DECISION_MAX_DAYS after its event day
        firsts.append(
            locking[0].astimezone(zone).date() - timedelta(AFFILIATE_DECISION_MAX_DAYS + 1)
        )
        lasts.append(locking[1].astimezone(zone).date())
    if updated:  # created within the hour after the event, the same day
        firsts.append(updated[0].astimezone(zone).date() - timedelta(days=1))
        lasts.append(updated[1].astimezone(zone).date())
    if not firsts:
        raise ValueError("impact_actions needs at least one date range")
    found = [
        a
        for a in actions_by_event_day(world, account, max(firsts), min(lasts), as_of)
        if _within(a.event_time, event)
        and _within(a.lock_at, locking)
        and _within(a.created_at, updated)
    ]
    return sorted(found, key=lambda a: (a.created_at, a.action_id), reverse=True)


def _within(moment: datetime, between: Between | None) -> bool:
    return between is None or between[0] <= moment <= between[1]
