"""Helpers for the affiliate asset tests: settings pointing at a sandbox, a scripted world whose
one action per network goes pending -> approved -> reversed, and raw rows read back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from perfmkt_pipeline.config import Settings, parse_settings
from perfmkt_pipeline.platforms.awin.standin import data as awin_data
from perfmkt_pipeline.platforms.base.affiliates import tables as affiliate_tables
from perfmkt_pipeline.platforms.cj.standin import data as cj_data
from perfmkt_pipeline.platforms.cj.standin.data import CjCommission
from perfmkt_pipeline.platforms.impact.standin import data as impact_data
from perfmkt_pipeline.sandbox.affiliate_data import AffiliateAction
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.world import World
from perfmkt_pipeline.warehouse.engine import Warehouse

IMPACT_SID = "IRsbxAcme0000000000000000000000001"
CJ_ACCOUNT, AWIN_ACCOUNT = "5551234", "45678"
FEED = "rakuten"
FEED_STATUSES = {"Pending": "pending", "Approved": "approved", "Reversed": "reversed"}
FEED_HEADER = (
    "Order ID,Transaction Date,Status,Publisher ID,Publisher Name,Sales,Commission,Updated"
)


def settings_for(box: Sandbox, feed_folder: Path | None = None) -> Settings:
    """Every network of the sandbox, plus a file feed when a folder is given."""
    feeds = []
    if feed_folder is not None:
        feeds.append(
            {
                "name": FEED,
                "location": str(feed_folder),
                "currency": "USD",
                "updated_at_format": "%Y-%m-%d %H:%M",
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
                "status_map": FEED_STATUSES,
                "account_id": "rk-001",
            }
        )
    return parse_settings(
        {
            "start_date": "2026-01-01",
            "endpoints": {name: box.url(name) for name in ("impact", "cj", "awin")},
            "impact": {
                "account_ids": [IMPACT_SID],
                "timezone": "America/New_York",
                "program_ids": {IMPACT_SID: ["12345"]},
            },
            "cj": {"account_ids": [CJ_ACCOUNT], "currency": "EUR"},
            # The sandbox enforces no per-minute limit here: pace fast so tests do not wait.
            "awin": {"account_ids": [AWIN_ACCOUNT], "calls_per_minute": 6000},
            "file_feeds": feeds,
        },
        environ={},
    )


def raw_rows(url: str, platform: str | None = None) -> pd.DataFrame:
    table = affiliate_tables.affiliate_actions
    query = sa.select(table)
    if platform is not None:
        query = query.where(table.c.platform == platform)
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            rows = conn.execute(query).all()
    finally:
        warehouse.dispose()
    frame = pd.DataFrame(rows, columns=[c.name for c in table.c])
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    return frame


# -- a scripted story: one action per network, pending -> approved -> reversed ------------------

UTC = dt.UTC
EVENT = dt.datetime(2026, 10, 1, 14, 0, tzinfo=UTC)
CREATED = EVENT + dt.timedelta(minutes=20)
APPROVED = dt.datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
REVERSED = dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# As-of dates of the three pulls: pending, approved, reversed.
PULLS = (dt.date(2026, 10, 3), dt.date(2026, 10, 20), dt.date(2026, 11, 5))
SALE, COMMISSION = Decimal("120.00"), Decimal("12.00")
ACTION_IDS = {"impact": "12345.9770.1", "cj": "3977000001", "awin": "977000001", FEED: "RK-1"}
ACCOUNTS = {"impact": IMPACT_SID, "cj": CJ_ACCOUNT, "awin": AWIN_ACCOUNT}


def story_status(as_of: dt.date) -> tuple[str, dt.datetime | None]:
    """(status, decided_at) of the story's action as of a day."""
    if as_of > REVERSED.date():
        return "reversed", REVERSED
    if as_of > APPROVED.date():
        return "approved", APPROVED
    return "pending", None


def feed_row(as_of: dt.date) -> str:
    status, decided = story_status(as_of)
    updated = (decided or CREATED).strftime("%Y-%m-%d %H:%M")
    return f"RK-1,2026-10-01,{status.title()},77,Coupon Hub,{SALE},{COMMISSION},{updated}"


class StoryWorld(World):
    """Serves, per network, only the story's action, in its state as of the asked date."""

    def _story(self, platform: str, as_of: dt.date) -> AffiliateAction:
        account = self.account(platform, ACCOUNTS[platform])
        zone = ZoneInfo(account.timezone)
        status, decided = story_status(as_of)
        return AffiliateAction(
            platform=platform,
            account_id=account.account_id,
            action_id=ACTION_IDS[platform],
            partner_id="200077",
            partner_name="Coupon Hub",
            order_id="ORD-STORY-1",
            currency=account.currency,
            sale_amount=SALE,
            commission=COMMISSION,
            event_time=EVENT.astimezone(zone),
            created_at=CREATED.astimezone(zone),
            updated_at=(decided or CREATED).astimezone(zone),
            decided_at=decided.astimezone(zone) if decided else None,
            lock_at=(decided or APPROVED).astimezone(zone),
            status=status,
        )

    def impact_actions(self, account_id, *, event=None, locking=None, updated=None, as_of=None):
        action = self._story("impact", as_of or self.as_of)
        # impact.com's date pairs; its last update is its creation (transitions are not updates).
        pairs = (
            (event, action.event_time),
            (locking, action.lock_at),
            (updated, action.created_at),
        )
        return [action] if all(p is None or p[0] <= t <= p[1] for p, t in pairs) else []

    def awin_transactions(self, account_id, start, end, date_type="transaction", *, as_of=None):
        action = self._story("awin", as_of or self.as_of)
        return [action] if date_type == "transaction" and start <= action.event_time <= end else []

    def cj_commissions(self, account_id, since, before, *, by="posting", as_of=None):
        action = self._story("cj", as_of or self.as_of)
        common = dict(
            account_id=account_id,
            original_action_id=action.action_id,
            action_status="new" if action.status == "pending" else "locked",
            action_type="sale",
            publisher_id=action.partner_id,
            publisher_name=action.partner_name,
            order_id=action.order_id,
            event_date=EVENT,
            currency="EUR",
        )
        records = [
            CjCommission(
                commission_id="97700000001",
                original=True,
                posting_date=CREATED,
                sale_amount=SALE,
                commission=COMMISSION,
                **common,
            )
        ]
        if action.status == "reversed":
            records.append(
                CjCommission(
                    commission_id="98200000001",
                    original=False,
                    posting_date=REVERSED,
                    sale_amount=-SALE,
                    commission=-COMMISSION,
                    **common,
                )
            )
        return [
            r
            for r in records
            if since <= (r.posting_date if by == "posting" else r.event_date) < before
        ]


def tell_story(box: Sandbox, monkeypatch) -> StoryWorld:
    """Make every stand-in of `box` serve the story instead of the generated data."""
    return serve_world(box, StoryWorld(box.world.spec, as_of=box.world.as_of), monkeypatch)


def serve_world(box: Sandbox, world: World, monkeypatch) -> World:
    """Make every stand-in of `box` serve `world`, a World whose methods named after a
    network's data functions (`impact_actions`, `awin_transactions`, `cj_commissions`) answer
    instead of them: each network's stand-in reads the world through its data module."""
    box.world = world
    for app in box.apps.values():
        app.world = world
    for module, name in (
        (impact_data, "impact_actions"),
        (awin_data, "awin_transactions"),
        (cj_data, "cj_commissions"),
    ):
        if not hasattr(world, name):
            continue
        served = getattr(module, name)

        def serve(asked, *args, _served=served, _name=name, **kwargs):
            if asked is world:
                return getattr(world, _name)(*args, **kwargs)
            return _served(asked, *args, **kwargs)

        monkeypatch.setattr(module, name, serve)
    return world
