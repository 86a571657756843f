"""CJ's view of the sandbox world's affiliate actions: commission records, the original (posted
when tracked) and, for a reversal, a correction record with negated amounts tied by
`originalActionId`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from perfmkt_pipeline.sandbox.affiliate_data import (
    AffiliateAction,
    actions_by_event_day,
    candidates,
    day_number,
)
from perfmkt_pipeline.sandbox.spec import SandboxAccount

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.world import World

# CJ closes a locked action when it is paid out, this long after locking.
CJ_CLOSE_AFTER_DAYS = 30
CJ_ACTION_TYPE = "sim_sale"  # CJ action types: sim_sale, item_sale, sim_lead, ...
# Action ids (the sandbox's): this base plus 100,000 per event day plus the 1-based sequence.
ACTION_ID_BASE = 3_000_000_000


@dataclass(frozen=True)
class CjCommission:
    account_id: str
    commission_id: str
    original_action_id: str
    original: bool  # False for a correction record
    action_status: str  # "new" | "locked" | "closed"
    action_type: str
    publisher_id: str
    publisher_name: str
    order_id: str
    event_date: datetime
    posting_date: datetime
    sale_amount: Decimal  # negative on a reversal's correction record
    commission: Decimal
    currency: str  # the advertiser's currency (not on CJ's wire format)


def _cj_status(decided_at: datetime | None, as_of: date) -> str:
    if decided_at is None:
        return "new"
    age = (as_of - decided_at.date()).days
    return "closed" if age > CJ_CLOSE_AFTER_DAYS else "locked"


def cj_records(account: SandboxAccount, action: AffiliateAction, as_of: date) -> list[CjCommission]:
    """The commission records of one action: the original, plus a correction when reversed."""
    n = day_number(action.event_day)
    seq = int(action.action_id) - ACTION_ID_BASE - n * 100_000  # 1-based
    status = _cj_status(action.decided_at, as_of)
    common = dict(
        account_id=account.account_id,
        original_action_id=action.action_id,
        action_status=status,
        action_type=CJ_ACTION_TYPE,
        publisher_id=action.partner_id,
        publisher_name=action.partner_name,
        order_id=action.order_id,
        event_date=action.event_time,
        currency=account.currency,
    )
    records = [
        CjCommission(
            commission_id=str(n * 10_000_000 + seq),
            original=True,
            posting_date=action.created_at,
            sale_amount=action.sale_amount,
            commission=action.commission,
            **common,
        )
    ]
    if action.status == "reversed":
        lag = (action.decided_at.date() - action.event_day).days
        records.append(
            CjCommission(
                commission_id=str(
                    day_number(action.decided_at.date()) * 10_000_000 + lag * 100_000 + seq
                ),
                original=False,
                posting_date=action.decided_at,
                sale_amount=-action.sale_amount,
                commission=-action.commission,
                **common,
            )
        )
    return records


# The dates CJ's advertiserCommissions filters on (sinceXDate / beforeXDate).
CJ_DATE_FIELDS = ("posting", "event")


def cj_commissions(
    world: World,
    account_id: str,
    since: datetime,
    before: datetime,
    *,
    by: str = "posting",
    as_of: date | None = None,
) -> list[CjCommission]:
    """CJ's records with a posting date (`by="posting"`) or an event date (`by="event"`) in
    [since, before), ordered by commission id: originals plus correction records (negative
    amounts) for reversals. A correction is a new line item for its action's order, so it
    carries the action's event date and posts when it is made."""
    account = world.affiliate_account("cj", account_id)
    as_of = as_of or world.as_of
    if by not in CJ_DATE_FIELDS:
        raise ValueError(f"unknown CJ date field {by!r}")
    if by == "event":
        zone = ZoneInfo(account.timezone)
        actions = actions_by_event_day(
            world, account, since.astimezone(zone).date(), before.astimezone(zone).date(), as_of
        )
    else:
        actions = candidates(world, account, since, before, as_of)
    out = [
        r
        for a in actions
        for r in cj_records(account, a, as_of)
        if since <= (r.posting_date if by == "posting" else r.event_date) < before
    ]
    return sorted(out, key=lambda r: int(r.commission_id))
