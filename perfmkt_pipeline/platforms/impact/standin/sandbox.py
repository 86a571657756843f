"""impact.com's part of the sandbox (sandbox/parts.py): its account in each world preset, how
it writes action ids, the fault switches of its stand-in and the token it accepts."""

from __future__ import annotations

from dataclasses import dataclass

from perfmkt_pipeline.platforms.impact.standin.data import IMPACT_ACTION_TRACKER
from perfmkt_pipeline.sandbox.credentials import TokenCredentials
from perfmkt_pipeline.sandbox.faults import NetworkFaults, RateLimit
from perfmkt_pipeline.sandbox.parts import NetworkPart
from perfmkt_pipeline.sandbox.spec import SandboxAccount

IMPACT = "impact"


@dataclass
class ImpactCredentials(TokenCredentials):
    token: str = "sandbox-impact-auth-token"


class ImpactPart(NetworkPart):
    name = IMPACT
    faults = {IMPACT: NetworkFaults}
    credentials = ImpactCredentials
    documented_limit = RateLimit(1000, 3600.0)  # 1,000 calls an hour
    partner_id_base = 100000
    conversion_name = IMPACT_ACTION_TRACKER

    def action_id(self, account, day_number, seq):
        return f"{account.program_id or '1'}.{day_number}.{seq + 1}"

    # Its Actions endpoint filters by program (`CampaignId`): each account has one.
    accounts = {
        "small": SandboxAccount(IMPACT, "IRsbxAcme0000000000000000000000001", "Acme on impact",
                                "USD", "America/New_York", program_id="12345"),
        "benchmark": SandboxAccount(IMPACT, "IRsbxBench000000000000000000000001",
                                    "Bench on impact", "USD", "America/New_York",
                                    program_id="54321"),
    }  # fmt: skip


SANDBOX = ImpactPart()
