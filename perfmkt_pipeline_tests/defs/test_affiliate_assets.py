"""Affiliate assets materialised against the sandbox into a temporary warehouse (DuckDB and
PostgreSQL): the factory, raw equal to the ground truth through 429s, idempotent re-runs, the
latest state of an action over three pulls, and a malformed feed that loads nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from dagster import AssetKey, DagsterInstance, EnvVar, materialize

from perfmkt_pipeline.defs.partitions import SINGLE_RUN
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.platforms.base.affiliates import ActionRecord
from perfmkt_pipeline.platforms.base.affiliates import tables as affiliate_tables
from perfmkt_pipeline.platforms.base.affiliates.actions import latest_actions, raw_frame
from perfmkt_pipeline.platforms.cj.standin import data as cj_data
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import Slice, replace_slice
from perfmkt_pipeline_tests.defs.affiliate_assets_support import (
    AwinResource,
    CjResource,
    ImpactResource,
    affiliate_resources,
    build_affiliate_assets,
)
from perfmkt_pipeline_tests.defs.affiliates_support import (
    ACTION_IDS,
    CJ_ACCOUNT,
    COMMISSION,
    FEED,
    FEED_HEADER,
    FEED_STATUSES,
    IMPACT_SID,
    PULLS,
    SALE,
    feed_row,
    raw_rows,
    settings_for,
    tell_story,
)
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox, sandbox_env  # noqa: F401

START, END = dt.date(2026, 9, 21), dt.date(2026, 11, 19)  # 60 days; the sandbox's as_of is 11-20
# impact.com's default lookback (90 days) reaches back further than the range.
IMPACT_FIRST = dt.date(2026, 8, 22)
RANGE_TAGS = {
    "dagster/asset_partition_range_start": START.isoformat(),
    "dagster/asset_partition_range_end": END.isoformat(),
}
_AWIN_WORDS = {"pending": "pending", "approved": "approved", "reversed": "declined"}


def run(box: Sandbox, url: str, feed_folder: Path | None = None, **kwargs):
    settings = settings_for(box, feed_folder)
    return materialize(
        build_affiliate_assets(settings, "duckdb"),
        resources={"warehouse": WarehouseResource(url=url), **affiliate_resources(settings)},
        **kwargs,
    )


def test_the_factory_builds_one_asset_per_network_and_feed_and_reads_no_secret(
    sandbox,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    for name in ("IMPACT_ACCOUNT_SID", "IMPACT_AUTH_TOKEN", "CJ_ACCESS_TOKEN", "AWIN_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = settings_for(sandbox(google_ads=False), tmp_path)
    assets = build_affiliate_assets(settings, "postgres")
    keys = [a.key for a in assets]
    assert keys == [
        AssetKey(["raw", "affiliate_actions", name]) for name in ("impact", "cj", "awin", FEED)
    ]
    for definition, kind in zip(assets, ["impact", "cj", "awin", "csv"], strict=True):
        spec = next(iter(definition.specs))
        assert spec.group_name == "affiliates"
        assert spec.kinds == {"python", "postgres", kind}
        assert spec.metadata["dagster/table_name"] == "raw.affiliate_actions"
        assert definition.backfill_policy == SINGLE_RUN
        assert definition.partitions_def.start.date() == dt.date(2026, 1, 1)
        assert len(spec.description) > 40
    assert [a.required_resource_keys - {"io_manager"} for a in assets] == [
        {"warehouse", "impact"},
        {"warehouse", "cj"},
        {"warehouse", "awin"},
        {"warehouse"},
    ]
    assert [a.pool for a in (a.node_def for a in assets)] == ["impact", "cj", "awin", FEED]
    resources = affiliate_resources(settings)
    assert resources == {
        "impact": ImpactResource(
            account_sid=EnvVar("IMPACT_ACCOUNT_SID"), auth_token=EnvVar("IMPACT_AUTH_TOKEN")
        ),
        "cj": CjResource(access_token=EnvVar("CJ_ACCESS_TOKEN")),
        "awin": AwinResource(access_token=EnvVar("AWIN_ACCESS_TOKEN")),
    }


def _impact_truth(box: Sandbox) -> set[tuple]:
    # Every action of an event day in the 90-day lookback before END, in its current state, in
    # the window of its event day; decided ones dated by their LockingDate.
    truth = box.world.ground_truth_affiliate_actions("impact", IMPACT_FIRST, END)
    return {
        (t.action_id, t.event_date, t.event_date, t.updated_at.astimezone(dt.UTC),
         t.status.upper(), t.partner_id, t.partner_name, t.currency, t.sale_amount,
         t.commission, False)
        for t in truth.itertuples()
    }  # fmt: skip


def _cj_truth(box: Sandbox) -> set[tuple]:
    # Every record of an event in the range, corrections (posted later) included.
    since = dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC)
    served = cj_data.cj_commissions(
        box.world, CJ_ACCOUNT, since, since + dt.timedelta(days=60), by="event"
    )
    return {
        (c.commission_id, c.original_action_id, c.event_date.date(), c.event_date.date(),
         c.posting_date, c.action_status, c.publisher_id, c.publisher_name, "EUR",
         c.sale_amount, c.commission, not c.original)
        for c in served
    }  # fmt: skip


def _awin_truth(box: Sandbox) -> set[tuple]:
    truth = box.world.ground_truth_affiliate_actions("awin", START, END)
    return {
        (t.action_id, t.event_date, t.event_date,
         (t.updated_at if t.status != "pending" else t.event_time).astimezone(dt.UTC),
         _AWIN_WORDS[t.status], t.partner_id, t.partner_name, "GBP", t.sale_amount,
         t.commission, False)
        for t in truth.itertuples()
    }  # fmt: skip


def _landed(url: str, platform: str, first: str) -> set[tuple]:
    rows = raw_rows(url, platform)
    columns = [first, "action_id", "window_date", "event_date", "updated_at", "status",
               "partner_id", "partner_name", "currency", "sale_amount", "commission",
               "is_correction"]  # fmt: skip
    if platform != "cj":
        columns.remove("action_id")
    assert rows.duplicated(["action_id", "record_id", "window_date"]).sum() == 0
    return {
        tuple(v.to_pydatetime() if hasattr(v, "to_pydatetime") else v for v in row)
        for row in rows[columns].itertuples(index=False)
    }


def test_a_60_day_backfill_through_429s_lands_the_sandbox_ground_truth_and_reruns_identically(
    sandbox,  # noqa: F811
    monkeypatch,
    warehouse_url,
):
    box = sandbox(google_ads=False)
    sandbox_env(monkeypatch, box)
    truth = {"impact": _impact_truth(box), "cj": _cj_truth(box), "awin": _awin_truth(box)}
    assert [len(truth[p]) for p in ("impact", "cj", "awin")] == [981, 688, 673]
    for attempt in range(2):
        box.faults.set("impact", rate_limit_first_n=2, reset_seconds=0)
        box.faults.set("cj", rate_limit_first_n=1, reset_seconds=0)
        box.faults.set("awin", rate_limit_first_n=2, reset_seconds=0)
        box.counters.reset()
        result = run(box, warehouse_url, tags=RANGE_TAGS)

        assert result.success
        assert [box.counters.faults(p, "rate_limit") for p in ("impact", "cj", "awin")] == [2, 1, 2]
        # Requests: impact 3 windows (08-22..10-05: 45 days; 10-06..11-18: 44, as New York's
        # clocks go back on 11-01; 11-19), CJ 2 (31 + 29), Awin 2 (31 + 29); plus the 429s.
        assert [box.counters.count(p) for p in ("impact", "cj", "awin")] == [5, 3, 4], attempt
        assert _landed(warehouse_url, "impact", "record_id") == truth["impact"]
        assert _landed(warehouse_url, "cj", "record_id") == truth["cj"]
        assert _landed(warehouse_url, "awin", "record_id") == truth["awin"]
        impact_rows = raw_rows(warehouse_url, "impact")
        assert all(
            json.loads(r)["Id"] == a
            for r, a in zip(impact_rows["record"], impact_rows["action_id"], strict=True)
        )
        metadata = {
            e.asset_key.path[-1]: e.materialization.metadata
            for e in result.get_asset_materialization_events()
        }
        impact_meta = metadata["impact"]
        assert impact_meta["dagster/row_count"].value == 981
        assert (impact_meta["accounts"].value, impact_meta["days"].value) == (1, 90)
        assert impact_meta["commission_by_account"].value == {
            IMPACT_SID: {"USD": str(sum(t[-2] for t in truth["impact"]))}
        }


def _write_feed(folder: Path, as_of: dt.date) -> None:
    (folder / "export.csv").write_text(f"{FEED_HEADER}\n{feed_row(as_of)}\n")


def test_an_action_pending_then_approved_then_reversed_over_three_pulls_ends_as_one_row(
    sandbox,  # noqa: F811
    monkeypatch,
    warehouse_url,
    tmp_path,
):
    box = sandbox(google_ads=False)
    sandbox_env(monkeypatch, box)
    story = tell_story(box, monkeypatch)
    seen = []
    for as_of in PULLS:
        story.as_of = as_of
        _write_feed(tmp_path, as_of)
        partition = (as_of - dt.timedelta(days=1)).isoformat()  # the daily sync's partition
        assert run(box, warehouse_url, tmp_path, partition_key=partition).success
        latest = latest_actions(raw_rows(warehouse_url), {FEED: FEED_STATUSES})
        seen.append(dict(zip(latest["platform"], latest["status"], strict=True)))

    platforms = ["awin", "cj", "impact", FEED]
    assert seen == [dict.fromkeys(platforms, s) for s in ("pending", "approved", "reversed")]
    assert latest[["platform", "action_id", "sale_amount_local", "commission_local"]].to_dict(
        "records"
    ) == [
        {
            "platform": p,
            "action_id": ACTION_IDS[p],
            "sale_amount_local": SALE,
            "commission_local": COMMISSION,
        }
        for p in platforms
    ]
    landed = raw_rows(warehouse_url)
    # Every re-read replaced its window: one record per action, CJ's original and correction.
    assert sorted(zip(landed["platform"], landed["status"], strict=True)) == [
        ("awin", "declined"), ("cj", "locked"), ("cj", "locked"), ("impact", "REVERSED"),
        (FEED, "Reversed"),
    ]  # fmt: skip
    correction = landed[landed["is_correction"].astype(bool)]
    assert correction[["commission", "sale_amount"]].values.tolist() == [
        [Decimal("-12.00"), Decimal("-120.00")]
    ]


def test_a_malformed_feed_file_fails_the_run_and_loads_nothing_from_it(
    sandbox,  # noqa: F811
    monkeypatch,
    warehouse_url,
    tmp_path,
):
    box = sandbox(google_ads=False)
    sandbox_env(monkeypatch, box)
    _write_feed(tmp_path, PULLS[0])
    settings = settings_for(box, tmp_path)
    feed_asset = build_affiliate_assets(settings, "duckdb")[-1]
    resources = {"warehouse": WarehouseResource(url=warehouse_url)}
    partition = "2026-10-02"
    assert materialize([feed_asset], resources=resources, partition_key=partition).success
    bad = tmp_path / "late.csv"
    bad.write_text(
        f"{FEED_HEADER}\n"
        "RK-2,2026-10-02,Pending,78,Deal Blog,50.00,5.00,2026-10-02 09:00\n"
        "RK-3,2026-10-02,Pending,78,Deal Blog,50.00,five,2026-10-02 10:00\n"
    )

    result = materialize(
        [feed_asset], resources=resources, partition_key=partition, raise_on_error=False
    )

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.cause.message or ""
    assert f"rakuten: {bad}, line 3, column 'Commission': 'five' is not a number" in (
        failure.step_failure_data.error.message + message
    )
    landed = raw_rows(warehouse_url, FEED)
    assert landed["action_id"].tolist() == ["RK-1"]  # RK-2 (a good row of the bad file) is absent


def test_days_impact_no_longer_serves_are_skipped_with_a_warning_and_keep_their_rows(
    sandbox,  # noqa: F811
    monkeypatch,
    warehouse_url,
):
    # As of 2027-03-01 impact.com serves nothing before 2024-03-01 (3 years): a run of
    # 2024-02-20..03-10 (and its 90-day lookback) lands 03-01..03-10 and leaves an earlier day's
    # rows as they were, saying so in the run's log.
    box = sandbox(google_ads=False, as_of=dt.date(2027, 3, 1))
    sandbox_env(monkeypatch, box)
    settings = settings_for(box).model_copy(update={"start_date": dt.date(2023, 1, 1)})
    kept = ActionRecord(
        platform="impact", account_id=IMPACT_SID, record_id="12345.8821.1",
        action_id="12345.8821.1", window_date=dt.date(2024, 2, 25),
        event_date=dt.date(2024, 2, 25), updated_at=dt.datetime(2024, 3, 20, tzinfo=dt.UTC),
        status="APPROVED", action_type="Online Sale", partner_id="100111",
        partner_name="Review Hub", currency="USD", sale_amount=SALE, commission=COMMISSION,
        is_correction=False, record="{}",
    )  # fmt: skip
    warehouse = Warehouse(warehouse_url)
    try:
        warehouse.ensure_schema()
        replace_slice(
            warehouse,
            affiliate_tables.affiliate_actions,
            raw_frame([kept]),
            Slice(
                {"platform": "impact", "account_id": IMPACT_SID},
                "window_date",
                kept.window_date,
                kept.window_date,
            ),
        )
    finally:
        warehouse.dispose()
    impact_asset = build_affiliate_assets(settings, "duckdb")[0]
    instance = DagsterInstance.ephemeral()

    result = materialize(
        [impact_asset],
        resources={
            "warehouse": WarehouseResource(url=warehouse_url),
            **affiliate_resources(settings),
        },
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": "2024-02-20",
            "dagster/asset_partition_range_end": "2024-03-10",
        },
    )

    assert result.success
    landed = raw_rows(warehouse_url, "impact")
    served = box.world.ground_truth_affiliate_actions(
        "impact", dt.date(2024, 3, 1), dt.date(2024, 3, 10)
    )
    assert len(served) == 105
    assert sorted(zip(landed["window_date"], landed["action_id"], strict=True)) == sorted(
        [(kept.window_date, kept.action_id)]
        + [(t.event_date, t.action_id) for t in served.itertuples()]
    )
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert (
        f"impact account {IMPACT_SID}: ActionDateStart cannot be more than 3 years in the past: "
        "impact.com serves actions at most 3 years back; 2023-12-12..2024-02-29 skipped (the "
        "warehouse keeps what it holds for those days)"
    ) in messages
