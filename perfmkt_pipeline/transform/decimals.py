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

Decimal256 division is slow, and the ratios of the marts divide every row six times; so
`divide_round` first tries exact integer long division in int64 on the unscaled values (numpy,
vectorised). It applies only when every intermediate provably fits in int64 (checked on the
column's actual values), and gives the same result as the decimal path, which is used otherwise.
"""

from __future__ import annotations

import numpy as np
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
    """Integer micros (a platform's money in millionths) as exact decimal units: 1,234,567 -> 1.234567."""
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
    fast = _divide_int64(numerator, denominator, type_)
    return fast if fast is not None else _divide_decimal(numerator, denominator, type_)


_INT64_MAX = np.iinfo(np.int64).max


def _unscaled(values: ArrayLike) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(unscaled values as int64, validity, scale) of an integer or decimal128 column; None
    when a value does not fit in int64 or the type is another."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    type_ = array.type
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    if pa.types.is_integer(type_):
        if pa.types.is_uint64(type_) and len(array) and (pc.max(array).as_py() or 0) > _INT64_MAX:
            return None
        ints = array.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        return ints, valid, 0
    if not pa.types.is_decimal128(type_):
        return None
    if len(array) == 0:
        return np.zeros(0, np.int64), valid, type_.scale
    # Each value is 16 bytes, little-endian two's complement: it fits in int64 exactly when the
    # high word is the sign extension of the low word.
    words = np.frombuffer(array.buffers()[1], dtype=np.int64)
    words = words[2 * array.offset : 2 * (array.offset + len(array))]
    low, high = words[0::2], words[1::2]
    if not np.all((high == (low >> 63)) | ~valid):
        return None
    return np.where(valid, low, 0), valid, type_.scale


def _from_int64(unscaled: np.ndarray, valid: np.ndarray, type_: pa.Decimal128Type) -> pa.Array:
    """A decimal128 column of `type_` from unscaled int64 values (NULL where not valid)."""
    words = np.empty(2 * len(unscaled), np.int64)
    words[0::2] = unscaled
    words[1::2] = unscaled >> 63
    validity = pa.array(valid, pa.bool_()).buffers()[1] if not valid.all() else None
    return pa.Array.from_buffers(type_, len(unscaled), [validity, pa.py_buffer(words)])


def _digits_that_fit(largest: int) -> int:
    """How many decimal digits a value below `largest` can be shifted left within int64."""
    digits = 0
    while largest * 10 ** (digits + 1) <= _INT64_MAX:
        digits += 1
    return digits


def _divide_int64(
    numerator: ArrayLike, denominator: ArrayLike, type_: pa.Decimal128Type
) -> pa.Array | None:
    """`divide_round` by exact int64 long division, or None when it does not apply."""
    num, den = _unscaled(numerator), _unscaled(denominator)
    if num is None or den is None:
        return None
    (n, n_valid, n_scale), (d, d_valid, d_scale) = num, den
    # result (unscaled at type_.scale) = n x 10^shift / d, rounded half-even
    shift = type_.scale + d_scale - n_scale
    if not 0 <= shift <= 18:
        return None
    valid = n_valid & d_valid & (d != 0)
    n, d = np.where(valid, n, 0), np.where(valid, d, 1)
    if np.any(n == np.iinfo(np.int64).min) or np.any(d == np.iinfo(np.int64).min):
        return None
    negative = (n < 0) ^ (d < 0)
    a, b = np.abs(n), np.abs(d)
    largest = int(b.max()) if len(b) else 1
    quotient, rest = np.divmod(a, b)
    # Long division, as many digits at a time as keep remainder x 10^digits within int64.
    left = shift
    while left:
        step = min(left, _digits_that_fit(largest))
        if step == 0:
            return None
        power = 10**step
        if len(quotient) and int(quotient.max()) > (_INT64_MAX - power) // power:
            return None
        digits, rest = np.divmod(rest * power, b)
        quotient = quotient * power + digits
        left -= step
    # Half-even on the exact remainder: compare rest with b - rest (no overflow: rest < b).
    above = rest - (b - rest)
    quotient += (above > 0) | ((above == 0) & (quotient % 2 == 1))
    if type_.precision < 19 and len(quotient) and quotient.max() >= 10**type_.precision:
        return None  # the decimal path raises, naming the overflow
    return _from_int64(np.where(negative, -quotient, quotient), valid, type_)


def _divide_decimal(
    numerator: ArrayLike, denominator: ArrayLike, type_: pa.Decimal128Type
) -> ArrayLike:
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
