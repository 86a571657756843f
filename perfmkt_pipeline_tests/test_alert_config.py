"""The alerts section of the configuration: channel mistakes are clear errors at start-up (when
definitions load and in `perfmkt check-config`), never at the first failure; freshness lags come
from one table of defaults, overridable per platform or feed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from perfmkt_pipeline import cli
from perfmkt_pipeline.config import (
    DEFAULT_EXPECTED_LAG_DAYS,
    ConfigError,
    bundled_sandbox_config,
    parse_settings,
)
from perfmkt_pipeline.defs.build import build_definitions

BASE = {"start_date": "2026-01-01"}
SLACK = {"slack": {"channel": "#marketing-data"}}


def parse(**data):
    return parse_settings({**BASE, **data}, source="test.yaml", environ={})


def test_a_bad_email_address_names_the_key() -> None:
    email = {"host": "smtp.example.com", "sender": "perfmkt@example.com",
             "recipients": ["ops-at-example.com"]}  # fmt: skip
    with pytest.raises(ConfigError) as error:
        parse(alerts={"notify": {"email": email}})
    assert str(error.value) == (
        "invalid configuration in test.yaml:\n  alerts.notify.email.recipients: Value error, "
        "'ops-at-example.com' is not an e-mail address"
    )


def test_a_misspelt_channel_or_setting_is_an_unknown_key() -> None:
    with pytest.raises(ConfigError, match=r"  alerts.notify.slak: unknown key"):
        parse(alerts={"notify": {"slak": {"channel": "#x"}}})
    with pytest.raises(ConfigError, match=r"  alerts.notify.slack.channel: Field required"):
        parse(alerts={"notify": {"slack": {}}})
    with pytest.raises(ConfigError, match=r"alerts.webserver_url: Value error, 'dagster:3000'"):
        parse(alerts={"webserver_url": "dagster:3000"})


def test_freshness_lags_default_per_platform_and_can_be_overridden() -> None:
    settings = parse(
        meta={"account_ids": ["1"]},
        cj={"account_ids": ["2"], "currency": "EUR"},
        file_feeds=[{"name": "rakuten", "location": "/x", "currency": "USD",
                     "columns": {"action_id": "a", "event_date": "d", "status": "s",
                                 "commission": "c"}, "status_map": {}}],
        alerts={"freshness": {"lag_days": {"cj": 4}}},
    )  # fmt: skip
    assert settings.expected_lags() == {"meta": DEFAULT_EXPECTED_LAG_DAYS["meta"], "cj": 4,
                                        "rakuten": 2}  # fmt: skip
    with pytest.raises(ConfigError, match=r"\['gogle_ads'\] name neither a platform nor a file"):
        parse(alerts={"freshness": {"lag_days": {"gogle_ads": 1}}})


def _sandbox_with(alerts: dict) -> dict:
    return {**yaml.safe_load(bundled_sandbox_config()), "alerts": alerts}


def test_a_channel_without_its_secret_stops_the_definitions_from_loading(monkeypatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    settings = parse_settings(_sandbox_with({"notify": SLACK}), environ={})
    with pytest.raises(ConfigError) as error:
        build_definitions(settings)
    assert str(error.value) == (
        "configuration error:\n  alerts.notify.slack: the channel is configured but the "
        "environment lacks SLACK_BOT_TOKEN"
    )
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    defs = build_definitions(settings)
    sensor = next(s for s in defs.sensors if s.name == "notifications")
    assert sensor.required_resource_keys == {"alert_slack"}


def test_email_needs_its_password_only_when_it_logs_in(monkeypatch) -> None:
    monkeypatch.delenv("PERFMKT_SMTP_PASSWORD", raising=False)
    email = {"host": "smtp.example.com", "sender": "a@example.com", "recipients": ["b@example.com"]}
    build_definitions(parse_settings(_sandbox_with({"notify": {"email": email}}), environ={}))
    with_login = {"notify": {"email": {**email, "username": "perfmkt"}}}
    with pytest.raises(ConfigError, match="alerts.notify.email: .* lacks PERFMKT_SMTP_PASSWORD"):
        build_definitions(parse_settings(_sandbox_with(with_login), environ={}))


def test_check_config_names_every_channel_missing_its_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "perfmkt.yaml"
    notify = {**SLACK, "teams": {}, "webhook": {}}
    config.write_text(yaml.safe_dump({**BASE, "alerts": {"notify": notify}}))
    monkeypatch.setenv("PERFMKT_CONFIG", str(config))
    for var in ("SLACK_BOT_TOKEN", "TEAMS_WEBHOOK_URL", "PERFMKT_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TEAMS_WEBHOOK_URL", "https://example.invalid/workflows/x")
    assert cli.main(["check-config"]) == 2
    assert capsys.readouterr().err == (
        "configuration error:\n"
        "  alerts.notify.slack: the channel is configured but the environment lacks "
        "SLACK_BOT_TOKEN\n"
        "  alerts.notify.webhook: the channel is configured but the environment lacks "
        "PERFMKT_ALERT_WEBHOOK_URL\n"
    )
