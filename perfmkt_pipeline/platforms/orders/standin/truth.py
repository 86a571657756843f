"""Ground truth of the sandbox shop: what core.orders, marts.blended_daily and marts.utm_daily
must hold, worked out from the order stream and the world's own ground truth with Python's
Decimal (not the pipeline's code): the rules of WAREHOUSE.md, applied one order at a time.

Amounts in the reporting currency use WAREHOUSE.md's FX rule (latest fix on or before the day, EUR 1,
rate rounded half-even to 12 places, amount to 6).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from perfmkt_pipeline.platforms.orders.standin.mariadb import HISTORY_DAYS
from perfmkt_pipeline.platforms.orders.standin.stream import (
    SOURCE,
    STATUS_MAP,
    orders_between,
    shop_now,
)
from perfmkt_pipeline.sandbox import parts
from perfmkt_pipeline.transform.utm import UTM_FIELDS

_RATE, _MONEY, _RATIO = Decimal("1e-12"), Decimal("1e-6"), Decimal("1e-10")
_FX_LOOKBACK_DAYS = 10


def _midnight(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZoneInfo(zone)).astimezone(dt.UTC)


def expected_orders(
    world,
    start: dt.date,
    end: dt.date,
    *,
    business_timezone: str = "UTC",
    history_days: int = HISTORY_DAYS,
) -> list[dict]:
    """core.orders rows (local currency; no FX, no loaded_at) of the orders placed on the
    business days [start, end], in their state at the world's as_of."""
    now = shop_now(world.as_of)
    first = max(_midnight(start, business_timezone), now - dt.timedelta(days=history_days))
    until = min(_midnight(end + dt.timedelta(days=1), business_timezone), now)
    rows = []
    for order in orders_between(world, first, until):
        word, refunded, updated = order.state(now)
        rows.append(
            {
                "source": SOURCE,
                "order_id": order.order_id,
                "ordered_at": order.ordered_at,
                "date": order.ordered_at.astimezone(ZoneInfo(business_timezone)).date(),
                "status": STATUS_MAP[word],
                "currency": order.currency,
                "revenue_local": order.total - refunded,
                "customer_id": order.customer_id,
                "is_new_customer": order.first_order,
                **dict(zip(UTM_FIELDS, order.utm, strict=True)),
                "source_updated_at": updated,
            }
        )
    return sorted(rows, key=lambda r: r["order_id"])


def fx_rate(world, currency: str, day: dt.date, reporting_currency: str) -> Decimal:
    """The FX rule, in Decimal: reporting units per unit of `currency` on `day`."""
    if currency == reporting_currency:
        return Decimal(1)
    rates = parts.reference_rates(world, day - dt.timedelta(days=_FX_LOOKBACK_DAYS), day)

    def units(code: str) -> Decimal:
        if code == "EUR":
            return Decimal(1)
        for fix_day in sorted(rates, reverse=True):
            value = rates[fix_day].get(code)
            if value is not None:
                return value
        raise KeyError(f"no reference rate for {code} on or before {day}")

    return (units(reporting_currency) / units(currency)).quantize(_RATE, ROUND_HALF_EVEN)


def convert(world, amount: Decimal, currency: str, day: dt.date, reporting: str) -> Decimal:
    rate = fx_rate(world, currency, day, reporting)
    return (amount * rate).quantize(_MONEY, ROUND_HALF_EVEN)


def with_reporting(world, rows: Iterable[dict], reporting_currency: str) -> list[dict]:
    """The rows with reporting_currency, fx_rate and revenue (core.orders' FX columns)."""
    out = []
    for row in rows:
        rate = fx_rate(world, row["currency"], row["date"], reporting_currency)
        out.append(
            {
                **row,
                "reporting_currency": reporting_currency,
                "fx_rate": rate,
                "revenue": (row["revenue_local"] * rate).quantize(_MONEY, ROUND_HALF_EVEN),
            }
        )
    return out


def _counts(row: Mapping) -> bool:
    return row["status"] == "placed" or (row["status"] == "refunded" and row["revenue_local"] > 0)


def _ratio(numerator, denominator) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(_RATIO, ROUND_HALF_EVEN)


def _order_sides(rows: Iterable[Mapping], key) -> dict:
    sides: dict = defaultdict(lambda: {"orders": 0, "revenue": Decimal(0), "new": 0, "known": 0})
    for row in rows:
        side = sides[key(row)]
        if row["status"] != "cancelled":
            side["revenue"] += row["revenue"]
        if _counts(row):
            side["orders"] += 1
            if row["is_new_customer"] is not None:
                side["known"] += 1
                side["new"] += int(row["is_new_customer"])
    return sides


def ad_days(
    world, platforms: Iterable[str], start: dt.date, end: dt.date, reporting_currency: str
) -> dict[dt.date, dict]:
    """Per day: spend, claimed conversions and value of the platforms, each core row (account,
    campaign, day) converted on its own and then summed, as core and the marts do."""
    days: dict = defaultdict(lambda: {"spend": Decimal(0), "conversions": Decimal(0),
                                      "value": Decimal(0)})  # fmt: skip
    for platform in platforms:
        frame = world.ground_truth(platform, start, end)
        for row in frame.to_dict("records"):
            day = days[row["day"]]
            day["spend"] += convert(world, row["spend"], row["currency"], row["day"],
                                    reporting_currency)  # fmt: skip
            day["conversions"] += row["conversions"]
            day["value"] += convert(world, row["conversion_value"], row["currency"], row["day"],
                                    reporting_currency)  # fmt: skip
    return days


def expected_blended(
    orders: Iterable[Mapping],
    ads: Mapping[dt.date, Mapping],
    start: dt.date,
    end: dt.date,
    reporting_currency: str,
    settled: Mapping[dt.date, bool],
) -> list[dict]:
    """marts.blended_daily rows (no loaded_at) for the days [start, end] from core.orders rows
    (with revenue) and `ad_days`."""
    sides = _order_sides(orders, lambda r: r["date"])
    rows = []
    day = start
    while day <= end:
        side = sides.get(day, {"orders": 0, "revenue": Decimal(0), "new": 0, "known": 0})
        ad = ads.get(day)
        spend = ad["spend"] if ad else None
        new = side["new"] if side["known"] else None
        rows.append(
            {
                "date": day,
                "reporting_currency": reporting_currency,
                "spend": spend,
                "orders": side["orders"],
                "revenue": side["revenue"],
                "new_customer_orders": new,
                "mer": _ratio(side["revenue"], spend),
                "blended_cpa": _ratio(spend, side["orders"]),
                "new_customer_cpa": _ratio(spend, new),
                "claimed_conversions": ad["conversions"] if ad else None,
                "claimed_conversion_value": ad["value"] if ad else None,
                "over_attribution": _ratio(ad["conversions"] if ad else None, side["orders"]),
                "settled": settled[day],
            }
        )
        day += dt.timedelta(days=1)
    return rows


def expected_utm(
    orders: Iterable[Mapping],
    reporting_currency: str,
    settled: Mapping[dt.date, bool],
    spend: Mapping[tuple, Decimal] | None = None,
) -> list[dict]:
    """marts.utm_daily rows (no loaded_at): the orders side, and with `spend` ((date, source,
    medium, campaign) -> the spend of the ads whose final URLs carry those tags; issue #17) the
    spend side (0 where no ad carries a group's tags; a group only ads carry has no orders);
    without it spend and ROAS NULL."""
    sides = _order_sides(
        orders, lambda r: (r["date"], r["utm_source"], r["utm_medium"], r["utm_campaign"])
    )
    keys = set(sides) | set(spend or {})
    empty = {"orders": 0, "revenue": Decimal(0)}
    rows = []
    for key in sorted(keys, key=lambda k: tuple((v is not None, str(v)) for v in k)):
        side = sides.get(key, empty)
        paid = None if spend is None else spend.get(key, Decimal(0))
        rows.append(
            {
                "date": key[0],
                "utm_source": key[1],
                "utm_medium": key[2],
                "utm_campaign": key[3],
                "reporting_currency": reporting_currency,
                "orders": side["orders"],
                "revenue": side["revenue"],
                "spend": paid,
                "first_party_roas": _ratio(side["revenue"], paid),
                "settled": settled[key[0]],
            }
        )
    return rows
