"""Affiliate actions of the sandbox world and their state on a given as-of date.

Each action is generated once per (account, event day) (generation.affiliate_day_block) with
everything that never changes: ids, partner, amounts, event/creation times and the moment it will
be decided. Its *state* as of a date follows from that: pending until the decision day has
passed, then approved or reversed. CJ sees the same actions as commission records: the original
(posted when tracked) and, for a reversal, a correction record with negated amounts tied by
`originalActionId`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from perfmkt_pipeline.sandbox.generation import (
    AFFILIATE_DECISION_MAX_DAYS,
    affiliate_day_block,
    affiliate_partners,
    minor_exponent,
)
from perfmkt_pipeline.sandbox.spec import SandboxAccount, WorldSpec

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.world import World

_EPOCH = date(2000, 1, 1)  # day numbers in ids count from here
# CJ closes a locked action when it is paid out, this long after locking.
CJ_CLOSE_AFTER_DAYS = 30
CJ_ACTION_TYPE = "sim_sale"  # CJ action types: sim_sale, item_sale, sim_lead, ...
IMPACT_ACTION_TRACKER = "Online Sale"
AWIN_TYPE = "sale"


@dataclass(frozen=True, slots=True)
class AffiliateAction:
    platform: str
    account_id: str
    action_id: str  # impact Id | CJ action id (originalActionId) | Awin id (digits)
    partner_id: str
    partner_name: str
    order_id: str
    currency: str
    sale_amount: Decimal
    commission: Decimal
    event_time: datetime  # aware, account time zone (its date is the reporting day)
    created_at: datetime
    updated_at: datetime  # created_at, or decided_at once decided
    decided_at: datetime | None  # when approved/reversed; None while pending as of as_of
    lock_at: datetime  # when the decision is (or will be) taken: impact's LockingDate
    status: str  # "pending" | "approved" | "reversed" as of as_of

    @property
    def event_day(self) -> date:
        return self.event_time.date()


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


@dataclass(frozen=True, slots=True)
class _Static:
    """What never changes about an action."""

    action_id: str
    seq: int
    partner_id: str
    partner_name: str
    order_id: str
    sale: Decimal
    commission: Decimal
    event_time: datetime
    created_at: datetime
    decision_time: datetime
    reversed: bool


def _local(day: date, second: int, zone: ZoneInfo) -> datetime:
    """Wall-clock time on `day`, normalised (a time in a DST gap moves forward, same day)."""
    midnight = datetime.combine(day, time(), zone)
    moment = midnight + timedelta(seconds=second)
    if _steady(day, zone):  # no DST change that day: wall-clock arithmetic is already right
        return moment
    return moment.astimezone(UTC).astimezone(zone)


@lru_cache(maxsize=4096)
def _steady(day: date, zone: ZoneInfo) -> bool:
    start = datetime.combine(day, time(), zone)
    return start.utcoffset() == datetime.combine(day, time(23, 59, 59), zone).utcoffset()


def day_number(day: date) -> int:
    return (day - _EPOCH).days


def _action_id(account: SandboxAccount, day: date, seq: int) -> str:
    n = day_number(day)
    if account.platform == "impact":
        return f"{account.program_id or '1'}.{n}.{seq + 1}"
    if account.platform == "cj":
        return str(3_000_000_000 + n * 100_000 + seq + 1)
    return str(n * 100_000 + seq + 1)  # awin


@lru_cache(maxsize=2048)
def _statics(spec: WorldSpec, account: SandboxAccount, day: date) -> tuple[_Static, ...]:
    b = affiliate_day_block(spec, account, day)
    partners = affiliate_partners(spec, account)
    zone = ZoneInfo(account.timezone)
    exp = minor_exponent(account.currency)
    out = []
    cols = {k: v.tolist() for k, v in b.items()}
    for i in range(len(cols["partner"])):
        p = cols["partner"][i]
        decision_day = day + timedelta(days=cols["decision_lag_days"][i])
        out.append(
            _Static(
                action_id=_action_id(account, day, i),
                seq=i,
                partner_id=partners.ids[p],
                partner_name=partners.names[p],
                order_id=f"ORD-{day_number(day)}-{i + 1:05d}",
                sale=Decimal(cols["sale_minor"][i]).scaleb(-exp),
                commission=Decimal(cols["commission_minor"][i]).scaleb(-exp),
                event_time=_local(day, cols["event_second"][i], zone),
                created_at=_local(day, cols["create_second"][i], zone),
                decision_time=_local(decision_day, cols["decision_second"][i], zone),
                reversed=cols["reversed"][i],
            )
        )
    return tuple(out)


def _state(account: SandboxAccount, s: _Static, as_of: date) -> AffiliateAction:
    decided = s.decision_time.date() <= as_of - timedelta(days=1)
    status = ("reversed" if s.reversed else "approved") if decided else "pending"
    return AffiliateAction(
        platform=account.platform,
        account_id=account.account_id,
        action_id=s.action_id,
        partner_id=s.partner_id,
        partner_name=s.partner_name,
        order_id=s.order_id,
        currency=account.currency,
        sale_amount=s.sale,
        commission=s.commission,
        event_time=s.event_time,
        created_at=s.created_at,
        updated_at=s.decision_time if decided else s.created_at,
        decided_at=s.decision_time if decided else None,
        lock_at=s.decision_time,
        status=status,
    )


def _event_days(world: World, start: date, end: date, as_of: date):
    first, last = world.data_range(start, end, as_of)
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def actions_by_event_day(
    world: World, account: SandboxAccount, start: date, end: date, as_of: date
) -> list[AffiliateAction]:
    return [
        _state(account, s, as_of)
        for day in _event_days(world, start, end, as_of)
        for s in _statics(world.spec, account, day)
    ]


def _candidates(world: World, account: SandboxAccount, start: datetime, end: datetime, as_of):
    """Actions that may have been created or decided between start and end."""
    zone = ZoneInfo(account.timezone)
    first = start.astimezone(zone).date() - timedelta(days=AFFILIATE_DECISION_MAX_DAYS + 1)
    last = end.astimezone(zone).date()
    return actions_by_event_day(world, account, first, last, as_of)


# An inclusive (start, end) range of aware datetimes, as impact.com's date pairs filter.
Between = tuple[datetime, datetime]


def impact_actions(
    world: World,
    account: SandboxAccount,
    *,
    event: Between | None = None,
    locking: Between | None = None,
    updated: Between | None = None,
    as_of: date,
) -> list[AffiliateAction]:
    """The actions impact.com's "List all actions" returns for the given date pairs (all that
    are given must hold), newest creation first as its reference says. `event` filters on
    EventDate, `locking` on LockingDate, `updated` on the last update - which on impact.com
    leaves out state transitions, so a sandbox action (never otherwise edited) was last updated
    when it was created, however it was decided since."""
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


def awin_transactions(
    world: World, account: SandboxAccount, start: datetime, end: datetime, date_type: str, as_of
) -> list[AffiliateAction]:
    if date_type not in ("transaction", "validation"):
        raise ValueError(f"unknown Awin dateType {date_type!r}")
    out = []
    for a in _candidates(world, account, start, end, as_of):
        moment = a.event_time if date_type == "transaction" else a.decided_at
        if moment is not None and start <= moment <= end:
            out.append(a)
    return out


def _cj_status(decided_at: datetime | None, as_of: date) -> str:
    if decided_at is None:
        return "new"
    age = (as_of - decided_at.date()).days
    return "closed" if age > CJ_CLOSE_AFTER_DAYS else "locked"


def cj_records(account: SandboxAccount, action: AffiliateAction, as_of: date) -> list[CjCommission]:
    """The commission records of one action: the original, plus a correction when reversed."""
    n = day_number(action.event_day)
    seq = int(action.action_id) - 3_000_000_000 - n * 100_000  # 1-based
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
    account: SandboxAccount,
    since: datetime,
    before: datetime,
    as_of: date,
    by: str = "posting",
) -> list[CjCommission]:
    """CJ's records with a posting date (`by="posting"`) or an event date (`by="event"`) in
    [since, before). A correction is a new line item for its action's order, so it carries the
    action's event date and posts when it is made."""
    if by not in CJ_DATE_FIELDS:
        raise ValueError(f"unknown CJ date field {by!r}")
    if by == "event":
        zone = ZoneInfo(account.timezone)
        actions = actions_by_event_day(
            world, account, since.astimezone(zone).date(), before.astimezone(zone).date(), as_of
        )
    else:
        actions = _candidates(world, account, since, before, as_of)
    out = [
        r
        for a in actions
        for r in cj_records(account, a, as_of)
        if since <= (r.posting_date if by == "posting" else r.event_date) < before
    ]
    return sorted(out, key=lambda r: int(r.commission_id))
