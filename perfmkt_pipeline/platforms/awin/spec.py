"""Awin (advertiser API, transactions by transaction date), described for the registry."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from perfmkt_pipeline.platforms.awin.client import AWIN_CALLS_PER_MINUTE, AwinClient
from perfmkt_pipeline.platforms.base.affiliates import network
from perfmkt_pipeline.platforms.base.affiliates.landing import Fetch
from perfmkt_pipeline.platforms.base.spec import Credential, SyncRequest

NAME = "awin"
# It must cover the programme's validation period (README).
LOOKBACK_DAYS = 45
# Awin's commissionStatus words.
STATUSES = {
    "pending": "pending",
    "approved": "approved",
    "declined": "reversed",
    "deleted": "reversed",
}


def _fetch(request: SyncRequest, section: Any) -> Fetch:
    return AwinClient(
        network.http_client(NAME, section, request.log, AWIN_CALLS_PER_MINUTE),
        request.settings.endpoints.awin,
        request.credentials["access_token"] or "",
        zone=ZoneInfo(section.timezone),
    ).windows


SPEC = network.spec(
    NAME,
    package=__package__,
    fetch=_fetch,
    credentials=(Credential("access_token", "AWIN_ACCESS_TOKEN"),),
    read_by="transaction day",
    resource_description="Awin advertiser API access token (Bearer).",
    lookback_days=LOOKBACK_DAYS,
    statuses=STATUSES,
    app="AwinApp",
    url_env_var="PERFMKT_AWIN_URL",
    port=8704,
    calls_per_minute=AWIN_CALLS_PER_MINUTE,
    url="https://api.awin.com",
)
