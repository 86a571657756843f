"""A hand-built raw warehouse across three currencies and every platform, for the core/marts
tests, and the marts worked out by hand from it.

Reporting currency USD. Accounts: Google Ads in JPY, Meta in EUR, impact.com in USD, CJ in EUR,
Awin in JPY, a file feed ("rakuten") in USD. Days: Thursday 2026-11-05 (its own ECB fix) and
Saturday 2026-11-07 (no fix: Friday 2026-11-06's applies). Raw rows were pulled on 2026-11-20.

ECB fixes (units per EUR):   2026-11-05: USD 1.1,  JPY 160    2026-11-06: USD 1.16, JPY 162.4
fx_rate to USD (half-even, 12 places):
  2026-11-05  EUR 1.1/1 = 1.1          JPY 1.1/160 = 0.006875 (exact)
  2026-11-07  EUR 1.16/1 = 1.16        JPY 1.16/162.4 = 1/140 = 0.00714285714285714.. -> 0.007142857143
  USD always 1.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.platforms.base.affiliates import tables as affiliate_tables
from perfmkt_pipeline.platforms.google_ads import tables as google_ads_tables
from perfmkt_pipeline.platforms.meta import tables as meta_tables
from perfmkt_pipeline.warehouse import raw, tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice

D = Decimal
THU, FRI, SAT = dt.date(2026, 11, 5), dt.date(2026, 11, 6), dt.date(2026, 11, 7)
START, END = THU, SAT  # the partition range every test runs
PULLED_AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
PURCHASE = "offsite_conversion.fb_pixel_purchase"

CONFIG: dict[str, Any] = {
    "reporting_currency": "USD",
    "start_date": "2026-11-01",
    # Only "Purchase" counts toward conversions (metrics.conversions would also hold "Lead").
    "google_ads": {"customer_ids": ["1234567890"], "conversion_actions": ["Purchase"]},
    "meta": {"account_ids": ["101"]},  # counts offsite_conversion.fb_pixel_purchase (default)
    # impact.com: 14-day lookback, so on 2026-11-20 days up to 2026-11-06 are settled; only
    # "Online Sale" counts as a conversion.
    "impact": {
        "account_ids": ["IRabc"],
        "lookback_days": 14,
        "conversion_action_types": ["Online Sale"],
        "program_ids": {"IRabc": ["1001"]},
    },
    # CJ: 15-day lookback (settled up to 2026-11-05); records carry no currency: EUR.
    "cj": {"account_ids": ["777"], "currency": "EUR", "lookback_days": 15},
    "awin": {"account_ids": ["555"]},
    "file_feeds": [
        {
            "name": "rakuten",
            "location": "/nonexistent/rakuten",
            "currency": "USD",
            "columns": {"action_id": "Order", "event_date": "Date", "status": "Status",
                        "commission": "Commission"},
            "status_map": {"Approved": "approved", "Void": "reversed"},
        }
    ],
}  # fmt: skip
SETTINGS = parse_settings(CONFIG, environ={})


def _table(table: sa.Table, rows: list[dict[str, Any]]) -> pa.Table:
    names = [c.name for c in table.columns if c.name != "loaded_at"]
    for row in rows:
        row.setdefault("record", json.dumps({k: str(v) for k, v in row.items()}))
    return pa.Table.from_pylist(rows, schema=arrow_schema(table, names))


def google_accounts() -> pa.Table:
    return _table(google_ads_tables.google_ads_accounts, [
        {"account_id": "1234567890", "account_name": "Acme JP", "currency": "JPY",
         "timezone": "Asia/Tokyo"},
    ])  # fmt: skip


def google_campaign_daily(overrides: dict[tuple, dict] | None = None) -> pa.Table:
    rows = [
        # Brand Search: ¥1,234.56789; metrics.conversions 4.5 (Purchase 3 + Lead 1.5).
        {"date": THU, "campaign_id": "111", "campaign_name": "Brand Search",
         "campaign_status": "ENABLED", "cost_micros": 1_234_567_890, "impressions": 1000,
         "clicks": 50, "conversions": D("4.5"), "conversions_value": D("9000")},
        # Performance Max: ¥1,000.0024 (its USD amount is an exact half-even tie), no clicks.
        {"date": THU, "campaign_id": "222", "campaign_name": "Performance Max",
         "campaign_status": "ENABLED", "cost_micros": 1_000_002_400, "impressions": 2000,
         "clicks": 0, "conversions": D("0"), "conversions_value": D("0")},
        # Renamed and paused on Saturday: core.campaigns keeps the latest name and status.
        {"date": SAT, "campaign_id": "111", "campaign_name": "Brand Search JP",
         "campaign_status": "PAUSED", "cost_micros": 3_000_000_000, "impressions": 3000,
         "clicks": 60, "conversions": D("2"), "conversions_value": D("0")},
        # No delivery, one late Purchase.
        {"date": SAT, "campaign_id": "222", "campaign_name": "Performance Max",
         "campaign_status": "ENABLED", "cost_micros": 0, "impressions": 0, "clicks": 0,
         "conversions": D("1"), "conversions_value": D("2000")},
    ]  # fmt: skip
    for row in rows:
        row["account_id"] = "1234567890"
        row.update((overrides or {}).get((row["date"], row["campaign_id"]), {}))
    return _table(google_ads_tables.google_ads_campaign_daily, rows)


def google_conversion_daily() -> pa.Table:
    rows = [
        (THU, "111", "Purchase", D("3"), D("9000")),
        (THU, "111", "Lead", D("1.5"), D("0")),
        (THU, "111", "Page view", D("20"), D("0")),
        (SAT, "111", "Lead", D("2"), D("0")),
        (SAT, "222", "Purchase", D("1"), D("2000")),
    ]
    return _table(google_ads_tables.google_ads_conversion_daily, [
        {"account_id": "1234567890", "date": d, "campaign_id": c, "conversion_action_name": n,
         "conversions": k, "conversions_value": v} for d, c, n, k, v in rows
    ])  # fmt: skip


def meta_accounts() -> pa.Table:
    return _table(meta_tables.meta_accounts, [
        {"account_id": "101", "account_name": "Acme DE", "currency": "EUR",
         "timezone": "Europe/Berlin"},
    ])  # fmt: skip


def meta_ad_insights() -> pa.Table:
    rows = [
        (THU, "M1", "Prospecting", "A1", D("10.50"), 1000, 20),
        (THU, "M1", "Prospecting", "A2", D("4.25"), 500, 5),
        (SAT, "M1", "Prospecting", "A1", D("7.00"), 700, 7),
        (SAT, "M2", "Retargeting", "A3", D("3.33"), 333, 3),
    ]
    return _table(meta_tables.meta_ad_insights, [
        {"account_id": "101", "date": d, "campaign_id": c, "campaign_name": n, "adset_id": "S1",
         "ad_id": a, "currency": "EUR", "spend": s, "impressions": i, "clicks": k,
         "actions": "[]", "action_values": "[]"} for d, c, n, a, s, i, k in rows
    ])  # fmt: skip


def meta_ad_actions() -> pa.Table:
    rows = [
        # `value` is the configured attribution; the window rows must not be added to it.
        (THU, "M1", "A1", PURCHASE, "value", D("2"), D("80.00")),
        (THU, "M1", "A1", PURCHASE, "7d_click", D("1"), D("40.00")),
        (THU, "M1", "A1", PURCHASE, "1d_view", D("1"), D("40.00")),
        (THU, "M1", "A1", "link_click", "value", D("15"), None),
        (THU, "M1", "A2", PURCHASE, "value", D("1"), D("30.00")),
        (SAT, "M2", "A3", PURCHASE, "value", D("1"), D("19.99")),
        (SAT, "M2", "A3", PURCHASE, "7d_click", D("1"), D("19.99")),
    ]
    return _table(meta_tables.meta_ad_actions, [
        {"account_id": "101", "date": d, "campaign_id": c, "ad_id": a, "action_type": t,
         "attribution": w, "actions": n, "action_value": v} for d, c, a, t, w, n, v in rows
    ])  # fmt: skip


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def affiliate_records() -> pa.Table:
    """raw.affiliate_actions: every network and the file feed, several versions per action."""
    rows = [
        # platform, account, window_date, record_id, action_id, event day, updated, status,
        # type, partner, partner name, currency, sale, commission, is_correction
        # impact.com: I1 read pending on 11-05, approved on 11-12 (the later version wins).
        ("impact", "IRabc", THU, "I1", "I1", THU, _at(THU), "PENDING", "Online Sale", "P1",
         "Coupon Site", "USD", D("100"), D("10"), False),
        ("impact", "IRabc", dt.date(2026, 11, 12), "I1", "I1", THU, _at(dt.date(2026, 11, 12)),
         "APPROVED", "Online Sale", "P1", "Coupon Site", "USD", D("100"), D("10"), False),
        ("impact", "IRabc", THU, "I2", "I2", THU, _at(THU), "PENDING", "Online Sale", "P1",
         "Coupon Site", "USD", D("50"), D("5"), False),
        ("impact", "IRabc", dt.date(2026, 11, 10), "I3", "I3", THU, _at(dt.date(2026, 11, 10)),
         "REVERSED", "Online Sale", "P1", "Coupon Site", "USD", D("80"), D("8"), False),
        ("impact", "IRabc", THU, "I5", "I5", THU, _at(THU), "APPROVED", "Lead", "P1",
         "Coupon Site", "USD", D("0"), D("2"), False),
        ("impact", "IRabc", dt.date(2026, 11, 8), "I4", "I4", SAT, _at(dt.date(2026, 11, 8)),
         "APPROVED", "Online Sale", "P2", "Tech Blog", "USD", D("200"), D("20"), False),
        # CJ: A1 locked (approved); A2 posted new, then reversed by a correction record.
        ("cj", "777", FRI, "K1", "A1", THU, _at(FRI), "locked", "sim_sale", "555001",
         "Cashback World", "EUR", D("60"), D("6"), False),
        ("cj", "777", THU, "K2", "A2", THU, _at(THU), "new", "sim_sale", "555001",
         "Cashback World", "EUR", D("40"), D("4"), False),
        ("cj", "777", dt.date(2026, 11, 9), "K3", "A2", THU, _at(dt.date(2026, 11, 9)), "new",
         "sim_sale", "555001", "Cashback World", "EUR", D("-40"), D("-4"), True),
        # Awin: one approved, one declined (reversed).
        ("awin", "555", SAT, "3001", "3001", SAT, _at(SAT), "approved", "sale", "9001",
         "Points Portal", "JPY", D("10000"), D("1000"), False),
        ("awin", "555", SAT, "3002", "3002", SAT, _at(SAT), "declined", "sale", "9001",
         "Points Portal", "JPY", D("5000"), D("500"), False),
        # File feed without an action type column.
        ("rakuten", "default", SAT, "R1", "R1", SAT, _at(SAT), "Approved", None, "RP1",
         "Deals Daily", "USD", D("30"), D("3"), False),
    ]  # fmt: skip
    names = ["platform", "account_id", "window_date", "record_id", "action_id", "event_date",
             "updated_at", "status", "action_type", "partner_id", "partner_name", "currency",
             "sale_amount", "commission", "is_correction"]  # fmt: skip
    return _table(
        affiliate_tables.affiliate_actions, [dict(zip(names, row, strict=True)) for row in rows]
    )


def fx_rates() -> pa.Table:
    rows = [
        (THU, "EUR", D("1")), (THU, "USD", D("1.1")), (THU, "JPY", D("160")),
        (FRI, "EUR", D("1")), (FRI, "USD", D("1.16")), (FRI, "JPY", D("162.4")),
    ]  # fmt: skip
    return pa.Table.from_pylist(
        [{"date": d, "currency": c, "units_per_eur": u} for d, c, u in rows],
        schema=arrow_schema(tables.fx_rates, ["date", "currency", "units_per_eur"]),
    )


def _window(frame: pa.Table, column: str) -> tuple[dt.date, dt.date]:
    values = frame[column].to_pylist()
    return min(values), max(values)


def load_raw(warehouse: Warehouse, loaded_at: dt.datetime = PULLED_AT, **tables_: pa.Table) -> None:
    """Land the fixture (or the given replacements, by raw table name) and the FX rates."""
    frames = {
        "google_ads_accounts": google_accounts(),
        "google_ads_campaign_daily": google_campaign_daily(),
        "google_ads_conversion_daily": google_conversion_daily(),
        "meta_accounts": meta_accounts(),
        "meta_ad_insights": meta_ad_insights(),
        "meta_ad_actions": meta_ad_actions(),
        "affiliate_actions": affiliate_records(),
        **tables_,
    }
    with warehouse.begin() as conn:
        for name, frame in frames.items():
            owner = meta_tables if name.startswith("meta_") else raw
            owner = google_ads_tables if name.startswith("google_ads_") else owner
            owner = affiliate_tables if name == "affiliate_actions" else owner
            table = getattr(owner, name)
            if name.endswith("accounts") and name != "affiliate_actions":
                slice_ = Slice({})
            elif name == "affiliate_actions":
                slice_ = Slice({}, "window_date", *_window(frame, "window_date"))
            else:
                slice_ = Slice({}, "date", START, END)
            replace_slice(warehouse, table, frame, slice_, loaded_at=loaded_at, connection=conn)
        replace_slice(
            warehouse, tables.fx_rates, fx_rates(), Slice({}, "date", THU, FRI), connection=conn
        )


# --- the marts, by hand ----------------------------------------------------------------------
# Money: local x fx_rate, half-even to 6 places. Ratios: exact quotient, half-even to 10 places.
# Column order: spend, impressions, clicks, conversions, conversion_value,
#               ctr, cpc, cpm, cvr, cpa, roas, settled.
N = None


def _m(spend, impressions, clicks, conversions, value, ctr, cpc, cpm, cvr, cpa, roas, settled):
    def d(x):
        return None if x is None else D(x)

    return {
        "spend": d(spend), "impressions": impressions, "clicks": clicks,
        "conversions": d(conversions), "conversion_value": d(value), "ctr": d(ctr),
        "cpc": d(cpc), "cpm": d(cpm), "cvr": d(cvr), "cpa": d(cpa), "roas": d(roas),
        "settled": settled,
    }  # fmt: skip


def _c(day, channel, platform, account, campaign, name, measures):
    return {"date": day, "channel": channel, "platform": platform, "account_id": account,
            "campaign_id": campaign, "campaign_name": name, "reporting_currency": "USD",
            **measures}  # fmt: skip


# Settled on 2026-11-20: google_ads (30 days) and meta (28) and awin/rakuten (45): neither day;
# impact (14): days <= 2026-11-06, so Thursday only; cj (15): days <= 2026-11-05, Thursday.
EXPECTED_CAMPAIGN_DAILY = [
    # Google 111 Thu: spend ¥1234.56789 x 0.006875 = 8.48765424375 -> 8.487654;
    # value: Purchase only, ¥9000 x 0.006875 = 61.875; conversions: Purchase = 3.
    # ctr 50/1000 = 0.05; cpc 8.487654/50 = 0.16975308; cpm 8487.654/1000 = 8.487654;
    # cvr 3/50 = 0.06; cpa 8.487654/3 = 2.829218; roas 61.875/8.487654 = 7.29000027569.. -> ..2757
    _c(THU, "search", "google_ads", "1234567890", "111", "Brand Search JP",
       _m("8.487654", 1000, 50, "3", "61.875", "0.05", "0.16975308", "8.487654", "0.06",
          "2.829218", "7.2900002757", False)),
    # Google 222 Thu: ¥1000.0024 x 0.006875 = 6.8750165, a tie -> even 6.875016; no clicks:
    # cpc, cvr NULL; no conversions: cpa NULL; ctr 0/2000 = 0; cpm 6875.016/2000 = 3.437508;
    # roas 0/6.875016 = 0.
    _c(THU, "search", "google_ads", "1234567890", "222", "Performance Max",
       _m("6.875016", 2000, 0, "0", "0", "0", N, "3.437508", N, N, "0", False)),
    # Google 111 Sat: ¥3000 x 0.007142857143 = 21.428571429 -> 21.428571; its conversion is a
    # Lead (not counted): 0; ctr 60/3000 = 0.02; cpc 21.428571/60 = 0.35714285; cpm 7.142857;
    # cvr 0/60 = 0; cpa NULL; roas 0.
    _c(SAT, "search", "google_ads", "1234567890", "111", "Brand Search JP",
       _m("21.428571", 3000, 60, "0", "0", "0.02", "0.35714285", "7.142857", "0", N, "0",
          False)),
    # Google 222 Sat: nothing delivered; Purchase 1 worth ¥2000 x 0.007142857143 =
    # 14.285714286 -> 14.285714; ctr/cpc/cpm/cvr NULL; cpa 0/1 = 0; roas NULL (spend 0).
    _c(SAT, "search", "google_ads", "1234567890", "222", "Performance Max",
       _m("0", 0, 0, "1", "14.285714", N, N, N, N, "0", N, False)),
    # Meta M1 Thu, two ads: spend 10.50 + 4.25 = €14.75 x 1.1 = 16.225; 1500 impressions,
    # 25 clicks; purchases at `value` 2 + 1 = 3 worth €110 x 1.1 = 121.
    # ctr 25/1500 = 0.01666.. -> 0.0166666667; cpc 0.649; cpm 16225/1500 = 10.81666.. ->
    # 10.8166666667; cvr 3/25 = 0.12; cpa 16.225/3 = 5.40833.. -> 5.4083333333;
    # roas 121/16.225 = 7.45762711864.. -> 7.4576271186.
    _c(THU, "social", "meta", "101", "M1", "Prospecting",
       _m("16.225", 1500, 25, "3", "121", "0.0166666667", "0.649", "10.8166666667", "0.12",
          "5.4083333333", "7.4576271186", False)),
    # Meta M1 Sat: €7 x 1.16 = 8.12; ctr 7/700 = 0.01; cpc 1.16; cpm 11.6; cvr 0; cpa NULL;
    # roas 0.
    _c(SAT, "social", "meta", "101", "M1", "Prospecting",
       _m("8.12", 700, 7, "0", "0", "0.01", "1.16", "11.6", "0", N, "0", False)),
    # Meta M2 Sat: €3.33 x 1.16 = 3.8628; value €19.99 x 1.16 = 23.1884; ctr 3/333 =
    # 0.009009009.. -> 0.0090090090; cpc 1.2876; cpm 3862.8/333 = 11.6; cvr 1/3 -> 0.3333333333;
    # cpa 3.8628; roas 23.1884/3.8628 = 6.003003003.. -> 6.0030030030.
    _c(SAT, "social", "meta", "101", "M2", "Retargeting",
       _m("3.8628", 333, 3, "1", "23.1884", "0.009009009", "1.2876", "11.6", "0.3333333333",
          "3.8628", "6.003003003", False)),
    # impact P1 Thu: I1 approved 10 + I2 pending 5 + I5 lead 2 (I3 reversed) = $17;
    # conversions: Online Sale I1, I2 = 2 worth 100 + 50 = 150; no impressions/clicks.
    # cpa 17/2 = 8.5; roas 150/17 = 8.823529411764.. -> 8.8235294118. Settled (14 days).
    _c(THU, "affiliate", "impact", "IRabc", "P1", "Coupon Site",
       _m("17", N, N, "2", "150", N, N, N, N, "8.5", "8.8235294118", True)),
    # impact P2 Sat: $20, 1 conversion worth 200: cpa 20, roas 10. Not settled.
    _c(SAT, "affiliate", "impact", "IRabc", "P2", "Tech Blog",
       _m("20", N, N, "1", "200", N, N, N, N, "20", "10", False)),
    # CJ 555001 Thu: A1 €6 (A2 reversed by its correction) x 1.1 = 6.6; value €60 x 1.1 = 66;
    # cpa 6.6; roas 10. Settled (15 days).
    _c(THU, "affiliate", "cj", "777", "555001", "Cashback World",
       _m("6.6", N, N, "1", "66", N, N, N, N, "6.6", "10", True)),
    # Awin 9001 Sat: 3001 ¥1000 x 0.007142857143 = 7.142857143 -> 7.142857; value ¥10000 ->
    # 71.42857143 -> 71.428571 (3002 declined); cpa 7.142857; roas 71.428571/7.142857 =
    # 10.00000014.. -> 10.00000014.
    _c(SAT, "affiliate", "awin", "555", "9001", "Points Portal",
       _m("7.142857", N, N, "1", "71.428571", N, N, N, N, "7.142857", "10.00000014", False)),
    # rakuten RP1 Sat: $3, 1 action worth $30: cpa 3, roas 10.
    _c(SAT, "affiliate", "rakuten", "default", "RP1", "Deals Daily",
       _m("3", N, N, "1", "30", N, N, N, N, "3", "10", False)),
]  # fmt: skip


def _ch(day, channel, platform, measures):
    return {"date": day, "channel": channel, "platform": platform, "reporting_currency": "USD",
            **measures}  # fmt: skip


EXPECTED_CHANNEL_DAILY = [
    # search Thu: 8.487654 + 6.875016 = 15.36267; 3000 impressions, 50 clicks, 3 conversions,
    # 61.875; ctr 50/3000 -> 0.0166666667; cpc 0.3072534; cpm 15362.67/3000 = 5.12089;
    # cvr 0.06; cpa 5.12089; roas 61.875/15.36267 = 4.02762019.. -> 4.0276201988.
    _ch(THU, "search", "google_ads",
        _m("15.36267", 3000, 50, "3", "61.875", "0.0166666667", "0.3072534", "5.12089", "0.06",
           "5.12089", "4.0276201988", False)),
    # social Thu = Meta M1 Thu.
    _ch(THU, "social", "meta",
        _m("16.225", 1500, 25, "3", "121", "0.0166666667", "0.649", "10.8166666667", "0.12",
           "5.4083333333", "7.4576271186", False)),
    _ch(THU, "affiliate", "cj", _m("6.6", N, N, "1", "66", N, N, N, N, "6.6", "10", True)),
    _ch(THU, "affiliate", "impact",
        _m("17", N, N, "2", "150", N, N, N, N, "8.5", "8.8235294118", True)),
    # search Sat: 21.428571 + 0; 3000 impressions, 60 clicks; 0 + 1 conversions worth
    # 14.285714; ctr 0.02; cpc 0.35714285; cpm 7.142857; cvr 1/60 -> 0.0166666667;
    # cpa 21.428571; roas 14.285714/21.428571 = 0.66666667.. -> 0.6666666667.
    _ch(SAT, "search", "google_ads",
        _m("21.428571", 3000, 60, "1", "14.285714", "0.02", "0.35714285", "7.142857",
           "0.0166666667", "21.428571", "0.6666666667", False)),
    # social Sat: 8.12 + 3.8628 = 11.9828; 1033 impressions, 10 clicks, 1 conversion worth
    # 23.1884; ctr 10/1033 = 0.00968054211.. -> 0.0096805421; cpc 1.19828; cpm 11982.8/1033 =
    # 11.6; cvr 0.1; cpa 11.9828; roas 23.1884/11.9828 = 1.93514036.. -> 1.9351403679.
    _ch(SAT, "social", "meta",
        _m("11.9828", 1033, 10, "1", "23.1884", "0.0096805421", "1.19828", "11.6", "0.1",
           "11.9828", "1.9351403679", False)),
    _ch(SAT, "affiliate", "awin",
        _m("7.142857", N, N, "1", "71.428571", N, N, N, N, "7.142857", "10.00000014", False)),
    _ch(SAT, "affiliate", "impact", _m("20", N, N, "1", "200", N, N, N, N, "20", "10", False)),
    _ch(SAT, "affiliate", "rakuten", _m("3", N, N, "1", "30", N, N, N, N, "3", "10", False)),
]  # fmt: skip


def by_grain(rows: list[dict[str, Any]], grain: list[str], columns: list[str]) -> dict:
    """Rows keyed by their grain, reduced to `columns` (decimals compare by value)."""
    return {tuple(row[k] for k in grain): {c: row[c] for c in columns} for row in rows}


def raw_inputs():
    """The fixture as `build_core` inputs, assembled the way the core asset does."""
    from perfmkt_pipeline.platforms.base.affiliates.actions import latest_actions
    from perfmkt_pipeline.platforms.google_ads.core import GoogleAdsRaw
    from perfmkt_pipeline.platforms.meta.core import MetaRaw
    from perfmkt_pipeline.transform.core import (
        AffiliateRaw,
        CoreInputs,
        CoreRules,
    )
    from perfmkt_pipeline.transform.core.networks import latest_state_table

    rules = CoreRules.from_settings(SETTINGS)
    records = affiliate_records()
    loaded = pa.array([PULLED_AT] * records.num_rows, pa.timestamp("us", tz="UTC"))
    frame = records.append_column("loaded_at", loaded).to_pandas()
    latest = latest_state_table(
        latest_actions(frame, rules.status_maps), rules.affiliate_currencies
    )
    return CoreInputs(
        platforms={
            "google_ads": GoogleAdsRaw(google_accounts(), google_campaign_daily(),
                                       google_conversion_daily(), google_campaign_daily()),
            "meta": MetaRaw(meta_accounts(), meta_ad_insights(), meta_ad_actions(),
                            meta_ad_insights()),
        },
        affiliates=AffiliateRaw(latest, records),
    )  # fmt: skip


CAMPAIGN_GRAIN = ["date", "platform", "account_id", "campaign_id"]
CHANNEL_GRAIN = ["date", "channel", "platform"]
CAMPAIGN_COLUMNS = list(EXPECTED_CAMPAIGN_DAILY[0])
CHANNEL_COLUMNS = list(EXPECTED_CHANNEL_DAILY[0])
