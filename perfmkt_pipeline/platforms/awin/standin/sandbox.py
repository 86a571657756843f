"""Awin's part of the sandbox (sandbox/parts.py): its account in each world preset, how it
writes action ids, the fault switches of its stand-in and the token it accepts."""

from __future__ import annotations

from dataclasses import dataclass

from perfmkt_pipeline.platforms.awin.standin.data import AWIN_TYPE
from perfmkt_pipeline.sandbox.credentials import TokenCredentials
from perfmkt_pipeline.sandbox.faults import NetworkFaults, RateLimit
from perfmkt_pipeline.sandbox.parts import NetworkPart
from perfmkt_pipeline.sandbox.spec import SandboxAccount

AWIN = "awin"


@dataclass
class AwinCredentials(TokenCredentials):
    token: str = "sandbox-awin-oauth-token"


class AwinPart(NetworkPart):
    name = AWIN
    faults = {AWIN: NetworkFaults}
    credentials = AwinCredentials
    documented_limit = RateLimit(20, 60.0)  # 20 calls a minute
    partner_id_base = 200000
    conversion_name = AWIN_TYPE

    def action_id(self, account, day_number, seq):
        return str(day_number * 100_000 + seq + 1)

    # Awin reports in UTC (its timestamps are UTC), so its reporting day is UTC.
    accounts = {
        "small": SandboxAccount(AWIN, "45678", "Acme on Awin", "GBP", "UTC"),
        "benchmark": SandboxAccount(AWIN, "98765", "Bench on Awin", "GBP", "UTC"),
    }


SANDBOX = AwinPart()
