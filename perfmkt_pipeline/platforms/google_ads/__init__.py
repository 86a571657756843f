"""Google Ads source: the official `google-ads` client (gRPC), GAQL, error classes and parsing.

Plain Python: no Dagster, no warehouse. `GoogleAdsReader` lists accounts and reads daily campaign
metrics and conversions per action; `errors` classifies every failure once.
"""

from perfmkt_pipeline.platforms.google_ads.client import (
    SOURCE,
    AccountReport,
    ChunkRead,
    GoogleAdsConfig,
    GoogleAdsCredentials,
    GoogleAdsReader,
)
from perfmkt_pipeline.platforms.google_ads.errors import (
    GoogleAdsAuthError,
    GoogleAdsDataError,
    GoogleAdsError,
    GoogleAdsFatalError,
    GoogleAdsPermissionError,
    GoogleAdsQuotaError,
)
from perfmkt_pipeline.platforms.google_ads.parsing import (
    Account,
    CampaignDay,
    ConversionDay,
    micros_to_decimal,
)
from perfmkt_pipeline.platforms.google_ads.retry import RetryPolicy

__all__ = [
    "SOURCE",
    "Account",
    "AccountReport",
    "CampaignDay",
    "ChunkRead",
    "ConversionDay",
    "GoogleAdsAuthError",
    "GoogleAdsConfig",
    "GoogleAdsCredentials",
    "GoogleAdsDataError",
    "GoogleAdsError",
    "GoogleAdsFatalError",
    "GoogleAdsPermissionError",
    "GoogleAdsQuotaError",
    "GoogleAdsReader",
    "RetryPolicy",
    "micros_to_decimal",
]
