"""Configuration: a typed model that rejects bad input with a message naming the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from perfmkt_pipeline.config import (
    ConfigError,
    bundled_sandbox_config,
    example_config,
    load_settings,
    missing_secrets,
    parse_settings,
    require_secrets,
)

BASE = {"start_date": "2026-01-01"}


def parse(**data):
    return parse_settings({**BASE, **data}, source="test.yaml", environ={})


def test_an_unknown_key_is_rejected_naming_it() -> None:
    with pytest.raises(ConfigError) as error:
        parse(meta={"acount_ids": ["123"]})
    assert str(error.value) == "invalid configuration in test.yaml:\n  meta.acount_ids: unknown key"


def test_a_bad_date_is_rejected_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"  start_date: Input should be a valid date"):
        parse_settings({"start_date": "2026-02-30"}, source="test.yaml", environ={})


def test_an_unknown_currency_code_is_rejected_naming_the_key() -> None:
    with pytest.raises(
        ConfigError, match=r"  impact.currency: Value error, unknown currency code 'XYZ'"
    ):
        parse(impact={"account_ids": ["1"], "currency": "XYZ"})
    with pytest.raises(
        ConfigError, match=r"  reporting_currency: Value error, unknown currency code 'ABC'"
    ):
        parse(reporting_currency="ABC")


def test_bad_account_ids_are_rejected_naming_the_key() -> None:
    with pytest.raises(
        ConfigError, match=r"google_ads.customer_ids: Value error, '123-456-7890' is not a 10-digit"
    ):
        parse(google_ads={"customer_ids": ["123-456-7890"]})
    with pytest.raises(
        ConfigError, match=r"meta.account_ids: Value error, 'act_1' is not a numeric"
    ):
        parse(meta={"account_ids": ["act_1"]})


def test_an_account_configured_without_its_secret_names_the_key_and_the_variable() -> None:
    settings = parse(meta={"account_ids": ["123"]}, cj={"account_ids": ["9"], "currency": "USD"})
    env = {"CJ_ACCESS_TOKEN": "x"}

    assert missing_secrets(settings, env) == [
        "meta.account_ids: accounts are configured but the environment lacks META_ACCESS_TOKEN"
    ]
    with pytest.raises(ConfigError, match="meta.account_ids: .* lacks META_ACCESS_TOKEN"):
        require_secrets(settings, env)
    require_secrets(settings, {**env, "META_ACCESS_TOKEN": "y"})


def test_endpoints_are_overridden_by_environment_variables() -> None:
    settings = parse_settings(
        {**BASE, "endpoints": {"meta": "https://graph.example"}},
        environ={
            "PERFMKT_META_URL": "http://127.0.0.1:9/meta",
            "PERFMKT_ECB_URL": "http://127.0.0.1:9/ecb",
        },
    )
    assert settings.endpoints.meta == "http://127.0.0.1:9/meta"
    assert settings.endpoints.ecb == "http://127.0.0.1:9/ecb"
    assert settings.endpoints.awin == "https://api.awin.com"


def test_defaults_follow_each_platforms_restatement_window() -> None:
    settings = parse()
    assert (
        settings.google_ads.lookback_days,
        settings.meta.lookback_days,
        settings.impact.lookback_days,
        settings.cj.lookback_days,
        settings.awin.lookback_days,
    ) == (30, 28, 90, 45, 45)  # impact.com: its locking periods (up to 89 days), not 45
    assert settings.meta.attribution_windows == ["7d_click", "1d_view"]
    assert settings.reporting_currency == "USD"
    assert settings.start_date == dt.date(2026, 1, 1)


def test_row_loss_settings_default_per_source_and_are_checked() -> None:
    feed = {"name": "rakuten", "location": "/feeds", "currency": "USD",
            "columns": {"action_id": "Id", "event_date": "Day", "status": "Status",
                        "commission": "Commission"}, "status_map": {"OK": "approved"}}  # fmt: skip
    settings = parse(file_feeds=[feed])
    assert [
        (section.max_row_loss_pct, section.allow_row_loss)
        for section in (settings.google_ads, settings.meta, settings.impact, settings.cj,
                        settings.awin, settings.file_feeds[0])
    ] == [(10, False), (10, False), (0, False), (0, False), (0, False), (0, False)]  # fmt: skip
    assert settings.file_feeds[0].duplicates == "error"
    with pytest.raises(ConfigError) as error:
        parse(meta={"max_row_loss_pct": 100}, file_feeds=[{**feed, "duplicates": "ignore"}])
    assert str(error.value) == (
        "invalid configuration in test.yaml:\n"
        "  meta.max_row_loss_pct: Input should be less than 100\n"
        "  file_feeds.0.duplicates: Input should be 'error' or 'warn'"
    )


def test_the_file_named_by_perfmkt_config_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("start_date: 2025-06-01\nreporting_currency: eur\n")
    settings = load_settings({"PERFMKT_CONFIG": str(path)})
    assert (settings.start_date, settings.reporting_currency) == (dt.date(2025, 6, 1), "EUR")


def test_a_missing_explicit_config_file_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="PERFMKT_CONFIG names .*nope.yaml'?, which is not a file"
    ):
        load_settings({"PERFMKT_CONFIG": str(tmp_path / "nope.yaml")})


def test_without_any_file_the_bundled_sandbox_configuration_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.endpoints.ecb.startswith("http://127.0.0.1:")


def test_file_feed_names_and_required_columns_are_checked() -> None:
    feed = {
        "name": "rakuten",
        "location": "feeds/rakuten",
        "currency": "USD",
        "columns": {"action_id": "Order ID", "event_date": "Date", "status": "Status"},
        "status_map": {"Approved": "approved"},
    }
    with pytest.raises(
        ConfigError, match=r"file_feeds.0: Value error, columns must map \['commission'\]"
    ):
        parse(file_feeds=[feed])
    with pytest.raises(
        ConfigError, match=r"file_feeds.0.name: Value error, 'meta' must be lower_snake_case"
    ):
        parse(
            file_feeds=[{**feed, "name": "meta", "columns": {**feed["columns"], "commission": "C"}}]
        )


@pytest.mark.parametrize(
    ("sections", "problems"),
    [
        (
            {"meta": {"lookback_days": 10}},
            ["meta.account_ids: no account listed (list the accounts to read, or delete the meta "
             "section)"],
        ),
        (
            {"awin": {}, "google_ads": {"api_version": "v26"}},
            ["google_ads.customer_ids: neither customer_ids nor manager_customer_id is set (list "
             "the accounts, or delete the google_ads section)",
             "awin.account_ids: no account listed (list the accounts to read, or delete the awin "
             "section)"],
        ),
        (
            {"impact": {"account_ids": ["IR1", "IR2"], "program_ids": {"IR2": ["9"], "IR3": ["1"]}}},
            ["impact.program_ids.IR1: no program (CampaignId) id listed; impact.com's Actions "
             "endpoint needs the account's programs",
             "impact.program_ids.IR3: not one of impact.account_ids"],
        ),
        (
            {"impact": {"account_ids": ["IR1"], "program_ids": {"IR1": []}}},
            ["impact.program_ids.IR1: no program (CampaignId) id listed; impact.com's Actions "
             "endpoint needs the account's programs"],
        ),
        (
            {"cj": {"account_ids": ["777"]}},
            ["cj.currency: CJ records carry no currency; set the advertiser's"],
        ),
    ],
)  # fmt: skip
def test_a_section_present_but_unusable_is_refused_naming_the_key(sections, problems) -> None:
    # Was: the platform silently left out (no accounts), or failing only when a run started.
    with pytest.raises(ConfigError) as error:
        parse(**sections)
    assert str(error.value).splitlines() == ["invalid configuration in test.yaml:"] + [
        f"  {problem}" for problem in problems
    ]


def test_a_feed_that_maps_no_status_is_refused() -> None:
    feed = {
        "name": "rakuten",
        "location": "feeds/rakuten",
        "currency": "USD",
        "columns": {"action_id": "O", "event_date": "D", "status": "S", "commission": "C"},
        "status_map": {},
    }
    with pytest.raises(ConfigError) as error:
        parse(file_feeds=[feed])
    assert str(error.value).splitlines()[1] == (
        "  file_feeds.0: Value error, status_map maps no status word: every row would be refused"
    )


def test_the_example_and_the_bundled_configurations_are_valid() -> None:
    example = parse_settings(yaml.safe_load(example_config()), environ={})
    assert example.configured_platforms() == ["google_ads", "meta", "impact", "cj", "awin"]
    # Its endpoints are every registered platform's real API, as a section left out gives them.
    assert example.endpoints == parse(reporting_currency="USD").endpoints
    assert example.endpoints.ecb == "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
    assert [feed.name for feed in example.file_feeds] == ["rakuten"]
    bundled = parse_settings(yaml.safe_load(bundled_sandbox_config()), environ={})
    assert bundled.configured_platforms() == ["google_ads", "meta", "impact", "cj", "awin"]
    assert (bundled.cj.currency, bundled.awin.currency) == ("EUR", "GBP")
    assert bundled.impact.program_ids == {"IRsbxAcme0000000000000000000000001": ["12345"]}
    assert [source.name for source in bundled.orders] == ["shop"]
