"""The transform benchmark (benchmarks/transform.py) compares the pipeline's campaign-level
transform with a row-by-row Decimal baseline and refuses its figure unless both give the same
`marts.channel_daily`. Here both run on the small sandbox world's raw rows, read as the benchmark
reads them, so a change to the world, the settings or the transform that breaks the benchmark
fails the suite rather than the next `make bench`."""

from __future__ import annotations

import datetime as dt

from benchmarks import transform, transform_inputs
from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.sandbox_fixtures import (  # noqa: F401
    AS_OF,
    sandbox,
    sandbox_env,
    sync_into,
)

PLATFORMS = ("meta", "google_ads", "ecb")
DAYS = 5


def test_the_benchmark_world_settings_name_its_accounts():
    settings = transform_inputs.benchmark_settings()
    spec = WorldSpec.benchmark()
    assert settings.meta.account_ids == [a.account_id for a in spec.accounts("meta")]
    assert len(settings.meta.account_ids) == 10
    assert settings.google_ads.manager_customer_id == spec.of("google_ads").managers[0].customer_id


def test_pipeline_and_row_by_row_baseline_agree_on_the_small_world(
    sandbox,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    box = sandbox(spec=WorldSpec.small())
    env = sandbox_env(monkeypatch, box)
    ids = box.account_ids()
    settings = parse_settings(
        {
            "start_date": box.world.spec.history_start.isoformat(),
            "google_ads": {"manager_customer_id": env["GOOGLE_ADS_LOGIN_CUSTOMER_ID"]},
            "meta": {"account_ids": ids["meta"]},
        },
        environ=env,
    )
    end = AS_OF - dt.timedelta(days=1)
    start = end - dt.timedelta(days=DAYS - 1)
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    warehouse = Warehouse(url)
    warehouse.ensure_schema()
    sync_into(warehouse, env, settings, PLATFORMS, start, end)
    warehouse.dispose()

    # `measure` raises unless both sides give the same channel_daily and as many campaign days.
    measured = transform.measure(url, settings)

    assert (measured.start, measured.end) == (start, end)
    # Raw rows in the window: Google Ads 59 campaign days and 150 conversion rows per action, Meta
    # 76 ad days and 374 action rows; 59 + 20 campaign days; 2 channels x 5 days.
    assert (measured.rows, measured.campaign_rows, measured.channel_rows) == (659, 79, 10)
