"""Freshness, anomaly warnings and their notifications end to end (issue 21), against the real
sandbox, a DuckDB warehouse, real Dagster runs and real servers on loopback:

- over 90 days of the normal sandbox world no check warns (acceptance 1, second half), and
  marts.channel_daily carries numeric metadata per channel and the 30-day chart;
- each anomaly injected in the sandbox is flagged exactly once (one warning naming platform,
  account and day), and the `notifications` sensor sends exactly one message to a webhook
  receiver and one e-mail to an SMTP server; re-judging the same days sends nothing more
  (acceptance 1, first half);
- a failed run is notified once to both, its error in the message with the secret it echoed
  masked.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    RunRequest,
    asset,
    build_sensor_context,
    materialize,
)

from perfmkt_pipeline.config import AlertSettings, Settings
from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.defs.notifications import SENSOR_NAME, NotifyCursor
from perfmkt_pipeline.sandbox.anomalies import Injection
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.chaos_support import settings_for
from perfmkt_pipeline_tests.notify_support import SmtpReceiver, WebhookReceiver
from perfmkt_pipeline_tests.sandbox_fixtures import AS_OF, sandbox, sandbox_env  # noqa: F401

LAST = AS_OF - dt.timedelta(days=1)  # 2026-11-19, the newest partition
WEBSERVER = "http://dagster.test:3000"
SMTP_USER, SMTP_PASSWORD = "alerts", "smtp-pass-7f3a91"
FAKE_SECRET = "sk-live-perfmkt-test-5e2b7c"  # a credential some library echoes in an error
CHANNEL_DAILY = AssetKey(["marts", "channel_daily"])

# (injection, failing check, (rule, platform, account, first day, days in a row)). The 45 days
# loaded give every injected day at least the 21 days of history the rules need.
CASES = {
    "spend_spike": (
        Injection("spend_spike", "google_ads", "2345678901", dt.date(2026, 11, 14), days=2),
        "spend_within_recent_range",
        ("spend_outlier", "google_ads", "2345678901", "2026-11-14", 2),
    ),
    "pixel_break": (
        Injection("pixel_break", "meta", "101000000000002", dt.date(2026, 11, 12)),
        "conversions_tracked_while_spending",
        ("broken_tracking", "meta", "101000000000002", "2026-11-12", 8),
    ),
    "stop_reporting": (
        Injection("stop_reporting", "meta", "101000000000003", dt.date(2026, 11, 16)),
        "accounts_and_campaigns_reporting",
        ("stopped_reporting", "meta", "101000000000003", "2026-11-16", 4),
    ),
}


def _settings(box: Sandbox, smtp_port: int | None = None) -> Settings:
    notify: dict = {}
    if smtp_port is not None:
        notify = {
            "webhook": {"timeout_seconds": 10},
            "email": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                      "sender": "perfmkt@example.com", "recipients": ["ops@example.com"],
                      "username": SMTP_USER, "timeout_seconds": 10},
        }  # fmt: skip
    alerts = AlertSettings.model_validate({"webserver_url": WEBSERVER, "notify": notify})
    return settings_for(box).model_copy(update={"alerts": alerts})


def _load(defs: Definitions, instance: DagsterInstance, first: dt.date, last: dt.date):
    return materialize(
        [*defs.assets, *defs.asset_checks],
        resources=defs.resources,
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
        raise_on_error=False,
    )


def _tick(defs: Definitions, instance: DagsterInstance, cursor: str) -> str:
    """One evaluation of the notifications sensor, as the daemon runs it; the new cursor."""
    sensor = next(s for s in defs.sensors if s.name == SENSOR_NAME)
    with build_sensor_context(instance=instance, cursor=cursor, resources=defs.resources) as ctx:
        result = sensor(ctx)
        assert not isinstance(result, RunRequest)
        return ctx.cursor


def _failed_checks(result) -> list[tuple[str, str]]:
    return sorted(
        (e.asset_key.to_user_string(), e.check_name)
        for e in result.get_asset_check_evaluations()
        if not e.passed
    )


def _secrets(box: Sandbox) -> list[str]:
    credentials = [v for k, v in box.env().items() if "TOKEN" in k or "SECRET" in k]
    assert len(credentials) >= 5  # the sandbox's platform credentials are in the environment
    return [*credentials, FAKE_SECRET, SMTP_PASSWORD, os.environ["PERFMKT_ALERT_WEBHOOK_URL"]]


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    monkeypatch.setenv("PERFMKT_TEST_API_TOKEN", FAKE_SECRET)
    monkeypatch.setenv("PERFMKT_SMTP_PASSWORD", SMTP_PASSWORD)
    with WebhookReceiver() as hook, SmtpReceiver(SMTP_USER, SMTP_PASSWORD) as smtp:
        monkeypatch.setenv("PERFMKT_ALERT_WEBHOOK_URL", f"{hook.url}/hooks/perfmkt-9c1d")
        yield hook, smtp


def test_ninety_days_of_the_normal_world_raise_no_warning(
    sandbox,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    box = sandbox()
    sandbox_env(monkeypatch, box)
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", url)
    defs = build_definitions(_settings(box))
    instance = DagsterInstance.ephemeral()
    cursor = NotifyCursor.at_newest(instance).dump()
    result = _load(defs, instance, LAST - dt.timedelta(days=89), LAST)
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    names = {e.check_name for e in evaluations}
    assert {"spend_within_recent_range", "conversions_tracked_while_spending",
            "accounts_and_campaigns_reporting", "google_ads_is_fresh", "meta_is_fresh",
            "impact_is_fresh", "cj_is_fresh", "awin_is_fresh"} <= names  # fmt: skip
    assert _failed_checks(result) == []
    cursor_after = NotifyCursor.parse(_tick(defs, instance, cursor))
    assert cursor_after is not None and cursor_after.sent == []

    # Numeric metadata of the newest day per channel, equal to the mart's own sums.
    (materialization,) = [
        m for m in result.asset_materializations_for_node("mart_tables")
        if m.asset_key == CHANNEL_DAILY and m.partition == LAST.isoformat()
    ]  # fmt: skip
    metadata = materialization.metadata
    warehouse = Warehouse(url)
    with warehouse.begin() as conn:
        mart = tables.channel_daily
        rows = conn.execute(
            sa.select(mart.c.channel, sa.func.sum(mart.c.spend), sa.func.sum(mart.c.conversions),
                      sa.func.sum(mart.c.conversion_value))
            .where(mart.c.date == LAST).group_by(mart.c.channel)
        ).all()  # fmt: skip
    warehouse.dispose()
    assert {r[0] for r in rows} == {"search", "social", "affiliate"}
    assert metadata["metrics_day"].value == LAST.isoformat()
    for channel, spend, conversions, value in rows:
        assert metadata[f"{channel}_spend"].value == float(spend)
        assert metadata[f"{channel}_conversions"].value == float(conversions)
        assert metadata[f"{channel}_roas"].value == pytest.approx(float(value / spend), rel=1e-12)
        assert isinstance(spend, Decimal)
    chart = metadata["chart_last_30_days"].value
    assert chart.startswith("![spend and ROAS per channel, 2026-10-21..2026-11-19](data:image/png;")
    assert metadata["warnings_last_30_days"].value == 0


@pytest.mark.parametrize("case", CASES)
def test_an_injected_anomaly_is_flagged_once_and_notified_once(
    case: str,
    sandbox,  # noqa: F811
    receivers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    injection, check, expected = CASES[case]
    hook, smtp = receivers
    box = sandbox(injections=(injection,))
    sandbox_env(monkeypatch, box)
    defs = build_definitions(_settings(box, smtp.port))
    instance = DagsterInstance.ephemeral()
    cursor = NotifyCursor.at_newest(instance).dump()
    result = _load(defs, instance, LAST - dt.timedelta(days=44), LAST)
    assert result.success
    assert _failed_checks(result) == [("marts/campaign_daily", check)]
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == check]
    assert evaluation.severity.value == "WARN"
    findings = evaluation.metadata["findings"].value
    rule, platform, account, day, days = expected
    assert [(f["rule"], f["platform"], f["account_id"], f["day"], f["days"]) for f in findings] == [
        expected
    ]
    assert findings[0]["expected_low"] <= findings[0]["expected_high"]

    cursor = _tick(defs, instance, cursor)
    assert len(hook.payloads()) == 1 and len(smtp.messages) == 1
    (payload,) = hook.payloads()
    run_url = f"{WEBSERVER}/runs/{result.run_id}"
    assert (payload["kind"], payload["run_url"]) == ("check_warning", run_url)
    assert payload["title"] == f"Warning: marts/campaign_daily {check}"
    (line,) = payload["lines"]
    assert line.startswith(f"{platform} account {account} on {day}: ")
    assert [f["key"] for f in payload["findings"]] == [f["key"] for f in findings]
    (mail,) = smtp.messages
    assert mail["Subject"].strip() == f"[perfmkt] Warning: marts/campaign_daily {check}"
    assert smtp.envelopes == [("perfmkt@example.com", ["ops@example.com"])]
    assert smtp.logins == [SMTP_USER]
    body = mail.get_content()
    assert line in body and run_url in body
    for secret in _secrets(box):
        assert all(secret not in text for text in [*map(bytes.decode, hook.bodies()), body])

    # The daily sync re-judges recent days: the same finding is not sent again.
    again = _load(defs, instance, LAST - dt.timedelta(days=9), LAST)
    assert _failed_checks(again) == [("marts/campaign_daily", check)]
    _tick(defs, instance, cursor)
    assert len(hook.payloads()) == 1 and len(smtp.messages) == 1


@asset
def leaky_export() -> None:
    """Fails the way a client library that echoes its credentials does."""
    raise RuntimeError(f"export refused: token {os.environ['PERFMKT_TEST_API_TOKEN']} is revoked")


def test_a_failed_run_is_notified_once_without_the_secret_it_echoed(
    sandbox,  # noqa: F811
    receivers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook, smtp = receivers
    box = sandbox()
    sandbox_env(monkeypatch, box)
    defs = build_definitions(_settings(box, smtp.port))
    instance = DagsterInstance.ephemeral()
    cursor = NotifyCursor.at_newest(instance).dump()
    result = materialize([leaky_export], instance=instance, raise_on_error=False)
    assert not result.success
    cursor = _tick(defs, instance, cursor)
    (payload,) = hook.payloads()
    assert payload["kind"] == "run_failure"
    assert payload["title"] == "Run failed: __ephemeral_asset_job__"
    assert payload["lines"] == [
        "step leaky_export: RuntimeError: export refused: token *** is revoked"
    ]
    assert payload["run_url"] == f"{WEBSERVER}/runs/{result.run_id}"
    (mail,) = smtp.messages
    assert "step leaky_export: RuntimeError: export refused: token *** is revoked" in (
        mail.get_content()
    )
    for secret in _secrets(box):
        assert all(secret not in text for text in [*map(bytes.decode, hook.bodies()),
                                                   *smtp.raw_texts()])  # fmt: skip
    _tick(defs, instance, cursor)
    assert len(hook.payloads()) == 1 and len(smtp.messages) == 1
