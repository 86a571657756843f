"""Meta (Marketing API, ad-level daily insights), described for the registry."""

from __future__ import annotations

from importlib import resources

from perfmkt_pipeline.platforms.base.spec import (
    BelowCampaign,
    Connector,
    CoreMapping,
    Credential,
    Endpoint,
    ErrorClasses,
    PlatformSpec,
    RawAsset,
    RawTotals,
    RequestBudget,
    StandIn,
)
from perfmkt_pipeline.platforms.meta import core_read, sync
from perfmkt_pipeline.platforms.meta.errors import (
    MetaDataError,
    MetaError,
    MetaFatalError,
    MetaRetriesExhausted,
)
from perfmkt_pipeline.platforms.meta.settings import LOOKBACK_DAYS, MetaSettings
from perfmkt_pipeline.platforms.meta.tables import (
    meta_accounts,
    meta_ad_actions,
    meta_ad_insights,
    meta_ads,
    meta_adsets,
)

NAME = "meta"

SPEC = PlatformSpec(
    name=NAME,
    channel="social",
    config_section="meta",
    credentials=(
        Credential("access_token", "META_ACCESS_TOKEN"),
        # When set, every request is signed with it (appsecret_proof).
        Credential("app_secret", "META_APP_SECRET", required=False),
    ),
    raw_tables=(meta_accounts, meta_ad_insights, meta_ad_actions, meta_adsets, meta_ads),
    connector=Connector(
        asset_name="meta_raw",
        raw_assets=(
            RawAsset(
                meta_accounts,
                "Meta ad accounts as Graph describes them (name, currency, time zone), one row "
                "per configured account, with the record as received.",
            ),
            RawAsset(
                meta_ad_insights,
                "Meta ad-level daily insights (level=ad, time_increment=1) in each ad account's "
                "own currency and time zone: spend, impressions, clicks, and actions / action "
                "values kept whole, plus every record exactly as received.",
            ),
            RawAsset(
                meta_ad_actions,
                "Meta actions and action values per ad, day, action type and attribution "
                "('value' = the attribution setting in force, or a requested window such as "
                "7d_click / 1d_view), broken out of the insights records.",
            ),
            RawAsset(
                meta_adsets,
                "Meta ad sets (name, status, campaign) as the account's listing last described "
                "them, listed once per run; with the record as received.",
            ),
            RawAsset(
                meta_ads,
                "Meta ads (name, status, ad set) with their creative's destination link and "
                "url_tags, as the account's listing last described them, listed once per run; "
                "with the record as received.",
            ),
        ),
        sync=sync.sync,
        group="meta",
        kind="meta",
        pool="meta",
        resource_key="meta",
        description="Meta Marketing API insights for the partition window, landed in raw: "
        "several ad accounts at once (meta.max_concurrent_accounts), each chunk of days of an "
        "account in one transaction.",
        resource_description="Credentials for the Meta Marketing API. `access_token` is a "
        "system-user or user token with ads_read; `app_secret`, when set, signs every request "
        "(appsecret_proof).",
    ),
    errors=ErrorClasses(
        fatal=(MetaFatalError,),
        data=(MetaDataError,),
        retryable=(MetaRetriesExhausted,),
        base=(MetaError,),
    ),
    default_lookback_days=LOOKBACK_DAYS,
    # Graph paces by its usage headers (usage.py), not by a fixed rate; a 45-day backfill of an
    # account is one async report run (benchmarks/api_efficiency.py).
    budget=RequestBudget(calls_per_minute=None),
    standin=StandIn(
        app="perfmkt_pipeline.platforms.meta.standin.app:MetaApp",
        # The base URL carries no version: the SDK appends "/vNN.0/...".
        url_env_var="PERFMKT_META_URL",
        secrets="perfmkt_pipeline.platforms.meta.standin.env:sandbox_env",
        port=8701,
        sandbox="perfmkt_pipeline.platforms.meta.standin.sandbox:SANDBOX",
    ),
    core=CoreMapping(
        read=core_read.read,
        accounts=meta_accounts,
        daily=(meta_ad_insights, meta_ad_actions),
        names=meta_ad_insights,
        totals=RawTotals(meta_ad_insights, spend="spend"),
        # Campaign `status` (Marketing API reference, Ad Campaign): ACTIVE, PAUSED, DELETED,
        # ARCHIVED.
        stopped_statuses=frozenset({"PAUSED", "ARCHIVED", "DELETED"}),
        below=BelowCampaign(
            read=core_read.read_below,
            daily=(meta_ad_insights, meta_ad_actions),
            listings=(meta_adsets, meta_ads),
        ),
    ),
    row_loss_reason=sync.ROW_LOSS_REASON,
    endpoints={"meta": Endpoint("https://graph.facebook.com", "PERFMKT_META_URL")},
    settings=MetaSettings,
    # It reports a day within hours: the daily sync loads through yesterday.
    expected_lag_days=1,
    preload=("facebook_business.api",),
    example=resources.files(__package__).joinpath("example.yaml"),
)
