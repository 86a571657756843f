"""The sandbox world: what every stand-in serves, and the ground truth tests compare against.

`World(spec, as_of=...)` is the single source of truth. The HTTP and gRPC stand-ins serialise
rows that each platform's stand-in folder derives from it (`platforms/<name>/standin/`), and
the ground-truth methods (ground_truth.py) sum the very same rows, so a test that compares the
warehouse to the ground truth compares it to what was served.

Data rules (see spec.py, generation.py, restatement.py):
- days in `[spec.history_start, as_of - 1]` have data, in each account's own time zone;
- conversions (and their values) of recent days grow towards their final value and never change
  once the day is older than the platform's window; spend, impressions and clicks are final
  from the first report;
- affiliate actions are decided (approved or reversed) 7-44 days after the event (final at 45).
`as_of` is a plain attribute: tests move it and every later response follows.
"""

from __future__ import annotations

from datetime import date, timedelta

from perfmkt_pipeline.sandbox import affiliate_data, anomalies, parts
from perfmkt_pipeline.sandbox import ground_truth as _gt
from perfmkt_pipeline.sandbox.generation import UNITS_PER_USD
from perfmkt_pipeline.sandbox.parts import SandboxCampaign
from perfmkt_pipeline.sandbox.spec import SandboxAccount, WorldSpec

__all__ = [
    "AffiliateAction",
    "SandboxAccount",
    "SandboxCampaign",
    "World",
    "WorldSpec",
]

AffiliateAction = affiliate_data.AffiliateAction


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
        for part in self.spec.platforms:
            platform = part.platform
            for acc in part.accounts:
                if acc.platform != platform:
                    raise ValueError(f"{acc.account_id} is listed under {platform}")
                if acc.currency not in UNITS_PER_USD:
                    raise ValueError(f"no price level for {acc.currency} ({acc.account_id})")
                self._by_key[(platform, acc.account_id)] = acc
        for part in parts.all_parts():
            part.check(self.spec)

    # -- accounts and structure ------------------------------------------------------------

    def accounts(self, platform: str) -> list[SandboxAccount]:
        """Accounts with data (enabled, not managers). What discovery should find."""
        return [a for a in self.spec.accounts(platform) if a.serves_data]

    def all_accounts(self, platform: str) -> list[SandboxAccount]:
        """Every account, including closed ones and sub-managers."""
        return list(self.spec.accounts(platform))

    def account(self, platform: str, account_id: str) -> SandboxAccount:
        """Any account (including closed ones / sub-managers); KeyError if unknown."""
        try:
            return self._by_key[(platform, account_id)]
        except KeyError:
            raise KeyError(f"unknown {platform} account {account_id!r}") from None

    def campaigns(self, platform: str, account_id: str) -> list[SandboxCampaign]:
        """Campaigns (statuses as of `as_of`). Affiliates: partners, as WAREHOUSE.md maps them."""
        return parts.part(platform).campaigns(self, self.account(platform, account_id))

    def data_range(self, start: date, end: date, as_of: date | None = None) -> tuple[date, date]:
        """`[start, end]` clipped to the days that have data as of `as_of` (may be empty)."""
        as_of = as_of or self.as_of
        return max(start, self.spec.history_start), min(end, as_of - timedelta(days=1))

    # -- affiliates ----------------------------------------------------------------------------

    def affiliate_actions(
        self, platform: str, account_id: str, start: date, end: date, *, as_of: date | None = None
    ) -> list[AffiliateAction]:
        """Actions whose event day (account time zone) is in [start, end], in their state as of
        `as_of`, ordered by event time."""
        return affiliate_data.actions_by_event_day(
            self, self.affiliate_account(platform, account_id), start, end, as_of or self.as_of
        )

    def affiliate_account(self, platform: str, account_id: str) -> SandboxAccount:
        """An account of an affiliate network; KeyError for another platform or an unknown id."""
        parts.network(platform)
        return self.account(platform, account_id)

    # -- ground truth (ground_truth.py) --------------------------------------------------------

    def ground_truth(self, platform: str, start: date, end: date, *, as_of=None, level="campaign"):
        return _gt.performance(self, platform, start, end, as_of or self.as_of, level)

    def ground_truth_conversions(self, platform: str, start: date, end: date, *, as_of=None):
        return _gt.conversions(self, platform, start, end, as_of or self.as_of)

    def ground_truth_affiliate_actions(
        self, platform: str, start: date | None = None, end: date | None = None, *, as_of=None
    ):
        return _gt.affiliate_actions(self, platform, start, end, as_of or self.as_of)
