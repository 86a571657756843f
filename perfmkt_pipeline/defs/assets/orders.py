"""First-party orders in Dagster: one raw asset per configured orders source, the core.orders
asset, the marts beside ad spend (marts.blended_daily, marts.utm_daily) and their checks.

Thin: dates from the partition window; platforms/orders reads, validates and lands, and builds
core rows; transform/orders builds the marts; the warehouse write path replaces their slices.
A SQL source's URL is the `EnvVar` its configuration names (the UI shows the variable's name,
never its value), read when a run starts.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
from collections.abc import Iterator

import pyarrow.compute as pc
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    ConfigurableResource,
    EnvVar,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
    multi_asset,
)

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import OrderSourceSettings, Settings
from perfmkt_pipeline.defs.assets.core import AD_PERFORMANCE_DAILY, FX_RATES
from perfmkt_pipeline.defs.checks import evaluate_grain
from perfmkt_pipeline.defs.metadata import preview, table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.defs.policies import WAREHOUSE_RETRY, warehouse_pool
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.platforms.orders import build
from perfmkt_pipeline.platforms.orders.land import land_orders
from perfmkt_pipeline.platforms.orders.raw_tables import orders as raw_orders
from perfmkt_pipeline.platforms.orders.reader import read_orders
from perfmkt_pipeline.transform import ad_marts
from perfmkt_pipeline.transform import orders as order_marts
from perfmkt_pipeline.warehouse import below_io, core_io, first_party, tables
from perfmkt_pipeline.warehouse.write import Slice, replace_slice

GROUP = "orders"
ORDERS = AssetKey(["core", "orders"])
BLENDED_DAILY = AssetKey(["marts", "blended_daily"])
UTM_DAILY = AssetKey(["marts", "utm_daily"])
AD_DAILY = AssetKey(["core", "ad_daily"])
ADS = AssetKey(["core", "ads"])


def raw_key(name: str) -> AssetKey:
    return AssetKey(["raw", "orders", name])


def resource_key(name: str) -> str:
    return f"orders_{name}"


class OrdersDatabaseResource(ConfigurableResource):
    """The SQLAlchemy URL of a shop's database (from the environment variable the orders
    source names; it may hold a password)."""

    url: str


def orders_resources(settings: Settings) -> dict[str, ConfigurableResource]:
    """One resource per SQL orders source, its URL read from the environment at run time."""
    return {
        resource_key(s.name): OrdersDatabaseResource(url=EnvVar(s.sql.url_env))
        for s in settings.orders
        if s.sql is not None
    }


def _raw_asset(settings: Settings, engine_kind: str, source: OrderSourceSettings):
    form = (
        f"the query on ${source.sql.url_env} ({source.sql.table or 'a SELECT'})"
        if source.sql is not None
        else f"the exports at {source.files.location}"
    )

    @asset(
        key=raw_key(source.name),
        description=(
            f"{source.name}: the shop's own orders from {form}, read incrementally: every order "
            f"changed in the partition range and the {source.lookback_days} days before it, and "
            f"every order placed in the range, in its current state; upserted per order and "
            f"update time into raw.orders (nothing deleted), streamed in chunks, one "
            f"transaction. A bad order fails the run naming the order and field."
        ),
        group_name=GROUP,
        kinds={"python", engine_kind, "sql" if source.sql is not None else "csv"},
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        metadata=table_definition_metadata(raw_orders),
        pool=resource_key(source.name),
        required_resource_keys={"warehouse"}
        | ({resource_key(source.name)} if source.sql is not None else set()),
    )
    def _load(context: AssetExecutionContext) -> MaterializeResult:
        start, end = window(context)
        read = build.read_window(settings, source.name, start, end)
        url = (
            getattr(context.resources, resource_key(source.name)).url
            if source.sql is not None
            else None
        )
        warehouse = context.resources.warehouse.get()
        context.log.info(f"orders {source.name}: reading orders {read.describe()}")
        frames = read_orders(source, read, url=url, warn=context.log.warning)
        landed = land_orders(
            warehouse,
            frames,
            loaded_at=dt.datetime.now(dt.UTC),
            progress=lambda rows: context.log.debug(f"orders {source.name}: {rows} rows so far"),
        )
        warehouse.refresh_statistics([raw_orders])
        context.log.info(
            f"orders {source.name}: {landed.rows} order readings in {landed.chunks} chunk(s)"
        )
        metadata = {
            "dagster/row_count": landed.rows,
            "read": read.describe(),
            "revenue_by_currency": MetadataValue.json(
                {c: str(v) for c, v in sorted(landed.revenue_by_currency.items())}
            ),
        }
        if landed.preview is not None:
            metadata["preview"] = preview(landed.preview.to_pandas())
        return MaterializeResult(metadata=metadata)

    return _load


def _core_asset(settings: Settings, engine_kind: str) -> AssetsDefinition:
    @asset(
        key=ORDERS,
        description="The latest known state of every first-party order: placed, refunded (in "
        "part or whole) or cancelled, revenue net of refunds in local and reporting currency "
        "(FX rate of the order's day), the order's day in the business time zone "
        f"({settings.business_timezone}), customer and UTM parameters.",
        group_name="core",
        kinds={"python", engine_kind},
        deps=[*[raw_key(s.name) for s in settings.orders], FX_RATES],
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        metadata=table_definition_metadata(tables.orders),
        pool=warehouse_pool(engine_kind, "core__orders"),
        retry_policy=WAREHOUSE_RETRY,
    )
    def core_orders(context: AssetExecutionContext, warehouse: WarehouseResource):
        """Rebuilds core.orders for the order days the run's reads touched, in one
        transaction."""
        start, end = window(context)
        wh = warehouse.get()
        loaded_at = dt.datetime.now(dt.UTC)
        with wh.begin() as conn:
            windows = build.core_windows(conn, settings, start, end)
            first, last = core_io.overall(windows, start, end)
            rows = build.core_orders(conn, settings, windows, core_io.read_fx(conn, (first, last)))
            for name, (low, high) in windows.items():
                mine = rows.filter(pc.equal(rows["source"], name))
                replace_slice(
                    wh, tables.orders, mine, Slice({"source": name}, "date", low, high),
                    loaded_at=loaded_at, connection=conn,
                )  # fmt: skip
        wh.refresh_statistics([tables.orders])
        context.log.info(f"core.orders: {rows.num_rows} orders, days per source {windows}")
        return MaterializeResult(
            metadata={
                "dagster/row_count": rows.num_rows,
                "windows": MetadataValue.json({k: [str(d) for d in w] for k, w in windows.items()}),
                "preview": preview(rows.slice(0, 10).to_pandas()),
            }
        )

    return core_orders


def mart_window(conn, settings: Settings, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The days the marts are rebuilt for: the orders' and the ad platforms' core windows."""
    windows = {
        **core_io.platform_windows(conn, settings, start, end),
        **{f"orders:{k}": w for k, w in build.core_windows(conn, settings, start, end).items()},
    }
    return core_io.overall(windows, start, end)


def _mart_assets(settings: Settings, engine_kind: str) -> AssetsDefinition:
    kinds = {"python", engine_kind}
    # Platforms reporting ads (issue #17): their ads' final URLs give marts.utm_daily its spend.
    below = bool(below_io.below_specs(platforms.configured(settings)))
    specs = [
        AssetSpec(
            BLENDED_DAILY,
            description="Per day, in the reporting currency: spend across every channel, the "
            "shop's own orders, revenue and new-customer orders, MER (revenue / spend), blended "
            "CPA (spend / orders), new-customer CPA, the platforms' claimed conversions and "
            "value summed, and over_attribution (claimed conversions / orders). Ratios NULL on "
            "a zero or NULL denominator.",
            group_name="marts",
            kinds=kinds,
            deps=[ORDERS, AD_PERFORMANCE_DAILY],
            metadata=table_definition_metadata(tables.blended_daily),
        ),
        AssetSpec(
            UTM_DAILY,
            description="Per day and utm_source / utm_medium / utm_campaign: the shop's own "
            "orders and revenue beside the spend of the ads whose final URLs carry the same "
            "three values (core.ad_daily and core.ads, issue #17), and first_party_roas "
            "(revenue / spend). Without a platform reporting ads, spend and first_party_roas "
            "stay NULL.",
            group_name="marts",
            kinds=kinds,
            deps=[ORDERS, *([AD_DAILY, ADS] if below else [])],
            metadata=table_definition_metadata(tables.utm_daily),
        ),
    ]

    @multi_asset(
        name="orders_mart_tables",
        specs=specs,
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        can_subset=False,
        pool=warehouse_pool(engine_kind, "orders_mart_tables"),
        retry_policy=WAREHOUSE_RETRY,
    )
    def orders_mart_tables(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[MaterializeResult]:
        """Rebuilds both first-party marts for the run's window, in one transaction."""
        start, end = window(context)
        wh = warehouse.get()
        loaded_at = dt.datetime.now(dt.UTC)
        currency = settings.reporting_currency
        with wh.begin() as conn:
            first, last = mart_window(conn, settings, start, end)
            orders = first_party.read_orders(conn, (first, last))
            ads = first_party.read_ad_days(conn, (first, last))
            ad_spend = None
            if below:  # read before settled_through, whose query leaves a result open on DuckDB
                ad_spend = ad_marts.utm_spend(*first_party.read_ad_urls(conn, (first, last)))
            through = build.settled_through(conn, settings)
            blended = order_marts.blended_daily(ads, orders, currency, through)
            utm = order_marts.utm_daily(orders, currency, through, ad_spend)
            for table, rows in ((tables.blended_daily, blended), (tables.utm_daily, utm)):
                replace_slice(
                    wh, table, rows, Slice({}, "date", first, last),
                    loaded_at=loaded_at, connection=conn,
                )  # fmt: skip
        wh.refresh_statistics([tables.blended_daily, tables.utm_daily])
        context.log.info(
            f"first-party marts {first}..{last}: {orders.num_rows} orders -> {blended.num_rows} "
            f"blended days, {utm.num_rows} UTM rows"
        )
        for key, rows in ((BLENDED_DAILY, blended), (UTM_DAILY, utm)):
            yield MaterializeResult(
                asset_key=key,
                metadata={
                    "dagster/row_count": rows.num_rows,
                    "window": f"{first}..{last}",
                    "preview": preview(rows.slice(0, 10).to_pandas()),
                },
            )

    return orders_mart_tables


def build_orders_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """Every orders asset for the configured sources (none without an orders source)."""
    if not settings.orders:
        return []
    return [
        *[_raw_asset(settings, engine_kind, source) for source in settings.orders],
        _core_asset(settings, engine_kind),
        _mart_assets(settings, engine_kind),
    ]


# --- checks -------------------------------------------------------------------------------------


def _check(settings: Settings, key: AssetKey, name: str, description: str, evaluate):
    @asset_check(
        asset=key,
        name=name,
        description=description,
        blocking=True,
        partitions_def=daily_partitions(settings),
    )
    def _run(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        with warehouse.get().begin() as conn:
            passed, metadata = evaluate(conn, context)
        return AssetCheckResult(passed=passed, severity=AssetCheckSeverity.ERROR, metadata=metadata)

    return _run


def _grain(settings: Settings, key: AssetKey, table, windowed: bool):
    def evaluate(conn, context):
        where = None
        if windowed:
            first, last = mart_window(conn, settings, *window(context))
            where = table.c.date.between(first, last)
        outcome = evaluate_grain(conn, table, where)
        return outcome.passed, outcome.metadata

    return _check(
        settings, key, "grain_is_unique",
        f"No two rows of {table.fullname} share ({', '.join(table.info['grain'])}).", evaluate,
    )  # fmt: skip


def build_orders_checks(settings: Settings) -> list[AssetChecksDefinition]:
    """Grain of the three tables; per day, both marts hold exactly the orders and revenue of
    core.orders (a SQL recount, independent of the transform)."""
    if not settings.orders:
        return []

    def marts_match(conn, context):
        first, last = mart_window(conn, settings, *window(context))
        differences = first_party.mart_differences(conn, (first, last))
        return not differences, {
            "differences": MetadataValue.json(differences[:20]),
            "days_differing": len(differences),
        }

    return [
        _grain(settings, ORDERS, tables.orders, windowed=False),
        _grain(settings, BLENDED_DAILY, tables.blended_daily, windowed=True),
        _grain(settings, UTM_DAILY, tables.utm_daily, windowed=True),
        _check(
            settings, BLENDED_DAILY, "orders_and_revenue_equal_core",
            "Per day, marts.blended_daily and the sum of marts.utm_daily hold exactly the orders "
            "counted and the revenue of core.orders (a recount in SQL).", marts_match,
        ),
    ]  # fmt: skip
