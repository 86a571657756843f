"""FX: reference rates from `raw` to `core`, and conversion to the reporting currency.

Conversion rule (WAREHOUSE.md), exactly:

- The rate of a currency on a day is the FX source's reference rate (units per 1 EUR) of the latest
  publication day on or before that day, looked up for each currency on its own; EUR is 1 by
  definition. A latest fix older than `FX_LOOKBACK_DAYS` before the day counts as missing (the
  rates were not loaded), and a missing rate raises `FxRateMissing` naming currency and day.
- fx_rate = units_per_eur[reporting currency] / units_per_eur[account currency], rounded half-even
  to 12 decimal places (the scale of the `fx_rate` columns); it is exactly 1 when the two
  currencies are the same.
- A reporting-currency amount = local amount x fx_rate (the stored, rounded fx_rate, so anyone
  can reproduce it from the row), rounded half-even to 6 decimal places (the money scale).

Everything is vectorised: rates are looked up with one binary search per currency, and the
arithmetic is Arrow decimal compute (transform/decimals.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.transform.decimals import divide_round, multiply_round
from perfmkt_pipeline.warehouse import tables, types

# The longest stretch without a fix (Easter: Good Friday to Easter Monday, plus a weekend
# either side at Christmas) is under a week; loading this many days before a window guarantees the
# latest fix on or before every day of the window is present.
FX_LOOKBACK_DAYS = 10
# A run can rebuild core days long before its own partition (an affiliate action changes status
# weeks after its sale day, and the sale day is what is converted). Rates are a few thousand rows
# a year, so every FX load keeps the whole history from this many days before `start_date`.
FX_HISTORY_DAYS_BEFORE_START = 366

FX_COLUMNS = tables.column_names(tables.fx_rates, ["loaded_at"])
EUR = "EUR"  # the reference rates' base currency: 1 unit per EUR by definition, on every day
FX_RATE = types.arrow_type(types.FX_RATE)
MONEY = types.arrow_type(types.MONEY)
UNITS_PER_EUR = types.arrow_type(types.UNITS_PER_EUR)


class FxRateMissing(ValueError):
    """No usable reference rate for a currency on a day; the message names both."""

    def __init__(self, currency: str, day: dt.date, rows: int = 1):
        self.currency, self.day = currency, day
        more = f" (and {rows - 1} other currency-days)" if rows > 1 else ""
        super().__init__(
            f"fx: no reference rate for {currency} on {day} or in the {FX_LOOKBACK_DAYS} days "
            f"before it{more}; load core.fx_rates for that period"
        )


def history_window(start_date: dt.date, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The days of rates a run over [start, end] lands and publishes: from a year before the
    earlier of `start_date` and `start` to `end` (any core day a run rebuilds, however old, then
    finds its rate)."""
    return min(start, start_date) - dt.timedelta(FX_HISTORY_DAYS_BEFORE_START), end


def fx_rate_rows(raw_rates: pd.DataFrame) -> pd.DataFrame:
    """core.fx_rates rows from the FX source's raw rates: one per (date, currency), sorted."""
    duplicated = raw_rates.duplicated(["date", "currency"], keep=False)
    if duplicated.any():
        first = raw_rates[duplicated].iloc[0]
        raise ValueError(f"fx: two rates for {first['currency']} on {first['date']}")
    return raw_rates[FX_COLUMNS].sort_values(["date", "currency"], ignore_index=True)


def _day_numbers(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return values.cast(pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False)


def _latest_units(days: np.ndarray, currency: str, rates: pa.Table) -> tuple[pa.Array, np.ndarray]:
    """units_per_eur of `currency` on each day (latest fix on or before it) and a found-mask."""
    if currency == EUR:
        return pa.array([1] * len(days), UNITS_PER_EUR), np.ones(len(days), bool)
    own = rates.filter(pc.equal(rates["currency"], currency)).sort_by("date")
    fix_days = _day_numbers(own["date"])
    index = np.searchsorted(fix_days, days, side="right") - 1
    found = index >= 0
    safe = np.where(found, index, 0)
    if len(fix_days):
        found &= days - fix_days[safe] <= FX_LOOKBACK_DAYS
    else:
        found[:] = False
    units = own["units_per_eur"].cast(UNITS_PER_EUR).combine_chunks()
    picked = units.take(pa.array(safe)) if len(fix_days) else pa.nulls(len(days), UNITS_PER_EUR)
    return picked, found


def lookup_fx_rates(
    days_currencies: pa.Table, rates: pa.Table, reporting_currency: str, date_column: str = "date"
) -> pa.Table:
    """fx_rate for every distinct (day, currency) in `days_currencies` (columns `date_column`,
    `currency`), from core.fx_rates rows (`date`, `currency`, `units_per_eur`).

    Returns columns `date_column`, `currency`, `fx_rate` and `missing`: where no usable fix
    exists fx_rate is NULL and `missing` names the currency without one (the account's or the
    reporting currency), else `missing` is NULL. Sorted by day, then currency.
    """
    pairs = (
        days_currencies.select([date_column, "currency"])
        .group_by([date_column, "currency"], use_threads=False)
        .aggregate([])
    )
    pairs = pairs.sort_by([(date_column, "ascending"), ("currency", "ascending")])
    days = _day_numbers(pairs[date_column])
    reporting_units, reporting_found = _latest_units(days, reporting_currency, rates)
    account_units = pa.nulls(len(days), UNITS_PER_EUR)
    account_found = np.zeros(len(days), bool)
    currencies = pairs["currency"].to_numpy(zero_copy_only=False).astype(object)
    for currency in sorted(set(currencies)):  # one vectorised lookup per currency (a handful)
        mask = currencies == currency
        units, found = _latest_units(days[mask], currency, rates)
        account_found[mask] = found
        account_units = pc.replace_with_mask(account_units, pa.array(mask), units)
    same = pc.equal(pairs["currency"], reporting_currency).to_numpy(zero_copy_only=False)
    missing_account = ~account_found & ~same
    missing_reporting = ~reporting_found & ~same
    rate = divide_round(reporting_units, account_units, FX_RATE)
    rate = pc.if_else(pa.array(same), pa.scalar(1, FX_RATE), rate)
    absent = pa.array(missing_account | missing_reporting)
    rate = pc.if_else(absent, pa.scalar(None, FX_RATE), rate)
    reporting_gap = pc.if_else(
        pa.array(missing_reporting), pa.scalar(reporting_currency), pa.scalar(None, pa.string())
    )
    missing = pc.if_else(pa.array(missing_account), pairs["currency"], reporting_gap)
    return pa.table(
        {
            date_column: pairs[date_column],
            "currency": pairs["currency"],
            "fx_rate": rate,
            "missing": missing,
        }
    )


def fx_rates_for(
    days_currencies: pa.Table, rates: pa.Table, reporting_currency: str, date_column: str = "date"
) -> pa.Table:
    """Like `lookup_fx_rates` (without `missing`), but a missing rate raises `FxRateMissing`
    naming the earliest such day and the currency without a fix."""
    found = lookup_fx_rates(days_currencies, rates, reporting_currency, date_column)
    absent = found.filter(pc.is_valid(found["missing"]))
    if absent.num_rows:
        raise FxRateMissing(
            absent["missing"][0].as_py(), absent[date_column][0].as_py(), absent.num_rows
        )
    return found.drop_columns(["missing"])


def convert(
    frame: pa.Table,
    amounts: Mapping[str, str],
    rates: pa.Table,
    reporting_currency: str,
    date_column: str = "date",
) -> pa.Table:
    """`frame` (with `date_column` and `currency`) plus `reporting_currency`, `fx_rate` and, for
    each local column -> name in `amounts`, the amount in the reporting currency."""
    if frame.num_rows == 0:
        fields = [("reporting_currency", pa.string()), ("fx_rate", FX_RATE)]
        fields += [(name, MONEY) for name in amounts.values()]
        return _append(frame, {n: pa.array([], t) for n, t in fields})
    lookup = fx_rates_for(frame, rates, reporting_currency, date_column)
    rate = _rate_of_each_row(frame, lookup, date_column)
    columns = {"reporting_currency": pa.array([reporting_currency] * frame.num_rows, pa.string())}
    columns["fx_rate"] = rate
    for local, name in amounts.items():
        columns[name] = multiply_round(frame[local], rate, MONEY)
    return _append(frame, columns)


def _rate_of_each_row(frame: pa.Table, lookup: pa.Table, date_column: str) -> pa.Array:
    """`lookup`'s fx_rate for each row of `frame`, in the frame's order. `lookup` holds every
    (day, currency) pair of the frame once, sorted by day then currency, so a row's pair is
    found by binary search on day x currencies + the currency's position."""
    currencies = pc.unique(lookup["currency"]).sort()
    row_currency = pc.index_in(frame["currency"], value_set=currencies)
    if row_currency.null_count or frame[date_column].null_count:  # not expected: join instead
        return _rate_by_join(frame, lookup, date_column)
    width = len(currencies)
    row_keys = _day_numbers(frame[date_column]).astype(np.int64) * width + row_currency.to_numpy(
        zero_copy_only=False
    )
    pair_currency = pc.index_in(lookup["currency"], value_set=currencies).to_numpy(
        zero_copy_only=False
    )
    pair_keys = _day_numbers(lookup[date_column]).astype(np.int64) * width + pair_currency
    found = np.searchsorted(pair_keys, row_keys)
    # Guard the premise (sorted pairs, each row's pair present): otherwise join.
    sorted_ = bool(np.all(pair_keys[1:] >= pair_keys[:-1]))
    if not sorted_ or np.any(found >= len(pair_keys)) or np.any(pair_keys[found] != row_keys):
        return _rate_by_join(frame, lookup, date_column)
    return lookup["fx_rate"].combine_chunks().take(pa.array(found))


def _rate_by_join(frame: pa.Table, lookup: pa.Table, date_column: str) -> pa.ChunkedArray:
    joined = frame.append_column("_row", pa.array(np.arange(frame.num_rows))).join(
        lookup, [date_column, "currency"], join_type="left outer", use_threads=False
    )
    return joined.sort_by("_row")["fx_rate"]


def _append(frame: pa.Table, columns: Mapping[str, pa.Array | pa.ChunkedArray]) -> pa.Table:
    for name, values in columns.items():
        frame = frame.append_column(name, values)
    return frame
