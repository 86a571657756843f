"""`read_window`: a date window of a table as pandas, read through Arrow, holding exactly the
values (and Python types) the rows themselves give."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from perfmkt_pipeline.platforms.ecb.tables import ecb_rates
from perfmkt_pipeline.transform.fx import fx_rate_rows
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.read import read_window

LOADED = dt.datetime(2026, 3, 2, 6, 30, tzinfo=dt.UTC)
ROWS = [
    {"date": dt.date(2026, 2, 27), "currency": "USD", "units_per_eur": Decimal("1.0412"),
     "loaded_at": LOADED},
    {"date": dt.date(2026, 3, 2), "currency": "JPY", "units_per_eur": Decimal("157.23"),
     "loaded_at": LOADED},
    {"date": dt.date(2026, 3, 2), "currency": "USD", "units_per_eur": Decimal("1.0398"),
     "loaded_at": LOADED},
    {"date": dt.date(2026, 3, 3), "currency": "USD", "units_per_eur": Decimal("1.0377"),
     "loaded_at": LOADED},
]  # fmt: skip


def test_a_window_holds_its_rows_with_dates_and_decimals_as_python_values(
    warehouse: Warehouse,
) -> None:
    with warehouse.begin() as conn:
        conn.execute(ecb_rates.insert(), ROWS)
        frame = read_window(conn, ecb_rates, "date", dt.date(2026, 2, 28), dt.date(2026, 3, 2))
        empty = read_window(conn, ecb_rates, "date", dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    frame = frame.sort_values(["date", "currency"], ignore_index=True)
    assert list(frame.columns) == ["date", "currency", "units_per_eur", "loaded_at"]
    assert frame[["date", "currency", "units_per_eur"]].to_dict("records") == [
        {"date": dt.date(2026, 3, 2), "currency": "JPY", "units_per_eur": Decimal("157.2300")},
        {"date": dt.date(2026, 3, 2), "currency": "USD", "units_per_eur": Decimal("1.0398")},
    ]
    assert [type(v) for v in frame.iloc[0][["date", "units_per_eur"]]] == [dt.date, Decimal]
    assert list(frame["loaded_at"]) == [pd.Timestamp(LOADED)] * 2
    assert empty.empty and list(empty.columns) == list(frame.columns)


def test_the_fx_rows_from_a_window_equal_those_built_from_the_rows_themselves(
    warehouse: Warehouse,
) -> None:
    with warehouse.begin() as conn:
        conn.execute(ecb_rates.insert(), ROWS)
        frame = read_window(conn, ecb_rates, "date", dt.date(2026, 2, 1), dt.date(2026, 3, 31))
        rows = conn.execute(ecb_rates.select()).all()
    from_rows = pd.DataFrame(rows, columns=[c.name for c in ecb_rates.c])
    built, expected = fx_rate_rows(frame), fx_rate_rows(from_rows)
    assert built.equals(expected)
    assert built.dtypes.to_dict() == expected.dtypes.to_dict()
    assert built.to_dict("records") == [
        {"date": dt.date(2026, 2, 27), "currency": "USD", "units_per_eur": Decimal("1.0412")},
        {"date": dt.date(2026, 3, 2), "currency": "JPY", "units_per_eur": Decimal("157.2300")},
        {"date": dt.date(2026, 3, 2), "currency": "USD", "units_per_eur": Decimal("1.0398")},
        {"date": dt.date(2026, 3, 3), "currency": "USD", "units_per_eur": Decimal("1.0377")},
    ]
