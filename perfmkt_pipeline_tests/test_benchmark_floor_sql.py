"""The floor benchmark's SQL (benchmarks/floor_sql.py) rounds and reduces exactly as the pipeline
does: if it did not, its marts would differ from the pipeline's and the benchmark would measure
different work. Values worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from benchmarks import floor_sql


@pytest.fixture
def db():
    connection = duckdb.connect()
    connection.execute(floor_sql.RAW_DDL)
    floor_sql.create_macros(connection)
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("numerator", "denominator", "quotient"),
    [
        (5, 2, 2),  # 2.5: a tie goes to the even neighbour
        (7, 2, 4),  # 3.5: to 4
        (-5, 2, -2),
        (-7, 2, -4),
        (7, -2, -4),
        (11, 3, 4),  # 3.67
        (10, 3, 3),  # 3.33
        (1, 0, None),  # no quotient where the denominator is 0
    ],
)
def test_div_even_rounds_half_to_even(db, numerator, denominator, quotient):
    row = db.execute(
        "SELECT div_even(CAST(? AS HUGEINT), CAST(? AS HUGEINT))", [numerator, denominator]
    ).fetchone()
    assert row[0] == quotient


def test_money_and_ratio_round_trip_through_unscaled_integers(db):
    fx = lambda text: f"div_even(u6({text}::DECIMAL(20,6)) * {{}}, 1000000000000)"  # noqa: E731
    row = db.execute(
        # 12.345678 x 0.857142857143 = 10.582009714287...; 0.000005 x 0.5 = 0.0000025 (a tie:
        # to 0.000002); 0.000015 x 0.5 = 0.0000075 (to 0.000008); 2 / 3 at 10 places.
        f"SELECT d6({fx('12.345678').format(857142857143)}), "
        f"d6({fx('0.000005').format(500000000000)}), d6({fx('0.000015').format(500000000000)}), "
        "d10(div_even(CAST(2 AS HUGEINT) * 10000000000, 3)), d12(1000000000000)"
    ).fetchone()
    assert row == (
        Decimal("10.582010"),
        Decimal("0.000002"),
        Decimal("0.000008"),
        Decimal("0.6666666667"),
        Decimal("1.000000000000"),
    )


def _action(platform, record_id, action_id, updated, status, sale, commission, correction):
    return (
        platform, "acct", dt.date(2026, 10, 1), record_id, action_id, dt.date(2026, 9, 30),
        dt.datetime(2026, 10, 1, updated, tzinfo=dt.UTC), status, "sale", "p1", "Partner",
        "EUR" if platform == "cj" else None, sale, commission, "{}",
        dt.datetime(2026, 11, 1, tzinfo=dt.UTC), correction,
    )  # fmt: skip


def test_latest_actions_settles_cj_corrections_and_keeps_the_latest_version(db):
    rows = [
        # CJ action A: a sale, then a correction that takes all of it back -> reversed, keeping
        # the amounts reversed (the negated correction).
        _action("cj", "a1", "A", 1, "new", "100", "10", False),
        _action("cj", "a2", "A", 2, "new", "-100", "-10", True),
        # CJ action B: the original read twice (new, then locked) and a partial correction ->
        # approved, 50 + 10 and 5 + 1.
        _action("cj", "b1", "B", 1, "new", "50", "5", False),
        _action("cj", "b1", "B", 3, "locked", "50", "5", False),
        _action("cj", "b2", "B", 2, "new", "10", "1", True),
        # CJ action C: a correction whose original is not loaded -> left out.
        _action("cj", "c2", "C", 2, "new", "-3", "-1", True),
        # impact.com action D: its record read pending, then approved with new amounts.
        _action("impact", "D", "D", 1, "PENDING", "20", "2", False),
        _action("impact", "D", "D", 4, "APPROVED", "25", "3", False),
    ]
    placeholders = ", ".join(["?"] * len(rows[0]))
    db.executemany(f"INSERT INTO raw.affiliate_actions VALUES ({placeholders})", rows)
    floor_sql.latest_actions(db, {"cj": "EUR", "impact": "USD"})
    got = db.execute(
        "SELECT platform, action_id, status, currency, sale_amount_local, commission_local, "
        "source_updated_at FROM latest_actions ORDER BY platform, action_id"
    ).fetchall()
    at = lambda hour: dt.datetime(2026, 10, 1, hour, tzinfo=dt.UTC)  # noqa: E731
    assert got == [
        ("cj", "A", "reversed", "EUR", Decimal("100"), Decimal("10"), at(2)),
        ("cj", "B", "approved", "EUR", Decimal("60"), Decimal("6"), at(3)),
        ("impact", "D", "approved", "USD", Decimal("25"), Decimal("3"), at(4)),
    ]
