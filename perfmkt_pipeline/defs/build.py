"""Builds the Dagster definitions from the project settings (YAML only: no secrets, no I/O)."""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar

from perfmkt_pipeline.config import (
    WAREHOUSE_URL_ENV_VAR,
    Settings,
    load_settings,
    require_channel_secrets,
    require_executor,
    warehouse_url,
)
from perfmkt_pipeline.defs.alerts import build_alert_checks
from perfmkt_pipeline.defs.assets.below import build_below_core_assets, build_below_mart_assets
from perfmkt_pipeline.defs.assets.core import build_core_assets
from perfmkt_pipeline.defs.assets.fx import build_fx_rates_assets
from perfmkt_pipeline.defs.assets.marts import build_mart_assets
from perfmkt_pipeline.defs.assets.orders import (
    build_orders_assets,
    build_orders_checks,
    orders_resources,
)
from perfmkt_pipeline.defs.below_checks import build_below_checks
from perfmkt_pipeline.defs.checks import build_checks
from perfmkt_pipeline.defs.connectors import build_all_connector_assets, connector_resources
from perfmkt_pipeline.defs.executor import run_executor
from perfmkt_pipeline.defs.notifications import build_notification_sensor, notification_resources
from perfmkt_pipeline.defs.policies import celery_step_tags, fail_fast_steps
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.defs.schedules import build_schedules, build_sensors
from perfmkt_pipeline.warehouse.engine import normalise_url

# Dagster "kinds" icon per warehouse backend.
_ENGINE_KINDS = {"duckdb": "duckdb", "postgresql": "postgres"}


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or load_settings()
    # A notification channel without its secret fails here, at start-up, not at the first alert.
    require_channel_secrets(settings)
    # Likewise an executor without its broker, or one that runs steps on other machines with an
    # embedded DuckDB warehouse none of them can open.
    require_executor(settings)
    backend = normalise_url(warehouse_url()).get_backend_name()
    engine_kind = _ENGINE_KINDS.get(backend, "sql")
    # The URL may hold a password: pass it as an EnvVar so the UI shows only the variable's name.
    url = (
        EnvVar(WAREHOUSE_URL_ENV_VAR) if os.environ.get(WAREHOUSE_URL_ENV_VAR) else warehouse_url()
    )
    resources: dict[str, object] = {"warehouse": WarehouseResource(url=url)}
    resources.update(connector_resources(settings))
    resources.update(orders_resources(settings))
    resources.update(notification_resources(settings))
    assets = [
        *build_all_connector_assets(settings, engine_kind),
        *build_fx_rates_assets(settings, engine_kind),
        *build_core_assets(settings, engine_kind),
        *build_mart_assets(settings, engine_kind),
        *build_below_core_assets(settings, engine_kind),
        *build_below_mart_assets(settings, engine_kind),
        *build_orders_assets(settings, engine_kind),
    ]
    checks = [
        *build_checks(settings),
        *build_below_checks(settings),
        *build_orders_checks(settings),
        *build_alert_checks(settings),
    ]
    # Every step fails at once, without retries, on an error a retry cannot fix; with Celery the
    # steps others wait for go first (policies.py).
    tags = celery_step_tags(assets) if settings.executor.kind == "celery" else None
    assets = fail_fast_steps(assets, tags)
    return Definitions(
        assets=assets,
        asset_checks=fail_fast_steps(checks, tags),
        schedules=build_schedules(settings, assets),
        sensors=[*build_sensors(settings, assets), build_notification_sensor(settings)],
        resources=resources,
        executor=run_executor(settings),
    )


__all__ = ["build_definitions"]
