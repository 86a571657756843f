"""Awin's part of the sandbox (sandbox/parts.py): its account in each world preset, how it
writes action ids, its documented limit and the token its stand-in accepts."""

from __future__ import annotations

from perfmkt_pipeline.platforms.awin.standin.data import AWIN_TYPE
from perfmkt_pipeline.sandbox.faults import RateLimit
from perfmkt_pipeline.sandbox.parts import NetworkPart
from perfmkt_pipeline.sandbox.spec import SandboxAccount

AWIN = "awin"

SANDBOX = NetworkPart(
    AWIN,
    # Awin reports in UTC (its timestamps are UTC), so its reporting day is UTC.
    accounts={
        "small": SandboxAccount(AWIN, "45678", "Acme on Awin", "GBP", "UTC"),
        "benchmark": SandboxAccount(AWIN, "98765", "Bench on Awin", "GBP", "UTC"),
    },
    partner_id_base=200000,
    conversion_name=AWIN_TYPE,
    action_id=lambda account, day_number, seq: str(day_number * 100_000 + seq + 1),
    token="sandbox-awin-oauth-token",
    documented_limit=RateLimit(20, 60.0),  # 20 calls a minute
    settings=lambda accounts: {"currency": accounts[0].currency},
)
