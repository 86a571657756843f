"""The ECB's raw table: reference rates as published (owned by the ECB source)."""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.warehouse.raw.common import loaded_at
from perfmkt_pipeline.warehouse.tables import RAW, UNITS_PER_EUR, _c, _table

ecb_rates = _table(
    RAW,
    "ecb_rates",
    ["date", "currency"],
    "ECB reference rates as published (units per EUR).",
    _c("date", sa.Date, "publication day", False),
    _c("currency", sa.String(3), "ISO 4217 code", False),
    _c("units_per_eur", UNITS_PER_EUR, "units per 1 EUR", False),
    loaded_at(),
)
