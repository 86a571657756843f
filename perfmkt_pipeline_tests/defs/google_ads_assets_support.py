"""Google Ads' raw assets and resource as the connector factory builds them from its spec (what
defs/build.py wires in), under the names the Google Ads asset tests use."""

from __future__ import annotations

from collections.abc import Mapping

from dagster import AssetKey, AssetsDefinition

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.connectors import build_connector_assets, platform_resource

GOOGLE_ADS = platforms.get("google_ads")
CAMPAIGN_DAILY = AssetKey(["raw", "google_ads_campaign_daily"])
CONVERSION_DAILY = AssetKey(["raw", "google_ads_conversion_daily"])
ACCOUNTS = AssetKey(["raw", "google_ads_accounts"])


def build_google_ads_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    return build_connector_assets(GOOGLE_ADS, settings, engine_kind)


def google_ads_resource(environ: Mapping[str, str] | None = None):
    return platform_resource(GOOGLE_ADS, environ)
