"""The sandbox world: what every stand-in serves, and the ground truth tests compare against.

`World(spec, as_of=...)` is the single source of truth. The HTTP and gRPC stand-ins serialise
rows returned by its methods, and the ground-truth methods (ground_truth.py) sum the very same
rows, so a test that compares the warehouse to the ground truth compares it to what was served.

Data rules (see spec.py, generation.py, restatement.py):
- days in `[spec.history_start, as_of - 1]` have data, in each account's own time zone;
- conversions (and their values) of recent days grow towards their final value and never change
  once the day is older than the platform's window (Google Ads 30, Meta 28); spend, impressions
  and clicks are final from the first report;
- affiliate actions are decided (approved or reversed) 7-44 days after the event (final at 45).
`as_of` is a plain attribute: tests move it and every later response follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np

from perfmkt_pipeline.platforms.awin.standin import data as awin_data
from perfmkt_pipeline.platforms.cj.standin import data as cj_data
from perfmkt_pipeline.platforms.ecb.standin import data as ecb_data
from perfmkt_pipeline.platforms.impact.standin import data as impact_data
from perfmkt_pipeline.platforms.meta.standin import data as meta_data
from perfmkt_pipeline.sandbox import affiliate_data, anomalies
from perfmkt_pipeline.sandbox import ground_truth as _gt
from perfmkt_pipeline.sandbox.generation import (
    UNITS_PER_USD,
    affiliate_partners,
    google_campaign_params,
    google_day_block,
    meta_structure,
    minor_exponent,
)
from perfmkt_pipeline.sandbox.restatement import (
    GOOGLE_CURVE,
    served,
    served_value,
)
from perfmkt_pipeline.sandbox.spec import (
    AFFILIATE_PLATFORMS,
    PLATFORMS,
    GoogleManager,
    SandboxAccount,
    WorldSpec,
)

__all__ = [
    "AffiliateAction",
    "CjCommission",
    "GoogleCampaignDay",
    "GoogleConversionActionDay",
    "GoogleManager",
    "MetaAction",
    "MetaAd",
    "MetaAdDay",
    "SandboxAccount",
    "SandboxCampaign",
    "World",
    "WorldSpec",
]

AffiliateAction = affiliate_data.AffiliateAction
CjCommission = cj_data.CjCommission
MetaAction = meta_data.MetaAction
MetaAd = meta_data.MetaAd
MetaAdDay = meta_data.MetaAdDay


@dataclass(frozen=True)
class SandboxCampaign:
    platform: str
    account_id: str
    campaign_id: str
    name: str
    status: str  # google: ENABLED | PAUSED | REMOVED; meta: ACTIVE | PAUSED; affiliates: ACTIVE


@dataclass(frozen=True)
class GoogleCampaignDay:  # one row of `FROM campaign ... segments.date`
    account_id: str
    campaign_id: str
    day: date
    cost_micros: int
    impressions: int
    clicks: int
    conversions: float  # Purchase + Lead (the actions that count); multiples of 0.5
    conversions_value: float  # at most 2 decimals (whole units for JPY)


@dataclass(frozen=True)
class GoogleConversionActionDay:  # one row segmented by segments.conversion_action_name
    account_id: str
    campaign_id: str
    day: date
    conversion_action_name: str  # "Purchase", "Lead" (counted), "Page view" (not counted)
    conversions: float  # every conversion of the action (the API's metrics.all_conversions)
    conversions_value: float
    # "Include in conversions": only then does the API report the action in metrics.conversions.
    counted: bool = True


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


class World:
    """Deterministic synthetic data for every sandbox platform (see module docstring)."""

    def __init__(
        self,
        spec: WorldSpec | None = None,
        *,
        as_of: date,
        injections: tuple[anomalies.Injection, ...] = (),
    ):
        self.spec = spec or WorldSpec.small()
        self.as_of = as_of
        # Anomalies served on top of the generated rows (sandbox/anomalies.py).
        self.injections = tuple(injections)
        self._by_key: dict[tuple[str, str], SandboxAccount] = {}
        for platform in PLATFORMS:
            for acc in self.spec.accounts(platform):
                if acc.platform != platform:
                    raise ValueError(f"{acc.account_id} is listed under {platform}")
                if acc.currency != "EUR" and acc.currency not in ecb_data.ECB_CURRENCIES:
                    raise ValueError(f"no ECB rate for {acc.currency} ({acc.account_id})")
                if acc.currency not in UNITS_PER_USD:
                    raise ValueError(f"no price level for {acc.currency} ({acc.account_id})")
                self._by_key[(platform, acc.account_id)] = acc

    # -- accounts and structure ------------------------------------------------------------

    def accounts(self, platform: str) -> list[SandboxAccount]:
        """Accounts with data (Google: enabled, non-manager). What discovery should find."""
        return [a for a in self.spec.accounts(platform) if a.serves_data]

    def all_accounts(self, platform: str) -> list[SandboxAccount]:
        """Every account, including cancelled Google accounts and sub-managers."""
        return list(self.spec.accounts(platform))

    def account(self, platform: str, account_id: str) -> SandboxAccount:
        """Any account (including cancelled / sub-manager); KeyError if unknown."""
        try:
            return self._by_key[(platform, account_id)]
        except KeyError:
            raise KeyError(f"unknown {platform} account {account_id!r}") from None

    def google_managers(self) -> list[GoogleManager]:
        return list(self.spec.google_managers)

    def google_customer_clients(self, manager_id: str) -> list[SandboxAccount]:
        """Clients directly under a manager, cancelled ones and sub-managers included (not the
        manager itself). KeyError if `manager_id` is not a manager."""
        if manager_id not in {m.customer_id for m in self.spec.google_managers}:
            raise KeyError(f"unknown google_ads manager {manager_id!r}")
        return [a for a in self.spec.google_accounts if a.manager_id == manager_id]

    def campaigns(self, platform: str, account_id: str) -> list[SandboxCampaign]:
        """Campaigns (statuses as of `as_of`). Affiliates: partners, as WAREHOUSE.md maps them."""
        acc = self.account(platform, account_id)
        if platform == "google_ads":
            if not acc.serves_data:
                return []
            p = google_campaign_params(self.spec, acc)
            return [
                SandboxCampaign(
                    platform,
                    account_id,
                    cid,
                    p.names[i],
                    p.stop_status[i]
                    if p.end_day[i] is not None and self.as_of > p.end_day[i]
                    else "ENABLED",
                )
                for i, cid in enumerate(p.campaign_ids)
            ]
        if platform == "meta":
            s = meta_structure(self.spec, acc)
            return [
                SandboxCampaign(
                    platform,
                    account_id,
                    cid,
                    s.campaign_names[c],
                    "PAUSED"
                    if s.campaign_end_day[c] is not None and self.as_of > s.campaign_end_day[c]
                    else "ACTIVE",
                )
                for c, cid in enumerate(s.campaign_ids)
            ]
        partners = affiliate_partners(self.spec, acc)
        return [
            SandboxCampaign(platform, account_id, pid, partners.names[i], "ACTIVE")
            for i, pid in enumerate(partners.ids)
        ]

    def meta_ads(self, account_id: str) -> list[MetaAd]:
        return meta_data.ads(self.spec, self.account("meta", account_id))

    def data_range(self, start: date, end: date, as_of: date | None = None) -> tuple[date, date]:
        """`[start, end]` clipped to the days that have data as of `as_of` (may be empty)."""
        as_of = as_of or self.as_of
        return max(start, self.spec.history_start), min(end, as_of - timedelta(days=1))

    # -- Google Ads --------------------------------------------------------------------------

    def _google_served(self, account_id: str, day: date, as_of: date):
        acc = self.account("google_ads", account_id)
        block = google_day_block(self.spec, acc, day)
        age = (as_of - day).days
        purchase = served(block["purchase_halves"], GOOGLE_CURVE, age)
        lead = served(block["lead_halves"], GOOGLE_CURVE, age)
        views = served(block["page_views"], GOOGLE_CURVE, age)
        purchase_value = served_value(
            block["purchase_value_minor"], block["purchase_halves"], purchase
        )
        lead_value = served_value(block["lead_value_minor"], block["lead_halves"], lead)
        return acc, block, purchase, lead, views, purchase_value, lead_value

    def google_campaign_days(
        self, account_id: str, start: date, end: date, *, as_of: date | None = None
    ) -> list[GoogleCampaignDay]:
        """Rows of a campaign/segments.date query; all-zero rows omitted (as Google does)."""
        as_of = as_of or self.as_of
        acc = self.account("google_ads", account_id)
        if not acc.serves_data:
            return []
        ids = google_campaign_params(self.spec, acc).campaign_ids
        scale = 10 ** minor_exponent(acc.currency)
        rows = []
        first, last = self.data_range(start, end, as_of)
        for day in _days(first, last):
            _, b, purchase, lead, _, pv, lv = self._google_served(account_id, day, as_of)
            for i in np.flatnonzero(
                b["impressions"] + b["clicks"] + b["cost_micros"] + purchase + lead
            ):
                rows.append(
                    GoogleCampaignDay(
                        account_id,
                        ids[i],
                        day,
                        int(b["cost_micros"][i]),
                        int(b["impressions"][i]),
                        int(b["clicks"][i]),
                        (int(purchase[i]) + int(lead[i])) / 2,
                        (int(pv[i]) + int(lv[i])) / scale,
                    )
                )
        return anomalies.google_campaign_days(self.injections, rows) if self.injections else rows

    def google_conversion_action_days(
        self, account_id: str, start: date, end: date, *, as_of: date | None = None
    ) -> list[GoogleConversionActionDay]:
        """Rows segmented by conversion action; rows with nothing converted omitted."""
        as_of = as_of or self.as_of
        acc = self.account("google_ads", account_id)
        if not acc.serves_data:
            return []
        ids = google_campaign_params(self.spec, acc).campaign_ids
        scale = 10 ** minor_exponent(acc.currency)
        rows = []
        first, last = self.data_range(start, end, as_of)
        for day in _days(first, last):
            _, _, purchase, lead, views, pv, lv = self._google_served(account_id, day, as_of)
            for i in range(len(ids)):
                for name, halves, value in (
                    ("Purchase", int(purchase[i]), int(pv[i])),
                    ("Lead", int(lead[i]), int(lv[i])),
                    ("Page view", 2 * int(views[i]), 0),
                ):
                    if halves or value:
                        rows.append(
                            GoogleConversionActionDay(
                                account_id,
                                ids[i],
                                day,
                                name,
                                halves / 2,
                                value / scale,
                                counted=name != "Page view",
                            )
                        )
        if self.injections:
            return anomalies.google_conversion_action_days(self.injections, rows)
        return rows

    # -- Meta ----------------------------------------------------------------------------------

    def meta_ad_days(
        self, account_id: str, start: date, end: date, *, as_of: date | None = None
    ) -> list[MetaAdDay]:
        """Ad-level daily insights rows; zero-activity rows omitted (as Meta does)."""
        as_of = as_of or self.as_of
        acc = self.account("meta", account_id)
        first, last = self.data_range(start, end, as_of)
        rows = [
            row
            for day in _days(first, last)
            for row in meta_data.ad_day_rows(self.spec, acc, day, as_of)
        ]
        return anomalies.meta_ad_days(self.injections, rows) if self.injections else rows

    # -- affiliates ----------------------------------------------------------------------------

    def affiliate_actions(
        self, platform: str, account_id: str, start: date, end: date, *, as_of: date | None = None
    ) -> list[AffiliateAction]:
        """Actions whose event day (account time zone) is in [start, end], in their state as of
        `as_of`, ordered by event time."""
        return affiliate_data.actions_by_event_day(
            self, self._affiliate(platform, account_id), start, end, as_of or self.as_of
        )

    def impact_actions(
        self,
        account_id: str,
        *,
        event: tuple[datetime, datetime] | None = None,
        locking: tuple[datetime, datetime] | None = None,
        updated: tuple[datetime, datetime] | None = None,
        as_of: date | None = None,
    ) -> list[AffiliateAction]:
        """What impact.com's Actions endpoint returns for its date pairs (inclusive ranges of
        aware datetimes): `event` on EventDate, `locking` on LockingDate, `updated` on the last
        update, which state transitions do not move (impact_data.impact_actions)."""
        return impact_data.impact_actions(
            self,
            self._affiliate("impact", account_id),
            event=event,
            locking=locking,
            updated=updated,
            as_of=as_of or self.as_of,
        )

    def cj_commissions(
        self,
        account_id: str,
        since: datetime,
        before: datetime,
        *,
        by: str = "posting",
        as_of: date | None = None,
    ) -> list[CjCommission]:
        """CJ commission records posted (`by="posting"`) or with an event (`by="event"`) in
        [since, before), ordered by commission id: originals plus correction records (negative
        amounts) for reversals."""
        return cj_data.cj_commissions(
            self, self._affiliate("cj", account_id), since, before, as_of or self.as_of, by
        )

    def awin_transactions(
        self,
        account_id: str,
        start: datetime,
        end: datetime,
        date_type: str = "transaction",
        *,
        as_of: date | None = None,
    ) -> list[AffiliateAction]:
        """Awin transactions whose transaction time (date_type="transaction") or validation time
        (date_type="validation") is in [start, end]."""
        return awin_data.awin_transactions(
            self, self._affiliate("awin", account_id), start, end, date_type, as_of or self.as_of
        )

    def _affiliate(self, platform: str, account_id: str) -> SandboxAccount:
        if platform not in AFFILIATE_PLATFORMS:
            raise KeyError(f"{platform!r} is not an affiliate platform")
        return self.account(platform, account_id)

    # -- ECB -----------------------------------------------------------------------------------

    def ecb_currencies(self) -> tuple[str, ...]:
        """Currencies in the ECB file (every account currency other than EUR is among them)."""
        return tuple(ecb_data.ECB_CURRENCIES)

    def ecb_first_day(self) -> date:
        return self.spec.history_start - timedelta(days=ecb_data.ECB_LEAD_DAYS)

    def ecb_rates(
        self, start: date | None = None, end: date | None = None, *, as_of: date | None = None
    ) -> dict[date, dict[str, Decimal | None]]:
        """Units per EUR for each business day in range (None = no rate, `N/A` in the CSV).
        Published days run from `ecb_first_day()` to as_of - 1."""
        first = max(start or self.ecb_first_day(), self.ecb_first_day())
        last = min(end or date.max, (as_of or self.as_of) - timedelta(days=1))
        return ecb_data.rates_between(self.spec.seed, first, last)

    def ecb_csv(self, *, as_of: date | None = None) -> str:
        """eurofxref-hist.csv as served (newest first)."""
        last = (as_of or self.as_of) - timedelta(days=1)
        return ecb_data.history_csv(self.spec.seed, self.ecb_first_day(), last)

    # -- ground truth (ground_truth.py) --------------------------------------------------------

    def ground_truth(self, platform: str, start: date, end: date, *, as_of=None, level="campaign"):
        return _gt.performance(self, platform, start, end, as_of or self.as_of, level)

    def ground_truth_conversions(self, platform: str, start: date, end: date, *, as_of=None):
        return _gt.conversions(self, platform, start, end, as_of or self.as_of)

    def ground_truth_meta_actions(self, start: date, end: date, *, as_of=None, level="campaign"):
        return _gt.meta_actions(self, start, end, as_of or self.as_of, level)

    def ground_truth_affiliate_actions(
        self, platform: str, start: date | None = None, end: date | None = None, *, as_of=None
    ):
        return _gt.affiliate_actions(self, platform, start, end, as_of or self.as_of)

    def ground_truth_fx(self, start: date, end: date, *, as_of=None):
        return _gt.fx_rates(self, start, end, as_of or self.as_of)
