"""The platform registry: built-ins listed once, plug-ins found through the entry-point group,
an unknown name an error naming it, two specs of one name refused."""

from __future__ import annotations

import dataclasses

import pytest

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import parse_settings


class _EntryPoint:
    def __init__(self, name: str, value):
        self.name, self.value, self._value = name, f"tests:{name}", value

    def load(self):
        return self._value


@pytest.fixture
def plugged(monkeypatch: pytest.MonkeyPatch):
    """Install entry points for the registry to discover; the cache is forgotten around it."""

    def install(*found: _EntryPoint) -> None:
        def entry_points(group: str):
            assert group == "perfmkt_pipeline.platforms"
            return list(found)

        monkeypatch.setattr(platforms, "entry_points", entry_points)
        platforms.refresh()

    yield install
    monkeypatch.undo()
    platforms.refresh()


def test_an_unknown_platform_is_an_error_naming_it() -> None:
    with pytest.raises(platforms.UnknownPlatformError, match="unknown platform 'tiktok'; known"):
        platforms.get("tiktok")


def test_the_built_in_meta_spec_is_listed_once_and_configured_by_its_section() -> None:
    assert [spec.name for spec in platforms.all_specs()].count("meta") == 1
    meta = platforms.get("meta")
    assert meta.channel == "social" and meta.env_vars == ("META_ACCESS_TOKEN", "META_APP_SECRET")
    configured = parse_settings(
        {"start_date": "2026-01-01", "meta": {"account_ids": ["101"]}}, environ={}
    )
    bare = parse_settings({"start_date": "2026-01-01"}, environ={})
    assert [s.name for s in platforms.configured(configured)] == ["meta"]
    assert platforms.configured(bare) == []
    assert meta.lookback_days(bare) == 28


def test_a_plug_in_spec_or_factory_is_found_through_the_entry_point_group(plugged) -> None:
    meta = platforms.get("meta")
    spec = dataclasses.replace(meta, name="inhouse")
    other = dataclasses.replace(meta, name="inhouse_two")
    plugged(_EntryPoint("inhouse", spec), _EntryPoint("inhouse_two", lambda: other))

    assert platforms.get("inhouse") is spec
    assert platforms.get("inhouse_two") is other
    assert [s.name for s in platforms.all_specs()][-2:] == ["inhouse", "inhouse_two"]


def test_a_plug_in_reusing_a_name_or_giving_no_spec_is_refused(plugged) -> None:
    plugged(_EntryPoint("meta", platforms.get("meta")))
    with pytest.raises(ValueError, match="platform 'meta' is registered twice"):
        platforms.all_specs()
    plugged(_EntryPoint("broken", lambda: "not a spec"))
    with pytest.raises(TypeError, match="entry point 'broken'.*not a PlatformSpec"):
        platforms.all_specs()


FEED = {
    "location": "feeds",
    "currency": "USD",
    "columns": {"action_id": "Id", "event_date": "Day", "status": "State", "commission": "Fee"},
    "status_map": {"Paid": "approved"},
}


def test_file_feeds_expand_to_one_configured_source_per_feed_each_with_its_own_settings() -> None:
    settings = parse_settings(
        {
            "start_date": "2026-01-01",
            "cj": {"account_ids": ["777"], "currency": "EUR"},
            "file_feeds": [
                {**FEED, "name": "rakuten", "lookback_days": 20, "account_id": "r1"},
                {**FEED, "name": "partnerize", "status_map": {"ok": "approved"}},
            ],
        },
        environ={},
    )
    found = platforms.configured(settings)
    assert [s.name for s in found] == ["cj", "rakuten", "partnerize"]
    rakuten = platforms.configured_instance(settings, "rakuten")
    assert rakuten.lookback_days(settings) == 20
    assert rakuten.account_ids(settings) == ["r1"]
    assert rakuten.actions.statuses == {"Paid": "approved"}
    assert rakuten.connector.raw_assets[0].asset_key == ("raw", "affiliate_actions", "rakuten")
    partnerize = platforms.configured_instance(settings, "partnerize")
    assert partnerize.actions.statuses == {"ok": "approved"}
    assert partnerize.lookback_days(settings) == 45
    # The template itself is listed once among all specs, never as a configured source.
    assert [s.name for s in platforms.all_specs()].count("file_feeds") == 1
    with pytest.raises(platforms.UnknownPlatformError, match="unknown platform 'awin'"):
        platforms.configured_instance(settings, "awin")


def test_the_fx_rates_are_always_on_yet_not_a_configured_platform() -> None:
    bare = parse_settings({"start_date": "2026-01-01"}, environ={})
    ecb = platforms.get("ecb")
    assert ecb.channel == "fx" and ecb.instances(bare) == [ecb]
    assert ecb.account_ids(bare) == []
    assert platforms.configured(bare) == []
