"""CJ's part of the sandbox (sandbox/parts.py): its account in each world preset, how it
writes action ids, the fault switches of its stand-in and the token it accepts."""

from __future__ import annotations

from dataclasses import dataclass

from perfmkt_pipeline.platforms.cj.standin.data import ACTION_ID_BASE, CJ_ACTION_TYPE
from perfmkt_pipeline.sandbox.faults import NetworkFaults
from perfmkt_pipeline.sandbox.parts import NetworkPart
from perfmkt_pipeline.sandbox.spec import SandboxAccount

CJ = "cj"


@dataclass
class CjFaults(NetworkFaults):
    graphql_error_first_n: int = 0  # GraphQL {"errors": [...]} with HTTP 200

    def __post_init__(self) -> None:
        super().__post_init__()
        self._queries = 0

    def next_query_errors(self) -> bool:
        """Called once per GraphQL query: True for the first `graphql_error_first_n`."""
        with self._lock:
            n = self._queries
            self._queries += 1
            return n < self.graphql_error_first_n


SANDBOX = NetworkPart(
    CJ,
    # CJ reports in UTC (its timestamps are UTC), so its reporting day is UTC.
    accounts={
        "small": SandboxAccount(CJ, "5551234", "Acme on CJ", "EUR", "UTC"),
        "benchmark": SandboxAccount(CJ, "7771234", "Bench on CJ", "EUR", "UTC"),
    },
    partner_id_base=4000000,
    conversion_name=CJ_ACTION_TYPE,
    action_id=lambda account, day_number, seq: str(ACTION_ID_BASE + day_number * 100_000 + seq + 1),
    token="sandbox-cj-personal-access-token",
    faults=CjFaults,
    # Its amounts carry no currency: the account's is configured.
    settings=lambda accounts: {"currency": accounts[0].currency},
)
