"""The one connector-asset factory: a platform's raw landing asset and its credentials resource,
built from its `PlatformSpec` (platforms/base/spec.py) alone.

The asset is thin: it takes the dates from the partition window, hands the platform's `sync` the
warehouse, the resolved credentials, the settings and the run's logger, and reports what `sync`
landed. The resource holds each credential as an `EnvVar` (the UI shows only the variable's
name); nothing is read, connected or fetched when definitions load.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import functools
import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    ConfigurableResource,
    EnvVar,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.metadata import table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.defs.policies import SOURCE_RETRY
from perfmkt_pipeline.platforms.base.spec import Landed, PlatformSpec, SyncRequest


class PlatformResource(ConfigurableResource):
    """A platform's credentials (subclassed per platform by `resource_class`)."""

    def credentials(self) -> dict[str, str | None]:
        """field -> value, resolved (an unset optional credential is None)."""
        return {name: getattr(self, name) or None for name in type(self).model_fields}


@functools.cache
def resource_class(spec: PlatformSpec) -> type[PlatformResource]:
    """The resource class of `spec`, one field per credential (its config key in Dagster),
    named after the platform (`some_platform` -> SomePlatformResource)."""
    fields = {c.field: str if c.required else (str | None) for c in spec.credentials}
    defaults = {c.field: None for c in spec.credentials if not c.required}
    title = "".join(part.capitalize() for part in spec.name.split("_"))
    namespace = {
        "__annotations__": fields,
        "__doc__": spec.connector.resource_description or f"{spec.name} credentials.",
        "__module__": __name__,
        **defaults,
    }
    return type(f"{title}Resource", (PlatformResource,), namespace)


def platform_resource(spec: PlatformSpec, environ: Mapping[str, str] | None = None):
    """The platform's resource with every credential as an `EnvVar` (resolved when a run
    starts); an optional one is wired in only when its variable exists (an unset `EnvVar` is an
    error)."""
    environ = os.environ if environ is None else environ
    values = {
        c.field: EnvVar(c.env_var) for c in spec.credentials if c.required or environ.get(c.env_var)
    }
    return resource_class(spec)(**values)


def connector_resources(settings: Settings) -> dict[str, ConfigurableResource]:
    """The resource of every configured registered platform, by its resource key."""
    return {
        spec.connector.resource_key: platform_resource(spec)
        for spec in platforms.configured(settings)
    }


def _metadata(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: MetadataValue.json(value) if isinstance(value, dict | list) else value
        for key, value in values.items()
    }


def _results(landed: Iterator[Landed]) -> Iterator[MaterializeResult]:
    for result in landed:
        yield MaterializeResult(
            asset_key=AssetKey(list(result.key)), metadata=_metadata(result.metadata)
        )


def build_connector_assets(
    spec: PlatformSpec, settings: Settings, engine_kind: str
) -> list[AssetsDefinition]:
    """The platform's raw assets (one multi-asset), or none when it is not configured."""
    if not spec.configured(settings):
        return []
    connector = spec.connector
    kinds = {"python", engine_kind, connector.kind}
    specs = [
        AssetSpec(
            AssetKey(list(raw.asset_key)),
            description=raw.description,
            group_name=connector.group,
            kinds=kinds,
            metadata=table_definition_metadata(raw.table),
        )
        for raw in connector.raw_assets
    ]

    @multi_asset(
        name=connector.asset_name,
        specs=specs,
        description=connector.description or None,
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        pool=connector.pool,
        retry_policy=SOURCE_RETRY if connector.retry_on_failure else None,
        required_resource_keys={"warehouse", connector.resource_key},
    )
    def _land(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        start, end = window(context)
        resource = getattr(context.resources, connector.resource_key)
        request = SyncRequest(
            warehouse=context.resources.warehouse.get(),
            credentials=resource.credentials(),
            settings=settings,
            start=start,
            end=end,
            log=context.log,
        )
        yield from _results(connector.sync(request))

    return [_land]


def build_all_connector_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """The raw assets of every registered platform the settings configure."""
    return [
        asset
        for spec in platforms.all_specs()
        for asset in build_connector_assets(spec, settings, engine_kind)
    ]


__all__ = [
    "PlatformResource",
    "build_all_connector_assets",
    "build_connector_assets",
    "connector_resources",
    "platform_resource",
    "resource_class",
]
