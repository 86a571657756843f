"""Exact decimal arithmetic on Arrow columns: half-even rounding, ties, NULL on zero."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pyarrow as pa

from perfmkt_pipeline.transform.decimals import (
    _divide_decimal,
    _divide_int64,
    divide_round,
    micros_to_units,
    multiply_round,
)

D = Decimal
MONEY = pa.decimal128(20, 6)


def _dec(values, type_=MONEY):
    return pa.array([None if v is None else D(v) for v in values], type_)


def test_divide_rounds_exact_ties_to_even_and_near_ties_away():
    numerators = _dec(["0.125", "0.375", "0.125001", "-0.125", "-0.375", "0.124999"])
    denominators = _dec(["1", "1", "1", "1", "1", "1"])
    result = divide_round(numerators, denominators, pa.decimal128(10, 2)).to_pylist()
    # 0.125 -> 0.12 and 0.375 -> 0.38 (to even); 0.125001 is above the tie -> 0.13;
    # negative ties go to even as well; 0.124999 is below -> 0.12.
    assert result == [D("0.12"), D("0.38"), D("0.13"), D("-0.12"), D("-0.38"), D("0.12")]


def test_divide_is_null_on_zero_or_null_denominator_or_null_numerator():
    result = divide_round(
        _dec(["1", "1", None, "0"]), pa.array([0, None, 5, 5], pa.int64()), pa.decimal128(28, 10)
    ).to_pylist()
    assert result == [None, None, None, D("0")]


def test_divide_matches_decimal_half_even_on_thousands_of_values():
    rng = random.Random(20261105)
    numerators, denominators = [], []
    for i in range(5000):
        numerators.append(D(rng.randint(-(10**9), 10**9)).scaleb(-6))
        # Every fifth denominator is a power-of-two-ish value, so exact ties occur often.
        if i % 5 == 0:
            denominators.append(D(rng.choice([2, 4, 8, 16, 32, 3, 7])).scaleb(-rng.randint(0, 6)))
        else:
            denominators.append(D(rng.randint(1, 10**8)).scaleb(-6))
    result = divide_round(
        pa.array(numerators, MONEY), pa.array(denominators, MONEY), pa.decimal128(28, 10)
    ).to_pylist()
    with localcontext() as context:
        context.prec = 80
        expected = [
            (n / d).quantize(D("1e-10"), ROUND_HALF_EVEN)
            for n, d in zip(numerators, denominators, strict=True)
        ]
    assert result == expected


def test_the_int64_division_equals_the_decimal_one_and_falls_back_when_values_are_too_wide():
    rng = random.Random(20261107)
    ratio = pa.decimal128(28, 10)
    cases = [
        # (numerators, denominators): money / counts, counts / counts, money / money, ties
        (_dec([D(rng.randint(-(10**12), 10**12)).scaleb(-6) for _ in range(3000)] + [None]),
         pa.array([rng.choice([0, 1, 2, 3, 4, 8, 16, 7, 10**6, rng.randint(1, 10**9)])
                   for _ in range(3000)] + [5], pa.int64())),
        (pa.array([rng.randint(0, 10**6) for _ in range(3000)], pa.int64()),
         pa.array([rng.choice([0, None, 2, 8, rng.randint(1, 10**7)]) for _ in range(3000)],
                  pa.int64())),
        (_dec([D(rng.randint(-(10**10), 10**10)).scaleb(-6) for _ in range(3000)]),
         _dec([D(rng.choice([0, 2, 4, 5, 8, 25, rng.randint(-(10**4), 10**4)])).scaleb(-2)
               for _ in range(3000)])),
    ]  # fmt: skip
    for numerators, denominators in cases:
        fast = _divide_int64(numerators, denominators, ratio)
        assert fast is not None
        assert fast.to_pylist() == _divide_decimal(numerators, denominators, ratio).to_pylist()
    # FX: units per EUR over units per EUR at 12 places (long division in several steps).
    units, rate = pa.decimal128(18, 6), pa.decimal128(24, 12)
    reporting = pa.array([D(rng.randint(1, 2 * 10**11)).scaleb(-6) for _ in range(2000)], units)
    account = pa.array([D(rng.randint(1, 2 * 10**11)).scaleb(-6) for _ in range(2000)], units)
    fast = _divide_int64(reporting, account, rate)
    assert fast is not None
    assert fast.to_pylist() == _divide_decimal(reporting, account, rate).to_pylist()
    # Money at 20 digits: n x 10^10 cannot be done in int64, so the decimal path answers.
    huge = _dec(["12345678901234.123456", "-0.000001"])
    assert _divide_int64(huge, _dec(["3", "7"]), ratio) is None
    assert divide_round(huge, _dec(["3", "7"]), ratio).to_pylist() == [
        D("4115226300411.3744853333"),
        D("-0.0000001429"),
    ]


def test_multiply_rounds_the_exact_product_half_even():
    # 1000.0024 x 0.006875 = 6.8750165: a tie at the 7th place -> 6.875016 (even), not ...017.
    # 1000.0008 x 0.006875 = 6.8750055 -> 6.875006 (the tie goes up to the even digit 6).
    result = multiply_round(
        _dec(["1000.0024", "1000.0008", None]),
        pa.array([D("0.006875")] * 3, pa.decimal128(24, 12)),
        MONEY,
    ).to_pylist()
    assert result == [D("6.875016"), D("6.875006"), None]


def test_micros_become_units_exactly():
    result = micros_to_units(pa.array([1_234_567_890, 5, 0, None], pa.int64()), MONEY).to_pylist()
    assert result == [D("1234.567890"), D("0.000005"), D("0"), None]
