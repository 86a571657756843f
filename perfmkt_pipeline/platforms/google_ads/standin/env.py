"""What the pipeline needs to call the Google Ads stand-in: the sandbox's developer token and
OAuth client, its refresh token, the manager acting for the client accounts, and the sandbox's
OAuth token endpoint (which issues the access tokens the stand-in accepts)."""

from __future__ import annotations

from typing import Any

from perfmkt_pipeline.platforms.google_ads.standin import data, oauth


def sandbox_env(sandbox: Any) -> dict[str, str]:
    """The variables for a started `Sandbox` (sandbox/runner.py)."""
    creds = sandbox.credentials.google_ads
    managers = data.managers(sandbox.world)
    return {
        "PERFMKT_GOOGLE_OAUTH_URL": sandbox.url("google_oauth") + oauth.TOKEN_PATH,
        "GOOGLE_ADS_DEVELOPER_TOKEN": creds.developer_token,
        "GOOGLE_ADS_CLIENT_ID": creds.client_id,
        "GOOGLE_ADS_CLIENT_SECRET": creds.client_secret,
        "GOOGLE_ADS_REFRESH_TOKEN": creds.refresh_token,
        "GOOGLE_ADS_LOGIN_CUSTOMER_ID": managers[0].customer_id if managers else "",
    }
