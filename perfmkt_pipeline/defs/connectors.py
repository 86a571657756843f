"""The one connector-asset factory: a platform's raw landing asset and its credentials resource,
built from its `PlatformSpec` (platforms/base/spec.py) alone.

The asset is thin: it takes the dates from the partition window, hands the platform's `sync` the
warehouse, the resolved credentials, the settings and the run's logger, and reports what `sync`
landed. A platform filling several raw tables gets one multi-asset; one filling a single raw
table (an affiliate network, a file feed, the ECB rates) one asset, its step named after the
asset key. A source configured several times (file feeds) gets one asset per instance. The resource holds each credential as an `EnvVar` (the UI shows only the variable's
name); nothing is read, connected or fetched when definitions load.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import functools
import os
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    ConfigurableResource,
    EnvVar,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.metadata import preview, table_definition_metadata
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
    """The resource of every configured registered platform that needs credentials, by its
    resource key."""
    return {
        spec.connector.resource_key: platform_resource(spec)
        for spec in platforms.configured(settings)
        if spec.connector.resource_key is not None
    }


def _value(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return preview(value)
    return MetadataValue.json(value) if isinstance(value, dict | list) else value


def _metadata(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _value(value) for key, value in values.items()}


def _results(landed: Iterator[Landed]) -> Iterator[MaterializeResult]:
    for result in landed:
        yield MaterializeResult(
            asset_key=AssetKey(list(result.key)), metadata=_metadata(result.metadata)
        )


def _request(context: AssetExecutionContext, spec: PlatformSpec, settings: Settings) -> SyncRequest:
    start, end = window(context)
    key = spec.connector.resource_key
    return SyncRequest(
        warehouse=context.resources.warehouse.get(),
        credentials=getattr(context.resources, key).credentials() if key else {},
        settings=settings,
        start=start,
        end=end,
        log=context.log,
    )


def _build(spec: PlatformSpec, settings: Settings, engine_kind: str) -> AssetsDefinition:
    """The raw asset(s) of one configured instance."""
    connector = spec.connector
    kinds = {"python", engine_kind, *([connector.kind] if connector.kind else [])}
    section = spec.section(settings)
    options: dict[str, Any] = {
        "partitions_def": daily_partitions(settings),
        "backfill_policy": SINGLE_RUN,
        "pool": connector.pool,
        "retry_policy": SOURCE_RETRY if connector.retry_on_failure else None,
        "required_resource_keys": {
            "warehouse",
            *([connector.resource_key] if connector.resource_key else []),
        },
    }
    if connector.asset_name is None:
        return _single(spec, settings, kinds, section, options)
    specs = [
        AssetSpec(
            AssetKey(list(raw.asset_key)),
            description=raw.describe(section),
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
        **options,
    )
    def _land(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        yield from _results(connector.sync(_request(context, spec, settings)))

    return _land


def _single(
    spec: PlatformSpec, settings: Settings, kinds: set[str], section: Any, options: dict[str, Any]
) -> AssetsDefinition:
    """One asset for the connector's one raw asset (its step named after the asset key)."""
    connector = spec.connector
    if len(connector.raw_assets) != 1:
        raise ValueError(
            f"platform {spec.name!r}: a connector without asset_name fills exactly one raw "
            f"asset, not {len(connector.raw_assets)}"
        )
    [raw] = connector.raw_assets

    @asset(
        key=AssetKey(list(raw.asset_key)),
        description=raw.describe(section),
        group_name=connector.group,
        kinds=kinds,
        metadata=table_definition_metadata(raw.table),
        **options,
    )
    def land(context: AssetExecutionContext) -> MaterializeResult:
        [landed] = connector.sync(_request(context, spec, settings))
        return MaterializeResult(metadata=_metadata(landed.metadata))

    return land


def build_connector_assets(
    spec: PlatformSpec, settings: Settings, engine_kind: str
) -> list[AssetsDefinition]:
    """The platform's raw assets (one multi-asset, or one asset for a single raw table), one per
    configured instance; none when it is not configured."""
    return [_build(instance, settings, engine_kind) for instance in spec.instances(settings)]


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
