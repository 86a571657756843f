"""FX: reference rates from `raw` to `core`, and conversion to the reporting currency."""

from __future__ import annotations

import pandas as pd

# The longest stretch without an ECB fix (Easter: Good Friday to Easter Monday, plus a weekend
# either side at Christmas) is under a week; loading this many days before a window guarantees the
# latest fix on or before every day of the window is present.
FX_LOOKBACK_DAYS = 10

FX_COLUMNS = ["date", "currency", "units_per_eur"]


def fx_rate_rows(raw_rates: pd.DataFrame) -> pd.DataFrame:
    """core.fx_rates rows from raw ECB rates: one per (date, currency), sorted."""
    duplicated = raw_rates.duplicated(["date", "currency"], keep=False)
    if duplicated.any():
        first = raw_rates[duplicated].iloc[0]
        raise ValueError(f"ecb: two rates for {first['currency']} on {first['date']}")
    return raw_rates[FX_COLUMNS].sort_values(["date", "currency"], ignore_index=True)
