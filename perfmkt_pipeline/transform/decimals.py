"""Exact decimal arithmetic on Arrow columns: products and quotients rounded half-even.

Money, FX rates and ratios must be exact (WAREHOUSE.md), and the transforms must be vectorised, so
every operation here is an Arrow compute kernel over whole columns; nothing loops per row.

Arrow multiplies decimals exactly (the result type is wide enough), so a product is rounded once,
half-even, to the wanted scale. Arrow *truncates* a decimal quotient at its result scale, which
alone cannot tell an exact tie from a value just above it; `divide_round` therefore checks whether
the truncated quotient is exact (quotient x denominator == numerator): if it is, it rounds half-even;
if not, the true value lies strictly beyond the truncated one, so a truncated tie rounds away from
zero. Intermediate values use decimal256 (up to 76 digits), and inputs are narrowed to their
column types first so that no intermediate exceeds that.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

ArrayLike = pa.Array | pa.ChunkedArray
_MAX_PRECISION = 76  # decimal256
_INT64_DIGITS = 19  # every int64 fits in 19 decimal digits


def _wide(values: ArrayLike) -> ArrayLike:
    """The column as decimal256 with the same digits (integers get scale 0)."""
    type_ = values.type
    if pa.types.is_integer(type_):
        return values.cast(pa.decimal256(_INT64_DIGITS, 0))
    if pa.types.is_decimal(type_):
        return values.cast(pa.decimal256(type_.precision, type_.scale))
    if pa.types.is_null(type_):
        return values.cast(pa.decimal256(1, 0))
    raise TypeError(f"expected an integer or decimal column, got {type_}")


def to_decimal(values: ArrayLike, type_: pa.Decimal128Type) -> ArrayLike:
    """Cast integers or decimals to `type_` exactly; raises if a value would lose digits."""
    return _wide(values).cast(type_)


def micros_to_units(micros: ArrayLike, type_: pa.Decimal128Type) -> ArrayLike:
    """Integer micros (Google Ads money) as exact decimal units: 1,234,567 -> 1.234567."""
    scaled = pc.divide(
        _wide(micros).cast(pa.decimal256(_INT64_DIGITS + 6, 6)),
        pa.scalar(1_000_000, pa.decimal256(7, 0)),
    )
    # Dividing by a power of ten at a scale of at least 6 is exact; round only drops zeros.
    return pc.round(scaled, 6, round_mode="half_to_even").cast(type_)


def multiply_round(a: ArrayLike, b: ArrayLike | pa.Scalar, type_: pa.Decimal128Type) -> ArrayLike:
    """a x b rounded half-even to `type_`'s scale (the product itself is exact)."""
    b_wide = _wide(b) if not isinstance(b, pa.Scalar) else b.cast(_scalar_type(b))
    product = pc.multiply(_wide(a), b_wide)
    return pc.round(product, type_.scale, round_mode="half_to_even").cast(type_)


def _scalar_type(value: pa.Scalar) -> pa.DataType:
    if pa.types.is_integer(value.type):
        return pa.decimal256(_INT64_DIGITS, 0)
    return pa.decimal256(value.type.precision, value.type.scale)


def divide_round(
    numerator: ArrayLike, denominator: ArrayLike, type_: pa.Decimal128Type
) -> ArrayLike:
    """numerator / denominator rounded half-even to `type_`'s scale; NULL where the denominator
    is 0 or NULL (or the numerator is NULL)."""
    scale = type_.scale
    num, den = _wide(numerator), _wide(denominator)
    den = pc.if_else(pc.equal(den, pa.scalar(0, den.type)), pa.scalar(None, den.type), den)
    # Arrow's quotient scale is max(4, s1 + p2 - s2 + 1); it needs at least one digit beyond the
    # wanted scale to see a tie, so widen the numerator's scale when it would fall short.
    quotient_scale = max(4, num.type.scale + den.type.precision - den.type.scale + 1)
    if quotient_scale <= scale:
        extra = scale + 1 - quotient_scale
        num = num.cast(pa.decimal256(num.type.precision + extra, num.type.scale + extra))
    truncated = pc.divide(num, den)
    if truncated.type.precision + den.type.precision + 1 > _MAX_PRECISION:
        raise ValueError(
            f"divide_round: {numerator.type} / {denominator.type} needs more than "
            f"{_MAX_PRECISION} digits; narrow the inputs to their column types first"
        )
    exact = pc.equal(pc.multiply(truncated, den), num)
    nearest_even = pc.round(truncated, scale, round_mode="half_to_even")
    away = pc.round(truncated, scale, round_mode="half_towards_infinity")
    return pc.if_else(exact, nearest_even, away).cast(type_)
