"""impact.com's part of the sandbox (sandbox/parts.py): its account in each world preset, how
it writes action ids, its documented limit and the token its stand-in accepts."""

from __future__ import annotations

from perfmkt_pipeline.platforms.impact.standin.data import IMPACT_ACTION_TRACKER
from perfmkt_pipeline.sandbox.faults import RateLimit
from perfmkt_pipeline.sandbox.parts import NetworkPart
from perfmkt_pipeline.sandbox.spec import SandboxAccount

IMPACT = "impact"

SANDBOX = NetworkPart(
    IMPACT,
    # Its Actions endpoint filters by program (`CampaignId`): each account has one.
    accounts={
        "small": SandboxAccount(
            IMPACT,
            "IRsbxAcme0000000000000000000000001",
            "Acme on impact",
            "USD",
            "America/New_York",
            program_id="12345",
        ),
        "benchmark": SandboxAccount(
            IMPACT,
            "IRsbxBench000000000000000000000001",
            "Bench on impact",
            "USD",
            "America/New_York",
            program_id="54321",
        ),
    },  # fmt: skip
    partner_id_base=100000,
    conversion_name=IMPACT_ACTION_TRACKER,
    action_id=lambda account, day_number, seq: (
        f"{account.program_id or '1'}.{day_number}.{seq + 1}"
    ),
    token="sandbox-impact-auth-token",
    documented_limit=RateLimit(1000, 3600.0),  # 1,000 calls an hour
    # Its actions are read per program, its days in the account's timezone.
    settings=lambda accounts: {
        "timezone": accounts[0].timezone,
        "program_ids": {a.account_id: [a.program_id] for a in accounts},
    },
)
