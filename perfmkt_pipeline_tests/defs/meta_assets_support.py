"""Meta's raw assets and resource as the connector factory builds them from its spec (what
defs/build.py wires in), under the names the Meta asset tests use."""

from __future__ import annotations

from dagster import AssetKey, AssetsDefinition

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.connectors import build_connector_assets, platform_resource

META = platforms.get("meta")
ACCOUNTS_KEY = AssetKey(["raw", "meta_accounts"])
INSIGHTS_KEY = AssetKey(["raw", "meta_ad_insights"])
ACTIONS_KEY = AssetKey(["raw", "meta_ad_actions"])


def build_meta_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    return build_connector_assets(META, settings, engine_kind)


def meta_resource():
    return platform_resource(META)
