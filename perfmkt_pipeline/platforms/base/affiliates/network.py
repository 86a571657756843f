"""The pieces every affiliate network over an API builds its spec from: its paced, retrying HTTP
client from its settings section, its raw asset (its slice of raw.affiliate_actions), its
landing (`sync`), and the spec itself (`spec`). Each network's folder supplies only its client,
its status words and its stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from typing import Any

from perfmkt_pipeline.platforms.base import row_loss
from perfmkt_pipeline.platforms.base.affiliates.landing import Fetch, asset_key, land_actions
from perfmkt_pipeline.platforms.base.affiliates.settings import NetworkSettings
from perfmkt_pipeline.platforms.base.affiliates.tables import affiliate_actions
from perfmkt_pipeline.platforms.base.errors import (
    AffiliateDataError,
    AffiliateError,
    FatalError,
    RetriesExhaustedError,
)
from perfmkt_pipeline.platforms.base.http import HttpClient, Logger, RetryPolicy
from perfmkt_pipeline.platforms.base.spec import (
    Actions,
    Connector,
    Credential,
    Endpoint,
    ErrorClasses,
    Landed,
    PlatformSpec,
    RawAsset,
    RequestBudget,
    StandIn,
    Sync,
    SyncRequest,
)

GROUP = "affiliates"
# Every affiliate source classifies its failures with the shared errors (errors.py).
ERRORS = ErrorClasses(
    fatal=(FatalError,),
    data=(AffiliateDataError,),
    retryable=(RetriesExhaustedError,),
    base=(AffiliateError,),
)


def http_client(
    network: str, section: Any, log: Logger, default_calls_per_minute: float | None = None
) -> HttpClient:
    """The network's HTTP client, paced and retrying as its settings section says (its
    `calls_per_minute`, else the network's own default)."""
    return HttpClient(
        network,
        policy=RetryPolicy(
            max_retries=section.max_retries,
            base_seconds=section.retry_base_seconds,
            max_seconds=section.retry_max_seconds,
            timeout_seconds=section.request_timeout_seconds,
        ),
        calls_per_minute=section.calls_per_minute or default_calls_per_minute,
        log=log,
    )


def raw_asset(network: str, read_by: str) -> RawAsset:
    """The network's raw asset, described with its configured lookback."""

    def describe(section: Any) -> str:
        return (
            f"{network} affiliate records as received, read by {read_by} in their current state: "
            f"each run re-reads the partition range and the {section.lookback_days} days before "
            f"its end (so decisions are caught while the event day is that recent) and replaces "
            f"that window per account (one request window at a time) in raw.affiliate_actions."
        )

    return RawAsset(affiliate_actions, describe, key=asset_key(network))


def sync(network: str, open_fetch: Callable[[SyncRequest, Any], Fetch]) -> Sync:
    """The network's landing: `open_fetch(request, section)` gives the run's window reader
    (its client, built from the request's credentials and settings)."""

    def land(request: SyncRequest) -> Iterator[Landed]:
        section = getattr(request.settings, network)
        yield from land_actions(
            request,
            network,
            tuple(section.account_ids),
            section.lookback_days,
            open_fetch(request, section),
            lambda log: row_loss.guard(network, section, log),
            section.max_concurrent_accounts,
        )

    return land


def spec(
    name: str,
    *,
    package: str,
    fetch: Callable[[SyncRequest, Any], Fetch],
    credentials: tuple[Credential, ...],
    read_by: str,
    resource_description: str,
    lookback_days: int,
    statuses: Mapping[str, str],
    app: str,
    url: str,
    url_env_var: str,
    settings: type[NetworkSettings] = NetworkSettings,
    port: int | None = None,
    calls_per_minute: float | None = None,
) -> PlatformSpec:
    """The spec of the network `name` whose folder is the package `package`: its window reader
    `fetch(request, section)`, its `credentials`, what its raw asset is read by, its resource's
    description, its default lookback, its status words (-> pending | approved | reversed), and
    its stand-in: the class `app` in `<package>.standin.app` (with `secrets` there) and its part
    `<package>.standin.sandbox:SANDBOX`, served at `url_env_var` (port `port` under `perfmkt
    sandbox`); its API's `url` (overridden by `url_env_var`), its settings section `settings`
    (its example: `<package>/example.yaml`).
    `calls_per_minute`: its client-side pacing by default (None: none needed)."""
    return PlatformSpec(
        name=name,
        channel="affiliate",
        config_section=name,
        example=resources.files(package).joinpath("example.yaml"),
        credentials=credentials,
        raw_tables=(affiliate_actions,),
        connector=Connector(
            asset_name=None,
            raw_assets=(raw_asset(name, read_by),),
            sync=sync(name, fetch),
            group=GROUP,
            kind=name,
            pool=name,
            resource_key=name,
            resource_description=resource_description,
        ),
        errors=ERRORS,
        default_lookback_days=lookback_days,
        budget=RequestBudget(calls_per_minute=calls_per_minute),
        standin=StandIn(
            app=f"{package}.standin.app:{app}",
            url_env_var=url_env_var,
            secrets=f"{package}.standin.app:secrets",
            sandbox=f"{package}.standin.sandbox:SANDBOX",
            port=port,
        ),
        actions=Actions(affiliate_actions, statuses),
        endpoints={name: Endpoint(url, url_env_var)},
        settings=settings,
        # A network tracks actions within the hour, but its exports can arrive after the sync:
        # a day's grace.
        expected_lag_days=2,
    )
