"""Awin (advertiser API, transactions by transaction date), described for the registry."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from perfmkt_pipeline.platforms.awin.client import AWIN_CALLS_PER_MINUTE, AwinClient
from perfmkt_pipeline.platforms.base.affiliates import network
from perfmkt_pipeline.platforms.base.affiliates.landing import Fetch
from perfmkt_pipeline.platforms.base.affiliates.tables import affiliate_actions
from perfmkt_pipeline.platforms.base.spec import (
    Actions,
    Connector,
    Credential,
    PlatformSpec,
    RequestBudget,
    StandIn,
    SyncRequest,
)

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


SPEC = PlatformSpec(
    name=NAME,
    channel="affiliate",
    config_section=NAME,
    credentials=(Credential("access_token", "AWIN_ACCESS_TOKEN"),),
    raw_tables=(affiliate_actions,),
    connector=Connector(
        asset_name=None,
        raw_assets=(network.raw_asset(NAME, "transaction day"),),
        sync=network.sync(NAME, _fetch),
        group=network.GROUP,
        kind=NAME,
        pool=NAME,
        resource_key=NAME,
        resource_description="Awin advertiser API access token (Bearer).",
    ),
    errors=network.ERRORS,
    default_lookback_days=LOOKBACK_DAYS,
    budget=RequestBudget(calls_per_minute=AWIN_CALLS_PER_MINUTE),
    standin=StandIn(
        app="perfmkt_pipeline.platforms.awin.standin.app:AwinApp",
        url_env_var="PERFMKT_AWIN_URL",
        secrets="perfmkt_pipeline.platforms.awin.standin.app:secrets",
        sandbox="perfmkt_pipeline.platforms.awin.standin.sandbox:SANDBOX",
    ),
    actions=Actions(affiliate_actions, STATUSES),
)
