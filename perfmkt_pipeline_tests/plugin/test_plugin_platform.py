"""Issue #16's acceptance: a platform defined entirely outside perfmkt_pipeline (LoopAds, the
package under src/: its stand-in, spec, client, raw tables with their own Alembic branch, and
core mapping), registered as an installed distribution's entry point, is materialised raw ->
core -> marts through the real Dagster definitions on DuckDB and PostgreSQL, with the values
worked out by hand below. No file under perfmkt_pipeline/ names it.

Reporting currency USD. LoopAds accounts: L1 in EUR, L2 in JPY. Days: Thursday 2026-11-05 (its
own ECB fix) and Saturday 2026-11-07 (no fix: Friday's applies).

ECB fixes (units per EUR):   2026-11-05: USD 1.1, JPY 160     2026-11-06: USD 1.16, JPY 162.4
fx_rate to USD (half-even, 12 places):
  2026-11-05  EUR 1.1                    JPY 1.1/160 = 0.006875
  2026-11-07  EUR 1.16                   JPY 1.16/162.4 = 1/140 -> 0.007142857143
Money: local x fx_rate, half-even to 6 places. Ratios: exact quotient, half-even to 10 places,
NULL over a zero denominator.
"""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from dagster import AssetKey, materialize

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import ConfigError, parse_settings
from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.defs.schedules import plan_sync
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revisions,
    head_revisions,
    is_current,
)
from perfmkt_pipeline.warehouse.read import read_arrow
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice

D = Decimal
N = None
SRC = Path(__file__).parent / "src"
PACKAGE = Path(__file__).resolve().parents[2] / "perfmkt_pipeline"
THU, FRI, SAT = dt.date(2026, 11, 5), dt.date(2026, 11, 6), dt.date(2026, 11, 7)
RANGE = {
    "dagster/asset_partition_range_start": THU.isoformat(),
    "dagster/asset_partition_range_end": SAT.isoformat(),
}
TOKEN = "loop-secret-1"


def _row(day: dt.date, campaign: str, name: str, spend, impressions, clicks, conversions, value):
    return {"date": day.isoformat(), "campaign_id": campaign, "campaign_name": name,
            "spend": spend, "impressions": impressions, "clicks": clicks,
            "conversions": conversions, "conversion_value": value}  # fmt: skip


ACCOUNTS = {
    "L1": {
        "name": "Loop DE", "currency": "EUR", "timezone": "Europe/Berlin",
        "rows": [
            _row(THU, "C1", "Autumn sale", "10.00", 1000, 50, "5", "80.00"),
            _row(SAT, "C1", "Autumn sale", "20.00", 2000, 40, "4", "50.00"),
            # Outside the run's days: never asked for.
            _row(dt.date(2026, 11, 9), "C1", "Autumn sale", "99.00", 9, 9, "9", "9"),
        ],
    },
    "L2": {
        "name": "Loop JP", "currency": "JPY", "timezone": "Asia/Tokyo",
        "rows": [
            _row(THU, "K1", "Tokyo launch", "1600", 800, 20, "2", "4000"),
            # No impressions or clicks: ctr, cpc, cpm and cvr are NULL.
            _row(SAT, "K1", "Tokyo launch", "2801", 0, 0, "1", "7000"),
        ],
    },
}  # fmt: skip
CONFIG = {
    "reporting_currency": "USD",
    "start_date": "2026-11-01",
    "loopads": {"account_ids": ["L1", "L2"]},
}

# core.ad_performance_daily: (date, account, campaign) -> spend, conversion_value (USD), fx_rate.
EXPECTED_CORE = {
    (THU, "L1", "C1"): (D("11.000000"), D("88.000000"), D("1.100000000000")),
    (SAT, "L1", "C1"): (D("23.200000"), D("58.000000"), D("1.160000000000")),
    # 1600 x 0.006875 = 11; 4000 x 0.006875 = 27.5.
    (THU, "L2", "K1"): (D("11.000000"), D("27.500000"), D("0.006875000000")),
    # 2801 x 0.007142857143 = 20.007142857543 -> 20.007143; 7000 x it = 50.000000001 -> 50.
    (SAT, "L2", "K1"): (D("20.007143"), D("50.000000"), D("0.007142857143")),
}
# Measures and ratios: spend, impressions, clicks, conversions, conversion_value,
# ctr, cpc, cpm, cvr, cpa, roas.
MART_COLUMNS = ["spend", "impressions", "clicks", "conversions", "conversion_value",
                "ctr", "cpc", "cpm", "cvr", "cpa", "roas"]  # fmt: skip
EXPECTED_CAMPAIGN_DAILY = {
    # 50/1000, 11/50, 1000x11/1000, 5/50, 11/5, 88/11
    (THU, "L1", "C1"): (D("11"), 1000, 50, D("5"), D("88"),
                        D("0.05"), D("0.22"), D("11"), D("0.1"), D("2.2"), D("8")),
    # 40/2000, 23.2/40, 1000x23.2/2000, 4/40, 23.2/4, 58/23.2
    (SAT, "L1", "C1"): (D("23.2"), 2000, 40, D("4"), D("58"),
                        D("0.02"), D("0.58"), D("11.6"), D("0.1"), D("5.8"), D("2.5")),
    # 20/800, 11/20, 1000x11/800, 2/20, 11/2, 27.5/11
    (THU, "L2", "K1"): (D("11"), 800, 20, D("2"), D("27.5"),
                        D("0.025"), D("0.55"), D("13.75"), D("0.1"), D("5.5"), D("2.5")),
    # cpa 20.007143/1; roas 50/20.007143 = 2.49910744378... -> 2.4991074438
    (SAT, "L2", "K1"): (D("20.007143"), 0, 0, D("1"), D("50"),
                        N, N, N, N, D("20.007143"), D("2.4991074438")),
}  # fmt: skip
EXPECTED_CHANNEL_DAILY = {
    # 11 + 11; 1000 + 800; 50 + 20; 5 + 2; 88 + 27.5. ctr 70/1800 = 0.03888.. -> 0.0388888889,
    # cpc 22/70 = 0.3142857142.. -> 0.3142857143, cpm 22000/1800 -> 12.2222222222, cvr 7/70,
    # cpa 22/7 = 3.14285714285.. -> 3.1428571429, roas 115.5/22 = 5.25.
    THU: (D("22"), 1800, 70, D("7"), D("115.5"), D("0.0388888889"), D("0.3142857143"),
          D("12.2222222222"), D("0.1"), D("3.1428571429"), D("5.25")),
    # 23.2 + 20.007143 = 43.207143; 2000; 40; 5; 58 + 50 = 108. cpc 43.207143/40 = 1.080178575,
    # cpm 1000 x 43.207143/2000 = 21.6035715, cvr 5/40, cpa 43.207143/5 = 8.6414286,
    # roas 108/43.207143 = 2.49958670029.. -> 2.4995867003.
    SAT: (D("43.207143"), 2000, 40, D("5"), D("108"), D("0.02"), D("1.080178575"),
          D("21.6035715"), D("0.125"), D("8.6414286"), D("2.4995867003")),
}  # fmt: skip


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """LoopAds installed as a distribution: its package importable and its entry points (from
    its pyproject.toml) in a dist-info folder on sys.path; the registry asked again."""
    project = tomllib.loads((SRC / "pyproject.toml").read_text())["project"]
    site = tmp_path / "site-packages"
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    groups = project["entry-points"]
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
            for group, points in groups.items()
        )
    )
    monkeypatch.syspath_prepend(str(SRC))
    monkeypatch.syspath_prepend(str(site))
    platforms.refresh()
    yield
    monkeypatch.undo()
    for name in [
        m for m in sys.modules if m == "perfmkt_loopads" or m.startswith("perfmkt_loopads.")
    ]:
        del sys.modules[name]
    platforms.refresh()


def test_no_product_file_names_the_plug_in() -> None:
    named = [
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix in (".py", ".yaml", ".toml", ".mako")
        if "loopads" in path.read_text().lower()
    ]
    assert named == []


def test_the_plug_in_brings_its_settings_section_endpoint_and_freshness(installed) -> None:
    spec = platforms.get("loopads")
    assert [s.name for s in platforms.all_specs()][-1] == "loopads"
    settings = parse_settings(
        CONFIG, source="test.yaml", environ={"PERFMKT_LOOPADS_URL": "http://127.0.0.1:9/x"}
    )
    assert [s.name for s in platforms.configured(settings)] == ["loopads"]
    assert settings.loopads.account_ids == ["L1", "L2"]
    assert settings.endpoints.loopads == "http://127.0.0.1:9/x"
    assert settings.configured_platforms() == ["loopads"]
    assert settings.expected_lags() == {"loopads": 1}
    assert spec.lookback_days(settings) == 7
    bare = parse_settings({"start_date": "2026-11-01"}, environ={})
    assert bare.endpoints.loopads == "https://api.loopads.example"
    assert platforms.configured(bare) == []
    with pytest.raises(ConfigError) as error:
        parse_settings({**CONFIG, "loopads": {"acount_ids": ["L1"]}}, source="t.yaml", environ={})
    assert str(error.value) == "invalid configuration in t.yaml:\n  loopads.acount_ids: unknown key"
    with pytest.raises(ConfigError) as error:
        parse_settings({**CONFIG, "loopads": {}}, source="t.yaml", environ={})
    assert (
        str(error.value)
        == "invalid configuration in t.yaml:\n  loopads.account_ids: no account listed"
    )


def test_its_migration_branch_upgrades_in_order_and_once(installed, warehouse_url: str) -> None:
    # The branch depends on the built-in 0007; the built-in schema has moved on since, so an
    # up-to-date warehouse records both heads: the built-in one and the branch's.
    built_in = ScriptDirectory.from_config(
        alembic_config(locations=(str(MIGRATIONS_DIR / "versions"),))
    ).get_heads()
    assert built_in != ["0007"]
    heads = tuple(sorted({*built_in, "loopads_0001"}))
    assert head_revisions() == heads
    warehouse = Warehouse(warehouse_url)
    try:
        assert not is_current(warehouse)
        warehouse.ensure_schema()
        assert current_revisions(warehouse) == heads
        assert is_current(warehouse)
        with warehouse.begin() as conn:
            inspector = sa.inspect(conn)
            assert [c["name"] for c in inspector.get_columns("loopads_daily", schema="raw")] == [
                "account_id", "date", "campaign_id", "campaign_name", "spend", "impressions",
                "clicks", "conversions", "conversion_value", "loaded_at",
            ]  # fmt: skip
            # The built-in schema came first, to its head.
            assert inspector.has_table("orders", schema="core")
    finally:
        warehouse.dispose()
    again = Warehouse(warehouse_url)  # a second process: finds it current, changes nothing
    try:
        again.ensure_schema()
        assert current_revisions(again) == heads
    finally:
        again.dispose()


def _fx_rates() -> pa.Table:
    rows = [(THU, "EUR", D("1")), (THU, "USD", D("1.1")), (THU, "JPY", D("160")),
            (FRI, "EUR", D("1")), (FRI, "USD", D("1.16")), (FRI, "JPY", D("162.4"))]  # fmt: skip
    return pa.Table.from_pylist(
        [{"date": d, "currency": c, "units_per_eur": u} for d, c, u in rows],
        schema=arrow_schema(tables.fx_rates, ["date", "currency", "units_per_eur"]),
    )


def _read(warehouse: Warehouse, table: sa.Table) -> list[dict]:
    with warehouse.begin() as conn:
        return read_arrow(conn, table).to_pylist()


def _measures(row: dict) -> tuple:
    return tuple(row[name] for name in MART_COLUMNS)


def test_raw_core_and_marts_through_the_dagster_definitions(
    installed, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perfmkt_loopads.standin import LoopadsStandIn  # the installed plug-in's

    warehouse = Warehouse(warehouse_url)
    warehouse.ensure_schema()
    replace_slice(warehouse, tables.fx_rates, _fx_rates(), Slice({}, "date", THU, FRI))
    with LoopadsStandIn(ACCOUNTS, TOKEN) as standin:
        monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", warehouse_url)
        monkeypatch.setenv("LOOPADS_TOKEN", TOKEN)
        settings = parse_settings(CONFIG, environ={"PERFMKT_LOOPADS_URL": standin.url})
        defs = build_definitions(settings)
        raw_keys = {AssetKey(["raw", "loopads_accounts"]), AssetKey(["raw", "loopads_daily"])}
        selection = [
            *raw_keys,
            *(AssetKey(["core", name]) for name in ("ad_accounts", "campaigns",
              "ad_performance_daily", "conversions_daily", "affiliate_actions", "restatements")),
            AssetKey(["marts", "campaign_daily"]),
            AssetKey(["marts", "channel_daily"]),
        ]  # fmt: skip
        assert raw_keys <= set(defs.resolve_all_asset_keys())
        result = materialize(
            [*defs.assets, *defs.asset_checks],
            selection=selection,
            resources=defs.resources,
            tags=RANGE,
        )
        assert result.success
        # One account call and one report call per account.
        assert standin.requests == 4
    failed = [
        (e.asset_key, e.check_name) for e in result.get_asset_check_evaluations() if not e.passed
    ]
    assert failed == []
    assert {e.check_name for e in result.get_asset_check_evaluations()} >= {
        "raw_totals_equal_core",
        "core_totals_equal_marts",
        "every_configured_account_present",
        "loopads_is_fresh",  # its expected_lag_days: Saturday is at most 1 day before Sunday
    }
    # The daily sync re-pulls its own lookback (7 days) through yesterday, in a run of its own.
    tick = dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)
    [run] = [run for run in plan_sync(settings, defs.assets, tick) if run.name == "loopads"]
    assert (set(run.keys), run.start, run.end) == (
        raw_keys,
        dt.date(2026, 11, 13),
        dt.date(2026, 11, 19),
    )

    raw_daily = {
        (r["account_id"], r["date"]): r["spend"] for r in _read(warehouse, _table("loopads_daily"))
    }
    assert raw_daily == {("L1", THU): D("10"), ("L1", SAT): D("20"), ("L2", THU): D("1600"),
                         ("L2", SAT): D("2801")}  # fmt: skip

    accounts = {
        (r["platform"], r["account_id"]): (r["account_name"], r["currency"], r["timezone"])
        for r in _read(warehouse, tables.ad_accounts)
    }
    assert accounts == {
        ("loopads", "L1"): ("Loop DE", "EUR", "Europe/Berlin"),
        ("loopads", "L2"): ("Loop JP", "JPY", "Asia/Tokyo"),
    }
    performance = {
        (r["date"], r["account_id"], r["campaign_id"]): (
            r["spend"],
            r["conversion_value"],
            r["fx_rate"],
        )
        for r in _read(warehouse, tables.ad_performance_daily)
        if r["platform"] == "loopads" and r["channel"] == "social"
    }
    assert performance == EXPECTED_CORE
    conversions = {
        (r["date"], r["account_id"], r["conversion_name"]): (
            r["conversions"],
            r["conversion_value"],
        )
        for r in _read(warehouse, tables.conversions_daily)
    }
    assert conversions == {
        (THU, "L1", "all"): (D("5"), D("88")), (SAT, "L1", "all"): (D("4"), D("58")),
        (THU, "L2", "all"): (D("2"), D("27.5")), (SAT, "L2", "all"): (D("1"), D("50")),
    }  # fmt: skip

    campaign_daily = {
        (r["date"], r["account_id"], r["campaign_id"]): _measures(r)
        for r in _read(warehouse, tables.campaign_daily)
    }
    assert campaign_daily == EXPECTED_CAMPAIGN_DAILY
    names = {r["campaign_name"] for r in _read(warehouse, tables.campaign_daily)}
    assert names == {"Autumn sale", "Tokyo launch"}
    channel_daily = {
        r["date"]: _measures(r)
        for r in _read(warehouse, tables.channel_daily)
        if (r["channel"], r["platform"]) == ("social", "loopads")
    }
    assert channel_daily == EXPECTED_CHANNEL_DAILY
    warehouse.dispose()


def _table(name: str) -> sa.Table:
    from perfmkt_loopads import spec

    return getattr(spec, name)
