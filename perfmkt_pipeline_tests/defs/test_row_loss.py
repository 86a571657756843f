"""Raw landings against the sandbox, on DuckDB and PostgreSQL: a re-pull that lost more rows than
its source can legitimately drop (Google Ads, Meta, an affiliate network) is refused with the
counts, and the warehouse stays exactly as it was; with `allow_row_loss` it loads and the run's
log says so."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from dagster import DagsterInstance, materialize

from perfmkt_pipeline.config import Settings, parse_settings
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.platforms.awin.standin import data as awin_data
from perfmkt_pipeline.platforms.base.affiliates import sync_window
from perfmkt_pipeline.platforms.base.affiliates import tables as affiliate_tables
from perfmkt_pipeline.platforms.google_ads import tables as google_ads_tables
from perfmkt_pipeline.platforms.google_ads.standin import data as google_ads_data
from perfmkt_pipeline.platforms.meta import tables as meta_tables
from perfmkt_pipeline.platforms.meta.standin import data as meta_data
from perfmkt_pipeline.sandbox.http_server import ResultCache
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline_tests.chaos_support import raw_assets, rows, settings_for, snapshot
from perfmkt_pipeline_tests.platforms.meta.meta_support import UK
from perfmkt_pipeline_tests.sandbox_fixtures import AS_OF, sandbox, sandbox_env  # noqa: F401

START, END = AS_OF - dt.timedelta(days=7), AS_OF - dt.timedelta(days=1)  # 11-13..11-19
GOOGLE = "2345678901"
AWIN = "45678"
AWIN_LOOKBACK = 20  # one Awin request window (at most 31 days): one transaction to refuse
AWIN_FIRST, _ = sync_window(START, END, AWIN_LOOKBACK)


def _settings(box: Sandbox, platform: str, **section: Any) -> Settings:
    data = settings_for(box, (platform,), meta_accounts=[UK], concurrency=1).model_dump(
        mode="json", exclude_unset=True
    )
    data[platform].update(
        {"google_ads": {"customer_ids": [GOOGLE]}, "awin": {"lookback_days": AWIN_LOOKBACK}}.get(
            platform, {}
        ),
        **section,
    )
    return parse_settings(data, environ=box.env())


def _backfill(settings: Settings, url: str, instance: DagsterInstance | None = None):
    assets, resources = raw_assets(settings)
    return materialize(
        assets,
        resources={"warehouse": WarehouseResource(url=url), **resources},
        instance=instance or DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": START.isoformat(),
            "dagster/asset_partition_range_end": END.isoformat(),
        },
        raise_on_error=False,
    )


def _failure(result) -> str:
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.error
    messages = []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    return "\n".join(messages)


def _warnings(instance: DagsterInstance, run_id: str) -> list[str]:
    """The run's log lines at WARNING level."""
    return [e.user_message for e in instance.all_logs(run_id) if e.level == logging.WARNING]


# -- what each platform's stand-in stops serving: about half of the account's rows ------------


def _drop_google(box: Sandbox, monkeypatch) -> None:
    served = google_ads_data.campaign_days
    ids = sorted({r.campaign_id for r in served(box.world, GOOGLE, START, END)})
    gone = set(ids[: len(ids) // 2])
    monkeypatch.setattr(google_ads_data, "campaign_days", lambda *a, **k: [r for r in served(*a, **k) if r.campaign_id not in gone])  # fmt: skip


def _drop_meta(box: Sandbox, monkeypatch) -> None:
    served = meta_data.ad_days
    ads = sorted({r.ad_id for r in served(box.world, UK, START, END)})
    gone = set(ads[: len(ads) // 2])
    monkeypatch.setattr(meta_data, "ad_days", lambda *a, **k: [r for r in served(*a, **k) if r.ad_id not in gone])  # fmt: skip
    box.apps["meta"]._rows_cache = ResultCache()  # answers computed before the change are stale


def _drop_awin(box: Sandbox, monkeypatch) -> None:
    served = awin_data.awin_transactions
    first = served(box.world, AWIN, *_awin_span())[:2]
    gone = {t.action_id for t in first}
    monkeypatch.setattr(awin_data, "awin_transactions", lambda *a, **k: [t for t in served(*a, **k) if t.action_id not in gone])  # fmt: skip
    box.apps["awin"]._cache = ResultCache()  # answers computed before the change are stale


def _awin_span() -> tuple[dt.datetime, dt.datetime]:
    since = dt.datetime.combine(AWIN_FIRST, dt.time(), tzinfo=dt.UTC)
    return since, dt.datetime.combine(END, dt.time(23, 59, 59), tzinfo=dt.UTC)


CASES = {
    # platform: (drop, table, slice account, window, rows held and rows answered, the tolerance
    # and why); the counts are the sandbox's: 34 campaign-days of the account's 6 campaigns, 14
    # of them of 3 dropped campaigns; 55 ad-days, 28 of them of half the ads; 240 transactions.
    "google_ads": (
        _drop_google, google_ads_tables.google_ads_campaign_daily, GOOGLE, (START, END), (34, 20),
        "at most 10% may vanish on a re-read (Google Ads omits a campaign-day without any "
        "metric and restates conversions)",
    ),
    "meta": (
        _drop_meta, meta_tables.meta_ad_insights, UK, (START, END), (55, 27),
        "at most 10% may vanish on a re-read (Meta omits zero-activity rows and re-attributes "
        "actions for 28 days)",
    ),
    "awin": (
        _drop_awin, affiliate_tables.affiliate_actions, AWIN, (AWIN_FIRST, END), (240, 238),
        "at most 0% may vanish on a re-read (affiliate records are never deleted: a reversal "
        "is a status, a correction a record of its own)",
    ),
}  # fmt: skip


@pytest.mark.parametrize("platform", sorted(CASES))
def test_a_shrunken_answer_is_refused_with_its_counts_and_changes_nothing(
    sandbox,  # noqa: F811
    monkeypatch,
    warehouse_url,
    platform,
):
    box = sandbox()
    sandbox_env(monkeypatch, box)
    drop, table, account, (first, last), (held, kept), limit = CASES[platform]
    assert _backfill(_settings(box, platform), warehouse_url).success
    assert len(rows(warehouse_url, table)) == held
    before = snapshot(warehouse_url)

    drop(box, monkeypatch)
    refused = _backfill(_settings(box, platform), warehouse_url)

    assert not refused.success
    assert len(_served(box, platform)) == kept
    assert (
        f"{platform}, account {account}, {first}..{last}: {table.fullname}: the warehouse held "
        f"{held} rows, the answer has {kept}: {held - kept} fewer; {limit}; nothing was written. "
        f"If the source really dropped those rows, set {platform}.allow_row_loss: true for the "
        "load that should accept it"
    ) in _failure(refused)
    assert snapshot(warehouse_url) == before

    instance = DagsterInstance.ephemeral()
    allowed = _backfill(_settings(box, platform, allow_row_loss=True), warehouse_url, instance)

    assert allowed.success
    assert len(rows(warehouse_url, table)) == kept
    (warning,) = [
        w
        for w in _warnings(instance, allowed.run_id)
        if "loaded anyway" in w and table.fullname in w
    ]
    assert warning.endswith(
        f"the warehouse held {held} rows, the answer has {kept}: {held - kept} fewer; {limit}; "
        f"loaded anyway ({platform}.allow_row_loss: true)"
    )


def _served(box: Sandbox, platform: str) -> list:
    if platform == "google_ads":
        return google_ads_data.campaign_days(box.world, GOOGLE, START, END)
    if platform == "meta":
        return meta_data.ad_days(box.world, UK, START, END)
    return awin_data.awin_transactions(box.world, AWIN, *_awin_span())
