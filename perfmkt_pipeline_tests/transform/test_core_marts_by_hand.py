"""Acceptance 1 without Dagster: the hand-built raw fixture (three currencies, every platform)
gives marts whose every value equals the one worked out by hand in core_marts_fixture.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from perfmkt_pipeline.transform import marts
from perfmkt_pipeline.transform.core import CoreRules, build_core
from perfmkt_pipeline_tests import core_marts_fixture as fx

D = Decimal
AS_OF = dt.date(2026, 11, 20)


def _tuples(rows, keys, columns):
    return {tuple(r[k] for k in keys): tuple(r[c] for c in columns) for r in rows}


def _core():
    return build_core(fx.raw_inputs(), fx.fx_rates(), CoreRules.from_settings(fx.SETTINGS), AS_OF)


def test_marts_from_the_hand_built_fixture_equal_the_hand_worked_values():
    core = _core()
    campaign = marts.campaign_daily(core.ad_performance_daily, core.campaigns).to_pylist()
    channel = marts.channel_daily(core.ad_performance_daily).to_pylist()
    assert fx.by_grain(campaign, fx.CAMPAIGN_GRAIN, fx.CAMPAIGN_COLUMNS) == fx.by_grain(
        fx.EXPECTED_CAMPAIGN_DAILY, fx.CAMPAIGN_GRAIN, fx.CAMPAIGN_COLUMNS
    )
    assert fx.by_grain(channel, fx.CHANNEL_GRAIN, fx.CHANNEL_COLUMNS) == fx.by_grain(
        fx.EXPECTED_CHANNEL_DAILY, fx.CHANNEL_GRAIN, fx.CHANNEL_COLUMNS
    )


def test_affiliate_actions_hold_the_latest_state_converted_on_the_event_day():
    rows = _tuples(
        _core().affiliate_actions.to_pylist(),
        ["platform", "action_id"],
        ["status", "commission_local", "fx_rate", "commission", "sale_amount"],
    )
    assert rows == {
        # Awin ¥ on Saturday at 0.007142857143: 1000 -> 7.142857143 -> 7.142857;
        # 10000 -> 71.42857143 -> 71.428571; declined 500 -> 3.5714285715 -> 3.571429 (the 7th
        # digit is 5 followed by 1: above the tie, so up); 5000 -> 35.714285715 -> 35.714286.
        ("awin", "3001"): (
            "approved",
            D("1000"),
            D("0.007142857143"),
            D("7.142857"),
            D("71.428571"),
        ),
        ("awin", "3002"): (
            "reversed",
            D("500"),
            D("0.007142857143"),
            D("3.571429"),
            D("35.714286"),
        ),
        # CJ € on Thursday at 1.1; A2's correction reversed it, keeping the reversed amounts.
        ("cj", "A1"): ("approved", D("6"), D("1.1"), D("6.6"), D("66")),
        ("cj", "A2"): ("reversed", D("4"), D("1.1"), D("4.4"), D("44")),
        ("impact", "I1"): ("approved", D("10"), D("1"), D("10"), D("100")),  # later version
        ("impact", "I2"): ("pending", D("5"), D("1"), D("5"), D("50")),
        ("impact", "I3"): ("reversed", D("8"), D("1"), D("8"), D("80")),
        ("impact", "I4"): ("approved", D("20"), D("1"), D("20"), D("200")),
        ("impact", "I5"): ("approved", D("2"), D("1"), D("2"), D("0")),
        ("rakuten", "R1"): ("approved", D("3"), D("1"), D("3"), D("30")),
    }


def test_every_core_table_carries_reporting_currency_fields_and_channels():
    core = _core()
    performance = core.ad_performance_daily.to_pylist()
    assert {(r["platform"], r["channel"]) for r in performance} == {
        ("google_ads", "search"), ("meta", "social"), ("impact", "affiliate"),
        ("cj", "affiliate"), ("awin", "affiliate"), ("rakuten", "affiliate"),
    }  # fmt: skip
    assert {r["reporting_currency"] for r in performance} == {"USD"}
    accounts = _tuples(
        core.ad_accounts.to_pylist(), ["platform", "account_id"], ["currency", "timezone"]
    )
    assert accounts == {
        ("google_ads", "1234567890"): ("JPY", "Asia/Tokyo"),
        ("meta", "101"): ("EUR", "Europe/Berlin"),
        ("impact", "IRabc"): ("USD", "UTC"),
        ("cj", "777"): ("EUR", "UTC"),
        ("awin", "555"): ("JPY", "UTC"),
        ("rakuten", "default"): ("USD", None),
    }
