"""CJ (commission detail GraphQL API, by event date), described for the registry."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from perfmkt_pipeline.config import ConfigError
from perfmkt_pipeline.platforms.base.affiliates import network
from perfmkt_pipeline.platforms.base.affiliates.landing import Fetch
from perfmkt_pipeline.platforms.base.affiliates.settings import NetworkSettings
from perfmkt_pipeline.platforms.base.spec import Credential, SyncRequest
from perfmkt_pipeline.platforms.cj.client import CjClient

NAME = "cj"
# Corrections are made until an action locks: 45 days of event days cover CJ's usual locking.
LOOKBACK_DAYS = 45
# CJ's actionStatus: new -> extended -> locked -> closed (commission detail reference).
STATUSES = {"new": "pending", "extended": "pending", "locked": "approved", "closed": "approved"}


class CjSettings(NetworkSettings):
    """CJ: as any network; its records carry no currency, so the advertiser's is configuration."""

    def problems(self, name: str) -> list[str]:
        if self.configured and self.currency is None:
            return [f"{name}.currency: CJ records carry no currency; set the advertiser's"]
        return super().problems(name)


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


SPEC = network.spec(
    NAME,
    package=__package__,
    fetch=_fetch,
    credentials=(Credential("access_token", "CJ_ACCESS_TOKEN"),),
    read_by="event day (with their corrections)",
    resource_description="CJ personal access token (Bearer) for the commission detail GraphQL API.",
    lookback_days=LOOKBACK_DAYS,
    statuses=STATUSES,
    app="CjApp",
    url_env_var="PERFMKT_CJ_URL",
    port=8703,
    url="https://commissions.api.cj.com",
    settings=CjSettings,
)
