"""The sandbox shop's orders, consistent with what the sandbox's ad platforms claim.

For every day, the shop's orders are drawn from the platforms' own final numbers of that day,
each platform's by its sandbox part (`SandboxPart.claimed_orders`, in registry order):
- a share of the purchases an ad platform claims are real orders (the rest is what every
  platform over-claims: view-through, cross-device and multi-touch credit), tagged with that
  platform's UTM parameters and the campaign's;
- most affiliate actions are real orders (tagged with the network and the partner); a reversed
  action is an order refunded in full a day before the network reverses it;
- organic orders that no platform claims (newsletter, social bio links, direct).
Amounts are in the claiming account's currency at the platform's order value; organic orders
in the shop's storefront currencies (USD, EUR, GBP, JPY). Every order that no affiliate claims
may be cancelled within hours, or refunded in full or in part days later: refunds arrive after
the order, which a pipeline must pick up on a later read.

Everything is drawn from a seeded RNG per day (sandbox/generation.rng_for), so the stream is
deterministic and independent of the order days are asked for. The shop's "now" is midnight UTC
of the world's `as_of`: an order, a payment capture, a refund or a cancellation exists once its
time is before it.

Order ids (`SO-<yyyymmdd>-<nnnnn>`) are the shop's own: the sandbox networks number their
actions' orders independently, so a claim matches an order by day, amount and tags, not by id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from urllib.parse import quote_plus

from perfmkt_pipeline.sandbox import parts
from perfmkt_pipeline.sandbox.claims import NO_UTM, Utm, moment, money
from perfmkt_pipeline.sandbox.generation import UNITS_PER_USD, minor_exponent, rng_for
from perfmkt_pipeline.sandbox.spec import WorldSpec

SOURCE = "shop"
ORGANIC_ORDERS_PER_DAY = 18.0
STOREFRONTS = {"USD": "America/New_York", "EUR": "Europe/Berlin", "GBP": "Europe/London",
               "JPY": "Asia/Tokyo"}  # fmt: skip
_STORE_WEIGHTS = (0.5, 0.2, 0.2, 0.1)
CANCEL_SHARE, FULL_REFUND_SHARE, PARTIAL_REFUND_SHARE = 0.03, 0.06, 0.04
NEW_CUSTOMER_SHARE = 0.35
# The shop's words for an order's state (the sandbox configuration maps them).
PAID, PARTIALLY_REFUNDED, REFUNDED, CANCELLED = (
    "paid",
    "partially_refunded",
    "refunded",
    "cancelled",
)
STATUS_MAP = {PAID: "placed", PARTIALLY_REFUNDED: "refunded", REFUNDED: "refunded",
              CANCELLED: "cancelled"}  # fmt: skip
LANDING = "https://shop.example"


@dataclass(frozen=True, slots=True)
class ShopOrder:
    order_id: str
    ordered_at: dt.datetime  # UTC
    currency: str
    total: Decimal
    customer_id: str
    first_order: bool
    utm: Utm
    landing_page: str | None
    captured_at: dt.datetime  # payment captured (UTC): an update of its own
    cancelled_at: dt.datetime | None
    refunded_at: dt.datetime | None
    refund: Decimal  # the amount refunded at refunded_at (0 without a refund)

    def state(self, now: dt.datetime) -> tuple[str, Decimal, dt.datetime]:
        """(status word, refunded total, updated_at) as the shop's database shows it at `now`."""
        if self.cancelled_at is not None and self.cancelled_at < now:
            return CANCELLED, Decimal(0), self.cancelled_at
        if self.refunded_at is not None and self.refunded_at < now:
            word = REFUNDED if self.refund == self.total else PARTIALLY_REFUNDED
            return word, self.refund, self.refunded_at
        updated = self.captured_at if self.captured_at < now else self.ordered_at
        return PAID, Decimal(0), updated


def shop_now(as_of: dt.date) -> dt.datetime:
    return dt.datetime.combine(as_of, dt.time(), dt.UTC)


def orders_between(world, first: dt.datetime, until: dt.datetime) -> list[ShopOrder]:
    """Every order placed in [first, until) (UTC), in order of placement."""
    days = range((first.date() - dt.timedelta(days=1)).toordinal(), until.date().toordinal() + 2)
    found = [
        order
        for ordinal in days
        for order in day_orders(world.spec, dt.date.fromordinal(ordinal), _World(world))
        if first <= order.ordered_at < until
    ]
    return sorted(found, key=lambda o: (o.ordered_at, o.order_id))


class _World:
    """The world's public API, hashable by its spec (for the day cache)."""

    def __init__(self, world):
        self.world = world

    def _key(self) -> tuple:
        return (self.world.spec, self.world.injections)

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _World) and other._key() == self._key()


def _landing(rng, utm: Utm) -> str | None:
    if utm == NO_UTM:
        return None if rng.random() < 0.5 else f"{LANDING}/"
    names = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
    # Some links spell the parameter names in capitals: names match case-insensitively.
    shout = rng.random() < 0.15
    pairs = [
        f"{name.upper() if shout and k == 0 else name}={quote_plus(value)}"
        for k, (name, value) in enumerate(zip(names, utm, strict=True))
        if value is not None
    ]
    return f"{LANDING}/products?{'&'.join(pairs)}"


@lru_cache(maxsize=512)
def day_orders(spec: WorldSpec, day: dt.date, handle: _World) -> tuple[ShopOrder, ...]:
    """The orders whose claims or draws belong to `day` (each account's own day; their UTC
    times may fall on the day before or after)."""
    world = handle.world
    rng = rng_for(spec.seed, "orders", day.isoformat())
    drafts = [draft for part in parts.all_parts() for draft in part.claimed_orders(world, day, rng)]
    organic = int(rng.poisson(ORGANIC_ORDERS_PER_DAY * (0.75 if day.weekday() >= 5 else 1.0)))
    currencies = list(STOREFRONTS)
    for _ in range(organic):
        currency = currencies[int(rng.choice(len(currencies), p=_STORE_WEIGHTS))]
        placed = moment(day, int(rng.integers(0, 86_400)), STOREFRONTS[currency])
        total = money(float(rng.lognormal(4.0, 0.6)) * UNITS_PER_USD[currency], currency)
        pick = rng.random()
        utm = (
            ("newsletter", "email", "weekly_digest", None, None) if pick < 0.3
            else ("instagram", "social", "bio_link", None, None) if pick < 0.45
            else NO_UTM
        )  # fmt: skip
        drafts.append((placed, currency, total, utm, None))
    return tuple(_order(rng, day, seq, draft) for seq, draft in enumerate(drafts))


def _order(rng, day: dt.date, seq: int, draft) -> ShopOrder:
    placed, currency, total, utm, affiliate_refund = draft
    first = bool(rng.random() < NEW_CUSTOMER_SHARE)
    customer = f"C{day:%y%m%d}{seq:05d}" if first else f"C{int(rng.integers(1, 20_000)):011d}"
    captured = placed + dt.timedelta(seconds=int(rng.integers(5, 300)))
    cancelled = refunded = None
    refund = Decimal(0)
    draw = rng.random()
    late = dt.timedelta(days=int(rng.integers(2, 11)), seconds=int(rng.integers(0, 86_400)))
    if affiliate_refund is not None:
        refunded, refund = affiliate_refund, total
    elif utm[1] == "affiliate":
        pass  # a refunded order's action is reversed by its network: only those are refunded
    elif draw < CANCEL_SHARE:
        cancelled = placed + dt.timedelta(seconds=int(rng.integers(600, 6 * 3600)))
    elif draw < CANCEL_SHARE + FULL_REFUND_SHARE:
        refunded, refund = placed + late, total
    elif draw < CANCEL_SHARE + FULL_REFUND_SHARE + PARTIAL_REFUND_SHARE:
        part = Decimal(str(round(float(rng.uniform(0.2, 0.6)), 2)))
        exp = minor_exponent(currency)
        refund = max(Decimal(1).scaleb(-exp), (total * part).quantize(Decimal(1).scaleb(-exp)))
        refunded = placed + late
    return ShopOrder(
        order_id=f"SO-{day:%Y%m%d}-{seq + 1:05d}",
        ordered_at=placed,
        currency=currency,
        total=total,
        customer_id=customer,
        first_order=first,
        utm=utm,
        landing_page=_landing(rng, utm),
        captured_at=captured,
        cancelled_at=cancelled,
        refunded_at=refunded,
        refund=refund,
    )
