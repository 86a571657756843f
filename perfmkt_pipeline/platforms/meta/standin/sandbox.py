"""Meta's part of the sandbox (sandbox/parts.py): its accounts in each world preset, its rows
for the ground truth (and the ground truth of its actions per window), the fault switches of
its stand-in and the credentials it accepts."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pandas as pd

from perfmkt_pipeline.platforms.meta.standin import data, generation
from perfmkt_pipeline.platforms.meta.standin.generation import META, MetaWorld
from perfmkt_pipeline.sandbox.anomalies import Injection
from perfmkt_pipeline.sandbox.claims import FINAL, moment, money, slug
from perfmkt_pipeline.sandbox.faults import PlatformFaults
from perfmkt_pipeline.sandbox.ground_truth import ZERO, frame
from perfmkt_pipeline.sandbox.parts import SandboxPart
from perfmkt_pipeline.sandbox.spec import SandboxAccount

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.world import World


@dataclass
class MetaFaults(PlatformFaults):
    # Rate-limit error code: 17 (user), 613 (calls), 4 (app), 80000-80014 (business use case).
    rate_limit_code: int = 80000
    # estimated_time_to_regain_access (minutes) in the usage header while limited; keep it 0 in
    # tests so clients do not sleep for real.
    regain_access_minutes: float = 0
    usage_percent: int | None = None  # force call_count/total_time/... in the usage headers
    async_fail_first_n: int = 0  # report runs that end in "Job Failed"
    async_polls_to_complete: int = 2  # status polls before "Job Completed"
    # Polls that read 100% but "Job Running" after the normal progression (fetching then gives
    # 2601/1815107).
    async_stuck_at_100_polls: int = 0
    # Sync insights for a range longer than this many days get code 1 "reduce the amount of data".
    reduce_data_max_days: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._runs_created = 0

    def next_run_fails(self) -> bool:
        """Called once per report run created: True for the first `async_fail_first_n`."""
        with self._lock:
            n = self._runs_created
            self._runs_created += 1
            return n < self.async_fail_first_n


@dataclass
class MetaCredentials:
    access_token: str = "EAAsandboxMetaAccessToken"
    app_secret: str = "sandbox-meta-app-secret"

    def appsecret_proof(self, access_token: str | None = None) -> str:
        """HMAC-SHA256 of the access token keyed by the app secret, as the SDK computes it."""
        token = access_token or self.access_token
        return hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()

    def secrets(self) -> list[str]:
        return [self.access_token, self.app_secret, self.appsecret_proof()]


# Its conversions in the ground truth's performance: purchases at the default attribution
# (7d_click + 1d_view).
PERFORMANCE_ACTION = data.META_PURCHASE
_BENCH_ZONES = (
    ("USD", "America/New_York"),
    ("EUR", "Europe/Berlin"),
    ("GBP", "Europe/London"),
    ("JPY", "Asia/Tokyo"),
    ("AUD", "Australia/Sydney"),
    ("CAD", "America/Toronto"),
    ("SEK", "Europe/Stockholm"),
    ("CHF", "Europe/Zurich"),
    ("USD", "America/Los_Angeles"),
    ("EUR", "Europe/Paris"),
)


def _action(actions, action_type: str) -> Decimal:
    return next((a.value for a in actions if a.action_type == action_type), ZERO)


# Share of the pixel purchases it claims that are the shop's orders (sandbox/claims.py).
REAL_SHARE = 0.45


class MetaPart(SandboxPart):
    name = META
    faults = {META: MetaFaults}
    credentials = MetaCredentials
    injectable = True
    caches = (generation.meta_structure, generation.meta_day_block)

    def world(self, preset: str) -> MetaWorld:
        if preset == "benchmark":  # 10 accounts x 200 ads
            return MetaWorld(
                accounts=tuple(
                    SandboxAccount(META, f"{202000000000001 + i}", f"Bench Meta {i + 1}", cur, tz)
                    for i, (cur, tz) in enumerate(_BENCH_ZONES)
                ),
                campaigns_per_account=10,
                adsets_per_campaign=4,
                ads_per_adset=5,
            )
        return MetaWorld(
            accounts=(
                SandboxAccount(META, "101000000000001", "Acme US Social", "USD",
                               "America/Los_Angeles"),
                SandboxAccount(META, "101000000000002", "Acme UK Social", "GBP", "Europe/London"),
                SandboxAccount(META, "101000000000003", "Acme JP Social", "JPY", "Asia/Tokyo"),
            )
        )  # fmt: skip

    def configuration(self, world):
        return {"account_ids": [a.account_id for a in world.accounts(META)]}

    def campaigns(self, world, account):
        return data.campaigns(world, account)

    def performance(self, world, start, end, as_of):
        """Conversions and value: PERFORMANCE_ACTION at the default window."""
        for acc in world.accounts(META):
            for r in data.ad_days(world, acc.account_id, start, end, as_of=as_of):
                yield (
                    acc,
                    r.campaign_id,
                    r.day,
                    {
                        "spend": r.spend,
                        "impressions": r.impressions,
                        "clicks": r.clicks,
                        "conversions": _action(r.actions, PERFORMANCE_ACTION),
                        "conversion_value": _action(r.action_values, PERFORMANCE_ACTION),
                    },
                )

    def conversions(self, world, start, end, as_of):
        """One per action_type at the default window (value 0 where the type has none)."""
        for acc in world.accounts(META):
            for r in data.ad_days(world, acc.account_id, start, end, as_of=as_of):
                values = {a.action_type: a.value for a in r.action_values}
                for a in r.actions:
                    yield (
                        acc,
                        r.campaign_id,
                        r.day,
                        a.action_type,
                        a.value,
                        values.get(a.action_type, ZERO),
                    )

    def claimed_orders(self, world, day, rng):
        """About REAL_SHARE of each ad's pixel purchases, at their average value, tagged as the
        sandbox ads' url_tags are."""
        for acc in world.accounts(META):
            for row in data.ad_days(world, acc.account_id, day, day, as_of=FINAL):
                purchases = _action(row.actions, data.META_PURCHASE)
                value = _action(row.action_values, data.META_PURCHASE)
                if not purchases:
                    continue
                n = int(rng.binomial(int(purchases), REAL_SHARE))
                tags = ("facebook", "paid_social", slug(row.campaign_name), row.ad_id, None)
                for _ in range(n):
                    placed = moment(day, int(rng.integers(0, 86_400)), acc.timezone)
                    unit = float(value / purchases) * float(rng.lognormal(0.0, 0.2))
                    yield placed, acc.currency, money(unit, acc.currency), tags, None

    def demo_injections(self, as_of: dt.date) -> tuple[Injection, ...]:
        return (
            Injection("pixel_break", META, "101000000000002", as_of - dt.timedelta(8)),
            Injection("stop_reporting", META, "101000000000003", as_of - dt.timedelta(4)),
        )


SANDBOX = MetaPart()


def ground_truth_actions(
    world: World, start: date, end: date, *, as_of: date | None = None, level: str = "campaign"
) -> pd.DataFrame:
    """Meta actions per (account, [campaign, [ad]], day, action_type, window).

    `window` is "value" (the default attribution) or one of 1d_click, 7d_click, 28d_click,
    1d_view; `count` sums `actions`, `value` sums `action_values` (None for types without
    values). Zero windows are absent, as on the wire. level: "ad" | "campaign" | "account".
    """
    as_of = as_of or world.as_of
    if level not in ("ad", "campaign", "account"):
        raise ValueError("level must be 'ad', 'campaign' or 'account'")
    totals: dict[tuple, list] = {}
    for acc in world.accounts(META):
        for r in data.ad_days(world, acc.account_id, start, end, as_of=as_of):
            ids = (
                r.campaign_id if level != "account" else None,
                r.ad_id if level == "ad" else None,
            )
            for kind, entries in ((0, r.actions), (1, r.action_values)):
                for a in entries:
                    for window, v in (("value", a.value), *a.windows):
                        t = totals.setdefault(
                            (acc.account_id, *ids, r.day, a.action_type, window),
                            [ZERO, None, acc.currency],
                        )
                        t[kind] = v if kind == 1 and t[1] is None else t[kind] + v
    rows = [
        {
            "account_id": k[0],
            "campaign_id": k[1],
            "ad_id": k[2],
            "day": k[3],
            "action_type": k[4],
            "window": k[5],
            "currency": v[2],
            "count": v[0],
            "value": v[1],
        }
        for k, v in totals.items()
    ]
    columns = ["account_id", "campaign_id", "ad_id", "day", "action_type", "window", "currency",
               "count", "value"]  # fmt: skip
    if level != "ad":
        columns.remove("ad_id")
    if level == "account":
        columns.remove("campaign_id")
    for r in rows:
        for c in ("campaign_id", "ad_id"):
            if c not in columns:
                del r[c]
    sort = [
        c
        for c in ("account_id", "campaign_id", "ad_id", "day", "action_type", "window")
        if c in columns
    ]
    return frame(rows, columns, sort)
