"""The sandbox shop's orders, consistent with what the sandbox's ad platforms claim.

For every day, the shop's orders are drawn from the platforms' own final numbers of that day:
- a share of the purchases Google Ads and Meta claim are real orders (the rest is what every
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
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from perfmkt_pipeline.platforms.google_ads.standin import data as google_ads_data
from perfmkt_pipeline.platforms.meta.standin import data as meta_data
from perfmkt_pipeline.sandbox import parts
from perfmkt_pipeline.sandbox.generation import UNITS_PER_USD, minor_exponent, rng_for
from perfmkt_pipeline.sandbox.spec import WorldSpec

SOURCE = "shop"
# As late as any restatement ever changes a number: the platforms' final values.
FINAL = dt.date(9000, 1, 1)
META_PURCHASE = "offsite_conversion.fb_pixel_purchase"
# Share of each platform's claimed purchases that are real orders.
GOOGLE_REAL_SHARE = 0.6
META_REAL_SHARE = 0.45
AFFILIATE_REAL_SHARE = 0.85
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
Utm = tuple[str | None, str | None, str | None, str | None, str | None]
_NO_UTM: Utm = (None, None, None, None, None)


def slug(name: str) -> str:
    """A campaign name as a UTM value: lower case, runs of other characters as one '_'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def google_utm(campaign_name: str) -> Utm:
    """The tags a Google Ads campaign's final URLs carry in the sandbox (auto-tagging aside)."""
    return ("google", "cpc", slug(campaign_name), None, None)


def meta_utm(campaign_name: str, ad_id: str) -> Utm:
    """The tags a Meta ad's url_tags carry in the sandbox."""
    return ("facebook", "paid_social", slug(campaign_name), ad_id, None)


def affiliate_utm(platform: str, partner_id: str) -> Utm:
    return (platform, "affiliate", partner_id, None, None)


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


def _money(units: float, currency: str) -> Decimal:
    exp = minor_exponent(currency)
    return Decimal(max(1, round(units * 10**exp))).scaleb(-exp)


def _at(day: dt.date, second: int, zone: str) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), ZoneInfo(zone)) + dt.timedelta(seconds=second)
    return local.astimezone(dt.UTC)


def _landing(rng, utm: Utm) -> str | None:
    if utm == _NO_UTM:
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
    drafts: list[tuple[dt.datetime, str, Decimal, Utm, dt.datetime | None]] = []
    for acc in world.accounts("google_ads"):
        names = {c.campaign_id: c.name for c in world.campaigns("google_ads", acc.account_id)}
        for row in google_ads_data.conversion_action_days(
            world, acc.account_id, day, day, as_of=FINAL
        ):
            if row.conversion_action_name != "Purchase" or row.conversions <= 0:
                continue
            n = int(rng.binomial(int(round(row.conversions * 2)), GOOGLE_REAL_SHARE / 2))
            value = row.conversions_value / row.conversions
            for _ in range(n):
                moment = _at(day, int(rng.integers(0, 86_400)), acc.timezone)
                total = _money(value * float(rng.lognormal(0.0, 0.25)), acc.currency)
                drafts.append(
                    (moment, acc.currency, total, google_utm(names[row.campaign_id]), None)
                )
    for acc in world.accounts("meta"):
        for row in meta_data.ad_days(world, acc.account_id, day, day, as_of=FINAL):
            purchases = next((a.value for a in row.actions if a.action_type == META_PURCHASE), 0)
            value = next((a.value for a in row.action_values if a.action_type == META_PURCHASE), 0)
            if not purchases:
                continue
            n = int(rng.binomial(int(purchases), META_REAL_SHARE))
            for _ in range(n):
                moment = _at(day, int(rng.integers(0, 86_400)), acc.timezone)
                total = _money(
                    float(value / purchases) * float(rng.lognormal(0.0, 0.2)), acc.currency
                )
                drafts.append(
                    (moment, acc.currency, total, meta_utm(row.campaign_name, row.ad_id), None)
                )
    for platform in parts.networks():
        for acc in world.accounts(platform):
            for action in world.affiliate_actions(platform, acc.account_id, day, day, as_of=FINAL):
                if rng.random() >= AFFILIATE_REAL_SHARE:
                    continue
                refund_at = None
                if action.status == "reversed" and action.decided_at is not None:
                    refund_at = max(
                        action.decided_at - dt.timedelta(days=1),
                        action.event_time + dt.timedelta(hours=2),
                    ).astimezone(dt.UTC)
                drafts.append((action.event_time.astimezone(dt.UTC), action.currency,
                               action.sale_amount, affiliate_utm(platform, action.partner_id),
                               refund_at))  # fmt: skip
    organic = int(rng.poisson(ORGANIC_ORDERS_PER_DAY * (0.75 if day.weekday() >= 5 else 1.0)))
    currencies = list(STOREFRONTS)
    for _ in range(organic):
        currency = currencies[int(rng.choice(len(currencies), p=_STORE_WEIGHTS))]
        moment = _at(day, int(rng.integers(0, 86_400)), STOREFRONTS[currency])
        total = _money(float(rng.lognormal(4.0, 0.6)) * UNITS_PER_USD[currency], currency)
        pick = rng.random()
        utm = (
            ("newsletter", "email", "weekly_digest", None, None) if pick < 0.3
            else ("instagram", "social", "bio_link", None, None) if pick < 0.45
            else _NO_UTM
        )  # fmt: skip
        drafts.append((moment, currency, total, utm, None))
    return tuple(_order(rng, day, seq, draft) for seq, draft in enumerate(drafts))


def _order(rng, day: dt.date, seq: int, draft) -> ShopOrder:
    moment, currency, total, utm, affiliate_refund = draft
    first = bool(rng.random() < NEW_CUSTOMER_SHARE)
    customer = f"C{day:%y%m%d}{seq:05d}" if first else f"C{int(rng.integers(1, 20_000)):011d}"
    captured = moment + dt.timedelta(seconds=int(rng.integers(5, 300)))
    cancelled = refunded = None
    refund = Decimal(0)
    draw = rng.random()
    late = dt.timedelta(days=int(rng.integers(2, 11)), seconds=int(rng.integers(0, 86_400)))
    if affiliate_refund is not None:
        refunded, refund = affiliate_refund, total
    elif utm[1] == "affiliate":
        pass  # a refunded order's action is reversed by its network: only those are refunded
    elif draw < CANCEL_SHARE:
        cancelled = moment + dt.timedelta(seconds=int(rng.integers(600, 6 * 3600)))
    elif draw < CANCEL_SHARE + FULL_REFUND_SHARE:
        refunded, refund = moment + late, total
    elif draw < CANCEL_SHARE + FULL_REFUND_SHARE + PARTIAL_REFUND_SHARE:
        part = Decimal(str(round(float(rng.uniform(0.2, 0.6)), 2)))
        exp = minor_exponent(currency)
        refund = max(Decimal(1).scaleb(-exp), (total * part).quantize(Decimal(1).scaleb(-exp)))
        refunded = moment + late
    return ShopOrder(
        order_id=f"SO-{day:%Y%m%d}-{seq + 1:05d}",
        ordered_at=moment,
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
