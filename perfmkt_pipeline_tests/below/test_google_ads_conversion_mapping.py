"""Google Ads' ad and keyword rows under google_ads.conversion_actions (core_below.py), on
hand-made raw rows with exact expected values: the listed actions are summed from the rows per
action (every conversion of each, all_conversions), an ad- or keyword-day with counted
conversions but no metrics row gets zero delivery and spend (and a keyword keeps its text and
match type), and without conversion_actions the platform's own metrics.conversions stay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa

from perfmkt_pipeline.platforms.google_ads.core_below import ad_daily, keyword_daily

D1, D2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
CONV, MONEY = pa.decimal128(20, 6), pa.decimal128(20, 6)
ACCOUNTS = pa.table({"account_id": ["111"], "currency": ["EUR"]})


def _dec(values: list[str]) -> pa.Array:
    return pa.array([Decimal(v) for v in values], CONV)


def _ads() -> pa.Table:
    return pa.table({
        "account_id": ["111", "111"], "date": [D1, D1], "campaign_id": ["9", "9"],
        "ad_group_id": ["90", "90"], "ad_id": ["901", "902"],
        "cost_micros": pa.array([1_500_000, 250_000], pa.int64()),
        "impressions": pa.array([100, 40], pa.int64()), "clicks": pa.array([7, 2], pa.int64()),
        "conversions": _dec(["2.5", "1"]), "conversions_value": _dec(["30.10", "4"]),
    })  # fmt: skip


def _ad_actions() -> pa.Table:
    return pa.table({
        "account_id": ["111"] * 5, "date": [D1, D1, D1, D1, D2], "campaign_id": ["9"] * 5,
        "ad_group_id": ["90"] * 5, "ad_id": ["901", "901", "901", "902", "902"],
        "conversion_action_name": ["Purchase", "Lead", "Page view", "Lead", "Page view"],
        # Page view is not "included in conversions": 0 in conversions, counted in all_.
        "conversions": _dec(["1.5", "1", "0", "1", "0"]),
        "conversions_value": _dec(["30.10", "0", "0", "4", "0"]),
        "all_conversions": _dec(["1.5", "1", "6", "1", "3"]),
        "all_conversions_value": _dec(["30.10", "0", "0.5", "4", "0"]),
    })  # fmt: skip


def _rows(table: pa.Table, keys: list[str]) -> list[tuple]:
    rows = table.to_pylist()
    return sorted(tuple(r[k] for k in keys) for r in rows)


AD_KEYS = ["date", "ad_id", "impressions", "clicks", "spend_local", "conversions",
           "conversion_value_local", "currency"]  # fmt: skip


def test_without_conversion_actions_ads_keep_metrics_conversions():
    rows = ad_daily(_ads(), ACCOUNTS, _ad_actions(), ())
    assert _rows(rows, AD_KEYS) == [
        (D1, "901", 100, 7, Decimal("1.500000"), Decimal("2.5"), Decimal("30.1"), "EUR"),
        (D1, "902", 40, 2, Decimal("0.250000"), Decimal("1"), Decimal("4"), "EUR"),
    ]


def test_configured_actions_are_summed_per_ad_and_a_day_without_metrics_gets_zero_delivery():
    rows = ad_daily(_ads(), ACCOUNTS, _ad_actions(), ("Purchase", "Page view"))
    assert _rows(rows, AD_KEYS) == [
        (D1, "901", 100, 7, Decimal("1.5"), Decimal("7.5"), Decimal("30.6"), "EUR"),
        (D1, "902", 40, 2, Decimal("0.25"), Decimal("0"), Decimal("0"), "EUR"),
        (D2, "902", 0, 0, Decimal("0"), Decimal("3"), Decimal("0"), "EUR"),
    ]
    assert set(rows["platform"].to_pylist()) == {"google_ads"}


def test_keywords_count_the_same_actions_and_keep_text_and_match_type():
    keywords = pa.table({
        "account_id": ["111"], "date": [D1], "campaign_id": ["9"], "ad_group_id": ["90"],
        "criterion_id": ["77"], "keyword_text": ["running shoes"], "match_type": ["EXACT"],
        "cost_micros": pa.array([2_000_000], pa.int64()), "impressions": pa.array([10], pa.int64()),
        "clicks": pa.array([3], pa.int64()), "conversions": _dec(["1"]),
        "conversions_value": _dec(["9"]),
    })  # fmt: skip
    actions = pa.table({
        "account_id": ["111", "111"], "date": [D1, D2], "campaign_id": ["9", "9"],
        "ad_group_id": ["90", "90"], "criterion_id": ["77", "78"],
        "keyword_text": ["running shoes", "trail runners"], "match_type": ["EXACT", "PHRASE"],
        "conversion_action_name": ["Purchase", "Purchase"],
        "conversions": _dec(["1", "0.5"]), "conversions_value": _dec(["9", "3.25"]),
        "all_conversions": _dec(["1", "0.5"]), "all_conversions_value": _dec(["9", "3.25"]),
    })  # fmt: skip
    rows = keyword_daily(keywords, ACCOUNTS, actions, ("Purchase",))
    keys = ["date", "keyword_id", "keyword_text", "match_type", "impressions", "spend_local",
            "conversions", "conversion_value_local"]  # fmt: skip
    assert _rows(rows, keys) == [
        (D1, "77", "running shoes", "exact", 10, Decimal("2"), Decimal("1"), Decimal("9")),
        (D2, "78", "trail runners", "phrase", 0, Decimal("0"), Decimal("0.5"), Decimal("3.25")),
    ]
