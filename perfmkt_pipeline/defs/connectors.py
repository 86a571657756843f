"""The one connector-asset factory: a platform's raw landing asset and its credentials resource,
built from its `PlatformSpec` (platforms/base/spec.py) alone.

The asset is thin: it takes the dates from the partition window, hands the platform's `sync` the
warehouse, the resolved credentials, the settings and the run's logger, and reports what `sync`
landed. A platform filling several raw tables gets one multi-asset; one filling a single raw
table (an affiliate network, a file feed, the FX rates) one asset, its step named after the
asset key. A source configured several times (file feeds) gets one asset per instance. The
resource holds each credential as an `EnvVar` (the UI shows only the variable's name); nothing is
read, connected or fetched when definitions load.

Account fan-out (`executor.accounts_per_step`): a platform given N there whose configured accounts
are more than N gets, instead, one graph-backed asset of the same keys: one step per group of at
most N accounts (in configured order), each syncing its accounts alone (the platform's `sync`
with a section naming only them: `PlatformSpec.settings_for_accounts`), and a last step that
waits for all of them and records the materialisations. Any executor places the account steps
on any worker; each write is the platform's own (one transaction per account-window), so a step
that fails leaves the others' writes in place, and core and marts, which depend on the raw
assets, wait for the last step, which waits for every account step (Dagster dependencies).
Re-executing the run from failure re-runs the failed account steps and what follows. Each account
step has its own pool, `<pool>_accounts_<i>`: the same accounts are read by one step at a time
across runs, while the groups run side by side.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetOut,
    AssetsDefinition,
    AssetSpec,
    ConfigurableResource,
    DagsterEventType,
    EnvVar,
    Failure,
    In,
    MaterializeResult,
    MetadataValue,
    Nothing,
    OpExecutionContext,
    Out,
    Output,
    asset,
    graph_multi_asset,
    multi_asset,
    op,
)

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.metadata import preview, table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.defs.policies import SOURCE_RETRY, fail_fast
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


def _request(
    context: AssetExecutionContext | OpExecutionContext, spec: PlatformSpec, settings: Settings
) -> SyncRequest:
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
    groups = account_groups(spec, settings)
    if len(groups) > 1:
        return _fanned_out(spec, settings, kinds, section, options, groups)
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


def account_groups(spec: PlatformSpec, settings: Settings) -> list[tuple[str, ...]]:
    """The platform's configured accounts in steps of at most `executor.accounts_per_step`
    (configured order); one group, all of them, when the platform is not named there, has no
    more accounts than that, or cannot be split (a manager's discovered accounts, a source
    configured several times)."""
    size = settings.executor.accounts_per_step.get(spec.name)
    if size is None or not spec.can_fan_out():
        return [tuple(spec.account_ids(settings))]
    accounts = spec.account_ids(settings)
    return [tuple(accounts[i : i + size]) for i in range(0, len(accounts), size)] or [()]


def _step_name(spec: PlatformSpec) -> str:
    connector = spec.connector
    if connector.asset_name is not None:
        return connector.asset_name
    return "__".join(connector.raw_assets[0].asset_key)


def part_step_key(spec: PlatformSpec, index: int) -> str:
    """The step key of account group `index` (1-based) of a fanned-out platform."""
    name = _step_name(spec)
    return f"{name}.{name}_accounts_{index}"


def collect_step_key(spec: PlatformSpec) -> str:
    """The step key of a fanned-out platform's last step (the materialisations)."""
    name = _step_name(spec)
    return f"{name}.{name}_landed"


def _plain(value: Any) -> Any:
    """A JSON-able form of a `Landed` metadata value (a DataFrame: its row count)."""
    if isinstance(value, pd.DataFrame):
        return {"rows": len(value)}
    return value


def _reraise_naming(error: BaseException, where: str, accounts: Sequence[str]) -> Failure:
    """`error` as a Failure whose description and metadata name the step's accounts (retried
    by the step's policy unless the error was not retryable: policies.fail_fast)."""
    named = {"accounts": MetadataValue.json(list(accounts))}
    if isinstance(error, Failure):
        return Failure(
            description=f"{where}: {error.description}",
            metadata={**error.metadata, **named},
            allow_retries=error.allow_retries,
        )
    return Failure(
        description=f"{where}: {error}",
        metadata={**named, "error": type(error).__name__},
        allow_retries=True,
    )


def _part_op(
    spec: PlatformSpec,
    settings: Settings,
    options: dict[str, Any],
    index: int,
    groups: Sequence[tuple[str, ...]],
):
    connector = spec.connector
    accounts = groups[index - 1]
    narrowed = spec.settings_for_accounts(settings, accounts)
    name = _step_name(spec)
    where = (
        f"{spec.name} {spec.accounts_key} {', '.join(accounts)} "
        f"(account step {index} of {len(groups)})"
    )

    @op(
        name=f"{name}_accounts_{index}",
        description=f"{connector.description or spec.name} This step: accounts "
        f"{', '.join(accounts)} (step {index} of {len(groups)}, "
        f"executor.accounts_per_step).",
        out=Out(Nothing, description=f"{spec.name}: accounts {', '.join(accounts)} landed"),
        required_resource_keys=options["required_resource_keys"],
        retry_policy=options["retry_policy"],
        pool=f"{connector.pool}_accounts_{index}",
        tags={"perfmkt/accounts": ",".join(accounts)},
    )
    def land_accounts(context: OpExecutionContext) -> Iterator[Output]:
        try:
            with fail_fast():
                landed = list(connector.sync(_request(context, spec, narrowed)))
        except Exception as error:
            raise _reraise_naming(error, where, accounts) from error
        metadata: dict[str, Any] = {"accounts": MetadataValue.json(list(accounts))}
        counts = {}
        for result in landed:
            table = "/".join(result.key)
            counts[table] = result.metadata.get("dagster/row_count")
            metadata[table] = MetadataValue.json(
                {key: _plain(value) for key, value in result.metadata.items()}
            )
        metadata["row_counts"] = MetadataValue.json(counts)
        yield Output(None, metadata=metadata)

    return land_accounts


def _part_outputs(context: OpExecutionContext, step_keys: Sequence[str]) -> dict[str, dict]:
    """step key -> its output's metadata (plain values), from this run's events or, for a step
    that a re-execution did not run again, its parent runs'."""
    instance = context.instance
    wanted = set(step_keys)
    found: dict[str, dict] = {}
    run = context.run
    while run is not None and wanted - set(found):
        for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_OUTPUT):
            key = entry.step_key
            if key in wanted and key not in found and entry.dagster_event is not None:
                data = entry.dagster_event.step_output_data
                found[key] = {name: value.value for name, value in data.metadata.items()}
        run = instance.get_run_by_id(run.parent_run_id) if run.parent_run_id else None
    return found


def _collect_op(spec: PlatformSpec, groups: Sequence[tuple[str, ...]]):
    connector = spec.connector
    name = _step_name(spec)
    outputs = {_output_name(raw.asset_key): raw for raw in connector.raw_assets}
    parts = [part_step_key(spec, index) for index in range(1, len(groups) + 1)]

    @op(
        name=f"{name}_landed",
        description=f"{spec.name}: every account step has landed its accounts (records the "
        "raw assets' materialisations).",
        ins={f"accounts_{index}": In(Nothing) for index in range(1, len(groups) + 1)},
        out={output: Out(Nothing, is_required=True) for output in outputs},
        required_resource_keys={"warehouse"},
    )
    def landed(context: OpExecutionContext) -> Iterator[Output]:
        found = _part_outputs(context, parts)
        missing = [key for key in parts if key not in found]
        if missing:
            raise Failure(description=f"{spec.name}: no output recorded for {', '.join(missing)}")
        start, end = window(context)
        steps = {key: found[key].get("accounts") for key in parts}
        for output, raw in outputs.items():
            table = "/".join(raw.asset_key)
            rows = [found[key].get("row_counts", {}).get(table) for key in parts]
            metadata: dict[str, Any] = {
                "accounts": sum(len(group) for group in groups),
                "window": f"{start}..{end}",
                "account_steps": MetadataValue.json(steps),
            }
            if all(isinstance(count, int) for count in rows):
                metadata["dagster/row_count"] = sum(rows)
            yield Output(None, output_name=output, metadata=metadata)

    return landed


def _output_name(key: tuple[str, ...]) -> str:
    return "__".join(key)


def _fanned_out(
    spec: PlatformSpec,
    settings: Settings,
    kinds: set[str],
    section: Any,
    options: dict[str, Any],
    groups: Sequence[tuple[str, ...]],
) -> AssetsDefinition:
    """One graph-backed asset of the platform's raw asset keys: a step per account group, then
    the step that records the materialisations once every group has landed."""
    connector = spec.connector
    parts = [_part_op(spec, settings, options, i, groups) for i in range(1, len(groups) + 1)]
    collect = _collect_op(spec, groups)
    outs = {
        _output_name(raw.asset_key): AssetOut(
            key=AssetKey(list(raw.asset_key)),
            dagster_type=Nothing,
            description=raw.describe(section),
            kinds=kinds,
            metadata=table_definition_metadata(raw.table),
        )
        for raw in connector.raw_assets
    }

    @graph_multi_asset(
        name=_step_name(spec),
        outs=outs,
        group_name=connector.group,
        partitions_def=options["partitions_def"],
        backfill_policy=options["backfill_policy"],
    )
    def _land_accounts():
        landed = collect(**{f"accounts_{i}": part() for i, part in enumerate(parts, start=1)})
        if len(outs) == 1:
            return {next(iter(outs)): landed}
        return dict(zip(outs, landed, strict=True))

    return _land_accounts


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
    "account_groups",
    "collect_step_key",
    "part_step_key",
    "build_all_connector_assets",
    "build_connector_assets",
    "connector_resources",
    "platform_resource",
    "resource_class",
]
