"""What a platform's stand-in gives the sandbox shop (platforms/orders/standin/stream.py): the
orders behind the purchases it claims on a day. Each part's `SandboxPart.claimed_orders` draws
its own from the day's RNG; the shop adds the organic orders nobody claims. The shapes and
helpers here are shared by every part, so no part imports another platform's stand-in.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from perfmkt_pipeline.sandbox.generation import minor_exponent

# As late as any restatement ever changes a number: the platforms' final values.
FINAL = dt.date(9000, 1, 1)
# utm_source, utm_medium, utm_campaign, utm_content, utm_term.
Utm = tuple[str | None, str | None, str | None, str | None, str | None]
NO_UTM: Utm = (None, None, None, None, None)
# (placed at (UTC), currency, total, tags, refunded in full at (UTC) or None: a draw decides).
OrderDraft = tuple[dt.datetime, str, Decimal, Utm, dt.datetime | None]


def slug(name: str) -> str:
    """A campaign name as a UTM value: lower case, runs of other characters as one '_'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def money(units: float, currency: str) -> Decimal:
    """`units` of `currency` rounded to its minor unit, at least one minor unit."""
    exp = minor_exponent(currency)
    return Decimal(max(1, round(units * 10**exp))).scaleb(-exp)


def moment(day: dt.date, second: int, zone: str) -> dt.datetime:
    """`second` seconds after local midnight of `day` in `zone`, in UTC."""
    local = dt.datetime.combine(day, dt.time(), ZoneInfo(zone)) + dt.timedelta(seconds=second)
    return local.astimezone(dt.UTC)
