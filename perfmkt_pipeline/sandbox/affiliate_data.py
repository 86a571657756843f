"""Affiliate actions of the sandbox world and their state on a given as-of date.

Each action is generated once per (account, event day) (generation.affiliate_day_block) with
everything that never changes: ids, partner, amounts, event/creation times and the moment it will
be decided. Its *state* as of a date follows from that: pending until the decision day has
passed, then approved or reversed. Each network's stand-in serves these actions its own way
(platforms/<network>/standin/data.py), as orders, transactions or commission records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from perfmkt_pipeline.sandbox import parts
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


@dataclass(frozen=True, slots=True)
class AffiliateAction:
    platform: str
    account_id: str
    action_id: str  # as the network writes it (its part's `action_id`)
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
    lock_at: datetime  # when the decision is (or will be) taken (a network's locking date)
    status: str  # "pending" | "approved" | "reversed" as of as_of

    @property
    def event_day(self) -> date:
        return self.event_time.date()


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
    return parts.network(account.platform).action_id(account, day_number(day), seq)


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


def candidates(world: World, account: SandboxAccount, start: datetime, end: datetime, as_of):
    """Actions that may have been created or decided between start and end."""
    zone = ZoneInfo(account.timezone)
    first = start.astimezone(zone).date() - timedelta(days=AFFILIATE_DECISION_MAX_DAYS + 1)
    last = end.astimezone(zone).date()
    return actions_by_event_day(world, account, first, last, as_of)
