"""core.orders FX and the first-party marts, worked out by hand.

Reporting currency USD. ECB fixes: 2026-11-05 USD 1.1 (EUR 1), JPY 160 -> EUR 1.1, JPY
0.006875. Day 2026-11-05, orders:
  A  placed    USD 100.00        new       google/cpc/brand   -> counts, 100
  B  refunded  EUR  40.00 left   returning google/cpc/brand   -> counts (partial), 44
  C  refunded  USD   0.00 left   new       (no UTM)           -> does not count, 0
  D  cancelled JPY 8000          new       (no UTM)           -> does not count, no revenue
  E  refunded  USD -10.00 (a credit note)  (no UTM)           -> does not count, -10
Day total: orders 2, revenue 100 + 44 + 0 - 10 = 134, new customer orders 1 (A; C and D do
not count). Spend that day 67.00 (two rows: 50 + 17), claimed conversions 5.5, value 300.
mer = 134 / 67 = 2; blended_cpa = 67 / 2 = 33.5; new_customer_cpa = 67; over_attribution =
5.5 / 2 = 2.75. Day 2026-11-06: spend 10 and no order -> orders 0, revenue 0, new NULL, mer 0,
cpa NULL. Day 2026-11-04: an order, no spend row -> spend NULL, mer NULL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa

from perfmkt_pipeline.transform.orders import (
    ORDERS_LOCAL,
    blended_daily,
    finish_orders,
    utm_daily,
)

D = Decimal
DAY, NEXT, BEFORE = dt.date(2026, 11, 5), dt.date(2026, 11, 6), dt.date(2026, 11, 4)
T = dt.datetime(2026, 11, 5, 10, tzinfo=dt.UTC)
RATES = pa.table(
    {
        "date": [dt.date(2026, 11, 4), dt.date(2026, 11, 4)],
        "currency": ["USD", "JPY"],
        "units_per_eur": pa.array([D("1.1"), D("160")], pa.decimal128(18, 6)),
    }
)


def _order(order_id, status, currency, revenue, new, utm=(None, None, None), day=DAY):
    return {
        "source": "shop", "order_id": order_id, "ordered_at": T, "date": day, "status": status,
        "currency": currency, "revenue_local": D(revenue), "customer_id": None,
        "is_new_customer": new, "utm_source": utm[0], "utm_medium": utm[1],
        "utm_campaign": utm[2], "utm_content": None, "utm_term": None, "source_updated_at": T,
    }  # fmt: skip


BRAND = ("google", "cpc", "brand")
LOCAL = pa.Table.from_pylist(
    [
        _order("A", "placed", "USD", "100", True, BRAND),
        _order("B", "refunded", "EUR", "40", False, BRAND),
        _order("C", "refunded", "USD", "0", True),
        _order("D", "cancelled", "JPY", "8000", True),
        _order("E", "refunded", "USD", "-10", None),
        _order("F", "placed", "USD", "5", None, day=BEFORE),
    ],
    schema=ORDERS_LOCAL,
)
ADS = pa.table(
    {
        "date": [DAY, DAY, NEXT],
        "reporting_currency": ["USD"] * 3,
        "spend": pa.array([D("50"), D("17"), D("10")], pa.decimal128(20, 6)),
        "conversions": pa.array([D("5"), D("0.5"), D("0")], pa.decimal128(20, 6)),
        "conversion_value": pa.array([D("280"), D("20"), D("0")], pa.decimal128(20, 6)),
        "settled": [True, True, False],
    }
)


def test_core_orders_are_converted_with_the_rate_of_their_day() -> None:
    rows = {r["order_id"]: r for r in finish_orders(LOCAL, RATES, "USD").to_pylist()}
    assert (rows["B"]["fx_rate"], rows["B"]["revenue"]) == (D("1.1"), D("44"))
    assert (rows["D"]["fx_rate"], rows["D"]["revenue"]) == (D("0.006875"), D("55"))
    assert (rows["A"]["fx_rate"], rows["A"]["revenue"]) == (D("1"), D("100"))


def test_blended_daily_by_hand() -> None:
    orders = finish_orders(LOCAL, RATES, "USD")
    rows = blended_daily(ADS, orders, "USD", orders_settled_through=DAY).to_pylist()
    assert rows == [
        {"date": BEFORE, "reporting_currency": "USD", "spend": None, "orders": 1,
         "revenue": D("5"), "new_customer_orders": None, "mer": None, "blended_cpa": None,
         "new_customer_cpa": None, "claimed_conversions": None,
         "claimed_conversion_value": None, "over_attribution": None, "settled": True},
        {"date": DAY, "reporting_currency": "USD", "spend": D("67"), "orders": 2,
         "revenue": D("134"), "new_customer_orders": 1, "mer": D("2"), "blended_cpa": D("33.5"),
         "new_customer_cpa": D("67"), "claimed_conversions": D("5.5"),
         "claimed_conversion_value": D("300"), "over_attribution": D("2.75"), "settled": True},
        {"date": NEXT, "reporting_currency": "USD", "spend": D("10"), "orders": 0,
         "revenue": D("0"), "new_customer_orders": None, "mer": D("0"), "blended_cpa": None,
         "new_customer_cpa": None, "claimed_conversions": D("0"),
         "claimed_conversion_value": D("0"), "over_attribution": None, "settled": False},
    ]  # fmt: skip


def test_utm_daily_by_hand_spend_stays_null() -> None:
    orders = finish_orders(LOCAL, RATES, "USD")
    rows = utm_daily(orders, "USD", orders_settled_through=BEFORE).to_pylist()
    base = {"reporting_currency": "USD", "spend": None, "first_party_roas": None}
    assert rows == [
        {"date": BEFORE, "utm_source": None, "utm_medium": None, "utm_campaign": None,
         **base, "orders": 1, "revenue": D("5"), "settled": True},
        {"date": DAY, "utm_source": None, "utm_medium": None, "utm_campaign": None,
         **base, "orders": 0, "revenue": D("-10"), "settled": False},
        {"date": DAY, "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "brand",
         **base, "orders": 2, "revenue": D("144"), "settled": False},
    ]  # fmt: skip
    assert [list(r) for r in rows][0][:4] == ["date", "utm_source", "utm_medium", "utm_campaign"]


def test_utm_daily_beside_the_spend_of_the_ads_carrying_the_same_tags() -> None:
    """Issue #17 / #20: the spend side from ads' final URLs (ad_marts.utm_spend), NULL tags
    grouped as one group, a tag only ads carry gets a row of its own with no orders."""
    from perfmkt_pipeline.transform.ad_marts import utm_spend

    ad_daily = pa.table(
        {
            "date": [DAY, DAY, DAY, DAY],
            "platform": ["google_ads", "google_ads", "meta", "meta"],
            "account_id": ["1", "1", "2", "2"],
            "ad_id": ["a", "b", "c", "d"],
            "reporting_currency": ["USD"] * 4,
            "spend": pa.array([D("30"), D("6"), D("9"), D("4")], pa.decimal128(20, 6)),
        }
    )
    ads = pa.table(
        {
            "platform": ["google_ads", "google_ads", "meta", "meta"],
            "account_id": ["1", "1", "2", "2"],
            "ad_id": ["a", "b", "c", "d"],
            "final_url": [
                "https://shop.example/?UTM_SOURCE=google&utm_medium=cpc&utm_campaign=brand",
                "https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=brand#x",
                "https://shop.example/?utm_source=facebook&utm_medium=paid_social",
                "https://shop.example/",  # no tag: matches no order's tags, left out
            ],
        }
    )
    spend = utm_spend(ad_daily, ads)
    orders = finish_orders(LOCAL, RATES, "USD")
    rows = utm_daily(orders, "USD", BEFORE, spend).to_pylist()
    picked = [(r["date"], r["utm_source"], r["utm_campaign"], r["orders"], r["revenue"],
               r["spend"], r["first_party_roas"]) for r in rows]  # fmt: skip
    assert picked == [
        (BEFORE, None, None, 1, D("5"), D("0"), None),
        (DAY, None, None, 0, D("-10"), D("0"), None),
        (DAY, "facebook", None, 0, D("0"), D("9"), D("0")),
        # 144 / 36 = 4
        (DAY, "google", "brand", 2, D("144"), D("36"), D("4")),
    ]
