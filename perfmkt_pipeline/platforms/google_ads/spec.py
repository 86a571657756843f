"""Google Ads (Google Ads API over gRPC, daily campaign metrics and conversions per action),
described for the registry."""

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
from perfmkt_pipeline.platforms.google_ads import core_read, sync
from perfmkt_pipeline.platforms.google_ads.core_below import UNCOVERED_TYPES
from perfmkt_pipeline.platforms.google_ads.errors import (
    GoogleAdsAuthError,
    GoogleAdsDataError,
    GoogleAdsError,
    GoogleAdsFatalError,
    GoogleAdsPermissionError,
    GoogleAdsQuotaError,
)
from perfmkt_pipeline.platforms.google_ads.settings import LOOKBACK_DAYS, GoogleAdsSettings
from perfmkt_pipeline.platforms.google_ads.tables import (
    google_ads_accounts,
    google_ads_ad_conversion_daily,
    google_ads_ad_daily,
    google_ads_ad_groups,
    google_ads_ads,
    google_ads_campaign_daily,
    google_ads_campaigns,
    google_ads_conversion_daily,
    google_ads_keyword_conversion_daily,
    google_ads_keyword_daily,
)

NAME = "google_ads"

SPEC = PlatformSpec(
    name=NAME,
    channel="search",
    config_section="google_ads",
    credentials=(
        Credential("developer_token", "GOOGLE_ADS_DEVELOPER_TOKEN"),
        Credential("client_id", "GOOGLE_ADS_CLIENT_ID"),
        Credential("client_secret", "GOOGLE_ADS_CLIENT_SECRET"),
        Credential("refresh_token", "GOOGLE_ADS_REFRESH_TOKEN"),
        # The manager (MCC) acting for its client accounts; default: google_ads.
        # manager_customer_id.
        Credential("login_customer_id", "GOOGLE_ADS_LOGIN_CUSTOMER_ID", required=False),
    ),
    raw_tables=(
        google_ads_accounts,
        google_ads_campaign_daily,
        google_ads_conversion_daily,
        google_ads_campaigns,
        google_ads_ad_groups,
        google_ads_ads,
        google_ads_ad_daily,
        google_ads_keyword_daily,
        google_ads_ad_conversion_daily,
        google_ads_keyword_conversion_daily,
    ),  # fmt: skip
    connector=Connector(
        asset_name="google_ads_raw",
        raw_assets=(
            RawAsset(
                google_ads_campaign_daily,
                "Google Ads daily cost, impressions, clicks, conversions and conversion value "
                "per campaign, in each account's currency and time zone, as the API returned "
                "them (one SearchStream per account per chunk of days).",
            ),
            RawAsset(
                google_ads_conversion_daily,
                "Google Ads daily conversions and conversion value per campaign and conversion "
                "action, as the API returned them.",
            ),
            RawAsset(
                google_ads_accounts,
                "Google Ads accounts read by the pipeline: name, currency and time zone as the "
                "API described them.",
            ),
            RawAsset(
                google_ads_ad_daily,
                "Google Ads daily cost, impressions, clicks, conversions and value per ad "
                "(FROM ad_group_ad, one SearchStream per account per chunk of days); campaign "
                "types without ads, such as Performance Max, have none.",
            ),
            RawAsset(
                google_ads_keyword_daily,
                "Google Ads daily cost, impressions, clicks, conversions and value per keyword "
                "with its text and match type (FROM keyword_view, one SearchStream per account "
                "per chunk of days).",
            ),
            RawAsset(
                google_ads_ad_conversion_daily,
                "Google Ads daily conversions and conversion value per ad and conversion action "
                "(FROM ad_group_ad, one SearchStream per account per chunk of days), what "
                "google_ads.conversion_actions counts for ads.",
            ),
            RawAsset(
                google_ads_keyword_conversion_daily,
                "Google Ads daily conversions and conversion value per keyword and conversion "
                "action (FROM keyword_view, one SearchStream per account per chunk of days), "
                "what google_ads.conversion_actions counts for keywords.",
            ),
            RawAsset(
                google_ads_campaigns,
                "Google Ads campaigns with their advertising channel type (Search, Display, "
                "Performance Max, ...), listed once per run.",
            ),
            RawAsset(
                google_ads_ad_groups,
                "Google Ads ad groups (name, status, campaign), listed once per run.",
            ),
            RawAsset(
                google_ads_ads,
                "Google Ads ads (name, type, status, first final URL), listed once per run.",
            ),
        ),
        sync=sync.sync,
        group="google_ads",
        kind="googleads",
        pool="google_ads",
        resource_key="google_ads",
        description="Reads the run's day range from Google Ads, several accounts at once "
        "(google_ads.max_concurrent_accounts), and replaces each chunk of days of each account "
        "in raw.google_ads_campaign_daily and raw.google_ads_conversion_daily (and the "
        "account's row in raw.google_ads_accounts) in one transaction per account and chunk.",
        resource_description="Google Ads API credentials, each from an environment variable. "
        "Nothing is read or connected until an asset asks for a reader.",
    ),
    # A plain GoogleAdsFatalError is not fatal here on purpose: the client also raises it when
    # its own retries ran out, which a step retry minutes later can cure (as it can a
    # GoogleAdsQuotaError).
    errors=ErrorClasses(
        fatal=(GoogleAdsAuthError, GoogleAdsPermissionError),
        data=(GoogleAdsDataError,),
        retryable=(GoogleAdsFatalError, GoogleAdsQuotaError),
        base=(GoogleAdsError,),
    ),
    default_lookback_days=LOOKBACK_DAYS,
    # The API paces by quota errors with an advised retry delay (retry.py), not a fixed rate; a
    # backfill reads each account with one SearchStream per chunk of days for metrics and one
    # for conversions (benchmarks/api_efficiency.py).
    budget=RequestBudget(calls_per_minute=None),
    standin=StandIn(
        app="perfmkt_pipeline.platforms.google_ads.standin.server:GoogleAdsServer",
        server=True,
        secrets="perfmkt_pipeline.platforms.google_ads.standin.env:sandbox_env",
        port=8707,
        sandbox="perfmkt_pipeline.platforms.google_ads.standin.sandbox:SANDBOX",
    ),
    core=CoreMapping(
        read=core_read.read,
        accounts=google_ads_accounts,
        daily=(google_ads_campaign_daily, google_ads_conversion_daily),
        names=google_ads_campaign_daily,
        totals=RawTotals(google_ads_campaign_daily, spend="cost_micros", micros=True),
        # CampaignStatusEnum (Google Ads API reference): ENABLED, PAUSED, REMOVED.
        stopped_statuses=frozenset({"PAUSED", "REMOVED"}),
        below=BelowCampaign(
            read=core_read.read_below,
            daily=(
                google_ads_ad_daily,
                google_ads_keyword_daily,
                google_ads_ad_conversion_daily,
                google_ads_keyword_conversion_daily,
            ),  # fmt: skip
            listings=(google_ads_campaigns, google_ads_ad_groups, google_ads_ads),
            ads_equal_campaigns=False,
            uncovered_types=UNCOVERED_TYPES,
            campaign_types=core_read.campaign_types,
        ),
    ),
    row_loss_reason=sync.ROW_LOSS_REASON,
    endpoints={
        "google_ads": Endpoint("googleads.googleapis.com:443", "PERFMKT_GOOGLE_ADS_ENDPOINT"),
        # The OAuth token endpoint the client refreshes its access token at.
        "google_oauth": Endpoint("https://oauth2.googleapis.com/token", "PERFMKT_GOOGLE_OAUTH_URL"),
    },
    settings=GoogleAdsSettings,
    # It reports a day within hours: the daily sync loads through yesterday.
    expected_lag_days=1,
    preload=("google.ads.googleads.client",),
    # Accounts are listed, or discovered under the manager.
    accounts_of=lambda section: section.customer_ids,
    accounts_key="customer_ids/manager_customer_id",
    # A step of the account fan-out reads these of the listed customers (a manager's discovered
    # ones are read in one step: nothing lists them before the run).
    with_accounts=lambda section, ids: section.model_copy(update={"customer_ids": list(ids)}),
    example=resources.files(__package__).joinpath("example.yaml"),
)
