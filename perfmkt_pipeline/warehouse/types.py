"""The warehouse's column types, and the Arrow type each becomes in memory.

Declared once here: the table declarations (tables.py, raw/) use the SQL types, and everything
that holds rows as Arrow (the write and read paths, transform/) asks `arrow_type` /
`tables.arrow_schema` instead of writing the Arrow types out again.
"""

from __future__ import annotations

import pyarrow as pa
import sqlalchemy as sa

# Money is exact decimal everywhere: 6 places hold micros without rounding.
MONEY = sa.Numeric(20, 6)
# Conversions may be fractional (data-driven attribution gives fractions).
CONVERSIONS = sa.Numeric(20, 6)
FX_RATE = sa.Numeric(24, 12)
UNITS_PER_EUR = sa.Numeric(18, 6)
RATIO = sa.Numeric(28, 10)
COUNT = sa.BigInteger()
LOADED_AT = sa.DateTime(timezone=True)


def arrow_type(type_: sa.types.TypeEngine) -> pa.DataType:
    """The Arrow type rows of a column of SQL type `type_` are held in."""
    if isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float):
        return pa.decimal128(type_.precision or 38, type_.scale or 0)
    if isinstance(type_, sa.BigInteger | sa.Integer):
        return pa.int64()
    if isinstance(type_, sa.Boolean):
        return pa.bool_()
    if isinstance(type_, sa.DateTime):
        return pa.timestamp("us", tz="UTC") if type_.timezone else pa.timestamp("us")
    if isinstance(type_, sa.Date):
        return pa.date32()
    if isinstance(type_, sa.Float):
        return pa.float64()
    return pa.string()
