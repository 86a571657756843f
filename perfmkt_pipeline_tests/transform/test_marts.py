"""Marts from core rows: ratio definitions, NULL denominators, sums and `settled`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from perfmkt_pipeline.transform import marts
from perfmkt_pipeline.transform.metrics import ratios

D = Decimal
THU = dt.date(2026, 11, 5)
MONEY = pa.decimal128(20, 6)
CORE = pa.schema(
    [("date", pa.date32()), ("platform", pa.string()), ("channel", pa.string()),
     ("account_id", pa.string()), ("campaign_id", pa.string()), ("impressions", pa.int64()),
     ("clicks", pa.int64()), ("conversions", MONEY), ("reporting_currency", pa.string()),
     ("spend", MONEY), ("conversion_value", MONEY), ("settled", pa.bool_())]
)  # fmt: skip


def _core(*rows):
    return pa.Table.from_pylist([dict(zip(CORE.names, r, strict=True)) for r in rows], schema=CORE)


def test_ratios_follow_the_contract_and_are_null_on_zero_or_null_denominators():
    rows = _core(
        # spend 10, 2000 impressions, 30 clicks, 3 conversions worth 45
        (THU, "meta", "social", "1", "a", 2000, 30, D("3"), "USD", D("10"), D("45"), False),
        (THU, "meta", "social", "1", "b", 0, 0, D("0"), "USD", D("0"), D("0"), False),
        (THU, "cj", "affiliate", "7", "p", None, None, D("2"), "USD", D("7"), D("70"), True),
    )
    got = {name: values.to_pylist() for name, values in ratios(rows).items()}
    assert got == {
        "ctr": [D("0.015"), None, None],  # 30 / 2000
        "cpc": [D("0.3333333333"), None, None],  # 10 / 30, half-even at 10 places
        "cpm": [D("5"), None, None],  # 1000 x 10 / 2000
        "cvr": [D("0.1"), None, None],  # 3 / 30
        "cpa": [D("3.3333333333"), None, D("3.5")],  # 10 / 3; 7 / 2
        "roas": [D("4.5"), None, D("10")],  # 45 / 10; 70 / 7
    }


def test_channel_daily_sums_campaigns_and_is_settled_only_if_all_are():
    rows = _core(
        (THU, "meta", "social", "1", "a", 2000, 30, D("3"), "USD", D("10"), D("45"), True),
        (THU, "meta", "social", "2", "b", 1000, 10, D("1"), "USD", D("2.5"), D("5"), False),
        (THU, "cj", "affiliate", "7", "p", None, None, D("2"), "USD", D("7"), D("70"), True),
    )
    got = {r["platform"]: r for r in marts.channel_daily(rows).to_pylist()}
    assert {k: got["meta"][k] for k in ["spend", "impressions", "clicks", "conversions",
                                         "conversion_value", "ctr", "settled"]} == {
        "spend": D("12.5"), "impressions": 3000, "clicks": 40, "conversions": D("4"),
        "conversion_value": D("50"), "ctr": D("0.0133333333"), "settled": False,
    }  # fmt: skip
    assert (got["cj"]["impressions"], got["cj"]["clicks"], got["cj"]["settled"]) == (
        None,
        None,
        True,
    )
    assert list(got["meta"]) == [*marts.CHANNEL_COLUMNS]


def test_campaign_daily_names_campaigns_and_keeps_one_row_per_core_row():
    rows = _core((THU, "meta", "social", "1", "a", 10, 1, D("0"), "USD", D("1"), D("0"), False))
    names = pa.table(
        {"platform": ["meta"], "account_id": ["1"], "campaign_id": ["a"], "campaign_name": ["Aa"]}
    )
    (row,) = marts.campaign_daily(rows, names).to_pylist()
    assert (row["campaign_name"], row["cvr"], row["cpa"], row["roas"]) == (
        "Aa",
        D("0"),
        None,
        D("0"),
    )
    assert list(row) == marts.CAMPAIGN_COLUMNS


def test_core_in_two_reporting_currencies_cannot_make_a_mart():
    rows = _core(
        (THU, "meta", "social", "1", "a", 10, 1, D("0"), "USD", D("1"), D("0"), False),
        (THU, "meta", "social", "1", "b", 10, 1, D("0"), "EUR", D("1"), D("0"), False),
    )
    with pytest.raises(marts.MartError, match="several reporting currencies"):
        marts.channel_daily(rows)
