"""Raw -> core per platform: conversion mappings, roll-ups, affiliate rules, `settled`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest

from perfmkt_pipeline.platforms.google_ads import core as google_ads
from perfmkt_pipeline.platforms.meta import core as meta
from perfmkt_pipeline.transform.core import CoreDataError, networks
from perfmkt_pipeline.transform.core.common import latest_per_key, settled
from perfmkt_pipeline_tests import core_marts_fixture as fx

D = Decimal
THU, SAT = fx.THU, fx.SAT


def _by_key(table, keys, columns):
    return {tuple(r[k] for k in keys): tuple(r[c] for c in columns) for r in table.to_pylist()}


def test_google_conversions_default_to_the_platforms_own_metric():
    rows = google_ads.performance(
        fx.google_campaign_daily(), fx.google_conversion_daily(), fx.google_accounts(), []
    )
    assert _by_key(rows, ["date", "campaign_id"], ["conversions", "conversion_value_local", "spend_local", "currency"]) == {
        (THU, "111"): (D("4.5"), D("9000"), D("1234.56789"), "JPY"),
        (THU, "222"): (D("0"), D("0"), D("1000.0024"), "JPY"),
        (SAT, "111"): (D("2"), D("0"), D("3000"), "JPY"),
        (SAT, "222"): (D("1"), D("2000"), D("0"), "JPY"),
    }  # fmt: skip


def test_google_configured_actions_replace_the_platform_metric():
    rows = google_ads.performance(
        fx.google_campaign_daily(), fx.google_conversion_daily(), fx.google_accounts(),
        ["Purchase", "Page view"],
    )  # fmt: skip
    assert _by_key(rows, ["date", "campaign_id"], ["conversions", "conversion_value_local"]) == {
        (THU, "111"): (D("23"), D("9000")),  # Purchase 3 + Page view 20 (Lead 1.5 left out)
        (THU, "222"): (D("0"), D("0")),
        (SAT, "111"): (D("0"), D("0")),  # only a Lead
        (SAT, "222"): (D("1"), D("2000")),
    }


def test_google_counted_conversions_without_a_campaign_row_keep_zero_delivery():
    daily = fx.google_campaign_daily().slice(0, 1)  # only 111 on Thursday
    rows = google_ads.performance(
        daily, fx.google_conversion_daily(), fx.google_accounts(), ["Purchase"]
    )
    assert _by_key(rows, ["date", "campaign_id"], ["impressions", "clicks", "spend_local", "conversions"]) == {
        (THU, "111"): (1000, 50, D("1234.56789"), D("3")),
        (SAT, "222"): (0, 0, D("0"), D("1")),
    }  # fmt: skip


def test_google_rows_of_an_account_without_currency_are_a_data_error():
    with pytest.raises(CoreDataError, match="google_ads account 1234567890, day 2026-11-05"):
        google_ads.performance(
            fx.google_campaign_daily(), fx.google_conversion_daily(),
            fx.google_accounts().slice(0, 0), [],
        )  # fmt: skip


def test_google_conversions_daily_keeps_every_action():
    rows = google_ads.conversions(fx.google_conversion_daily(), fx.google_accounts())
    assert _by_key(rows, ["date", "campaign_id", "conversion_name"], ["conversions"]) == {
        (THU, "111", "Lead"): (D("1.5"),),
        (THU, "111", "Page view"): (D("20"),),
        (THU, "111", "Purchase"): (D("3"),),
        (SAT, "111", "Lead"): (D("2"),),
        (SAT, "222", "Purchase"): (D("1"),),
    }


def test_google_campaign_names_come_from_the_latest_day():
    rows = google_ads.campaigns(fx.google_campaign_daily())
    assert _by_key(rows, ["campaign_id"], ["campaign_name", "campaign_status"]) == {
        ("111",): ("Brand Search JP", "PAUSED"),
        ("222",): ("Performance Max", "ENABLED"),
    }


def test_meta_rolls_ads_up_to_campaigns_and_counts_only_the_configured_attribution():
    rows = meta.performance(
        fx.meta_ad_insights(), fx.meta_ad_actions(), fx.meta_accounts(), [fx.PURCHASE]
    )
    columns = ["impressions", "clicks", "spend_local", "conversions", "conversion_value_local"]
    assert _by_key(rows, ["date", "campaign_id"], columns) == {
        # A1 + A2; purchases at `value` 2 + 1 (the 7d_click / 1d_view rows are not added)
        (THU, "M1"): (1500, 25, D("14.75"), D("3"), D("110")),
        (SAT, "M1"): (700, 7, D("7"), D("0"), D("0")),
        (SAT, "M2"): (333, 3, D("3.33"), D("1"), D("19.99")),
    }


def test_meta_conversions_daily_has_every_action_type_with_zero_value_when_none():
    rows = meta.conversions(fx.meta_ad_insights(), fx.meta_ad_actions(), fx.meta_accounts())
    assert _by_key(rows, ["date", "campaign_id", "conversion_name"], ["conversions", "conversion_value_local", "currency"]) == {
        (THU, "M1", "link_click"): (D("15"), D("0"), "EUR"),
        (THU, "M1", fx.PURCHASE): (D("3"), D("110"), "EUR"),
        (SAT, "M2", fx.PURCHASE): (D("1"), D("19.99"), "EUR"),
    }  # fmt: skip


def test_meta_currency_falls_back_to_the_insights_rows():
    rows = meta.performance(
        fx.meta_ad_insights(), fx.meta_ad_actions(), fx.meta_accounts().slice(0, 0), []
    )
    assert set(rows["currency"].to_pylist()) == {"EUR"}


def test_meta_insights_without_campaign_are_a_data_error():
    insights = fx.meta_ad_insights()
    broken = insights.set_column(
        insights.schema.get_field_index("campaign_id"), "campaign_id",
        pa.array([None, "M1", "M1", "M2"], pa.string()),
    )  # fmt: skip
    with pytest.raises(
        CoreDataError, match="meta account 101, day 2026-11-05: insights row of ad A1"
    ):
        meta.performance(broken, fx.meta_ad_actions(), fx.meta_accounts(), [])


def _latest(rows):
    frame = pd.DataFrame(
        rows,
        columns=["platform", "account_id", "action_id", "event_date", "status", "campaign_id",
                 "partner_name", "action_type", "currency", "sale_amount_local",
                 "commission_local", "source_updated_at"],
    )  # fmt: skip
    return networks.latest_state_table(frame, {"cj": "EUR"})


ACTIONS = [
    ("impact", "IR", "1", THU, "approved", "P1", "A", "Sale", "USD", D("100"), D("10"), None),
    ("impact", "IR", "2", THU, "pending", "P1", "A", "Lead", "USD", D("0"), D("2"), None),
    ("impact", "IR", "3", THU, "reversed", "P1", "A", "Sale", "USD", D("50"), D("5"), None),
    ("cj", "7", "4", THU, "approved", None, None, None, None, D("20"), D("3"), None),
]


def test_affiliate_days_count_non_reversed_actions_of_counted_types():
    rows = networks.performance(_latest(ACTIONS), {"impact": ("Sale",), "cj": ()})
    columns = [
        "currency",
        "impressions",
        "clicks",
        "spend_local",
        "conversions",
        "conversion_value_local",
    ]
    assert _by_key(rows, ["platform", "campaign_id"], columns) == {
        # spend: 10 + 2 (the reversed 5 left out); conversions: the Sale only, worth 100
        ("impact", "P1"): ("USD", None, None, D("12"), D("1"), D("100")),
        # no partner -> "(none)"; no currency on the record -> the configured EUR
        ("cj", "(none)"): ("EUR", None, None, D("3"), D("1"), D("20")),
    }


def test_affiliate_conversions_daily_is_per_action_type():
    rows = networks.conversions(_latest(ACTIONS))
    assert _by_key(rows, ["platform", "conversion_name"], ["conversions", "conversion_value_local"]) == {
        ("impact", "Sale"): (D("1"), D("100")),
        ("impact", "Lead"): (D("1"), D("0")),
        ("cj", "action"): (D("1"), D("20")),  # untyped actions
    }  # fmt: skip


def test_affiliate_action_without_event_day_is_a_data_error():
    broken = [(*ACTIONS[0][:3], None, *ACTIONS[0][4:])]
    with pytest.raises(CoreDataError, match="impact account IR, action 1: no event_date"):
        _latest(broken)


def test_affiliate_partner_in_two_currencies_on_one_day_is_a_data_error():
    rows = [ACTIONS[0], (*ACTIONS[0][:2], "9", *ACTIONS[0][3:8], "EUR", *ACTIONS[0][9:])]
    with pytest.raises(CoreDataError, match="partner P1 are in more than one currency"):
        networks.performance(_latest(rows), {})


def test_affiliate_accounts_come_from_configuration_with_currency_from_actions():
    rows = networks.accounts(
        [("impact", "IR", None, "America/New_York"), ("awin", "5", None, "UTC"), ("cj", "7", "EUR", None)],
        _latest(ACTIONS),
    )  # fmt: skip
    # awin 5 has neither a configured currency nor actions: left out (the account check says so)
    assert _by_key(rows, ["platform", "account_id"], ["currency", "timezone"]) == {
        ("impact", "IR"): ("USD", "America/New_York"),
        ("cj", "7"): ("EUR", None),
    }


def test_settled_is_true_from_the_lookback_day_back():
    days = pa.array(
        [dt.date(2026, 10, 21), dt.date(2026, 10, 22), dt.date(2026, 11, 6)], pa.date32()
    )
    platforms = pa.array(["google_ads", "google_ads", "impact"])
    lookback = {"google_ads": 30, "impact": 14}
    # as of 2026-11-20: google 30 days -> up to 10-21; impact 14 days -> up to 11-06
    assert settled(platforms, days, dt.date(2026, 11, 20), lookback).to_pylist() == [
        True,
        False,
        True,
    ]
    per_platform = {"google_ads": dt.date(2026, 11, 21), "impact": dt.date(2026, 11, 19)}
    assert settled(platforms, days, per_platform, lookback).to_pylist() == [True, True, False]


def test_latest_per_key_keeps_whole_rows_and_ranks_nulls_first():
    table = pa.table(
        {"k": ["a", "a", "a", "b"], "day": [2, None, 1, 5], "name": ["new", "undated", "old", None]}
    )
    result = latest_per_key(table, ["k"], ["day"]).sort_by("k").to_pylist()
    assert result == [{"k": "a", "day": 2, "name": "new"}, {"k": "b", "day": 5, "name": None}]


def test_google_actions_count_every_conversion_and_older_rows_keep_metrics_conversions():
    from perfmkt_pipeline.platforms.google_ads.core import every_action

    money = pa.decimal128(20, 6)
    rows = pa.table(
        {
            "conversion_action_name": ["Purchase", "Page view", "Lead"],
            # Page view is not "included in conversions": the API reports 0 there...
            "conversions": pa.array([Decimal("2"), Decimal("0"), Decimal("1.5")], money),
            "conversions_value": pa.array([Decimal("40"), Decimal("0"), Decimal("3")], money),
            # ...and its count in all_conversions; the Lead row predates all_conversions (NULL).
            "all_conversions": pa.array([Decimal("2"), Decimal("7"), None], money),
            "all_conversions_value": pa.array([Decimal("40"), Decimal("0"), None], money),
        }
    )
    out = every_action(rows)
    assert out["conversions"].to_pylist() == [Decimal("2"), Decimal("7"), Decimal("1.5")]
    assert out["conversions_value"].to_pylist() == [Decimal("40"), Decimal("0"), Decimal("3")]
