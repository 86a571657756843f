"""Google Ads' part of the sandbox (sandbox/parts.py): its accounts in each world preset, its
rows for the ground truth, the fault switches of its stand-in and of the OAuth token endpoint
it brings (oauth.py), the credentials they accept and the access tokens issued."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from perfmkt_pipeline.platforms.google_ads.standin import data, generation
from perfmkt_pipeline.platforms.google_ads.standin.generation import (
    GOOGLE_ADS,
    STATUS_CANCELED,
    GoogleAdsWorld,
    GoogleManager,
)
from perfmkt_pipeline.sandbox.anomalies import Injection
from perfmkt_pipeline.sandbox.claims import FINAL, moment, money, slug
from perfmkt_pipeline.sandbox.faults import PlatformFaults
from perfmkt_pipeline.sandbox.parts import SandboxPart
from perfmkt_pipeline.sandbox.spec import SandboxAccount

# The name of the OAuth token endpoint's stand-in (its faults, counters and URL).
OAUTH = "google_oauth"
# Its path (the pipeline's endpoint is the stand-in's base URL followed by it).
TOKEN_PATH = "/token"
# Access tokens look like "ya29...."; keep the prefix so log scrubbers recognise them.
ACCESS_TOKEN_PREFIX = "ya29.sandbox-"
TOKEN_LIFETIME_SECONDS = 3599
# Share of the purchases it claims that are the shop's orders (sandbox/claims.py).
REAL_SHARE = 0.6


@dataclass
class GoogleAdsFaults(PlatformFaults):
    retry_delay_seconds: float = 0.0  # QuotaErrorDetails.retry_delay on RESOURCE_EXHAUSTED


@dataclass
class OAuthFaults(PlatformFaults):
    """`expired_credentials` makes the refresh token invalid (invalid_grant)."""


@dataclass
class GoogleAdsCredentials:
    """The OAuth client, refresh token and developer token the stand-ins accept, and the access
    tokens the OAuth stand-in has issued (the gRPC stand-in accepts those only)."""

    client_id: str = "sandbox-client-id.apps.googleusercontent.com"
    client_secret: str = "sandbox-client-secret"
    refresh_token: str = "1//sandbox-refresh-token"
    developer_token: str = "sandbox-developer-token"
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    _issued: set[str] = field(default_factory=set, init=False, repr=False, compare=False)
    _serial: itertools.count = field(
        default_factory=itertools.count, init=False, repr=False, compare=False
    )
    _refresh_revoked: bool = field(default=False, init=False, repr=False, compare=False)

    def secrets(self) -> list[str]:
        return [self.client_secret, self.refresh_token, self.developer_token]

    def check_refresh(self, client_id: str, client_secret: str, refresh_token: str) -> bool:
        return (
            not self._refresh_revoked
            and hmac.compare_digest(client_id, self.client_id)
            and hmac.compare_digest(client_secret, self.client_secret)
            and hmac.compare_digest(refresh_token, self.refresh_token)
        )

    def issue_access_token(self) -> str:
        with self._lock:
            n = next(self._serial)
            digest = hashlib.sha256(f"{self.refresh_token}|{n}".encode()).hexdigest()[:24]
            token = f"{ACCESS_TOKEN_PREFIX}{n}-{digest}"
            self._issued.add(token)
            return token

    def is_valid_access_token(self, token: str | None) -> bool:
        """True for a token issued by the sandbox and not expired/revoked since."""
        with self._lock:
            return token is not None and token in self._issued

    def expire_access_tokens(self) -> None:
        """Every token issued so far stops working (a client must refresh)."""
        with self._lock:
            self._issued.clear()

    def revoke_refresh_token(self, revoked: bool = True) -> None:
        """Refreshing fails with invalid_grant (and issued tokens stop working)."""
        with self._lock:
            self._refresh_revoked = revoked
            if revoked:
                self._issued.clear()


_BENCH_ZONES = (
    ("USD", "America/New_York"),
    ("EUR", "Europe/Berlin"),
    ("GBP", "Europe/London"),
    ("JPY", "Asia/Tokyo"),
    ("AUD", "Australia/Sydney"),
)


def _account(*args, **kwargs) -> SandboxAccount:
    return SandboxAccount(GOOGLE_ADS, *args, **kwargs)


class GoogleAdsPart(SandboxPart):
    name = GOOGLE_ADS
    faults = {GOOGLE_ADS: GoogleAdsFaults, OAUTH: OAuthFaults}
    http_apps = {OAUTH: "perfmkt_pipeline.platforms.google_ads.standin.oauth:OAuthApp"}
    ports = {OAUTH: 8706}
    paths = {OAUTH: TOKEN_PATH}
    credentials = GoogleAdsCredentials
    injectable = True
    caches = (generation.google_campaign_params, generation.google_day_block)

    def world(self, preset: str) -> GoogleAdsWorld:
        mcc = "1000000001"
        if preset == "benchmark":  # 5 accounts x 100 campaigns
            return GoogleAdsWorld(
                managers=(GoogleManager(mcc, "Bench MCC", "USD", "America/New_York"),),
                accounts=tuple(
                    _account(f"{7000000001 + i}", f"Bench Google {i + 1}", cur, tz, mcc)
                    for i, (cur, tz) in enumerate(_BENCH_ZONES)
                ),
                campaigns_per_account=100,
            )
        # 3 accounts with data, 1 cancelled, 1 sub-manager, under one manager.
        return GoogleAdsWorld(
            managers=(GoogleManager(mcc, "Sandbox Agency MCC", "USD", "America/New_York"),),
            accounts=(
                _account("1234567890", "Acme US Search", "USD", "America/New_York", mcc),
                _account("2345678901", "Acme DE Search", "EUR", "Europe/Berlin", mcc),
                _account("3456789012", "Acme JP Search", "JPY", "Asia/Tokyo", mcc),
                _account("4567890123", "Acme UK Search (closed)", "GBP", "Europe/London", mcc,
                         status=STATUS_CANCELED),
                _account("5678901234", "Acme Regional Sub-MCC", "USD", "America/Chicago", mcc,
                         is_manager=True),
            ),
        )  # fmt: skip

    def configuration(self, world):
        """The manager: the pipeline finds the client accounts under it."""
        return {"manager_customer_id": data.managers(world)[0].customer_id}

    def campaigns(self, world, account):
        return data.campaigns(world, account)

    def performance(self, world, start, end, as_of):
        for acc in world.accounts(GOOGLE_ADS):
            for r in data.campaign_days(world, acc.account_id, start, end, as_of=as_of):
                yield (
                    acc,
                    r.campaign_id,
                    r.day,
                    {
                        "spend": Decimal(r.cost_micros).scaleb(-6),
                        "impressions": r.impressions,
                        "clicks": r.clicks,
                        "conversions": Decimal(repr(r.conversions)),
                        "conversion_value": Decimal(repr(r.conversions_value)),
                    },
                )

    def conversions(self, world, start, end, as_of):
        """One row per conversion action (counted or not)."""
        for acc in world.accounts(GOOGLE_ADS):
            for r in data.conversion_action_days(world, acc.account_id, start, end, as_of=as_of):
                yield (
                    acc,
                    r.campaign_id,
                    r.day,
                    r.conversion_action_name,
                    Decimal(repr(r.conversions)),
                    Decimal(repr(r.conversions_value)),
                )

    def claimed_orders(self, world, day, rng):
        """About REAL_SHARE of each campaign's "Purchase" conversions, at its average value,
        tagged as the sandbox's final URLs are (auto-tagging aside)."""
        for acc in world.accounts(GOOGLE_ADS):
            names = {c.campaign_id: c.name for c in world.campaigns(GOOGLE_ADS, acc.account_id)}
            for row in data.conversion_action_days(world, acc.account_id, day, day, as_of=FINAL):
                if row.conversion_action_name != "Purchase" or row.conversions <= 0:
                    continue
                n = int(rng.binomial(int(round(row.conversions * 2)), REAL_SHARE / 2))
                value = row.conversions_value / row.conversions
                tags = ("google", "cpc", slug(names[row.campaign_id]), None, None)
                for _ in range(n):
                    placed = moment(day, int(rng.integers(0, 86_400)), acc.timezone)
                    total = money(value * float(rng.lognormal(0.0, 0.25)), acc.currency)
                    yield placed, acc.currency, total, tags, None

    def demo_injections(self, as_of: dt.date) -> tuple[Injection, ...]:
        return (
            Injection("spend_spike", GOOGLE_ADS, "2345678901", as_of - dt.timedelta(6), days=2),
        )


SANDBOX = GoogleAdsPart()
