"""Dummy credentials the sandbox's stand-ins accept, one set per platform.

Each platform's sandbox part (sandbox/parts.py) names the class of its credentials (a
dataclass whose defaults are the sandbox's dummy values, and any state its stand-in keeps, such
as the access tokens it has issued). `SandboxCredentials` holds one of each, reachable as an
attribute of the platform's name (`credentials.<name>`). Tokens can be expired or revoked at
runtime to exercise the clients' auth error paths (see also `expired_credentials` in
faults.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def credential_types() -> dict[str, type]:
    """Platform name -> the class of the credentials its stand-in accepts."""
    from perfmkt_pipeline.sandbox import parts

    return {p.name: p.credentials for p in parts.all_parts() if p.credentials is not None}


class SandboxCredentials:
    """One credentials object per platform whose stand-in checks any; `SandboxCredentials(
    <name>=credentials)` sets some up front, the others get the sandbox's defaults."""

    def __init__(self, **given: Any):
        types = credential_types()
        unknown = sorted(set(given) - set(types))
        if unknown:
            raise TypeError(f"no credentials for {unknown}; known: {list(types)}")
        self._by_platform = {name: given.get(name) or cls() for name, cls in types.items()}

    def __getattr__(self, name: str) -> Any:
        by_platform = self.__dict__.get("_by_platform", {})
        if name.startswith("_") or name not in by_platform:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return by_platform[name]

    def secrets(self) -> list[str]:
        """Every secret value of every platform (what no cassette or log may hold)."""
        return [v for creds in self._by_platform.values() for v in creds.secrets()]


@dataclass
class TokenCredentials:
    """One token (an API key, a bearer token) that a stand-in accepts; a platform subclasses it
    with its sandbox value as the default."""

    token: str = ""

    def secrets(self) -> list[str]:
        return [self.token]
