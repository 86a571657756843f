"""What the sandbox world contains: accounts per platform, scale knobs and the seed.

A `WorldSpec` is a frozen, hashable description; `World` (world.py) turns it into data. Two
presets: `WorldSpec.small()` (tests and the demo) and `WorldSpec.benchmark()` (the scale the
benchmarks need). Everything else about the data is derived from `seed`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

PLATFORMS = ("google_ads", "meta", "impact", "cj", "awin")
AFFILIATE_PLATFORMS = ("impact", "cj", "awin")

# Google Ads customer statuses as the API names them (CustomerStatusEnum).
GOOGLE_STATUS_ENABLED = "ENABLED"
GOOGLE_STATUS_CANCELED = "CANCELED"


@dataclass(frozen=True)
class SandboxAccount:
    """One account of one platform.

    `status`, `is_manager` and `program_id` extend the contract in the World API document with
    defaults: Google Ads discovery must skip cancelled accounts and sub-managers, and impact.com
    needs the program (`CampaignId`) that its Actions endpoint filters on.
    """

    platform: str  # "google_ads" | "meta" | "impact" | "cj" | "awin"
    account_id: (
        str  # google: 10 digits; meta: digits (no "act_"); networks: as the network names it
    )
    name: str
    currency: str  # ISO 4217
    timezone: str  # IANA zone
    manager_id: str | None = None  # google_ads only: the manager (MCC) that owns it
    status: str = GOOGLE_STATUS_ENABLED  # google_ads: "ENABLED" | "CANCELED"; others "ENABLED"
    is_manager: bool = False  # google_ads: a sub-manager listed under the manager
    program_id: str | None = None  # impact only: the program id its Actions are filtered by

    @property
    def serves_data(self) -> bool:
        """True for accounts that have performance data (enabled, not a manager)."""
        return self.status == GOOGLE_STATUS_ENABLED and not self.is_manager


@dataclass(frozen=True)
class GoogleManager:
    customer_id: str
    name: str
    currency: str
    timezone: str


@dataclass(frozen=True)
class WorldSpec:
    """Seed, accounts and scale of a sandbox world.

    Data exists for days in `[history_start, as_of - 1]` (as_of is given to `World`, not here).
    `google_accounts` may hold cancelled accounts and sub-managers: they are listed under their
    manager but have no data. Affiliate accounts have one program each; their partners play the
    role of campaigns (WAREHOUSE.md).
    """

    seed: int = 20240601
    history_start: date = date(2024, 1, 1)
    google_managers: tuple[GoogleManager, ...] = ()
    google_accounts: tuple[SandboxAccount, ...] = ()
    meta_accounts: tuple[SandboxAccount, ...] = ()
    impact_accounts: tuple[SandboxAccount, ...] = ()
    cj_accounts: tuple[SandboxAccount, ...] = ()
    awin_accounts: tuple[SandboxAccount, ...] = ()
    google_campaigns_per_account: int = 6
    meta_campaigns_per_account: int = 2
    meta_adsets_per_campaign: int = 2
    meta_ads_per_adset: int = 2
    affiliate_partners_per_account: int = 5
    affiliate_actions_per_day: float = 12.0  # mean per account and event day
    # Mean daily impressions of one active Google campaign / Meta ad (before weekday effects).
    google_impressions_per_campaign_day: float = 4000.0
    meta_impressions_per_ad_day: float = 2500.0

    def accounts(self, platform: str) -> tuple[SandboxAccount, ...]:
        by_platform = {
            "google_ads": self.google_accounts,
            "meta": self.meta_accounts,
            "impact": self.impact_accounts,
            "cj": self.cj_accounts,
            "awin": self.awin_accounts,
        }
        if platform not in by_platform:
            raise KeyError(f"unknown platform {platform!r}; expected one of {PLATFORMS}")
        return by_platform[platform]

    def with_seed(self, seed: int) -> WorldSpec:
        return replace(self, seed=seed)

    @classmethod
    def small(cls, seed: int = 20240601) -> WorldSpec:
        """Tests and the demo: 3 Google accounts (+1 cancelled, +1 sub-manager), 3 Meta, 1 per network."""
        mcc = "1000000001"
        return cls(
            seed=seed,
            history_start=date(2024, 1, 1),
            google_managers=(
                GoogleManager(mcc, "Sandbox Agency MCC", "USD", "America/New_York"),
            ),
            google_accounts=(
                SandboxAccount("google_ads", "1234567890", "Acme US Search", "USD",
                               "America/New_York", mcc),
                SandboxAccount("google_ads", "2345678901", "Acme DE Search", "EUR",
                               "Europe/Berlin", mcc),
                SandboxAccount("google_ads", "3456789012", "Acme JP Search", "JPY",
                               "Asia/Tokyo", mcc),
                SandboxAccount("google_ads", "4567890123", "Acme UK Search (closed)", "GBP",
                               "Europe/London", mcc, status=GOOGLE_STATUS_CANCELED),
                SandboxAccount("google_ads", "5678901234", "Acme Regional Sub-MCC", "USD",
                               "America/Chicago", mcc, is_manager=True),
            ),
            meta_accounts=(
                SandboxAccount("meta", "101000000000001", "Acme US Social", "USD",
                               "America/Los_Angeles"),
                SandboxAccount("meta", "101000000000002", "Acme UK Social", "GBP",
                               "Europe/London"),
                SandboxAccount("meta", "101000000000003", "Acme JP Social", "JPY", "Asia/Tokyo"),
            ),
            impact_accounts=(
                SandboxAccount("impact", "IRsbxAcme0000000000000000000000001", "Acme on impact",
                               "USD", "America/New_York", program_id="12345"),
            ),
            # CJ and Awin report in UTC (their timestamps are UTC), so their reporting day is UTC.
            cj_accounts=(SandboxAccount("cj", "5551234", "Acme on CJ", "EUR", "UTC"),),
            awin_accounts=(SandboxAccount("awin", "45678", "Acme on Awin", "GBP", "UTC"),),
        )  # fmt: skip

    @classmethod
    def benchmark(cls, seed: int = 20240601) -> WorldSpec:
        """Benchmark scale: 10 Meta accounts x 200 ads, 5 Google x 100 campaigns, 1,000 actions/day."""
        mcc = "1000000001"
        currencies = [
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
        ]
        google = tuple(
            SandboxAccount("google_ads", f"{7000000001 + i}", f"Bench Google {i + 1}", cur, tz, mcc)
            for i, (cur, tz) in enumerate(currencies[:5])
        )
        meta = tuple(
            SandboxAccount("meta", f"{202000000000001 + i}", f"Bench Meta {i + 1}", cur, tz)
            for i, (cur, tz) in enumerate(currencies)
        )
        return cls(
            seed=seed,
            history_start=date(2024, 1, 1),
            google_managers=(GoogleManager(mcc, "Bench MCC", "USD", "America/New_York"),),
            google_accounts=google,
            meta_accounts=meta,
            impact_accounts=(
                SandboxAccount(
                    "impact",
                    "IRsbxBench000000000000000000000001",
                    "Bench on impact",
                    "USD",
                    "America/New_York",
                    program_id="54321",
                ),
            ),
            cj_accounts=(SandboxAccount("cj", "7771234", "Bench on CJ", "EUR", "UTC"),),
            awin_accounts=(SandboxAccount("awin", "98765", "Bench on Awin", "GBP", "UTC"),),
            google_campaigns_per_account=100,
            meta_campaigns_per_account=10,
            meta_adsets_per_campaign=4,
            meta_ads_per_adset=5,
            affiliate_partners_per_account=40,
            affiliate_actions_per_day=1000.0,
        )
