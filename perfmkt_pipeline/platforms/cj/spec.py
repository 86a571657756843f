"""CJ (commission detail GraphQL API, by event date), described for the registry."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from perfmkt_pipeline.config import ConfigError
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
from perfmkt_pipeline.platforms.cj.client import CjClient

NAME = "cj"
# Corrections are made until an action locks: 45 days of event days cover CJ's usual locking.
LOOKBACK_DAYS = 45
# CJ's actionStatus: new -> extended -> locked -> closed (commission detail reference).
STATUSES = {"new": "pending", "extended": "pending", "locked": "approved", "closed": "approved"}


def _fetch(request: SyncRequest, section: Any) -> Fetch:
    if section.currency is None:
        raise ConfigError("cj.currency: CJ records carry no currency; set the advertiser's")
    return CjClient(
        network.http_client(NAME, section, request.log),
        request.settings.endpoints.cj,
        request.credentials["access_token"] or "",
        currency=section.currency,
        zone=ZoneInfo(section.timezone),
    ).windows


SPEC = PlatformSpec(
    name=NAME,
    channel="affiliate",
    config_section=NAME,
    credentials=(Credential("access_token", "CJ_ACCESS_TOKEN"),),
    raw_tables=(affiliate_actions,),
    connector=Connector(
        asset_name=None,
        raw_assets=(network.raw_asset(NAME, "event day (with their corrections)"),),
        sync=network.sync(NAME, _fetch),
        group=network.GROUP,
        kind=NAME,
        pool=NAME,
        resource_key=NAME,
        resource_description="CJ personal access token (Bearer) for the commission detail "
        "GraphQL API.",
    ),
    errors=network.ERRORS,
    default_lookback_days=LOOKBACK_DAYS,
    budget=RequestBudget(calls_per_minute=None),
    standin=StandIn(
        app="perfmkt_pipeline.platforms.cj.standin.app:CjApp",
        url_env_var="PERFMKT_CJ_URL",
        secrets="perfmkt_pipeline.platforms.cj.standin.app:secrets",
        sandbox="perfmkt_pipeline.platforms.cj.standin.sandbox:SANDBOX",
    ),
    actions=Actions(affiliate_actions, STATUSES),
)
