"""The Dagster side of the asset checks: the checks on one asset run in one step.

Each step process costs a fixed amount (a fork, Dagster's step set-up and events, the warehouse
resource) whatever it evaluates, and a run of every asset had one step per check (issue #18).
The blocking checks on the same asset now share a step (`multi_asset_check`), and so do the
other checks (warnings) on the same asset, in a step of their own; a check alone in its group
keeps the `@asset_check` step it always had. Nothing else changes:

- check names, their asset keys, descriptions, severities and blocking flags are the specs';
- blocking: Dagster makes the assets downstream of an asset wait for that asset's blocking
  checks, and skips them when such a check fails or its step fails; grouping the blocking checks
  of one asset therefore blocks exactly what they blocked apart. Checks on different assets are
  never grouped (a failure on one would stop the other's downstream, and a check would wait for
  an asset it does not check), nor a non-blocking check with blocking ones (its error would
  stop the asset's downstream, which it never did). Nothing waits for a warning, so a step of
  warnings blocks nothing, whatever its checks report or raise;
- each check is evaluated in its own transaction, and one that raises does not keep the others of
  its step from reporting: their results come first, then its error fails the step; on DuckDB
  the transactions of one step share a connection (`connections_shared`), opened once;
- a check can still be run alone (the step runs only the selected checks);
- a check that compares its asset with another table names that table (`Check.deps`): its step
  then waits for that table too, as Dagster's `additional_deps` make it.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    PartitionsDefinition,
    asset_check,
    multi_asset_check,
)

from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.warehouse.engine import connections_shared


@dataclass(frozen=True)
class Check:
    """One asset check: `evaluate` reads what it needs on a connection and returns an Outcome
    (defs/checks.py); a failed blocking check is an error, a failed other check a warning."""

    asset: AssetKey
    name: str
    description: str
    evaluate: Callable[[sa.Connection, AssetCheckExecutionContext], Any]
    blocking: bool = True
    # Other assets the check reads (beside its own): it runs once they are materialised too.
    deps: tuple[AssetKey, ...] = ()

    @property
    def severity(self) -> AssetCheckSeverity:
        return AssetCheckSeverity.ERROR if self.blocking else AssetCheckSeverity.WARN

    def run(
        self, context: AssetCheckExecutionContext, warehouse: WarehouseResource, **key: Any
    ) -> AssetCheckResult:
        with warehouse.get().begin() as conn:
            outcome = self.evaluate(conn, context)
        return AssetCheckResult(
            passed=outcome.passed,
            severity=self.severity,
            metadata=outcome.metadata,
            description=outcome.description,
            **key,
        )


def _alone(check: Check, partitions_def: PartitionsDefinition) -> AssetChecksDefinition:
    @asset_check(
        asset=check.asset,
        name=check.name,
        description=check.description,
        blocking=check.blocking,
        partitions_def=partitions_def,
        additional_deps=check.deps or None,
    )
    def _run(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        return check.run(context, warehouse)

    return _run


def _together(
    asset: AssetKey, checks: Sequence[Check], partitions_def: PartitionsDefinition
) -> AssetChecksDefinition:
    specs = [
        AssetCheckSpec(
            c.name,
            asset=asset,
            description=c.description,
            blocking=c.blocking,
            partitions_def=partitions_def,
            additional_deps=c.deps or None,
        )
        for c in checks
    ]

    kind = "checks" if checks[0].blocking else "warnings"
    name = f"{asset.to_python_identifier()}_{kind}"

    @multi_asset_check(specs=specs, name=name, can_subset=True)
    def _run(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[AssetCheckResult]:
        selected = context.selected_asset_check_keys
        error: Exception | None = None
        results: list[AssetCheckResult] = []
        # One DuckDB connection for the step's checks (each still its own transaction), closed
        # before their results are reported.
        with connections_shared():
            for check in checks:
                if AssetCheckKey(asset, check.name) not in selected:
                    continue
                try:
                    results.append(
                        check.run(context, warehouse, asset_key=asset, check_name=check.name)
                    )
                except Exception as raised:  # the step's other checks still report
                    error = error or raised
        yield from results
        if error is not None:
            raise error

    return _run


def check_steps(
    checks: Sequence[Check], partitions_def: PartitionsDefinition
) -> list[AssetChecksDefinition]:
    """The checks as Dagster definitions: one step for the blocking checks of each asset, one
    for its other checks."""
    groups: dict[tuple[AssetKey, bool], list[Check]] = {}
    for check in checks:
        groups.setdefault((check.asset, check.blocking), []).append(check)
    return [
        _alone(group[0], partitions_def)
        if len(group) == 1
        else _together(group[0].asset, group, partitions_def)
        for group in groups.values()
    ]
