"""impact.com (advertiser API, Actions by event day), described for the registry."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from perfmkt_pipeline.config import ConfigError, LookbackDays
from perfmkt_pipeline.platforms.base.affiliates import network
from perfmkt_pipeline.platforms.base.affiliates.landing import Fetch
from perfmkt_pipeline.platforms.base.affiliates.settings import NetworkSettings
from perfmkt_pipeline.platforms.base.spec import Credential, SyncRequest
from perfmkt_pipeline.platforms.impact.client import ImpactClient

NAME = "impact"
# 90 covers its sandbox (decisions within 44 days) and real locking periods up to "1 month and 27
# days after the end of the month" (at most 89 days; impact.com's help on action locking periods):
# a sync must still re-read an event day the day after it locks.
LOOKBACK_DAYS = 90
# impact.com's action states (List all actions).
STATUSES = {"PENDING": "pending", "APPROVED": "approved", "REVERSED": "reversed"}


class ImpactSettings(NetworkSettings):
    """impact.com: as any network, with a lookback that covers its usual locking periods and
    the programs (CampaignId) of each account, which its Actions endpoint requires."""

    lookback_days: LookbackDays = LOOKBACK_DAYS
    # Account SID -> the program (CampaignId) ids whose actions are read; the Actions endpoint
    # requires one.
    program_ids: dict[str, list[str]] = {}

    def problems(self, name: str) -> list[str]:
        problems = super().problems(name)
        for account in self.account_ids:
            if not self.program_ids.get(account):
                problems.append(
                    f"{name}.program_ids.{account}: no program (CampaignId) id listed; "
                    "impact.com's Actions endpoint needs the account's programs"
                )
        for account in sorted(set(self.program_ids) - set(self.account_ids)):
            problems.append(f"{name}.program_ids.{account}: not one of {name}.account_ids")
        return problems


def _fetch(request: SyncRequest, section: Any) -> Fetch:
    unset = [a for a in section.account_ids if not section.program_ids.get(a)]
    if unset:
        raise ConfigError(
            f"impact.program_ids.{unset[0]}: the Actions endpoint needs the account's "
            "program (CampaignId) ids"
        )
    return ImpactClient(
        network.http_client(NAME, section, request.log),
        request.settings.endpoints.impact,
        request.credentials["account_sid"] or "",
        request.credentials["auth_token"] or "",
        program_ids=section.program_ids,
        zone=ZoneInfo(section.timezone),
        lookback_days=section.lookback_days,
    ).windows


# No client-side pacing: impact.com announces its hourly limit in headers (base/http.py waits
# them out).
SPEC = network.spec(
    NAME,
    package=__package__,
    fetch=_fetch,
    credentials=(
        Credential("account_sid", "IMPACT_ACCOUNT_SID"),
        Credential("auth_token", "IMPACT_AUTH_TOKEN"),
    ),
    read_by="event day (ActionDate)",
    resource_description="impact.com advertiser API credentials (Basic auth): account SID "
    "and auth token.",
    lookback_days=LOOKBACK_DAYS,
    statuses=STATUSES,
    app="ImpactApp",
    url_env_var="PERFMKT_IMPACT_URL",
    port=8702,
    url="https://api.impact.com",
    settings=ImpactSettings,
)
