"""The affiliate sources' and the ECB rates' raw assets and resources as the connector factory
builds them from their specs (what defs/build.py wires in), under the names the tests use."""

from __future__ import annotations

from dagster import AssetsDefinition, ConfigurableResource

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.assets.fx import build_fx_rates_assets
from perfmkt_pipeline.defs.connectors import (
    build_connector_assets,
    platform_resource,
    resource_class,
)

ImpactResource = resource_class(platforms.get("impact"))
CjResource = resource_class(platforms.get("cj"))
AwinResource = resource_class(platforms.get("awin"))


def _affiliates() -> list[platforms.PlatformSpec]:
    return [spec for spec in platforms.all_specs() if spec.channel == "affiliate"]


def build_affiliate_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """One raw asset per configured network and per file feed."""
    return [
        asset
        for spec in _affiliates()
        for asset in build_connector_assets(spec, settings, engine_kind)
    ]


def affiliate_resources(settings: Settings) -> dict[str, ConfigurableResource]:
    """The resource of each configured network (file feeds need none)."""
    return {
        instance.connector.resource_key: platform_resource(instance)
        for spec in _affiliates()
        for instance in spec.instances(settings)
        if instance.connector.resource_key
    }


def build_fx_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """raw.ecb_rates (the ECB source's) and core.fx_rates."""
    return [
        *build_connector_assets(platforms.get("ecb"), settings, engine_kind),
        *build_fx_rates_assets(settings, engine_kind),
    ]
