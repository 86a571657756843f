"""What the pipeline needs to call the Meta stand-in: the sandbox's access token and app secret
(every request is then signed with appsecret_proof, which the stand-in checks)."""

from __future__ import annotations

from typing import Any


def sandbox_env(sandbox: Any) -> dict[str, str]:
    """The variables for a started `Sandbox` (sandbox/runner.py)."""
    creds = sandbox.credentials.meta
    return {"META_ACCESS_TOKEN": creds.access_token, "META_APP_SECRET": creds.app_secret}
