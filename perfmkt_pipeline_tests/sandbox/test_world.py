"""The sandbox world: determinism, plausibility, restatement windows and ground truth."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from perfmkt_pipeline.platforms.cj.standin import data as cj_data
from perfmkt_pipeline.platforms.ecb.standin import sandbox as ecb_sandbox
from perfmkt_pipeline.platforms.google_ads.standin import data as google_ads_data
from perfmkt_pipeline.platforms.google_ads.standin.generation import (
    WINDOW_DAYS as GOOGLE_WINDOW_DAYS,
)
from perfmkt_pipeline.platforms.meta.standin import data as meta_data
from perfmkt_pipeline.platforms.meta.standin import sandbox as meta_sandbox
from perfmkt_pipeline.platforms.meta.standin.generation import WINDOW_DAYS as META_WINDOW_DAYS
from perfmkt_pipeline.sandbox import generation
from perfmkt_pipeline.sandbox.restatement import AFFILIATE_WINDOW_DAYS
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.sandbox.world import World

AS_OF = date(2024, 6, 1)
GOOGLE_US, GOOGLE_JP = "1234567890", "3456789012"
META_US, META_JP = "101000000000001", "101000000000003"


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldSpec.small(), as_of=AS_OF)


def _snapshot(world: World, start: date, end: date) -> dict:
    impact = world.accounts("impact")[0].account_id
    return {
        "google": google_ads_data.campaign_days(world, GOOGLE_US, start, end),
        "google_actions": google_ads_data.conversion_action_days(world, GOOGLE_JP, start, end),
        "meta": meta_data.ad_days(world, META_JP, start, end),
        "impact": world.affiliate_actions("impact", impact, start, end),
        "ecb": ecb_sandbox.history_csv(world),
    }


def test_same_seed_and_as_of_give_identical_data_whatever_the_call_order():
    generation.clear_caches()
    first = _snapshot(World(WorldSpec.small(), as_of=AS_OF), date(2024, 5, 1), date(2024, 5, 10))
    generation.clear_caches()
    other = World(WorldSpec.small(), as_of=AS_OF)
    # Touch later days and other accounts first: values must not depend on what ran before.
    meta_data.ad_days(other, META_US, date(2024, 5, 20), date(2024, 5, 31))
    google_ads_data.campaign_days(other, GOOGLE_JP, date(2024, 5, 5), date(2024, 5, 6))
    assert _snapshot(other, date(2024, 5, 1), date(2024, 5, 10)) == first


def test_another_seed_gives_other_numbers():
    a = google_ads_data.campaign_days(
        World(WorldSpec.small(seed=1), as_of=AS_OF), GOOGLE_US, date(2024, 5, 1), date(2024, 5, 1)
    )
    b = google_ads_data.campaign_days(
        World(WorldSpec.small(seed=2), as_of=AS_OF), GOOGLE_US, date(2024, 5, 1), date(2024, 5, 1)
    )
    assert [r.cost_micros for r in a] != [r.cost_micros for r in b]


def test_accounts_span_currencies_and_time_zones_and_discovery_metadata(world):
    every = [a for p in ("google_ads", "meta", "impact", "cj", "awin") for a in world.accounts(p)]
    assert {"USD", "EUR", "GBP", "JPY"} <= {a.currency for a in every}
    assert len({a.timezone for a in every}) >= 5
    listed = google_ads_data.customer_clients(world, "1000000001")
    assert [(a.account_id, a.status, a.is_manager) for a in listed] == [
        ("1234567890", "ENABLED", False),
        ("2345678901", "ENABLED", False),
        ("3456789012", "ENABLED", False),
        ("4567890123", "CANCELED", False),
        ("5678901234", "ENABLED", True),
    ]
    assert [a.account_id for a in world.accounts("google_ads")] == [
        "1234567890",
        "2345678901",
        "3456789012",
    ]
    assert (
        google_ads_data.campaign_days(world, "4567890123", date(2024, 5, 1), date(2024, 5, 31))
        == []
    )
    with pytest.raises(KeyError):
        world.account("meta", "999")


def test_ratios_are_plausible_per_account(world):
    start, end = date(2024, 3, 1), date(2024, 4, 30)
    for platform in ("google_ads", "meta"):
        df = world.ground_truth(platform, start, end, level="account")
        for account_id, g in df.groupby("account_id"):
            impressions, clicks = sum(g.impressions), sum(g.clicks)
            spend, conversions = sum(g.spend), sum(g.conversions)
            value = sum(g.conversion_value)
            assert 0.005 <= clicks / impressions <= 0.05, (platform, account_id)
            assert 0.01 <= float(conversions) / clicks <= 0.10, (platform, account_id)
            assert 0.5 <= value / spend <= 6, (platform, account_id)


def test_jpy_money_has_no_minor_unit_and_served_doubles_have_two_decimals(world):
    rows = google_ads_data.campaign_days(world, GOOGLE_JP, date(2024, 5, 1), date(2024, 5, 31))
    assert rows and all(r.cost_micros % 1_000_000 == 0 for r in rows)
    assert all(r.conversions_value == int(r.conversions_value) for r in rows)
    us = google_ads_data.campaign_days(world, GOOGLE_US, date(2024, 5, 1), date(2024, 5, 31))
    assert any(r.cost_micros % 10_000 for r in us)  # arbitrary micros outside JPY
    for r in us + google_ads_data.conversion_action_days(
        world, GOOGLE_US, date(2024, 5, 1), date(2024, 5, 3)
    ):
        assert Decimal(repr(r.conversions_value)).as_tuple().exponent >= -2
        assert (r.conversions * 2) == int(r.conversions * 2)
    meta_jp = meta_data.ad_days(world, META_JP, date(2024, 5, 1), date(2024, 5, 3))
    assert meta_jp and all(r.spend.as_tuple().exponent == 0 for r in meta_jp)
    meta_us = meta_data.ad_days(world, META_US, date(2024, 5, 1), date(2024, 5, 3))
    assert all(r.spend.as_tuple().exponent == -2 for r in meta_us)


def test_only_days_from_history_start_to_the_day_before_as_of_have_data(world):
    rows = google_ads_data.campaign_days(world, GOOGLE_US, date(2023, 12, 1), date(2024, 12, 31))
    assert min(r.day for r in rows) == date(2024, 1, 1)
    assert max(r.day for r in rows) == AS_OF - timedelta(days=1)
    assert meta_data.ad_days(world, META_US, AS_OF, AS_OF + timedelta(days=5)) == []


def _by_key(rows, key):
    return {key(r): r for r in rows}


@pytest.mark.parametrize(
    ("platform", "window"), [("google_ads", GOOGLE_WINDOW_DAYS), ("meta", META_WINDOW_DAYS)]
)
def test_moving_as_of_changes_only_days_inside_the_restatement_window(platform, window):
    old_as_of, new_as_of = AS_OF, AS_OF + timedelta(days=7)
    start, end = old_as_of - timedelta(days=window + 20), old_as_of - timedelta(days=1)
    old, new, final = (
        World(WorldSpec.small(), as_of=d) for d in (old_as_of, new_as_of, date(2026, 1, 1))
    )
    if platform == "google_ads":
        fetch, ids = (
            (lambda w: google_ads_data.campaign_days(w, GOOGLE_US, start, end)),
            ("campaign_id",),
        )
    else:
        fetch, ids = (lambda w: meta_data.ad_days(w, META_US, start, end)), ("ad_id",)

    def key(r):
        return (r.day, *(getattr(r, i) for i in ids))

    before, after, settled = (_by_key(fetch(w), key) for w in (old, new, final))
    changed_days = {k[0] for k in before if before[k] != after.get(k)} | {
        k[0] for k in after if k not in before
    }
    inside = {d for d in changed_days if (old_as_of - d).days < window}
    assert changed_days == inside  # nothing older than the window moved
    assert len(changed_days) >= 5  # and recent days did move
    for k, row in after.items():
        if k in before:  # spend, impressions and clicks are final from the first report
            fields = ("cost_micros", "impressions", "clicks") if platform == "google_ads" else (
                "spend", "impressions", "clicks")  # fmt: skip
            assert [getattr(row, f) for f in fields] == [getattr(before[k], f) for f in fields]
        if (new_as_of - k[0]).days >= window:  # final days equal what a far later pull sees
            assert row == settled[k]
        elif platform == "google_ads" and k in before:
            assert row.conversions >= before[k].conversions


def test_affiliate_statuses_move_once_from_pending_and_only_inside_45_days():
    old_as_of, new_as_of = AS_OF, AS_OF + timedelta(days=10)
    for platform in ("impact", "cj", "awin"):
        account = World(WorldSpec.small(), as_of=AS_OF).accounts(platform)[0].account_id
        start = old_as_of - timedelta(days=AFFILIATE_WINDOW_DAYS + 30)
        end = old_as_of - timedelta(days=1)
        before = {
            a.action_id: a
            for a in World(WorldSpec.small(), as_of=old_as_of).affiliate_actions(
                platform, account, start, end
            )
        }
        after = {
            a.action_id: a
            for a in World(WorldSpec.small(), as_of=new_as_of).affiliate_actions(
                platform, account, start, end
            )
        }
        assert before.keys() == after.keys()
        changed = {i for i in before if before[i] != after[i]}
        # Exactly the actions decided on a day in [old as_of, new as_of - 1] changed.
        expected = {i for i, a in after.items() if old_as_of <= a.lock_at.date() < new_as_of}
        assert changed == expected and changed
        for i in changed:
            assert before[i].status == "pending" and after[i].status in ("approved", "reversed")
            assert (old_as_of - before[i].event_day).days < AFFILIATE_WINDOW_DAYS
        statuses = {a.status for a in after.values()}
        assert statuses == {"pending", "approved", "reversed"}


def test_cj_reversal_is_a_new_negated_record_tied_by_original_action_id(world):
    from datetime import UTC, datetime

    since, before = datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC)
    records = cj_data.cj_commissions(world, "5551234", since, before)
    corrections = [r for r in records if not r.original]
    assert corrections
    originals = {
        r.original_action_id: r
        for r in cj_data.cj_commissions(world, "5551234", since - timedelta(days=60), before)
        if r.original
    }
    for c in corrections:
        o = originals[c.original_action_id]
        assert (c.sale_amount, c.commission) == (-o.sale_amount, -o.commission)
        assert int(c.commission_id) > int(o.commission_id) and c.posting_date > o.posting_date
    ids = [int(r.commission_id) for r in records]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_affiliate_ground_truth_counts_non_reversed_actions_per_partner_and_day(world):
    start, end = date(2024, 5, 1), date(2024, 5, 31)
    actions = world.ground_truth_affiliate_actions("awin", start, end)
    totals = world.ground_truth("awin", start, end)
    kept = actions[actions.status != "reversed"]
    assert sum(totals.conversions) == len(kept)
    assert sum(totals.spend) == sum(kept.commission)
    assert sum(totals.conversion_value) == sum(kept.sale_amount)
    assert set(actions.status) == {"approved", "reversed", "pending"}
    assert actions.action_id.is_unique


def test_meta_windows_nest_and_default_is_seven_day_click_plus_one_day_view(world):
    rows = meta_data.ad_days(world, META_US, date(2024, 5, 1), date(2024, 5, 31))
    seen = 0
    for r in rows:
        for a in r.actions:
            w = {k: a.window(k) for k in ("1d_click", "7d_click", "28d_click", "1d_view")}
            assert w["1d_click"] <= w["7d_click"] <= w["28d_click"]
            assert a.value == w["7d_click"] + w["1d_view"]
            seen += 1
    assert seen > 100
    df = meta_sandbox.ground_truth_actions(
        world, date(2024, 5, 1), date(2024, 5, 31), level="account"
    )
    purchases = df[
        (df.action_type == "offsite_conversion.fb_pixel_purchase") & (df.window == "value")
    ]
    perf = world.ground_truth("meta", date(2024, 5, 1), date(2024, 5, 31), level="account")
    assert sum(purchases["count"]) == sum(perf.conversions)
    assert sum(purchases["value"]) == sum(perf.conversion_value)
