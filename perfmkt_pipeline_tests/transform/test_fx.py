"""Conversion to the reporting currency: latest fix on or before the day, exact rounding, and a
missing rate is an error naming currency and day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from perfmkt_pipeline.transform.fx import (
    FX_RATE,
    FxRateMissing,
    _rate_of_each_row,
    convert,
    fx_rates_for,
    lookup_fx_rates,
)

D = Decimal
THU, FRI, SAT, SUN, MON = (dt.date(2026, 11, d) for d in (5, 6, 7, 8, 9))
RATES_SCHEMA = pa.schema(
    [("date", pa.date32()), ("currency", pa.string()), ("units_per_eur", pa.decimal128(18, 6))]
)


def _rates(rows):
    return pa.Table.from_pylist(
        [{"date": d, "currency": c, "units_per_eur": D(u)} for d, c, u in rows], schema=RATES_SCHEMA
    )


RATES = _rates(
    [
        (THU, "USD", "1.1"), (THU, "JPY", "160"), (THU, "GBP", "0.8"),
        (FRI, "USD", "1.16"), (FRI, "JPY", "162.4"),  # no GBP fix on Friday
        (MON, "USD", "1.2"), (MON, "JPY", "150"),
    ]
)  # fmt: skip


def _days(pairs, column="date"):
    return pa.Table.from_pylist(
        [{column: d, "currency": c} for d, c in pairs],
        schema=pa.schema([(column, pa.date32()), ("currency", pa.string())]),
    )


def _rates_by_pair(table, column="date"):
    return {(r[column], r["currency"]): r["fx_rate"] for r in table.to_pylist()}


def test_weekend_days_use_the_latest_fix_before_them_per_currency():
    found = _rates_by_pair(
        fx_rates_for(
            _days([(THU, "JPY"), (SAT, "JPY"), (SUN, "EUR"), (MON, "JPY"), (SAT, "GBP")]),
            RATES,
            "USD",
        )
    )
    assert found == {
        (THU, "JPY"): D("0.006875"),  # 1.1 / 160 exactly
        # Saturday: Friday's fix. 1.16 / 162.4 = 1/140 = 0.0071428571428571.. -> 12 places
        (SAT, "JPY"): D("0.007142857143"),
        (SUN, "EUR"): D("1.16"),  # EUR is 1 per EUR by definition: USD's Friday fix
        (MON, "JPY"): D("0.008"),  # 1.2 / 150
        # GBP has no Friday fix: its own latest (Thursday, 0.8) against USD's latest (Friday).
        (SAT, "GBP"): D("1.45"),  # 1.16 / 0.8
    }


def test_same_currency_is_exactly_one_even_without_rates():
    empty = RATES.schema.empty_table()
    found = fx_rates_for(_days([(SAT, "USD")]), empty, "USD")
    assert found["fx_rate"].to_pylist() == [D("1")]
    assert found.schema.field("fx_rate").type == FX_RATE


def test_a_missing_account_currency_rate_names_currency_and_day():
    with pytest.raises(FxRateMissing) as error:
        fx_rates_for(_days([(THU, "CHF"), (SAT, "JPY")]), RATES, "USD")
    assert (error.value.currency, error.value.day) == ("CHF", THU)
    assert "CHF" in str(error.value) and "2026-11-05" in str(error.value)


def test_a_missing_reporting_currency_rate_names_the_reporting_currency():
    with pytest.raises(FxRateMissing) as error:
        fx_rates_for(_days([(THU, "JPY")]), RATES, "SEK")
    assert (error.value.currency, error.value.day) == ("SEK", THU)


def test_a_fix_older_than_the_lookback_counts_as_missing():
    # Thursday's GBP fix is 10 days before 2026-11-15 (still usable), 11 before 11-16 (not).
    found = lookup_fx_rates(
        _days([(dt.date(2026, 11, 15), "GBP"), (dt.date(2026, 11, 16), "GBP")]), RATES, "USD"
    ).to_pylist()
    assert [(r["fx_rate"], r["missing"]) for r in found] == [(D("1.5"), None), (None, "GBP")]


def test_a_day_before_any_fix_is_missing():
    with pytest.raises(FxRateMissing) as error:
        fx_rates_for(_days([(dt.date(2026, 11, 4), "JPY")]), RATES, "USD")
    assert error.value.day == dt.date(2026, 11, 4)


def test_convert_keeps_row_order_and_rounds_money_half_even():
    frame = pa.table(
        {
            "event_date": pa.array([SAT, THU, SAT], pa.date32()),
            "currency": ["JPY", "JPY", "USD"],
            "amount_local": pa.array(
                [D("3000"), D("1000.0024"), D("12.345678")], pa.decimal128(20, 6)
            ),
        }
    )
    converted = convert(frame, {"amount_local": "amount"}, RATES, "USD", date_column="event_date")
    assert converted.column_names == [
        "event_date", "currency", "amount_local", "reporting_currency", "fx_rate", "amount",
    ]  # fmt: skip
    assert converted.to_pylist() == [
        # 3000 x 0.007142857143 = 21.428571429 -> 21.428571
        {"event_date": SAT, "currency": "JPY", "amount_local": D("3000"),
         "reporting_currency": "USD", "fx_rate": D("0.007142857143"), "amount": D("21.428571")},
        # 1000.0024 x 0.006875 = 6.8750165, a tie -> 6.875016 (even)
        {"event_date": THU, "currency": "JPY", "amount_local": D("1000.0024"),
         "reporting_currency": "USD", "fx_rate": D("0.006875"), "amount": D("6.875016")},
        {"event_date": SAT, "currency": "USD", "amount_local": D("12.345678"),
         "reporting_currency": "USD", "fx_rate": D("1"), "amount": D("12.345678")},
    ]  # fmt: skip


def test_every_row_gets_the_rate_of_its_own_day_and_currency():
    pairs = [(THU, "USD"), (THU, "JPY"), (THU, "GBP"), (FRI, "USD"), (FRI, "JPY"), (FRI, "EUR"),
             (SAT, "JPY"), (SAT, "USD"), (SUN, "GBP"), (MON, "USD"), (MON, "EUR")]  # fmt: skip
    rows = [pairs[(i * 7) % len(pairs)] for i in range(200)]  # every pair, in a mixed order
    frame = _days(rows).append_column("amount_local", pa.array([D(1)] * 200, pa.decimal128(20, 6)))
    converted = convert(frame, {"amount_local": "amount"}, RATES, "USD")
    expected = _rates_by_pair(fx_rates_for(frame, RATES, "USD"))
    assert [(r["date"], r["currency"]) for r in converted.to_pylist()] == rows
    assert [r["fx_rate"] for r in converted.to_pylist()] == [expected[pair] for pair in rows]
    assert len(set(expected.values())) > 5  # the pairs do have different rates


def test_a_lookup_out_of_order_or_missing_a_pair_is_joined_instead_of_searched():
    rows = [(THU, "USD"), (FRI, "JPY"), (THU, "JPY"), (FRI, "USD")]
    frame = _days(rows)
    lookup = fx_rates_for(frame, RATES, "USD")
    expected = _rates_by_pair(lookup)
    backwards = lookup.take(pa.array(list(range(lookup.num_rows))[::-1]))
    rates = _rate_of_each_row(frame, backwards, "date").to_pylist()
    assert rates == [expected[pair] for pair in rows]
    without_last = lookup.slice(0, lookup.num_rows - 1)  # (FRI, USD) sorts last: now absent
    rates = _rate_of_each_row(frame, without_last, "date").to_pylist()
    assert rates == [expected[pair] for pair in rows[:3]] + [None]
