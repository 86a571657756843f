"""ECB reference rates of the sandbox world: business days, the published CSV shape, currencies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from perfmkt_pipeline.platforms.ecb.standin import sandbox as ecb_sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.sandbox.world import World

AS_OF = date(2025, 1, 3)


def test_fixes_exist_on_target_business_days_only():
    rates = ecb_sandbox.rates(
        World(WorldSpec.small(), as_of=AS_OF), date(2024, 3, 25), date(2024, 12, 31)
    )
    closed = {
        date(2024, 3, 29),  # Good Friday
        date(2024, 4, 1),  # Easter Monday
        date(2024, 5, 1),
        date(2024, 12, 25),
        date(2024, 12, 26),
    }
    assert not closed & rates.keys()
    assert all(d.weekday() < 5 for d in rates)
    assert {
        date(2024, 3, 28),
        date(2024, 4, 2),
        date(2024, 12, 24),
        date(2024, 12, 27),
    } <= rates.keys()


def test_csv_is_published_newest_first_with_na_and_trailing_comma():
    world = World(WorldSpec.small(), as_of=AS_OF)
    lines = ecb_sandbox.history_csv(world).splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["Date", "USD", "JPY"] and header[-1] == ""
    # Newest first; the last fix before as_of (2025-01-01 is a TARGET holiday).
    assert lines[1].startswith("2025-01-02,")
    assert lines[-1].startswith("2023-12-18,")  # 14 days before history_start, a Monday
    days = [line.split(",")[0] for line in lines[1:]]
    assert days == sorted(days, reverse=True)
    row = dict(zip(header, lines[1].split(","), strict=True))
    assert row["RUB"] == "N/A" and row["HRK"] == "N/A"
    rates = ecb_sandbox.rates(world, date(2025, 1, 2), date(2025, 1, 2))[date(2025, 1, 2)]
    assert Decimal(row["USD"]) == rates["USD"] and Decimal(row["GBP"]) == rates["GBP"]


def test_every_account_currency_has_a_plausible_rate():
    for spec in (WorldSpec.small(), WorldSpec.benchmark()):
        world = World(spec, as_of=AS_OF)
        currencies = {a.currency for p in world.spec.names for a in world.accounts(p)} - {"EUR"}
        for fix in ecb_sandbox.rates(world, date(2024, 1, 1), date(2024, 12, 31)).values():
            assert all(fix[c] is not None for c in currencies)
            assert Decimal("0.9") < fix["USD"] < Decimal("1.3")
            assert Decimal("130") < fix["JPY"] < Decimal("190")
            assert Decimal("0.75") < fix["GBP"] < Decimal("0.95")
