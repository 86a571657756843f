"""Affiliate read windows end to end (sandbox -> raw -> core, DuckDB and PostgreSQL), for every
network and a file feed:

- a week backfilled months after the fact lands its days exactly as the networks now state them
  (decided actions included), in raw and in core;
- an action still pending at one daily sync and decided before the next is seen by the next,
  and core shows its new state, also where impact.com decides 50 days after the sale (its
  usual locking periods run to about 89 days).

The file feed is the sandbox's Awin account exported as CSV (its latest state per action, with the
time of its last change), so its ground truth is the sandbox's too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, materialize

from perfmkt_pipeline.config import Settings, parse_settings
from perfmkt_pipeline.defs.assets.core import build_core_assets
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.platforms.base.affiliates import tables as affiliate_tables
from perfmkt_pipeline.platforms.base.affiliates.records import sync_window
from perfmkt_pipeline.platforms.cj.standin import data as cj_data
from perfmkt_pipeline.sandbox.affiliate_data import AffiliateAction
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.world import World
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline_tests.chaos_support import rows
from perfmkt_pipeline_tests.defs.affiliate_assets_support import (
    affiliate_resources,
    build_affiliate_assets,
    build_fx_assets,
)
from perfmkt_pipeline_tests.defs.affiliates_support import serve_world
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox, sandbox_env  # noqa: F401

FEED = "rakuten"
NETWORKS = ("impact", "cj", "awin")
PLATFORMS = (*NETWORKS, FEED)
WEEK = (dt.date(2026, 10, 1), dt.date(2026, 10, 7))
MONTHS_LATER = dt.date(2027, 3, 1)
# The feed's words for the sandbox's statuses (Awin's account, exported).
FEED_WORDS = {"pending": "Pending", "approved": "Approved", "reversed": "Reversed"}
AWIN_WORDS = {"pending": "pending", "approved": "approved", "reversed": "declined"}
FEED_HEADER = (
    "Order ID,Transaction Date,Status,Publisher ID,Publisher Name,Sales,Commission,Updated"
)
# The feed's export covers event days from here on (enough for every window read below).
FEED_SINCE = dt.date(2026, 6, 1)


def settings_for(box: Sandbox, feed_folder: Path) -> Settings:
    ids = box.account_ids()
    return parse_settings(
        {
            "start_date": "2026-01-01",
            "impact": {
                "account_ids": ids["impact"],
                "timezone": box.world.accounts("impact")[0].timezone,
                "program_ids": {sid: [p] for sid, p in box.program_ids("impact").items()},
            },
            "cj": {"account_ids": ids["cj"], "currency": "EUR"},
            # The sandbox enforces no per-minute limit here: pace fast so tests do not wait.
            "awin": {"account_ids": ids["awin"], "calls_per_minute": 60000},
            "file_feeds": [
                {
                    "name": FEED,
                    "location": str(feed_folder),
                    "currency": box.world.accounts("awin")[0].currency,
                    "updated_at_format": "%Y-%m-%dT%H:%M:%S%z",
                    "columns": {
                        "action_id": "Order ID",
                        "event_date": "Transaction Date",
                        "status": "Status",
                        "partner_id": "Publisher ID",
                        "partner_name": "Publisher Name",
                        "sale_amount": "Sales",
                        "commission": "Commission",
                        "updated_at": "Updated",
                    },
                    "status_map": {word: status for status, word in FEED_WORDS.items()},
                    "account_id": "rk-001",
                }
            ],
        },
        environ=box.env(),
    )


def export_feed(box: Sandbox, folder: Path) -> None:
    """The network's CSV export as of the sandbox's today: every action in its latest state."""
    truth = box.world.ground_truth_affiliate_actions("awin", FEED_SINCE, None)
    lines = [
        f"{t.action_id},{t.event_date},{FEED_WORDS[t.status]},{t.partner_id},{t.partner_name},"
        f"{t.sale_amount},{t.commission},{t.updated_at.isoformat()}"
        for t in truth.itertuples()
    ]
    (folder / "export.csv").write_text("\n".join([FEED_HEADER, *lines]) + "\n")


def run(box: Sandbox, url: str, feed_folder: Path, **kwargs) -> None:
    """FX, every affiliate source and core, in one run."""
    settings = settings_for(box, feed_folder)
    assets = [
        *build_fx_assets(settings, "duckdb"),
        *build_affiliate_assets(settings, "duckdb"),
        *build_core_assets(settings, "duckdb"),
    ]
    result = materialize(
        assets,
        resources={"warehouse": WarehouseResource(url=url), **affiliate_resources(settings)},
        instance=DagsterInstance.ephemeral(),
        **kwargs,
    )
    assert result.success


def lookbacks(box: Sandbox, tmp_path: Path) -> dict[str, int]:
    settings = settings_for(box, tmp_path)
    return {
        **{name: getattr(settings, name).lookback_days for name in NETWORKS},
        FEED: settings.file_feeds[0].lookback_days,
    }


# -- what the networks state now, in the shape of the warehouse ---------------------------------


def truth_actions(box: Sandbox, platform: str, first: dt.date, last: dt.date) -> set[tuple]:
    """(platform, action id, event day, status, partner, sale, commission) of every action of
    an event day in [first, last], in its state as of the sandbox's today."""
    network = "awin" if platform == FEED else platform
    truth = box.world.ground_truth_affiliate_actions(network, first, last)
    return {
        (platform, t.action_id, t.event_date, t.status, t.partner_id, t.sale_amount, t.commission)
        for t in truth.itertuples()
    }


def truth_days(box: Sandbox, platform: str, first: dt.date, last: dt.date) -> set[tuple]:
    """(platform, partner, day, spend, conversions, value) of non-reversed actions."""
    network = "awin" if platform == FEED else platform
    truth = box.world.ground_truth(network, first, last)
    return {
        (platform, t.campaign_id, t.day, t.spend, t.conversions, t.conversion_value)
        for t in truth.itertuples()
    }


def truth_raw(box: Sandbox, platform: str, first: dt.date, last: dt.date) -> set[tuple]:
    """(record id, action id, window day, status word, sale, commission) as each network serves
    the records of events on a day in [first, last]."""
    if platform == "cj":
        (account,) = box.account_ids()["cj"]
        since, before = (dt.datetime.combine(d, dt.time(), dt.UTC) for d in (first, last))
        return {
            (c.commission_id, c.original_action_id, c.event_date.date(), c.action_status,
             c.sale_amount, c.commission)
            for c in cj_data.cj_commissions(box.world,
                account, since, before + dt.timedelta(days=1), by="event"
            )
        }  # fmt: skip
    words = {"impact": str.upper, "awin": AWIN_WORDS.get, FEED: FEED_WORDS.get}[platform]
    return {
        (action_id, action_id, day, words(status), sale, commission)
        for _, action_id, day, status, _, sale, commission in truth_actions(
            box, platform, first, last
        )
    }


# -- what the warehouse holds -------------------------------------------------------------------


def _money(value: Any) -> Any:
    return Decimal(value).normalize() if value is not None else None


def landed_raw(url: str, platform: str, first: dt.date, last: dt.date) -> set[tuple]:
    found = [
        r
        for r in rows(url, affiliate_tables.affiliate_actions)
        if r["platform"] == platform and first <= r["event_date"] <= last
    ]
    assert all(r["window_date"] == r["event_date"] for r in found)
    return {
        (r["record_id"], r["action_id"], r["event_date"], r["status"], _money(r["sale_amount"]),
         _money(r["commission"]))
        for r in found
    }  # fmt: skip


def landed_actions(url: str, platform: str, first: dt.date, last: dt.date) -> set[tuple]:
    return {
        (r["platform"], r["action_id"], r["event_date"], r["status"], r["campaign_id"],
         _money(r["sale_amount_local"]), _money(r["commission_local"]))
        for r in rows(url, tables.affiliate_actions)
        if r["platform"] == platform and first <= r["event_date"] <= last
    }  # fmt: skip


def landed_days(url: str, platform: str, first: dt.date, last: dt.date) -> set[tuple]:
    return {
        (r["platform"], r["campaign_id"], r["date"], _money(r["spend_local"]),
         _money(r["conversions"]), _money(r["conversion_value_local"]))
        for r in rows(url, tables.ad_performance_daily)
        if r["platform"] == platform and first <= r["date"] <= last
    }  # fmt: skip


def normalised(found: set[tuple]) -> set[tuple]:
    return {tuple(_money(v) if isinstance(v, Decimal) else v for v in row) for row in found}


# -- the tests ----------------------------------------------------------------------------------


def test_a_week_backfilled_months_later_lands_every_network_as_it_stands_in_raw_and_core(
    sandbox,  # noqa: F811
    monkeypatch,
    warehouse_url,
    tmp_path,
):
    box = sandbox(google_ads=False, as_of=MONTHS_LATER)
    sandbox_env(monkeypatch, box)
    export_feed(box, tmp_path)
    start, end = WEEK

    run(
        box,
        warehouse_url,
        tmp_path,
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        },
    )

    counts = {}
    for platform, lookback in lookbacks(box, tmp_path).items():
        # The week itself, and every day its run re-read (the lookback before its end).
        for first, last in (WEEK, sync_window(start, end, lookback)):
            expected = normalised(truth_actions(box, platform, first, last))
            assert landed_actions(warehouse_url, platform, first, last) == expected, platform
            assert landed_raw(warehouse_url, platform, first, last) == normalised(
                truth_raw(box, platform, first, last)
            ), platform
            assert landed_days(warehouse_url, platform, first, last) == normalised(
                truth_days(box, platform, first, last)
            ), platform
        week = truth_actions(box, platform, *WEEK)
        counts[platform] = (len(week), sum(1 for a in week if a[3] == "reversed"))
    # Every action of the week was decided long ago; some were reversed.
    assert counts == {"impact": (92, 12), "cj": (73, 11), "awin": (81, 14), FEED: (81, 14)}


def _one_decided_between(box: Sandbox, platform: str, before: dt.date, after: dt.date) -> tuple:
    """The first action (by id) of the last 45 event days before `before` that is pending on
    `before` and decided on `after`: (its row then, its row after, how many such actions)."""
    first, last = sync_window(before - dt.timedelta(days=1), before - dt.timedelta(days=1), 45)
    earlier = {a[1]: a for a in truth_actions(box, platform, first, last)}
    box.world.as_of = after
    later = {a[1]: a for a in truth_actions(box, platform, first, last)}
    box.world.as_of = before
    decided = sorted(
        later[i] for i, a in earlier.items() if a[3] == "pending" and later[i][3] != "pending"
    )
    return earlier[decided[0][1]], decided[0], len(decided)


def test_an_action_decided_after_one_daily_sync_is_seen_by_the_next_and_core_shows_it(
    sandbox,  # noqa: F811
    monkeypatch,
    warehouse_url,
    tmp_path,
):
    first_day, next_day = dt.date(2026, 11, 20), dt.date(2026, 11, 21)
    box = sandbox(google_ads=False, as_of=first_day)
    sandbox_env(monkeypatch, box)
    stories = {p: _one_decided_between(box, p, first_day, next_day) for p in PLATFORMS}
    # The actions the test follows, each decided on 11-20 (so first seen decided on 11-21):
    # (action id, event day, partner, sale, commission), status on 11-20 and on 11-21.
    D, day = Decimal, dt.date
    assert {p: (s[0][1:3] + s[0][4:], s[0][3], s[1][3]) for p, s in stories.items()} == {
        "impact": (("12345.9777.15", day(2026, 10, 8), "100148", D("65.31"), D("6.56")),
                   "pending", "approved"),
        "cj": (("3977800001", day(2026, 10, 9), "4000037", D("62.07"), D("8.63")),
               "pending", "approved"),
        "awin": (("977600011", day(2026, 10, 7), "200185", D("23.91"), D("1.65")),
                 "pending", "reversed"),
        FEED: (("977600011", day(2026, 10, 7), "200185", D("23.91"), D("1.65")),
               "pending", "reversed"),
    }  # fmt: skip
    landed: dict[str, list[set[tuple]]] = {p: [] for p in PLATFORMS}
    for as_of in (first_day, next_day):
        box.world.as_of = as_of
        export_feed(box, tmp_path)
        # The daily sync's run for day D covers D - 1 and re-reads each source's lookback.
        run(box, warehouse_url, tmp_path, partition_key=(as_of - dt.timedelta(days=1)).isoformat())
        for platform, (pending, _, _) in stories.items():
            landed[platform].append(landed_actions(warehouse_url, platform, *[pending[2]] * 2))

    for platform, (pending, decided, _) in stories.items():
        day = pending[2]
        assert {r for r in landed[platform][0] if r[1] == pending[1]} == normalised({pending})
        assert {r for r in landed[platform][1] if r[1] == pending[1]} == normalised({decided})
        # The whole day as it stands on the second day, and its totals.
        assert landed[platform][1] == normalised(truth_actions(box, platform, day, day))
        assert landed_days(warehouse_url, platform, day, day) == normalised(
            truth_days(box, platform, day, day)
        )


# -- a realistic locking period -------------------------------------------------------------------

# impact.com's example terms, "locked 0 months and 27 days after the end of the month": a sale on
# 2026-10-01 locks on 2026-11-27, 57 days later. The brand reverses it on 2026-11-20 (day 50),
# before the lock; its LockingDate stays 11-27.
SALE_AT = dt.datetime(2026, 10, 1, 14, 0, tzinfo=dt.UTC)
REVERSED_AT = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
LOCKS_AT = dt.datetime(2026, 11, 28, 4, 59, 59, tzinfo=dt.UTC)  # 11-27 23:59:59 in New York


class LateLockingWorld(World):
    """The sandbox, but impact.com serves one action only: the sale above."""

    def impact_actions(self, account_id, *, event=None, locking=None, updated=None, as_of=None):
        account = self.account("impact", account_id)
        reversed_ = (as_of or self.as_of) > REVERSED_AT.date()
        action = AffiliateAction(
            platform="impact",
            account_id=account_id,
            action_id="12345.9770.1",
            partner_id="100077",
            partner_name="Coupon Hub",
            order_id="ORD-9770-00001",
            currency=account.currency,
            sale_amount=Decimal("120.00"),
            commission=Decimal("12.00"),
            event_time=SALE_AT,
            created_at=SALE_AT + dt.timedelta(minutes=20),
            updated_at=REVERSED_AT if reversed_ else SALE_AT + dt.timedelta(minutes=20),
            decided_at=REVERSED_AT if reversed_ else None,
            lock_at=LOCKS_AT,
            status="reversed" if reversed_ else "pending",
        )
        # impact.com's date pairs; a state transition does not change the last update.
        pairs = (
            (event, action.event_time),
            (locking, action.lock_at),
            (updated, action.created_at),
        )
        return [action] if all(p is None or p[0] <= t <= p[1] for p, t in pairs) else []


def test_a_reversal_50_days_after_the_sale_reaches_core_with_the_next_daily_sync(
    sandbox,  # noqa: F811
    monkeypatch,
    warehouse_url,
    tmp_path,
):
    box = sandbox(google_ads=False)
    story = serve_world(box, LateLockingWorld(box.world.spec, as_of=box.world.as_of), monkeypatch)
    sandbox_env(monkeypatch, box)
    export_feed(box, tmp_path)
    seen = []
    # The daily syncs of 10-03 (the sale is a day old), 11-20 (reversed that day, not yet
    # reported) and 11-21 (the reversal reported): each covers its day before and the lookback.
    for as_of in (dt.date(2026, 10, 3), dt.date(2026, 11, 20), dt.date(2026, 11, 21)):
        story.as_of = as_of
        run(box, warehouse_url, tmp_path, partition_key=(as_of - dt.timedelta(days=1)).isoformat())
        oct_1 = dt.date(2026, 10, 1)
        seen.append(
            (landed_actions(warehouse_url, "impact", oct_1, oct_1),
             landed_days(warehouse_url, "impact", oct_1, oct_1))
        )  # fmt: skip

    pending = ("impact", "12345.9770.1", dt.date(2026, 10, 1), "pending", "100077")
    reversed_ = ("impact", "12345.9770.1", dt.date(2026, 10, 1), "reversed", "100077")
    amounts = (Decimal("120"), Decimal("12"))
    day = ("impact", "100077", dt.date(2026, 10, 1))
    assert seen == [
        ({(*pending, *amounts)}, {(*day, Decimal("12"), Decimal("1"), Decimal("120"))}),
        ({(*pending, *amounts)}, {(*day, Decimal("12"), Decimal("1"), Decimal("120"))}),
        # Reversed: the partner's only action that day no longer counts, so the day has no row.
        ({(*reversed_, *amounts)}, set()),
    ]
