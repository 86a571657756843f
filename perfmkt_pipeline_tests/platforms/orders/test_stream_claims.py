"""The sandbox shop's orders come from each registered platform's sandbox part
(`SandboxPart.claimed_orders`) and its FX rule from whichever part publishes reference rates: a
part registered beside the built-ins adds its own orders, no shop code names a platform."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from perfmkt_pipeline.platforms.ecb.standin import sandbox as ecb_sandbox
from perfmkt_pipeline.platforms.orders.standin import stream, truth
from perfmkt_pipeline.sandbox import parts
from perfmkt_pipeline.sandbox.claims import moment, money
from perfmkt_pipeline.sandbox.parts import SandboxPart
from perfmkt_pipeline.sandbox.world import World, WorldSpec

DAY = dt.date(2026, 11, 10)
AS_OF = dt.date(2026, 11, 20)
TAGS = ("inhouse", "partner", "spring_sale", None, None)


class _OneOrderADay(SandboxPart):
    """A plug-in's part claiming one order of 12.5 GBP a day, at 09:30 in London."""

    name = "inhouse"

    def claimed_orders(self, world, day, rng):
        placed = moment(day, 9 * 3600 + 1800, "Europe/London")
        yield placed, "GBP", money(12.5, "GBP"), TAGS, None


@pytest.fixture
def with_inhouse(monkeypatch):
    found = dict(parts._parts())
    monkeypatch.setattr(parts, "_parts", lambda: {**found, "inhouse": _OneOrderADay()})
    stream.day_orders.cache_clear()
    yield
    stream.day_orders.cache_clear()


def _day(world):
    first = stream.shop_now(DAY - dt.timedelta(days=1))
    return [o for o in stream.orders_between(world, first, stream.shop_now(DAY + dt.timedelta(2)))]


def test_a_registered_part_adds_its_claimed_orders_to_the_shop(with_inhouse):
    world = World(WorldSpec.small(), as_of=AS_OF)
    ours = [o for o in _day(world) if o.utm == TAGS]
    assert [(o.ordered_at, o.currency, o.total) for o in ours] == [
        (dt.datetime(2026, 11, 9, 9, 30, tzinfo=dt.UTC), "GBP", Decimal("12.50")),
        (dt.datetime(2026, 11, 10, 9, 30, tzinfo=dt.UTC), "GBP", Decimal("12.50")),
        (dt.datetime(2026, 11, 11, 9, 30, tzinfo=dt.UTC), "GBP", Decimal("12.50")),
    ]
    assert ours[0].landing_page.startswith("https://shop.example/products?") and ours[
        0
    ].landing_page.lower().endswith("utm_medium=partner&utm_campaign=spring_sale")


def test_the_built_in_parts_claim_orders_tagged_as_their_ads_and_networks_are():
    stream.day_orders.cache_clear()
    world = World(WorldSpec.small(), as_of=AS_OF)
    sources = {o.utm[0] for o in _day(world)}
    # Google Ads' and Meta's tags, the networks' names, the shop's organic sources, untagged.
    assert sources == {
        "google",
        "facebook",
        "impact",
        "cj",
        "awin",
        "newsletter",
        "instagram",
        None,
    }


def test_the_fx_rule_reads_the_registered_rates_source():
    world = World(WorldSpec.small(), as_of=AS_OF)
    start, end = DAY - dt.timedelta(days=10), DAY
    assert parts.reference_rates(world, start, end) == ecb_sandbox.rates(world, start, end)
    eur_per_jpy = 1 / ecb_sandbox.rates(world, DAY, DAY)[DAY]["JPY"]
    assert truth.fx_rate(world, "JPY", DAY, "EUR") == eur_per_jpy.quantize(Decimal("1e-12"))


def test_without_a_rates_source_the_fx_rule_is_an_error_that_says_so(monkeypatch):
    found = {
        k: v
        for k, v in parts._parts().items()
        if v.reference_rates.__func__ is SandboxPart.reference_rates
    }
    monkeypatch.setattr(parts, "_parts", lambda: found)
    world = World(WorldSpec.small(), as_of=AS_OF)
    with pytest.raises(
        LookupError, match="no registered platform's sandbox part publishes reference rates"
    ):
        truth.fx_rate(world, "JPY", DAY, "EUR")
