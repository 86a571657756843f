"""Below the campaign in the Google Ads stand-in (issue #17), read with the official client:
`ad_group_ad` and `keyword_view` rows split the served campaign rows exactly, Performance Max
has none, listings carry names, types, statuses and final URLs, and a range without
segments.date sums per ad."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from google.ads.googleads.errors import GoogleAdsException

from perfmkt_pipeline.platforms.google_ads import queries
from perfmkt_pipeline.platforms.google_ads.standin import below
from perfmkt_pipeline.platforms.google_ads.standin.server import GoogleAdsServer
from perfmkt_pipeline.sandbox.counters import RequestCounters
from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
from perfmkt_pipeline.sandbox.faults import SandboxFaults
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.sandbox.world import World
from perfmkt_pipeline_tests.platforms.google_ads.test_google_ads_server import (
    AS_OF,
    JP,
    US,
    ads_service,
    only_error,
    stream_rows,
)

FIRST, LAST = date(2024, 2, 1), date(2024, 2, 29)


@pytest.fixture
def world() -> World:
    return World(WorldSpec.small(), as_of=AS_OF)


@pytest.fixture
def server(world) -> Iterator[GoogleAdsServer]:
    with GoogleAdsServer(
        world, SandboxFaults(), RequestCounters(), SandboxCredentials(), search_page_rows=7
    ) as srv:
        yield srv


def _metrics(row) -> tuple:
    m = row.metrics
    return (m.cost_micros, m.impressions, m.clicks, Decimal(repr(m.conversions)),
            Decimal(repr(m.conversions_value)))  # fmt: skip


def test_ad_rows_split_the_campaign_rows_exactly_and_performance_max_has_none(server, world):
    service = ads_service(server)
    ads = stream_rows(service, US, queries.ad_metrics(FIRST, LAST))
    keywords = stream_rows(service, US, queries.keyword_metrics(FIRST, LAST))
    campaigns = stream_rows(service, US, queries.campaign_metrics(FIRST, LAST))
    types = {r.campaign.id: r.campaign.advertising_channel_type.name
             for r in stream_rows(service, US, queries.CAMPAIGN_LISTING)}  # fmt: skip
    assert sorted(set(types.values())) == ["DISPLAY", "PERFORMANCE_MAX", "SEARCH"]

    def totals(rows) -> Counter:
        found: Counter = Counter()  # exact: conversions as Decimal
        for r in rows:
            for i, value in enumerate(_metrics(r)):
                found[(r.campaign.id, r.segments.date, i)] += value
        return found

    by_ads, by_keywords, by_campaign = totals(ads), totals(keywords), totals(campaigns)
    pmax = {cid for cid, kind in types.items() if kind == "PERFORMANCE_MAX"}
    assert pmax and not {r.campaign.id for r in ads} & pmax
    covered = {k: v for k, v in by_campaign.items() if k[0] not in pmax}
    assert {k: v for k, v in by_ads.items() if v} == {k: v for k, v in covered.items() if v}
    # keywords: keyword-targeted Search campaigns only, each summing to its campaign
    with_keywords = {r.campaign.id for r in keywords}
    assert with_keywords and with_keywords < set(covered_id for covered_id, _, _ in covered)
    assert all(by_keywords[k] == v for k, v in covered.items() if k[0] in with_keywords)
    assert {r.ad_group_criterion.keyword.match_type.name for r in keywords} == {
        "EXACT", "PHRASE", "BROAD",
    }  # fmt: skip
    assert len(ads) == len(below.ad_days(world, US, FIRST, LAST)) > 100


def test_listings_name_every_ad_group_and_ad_with_type_status_and_final_urls(server, world):
    service = ads_service(server)
    groups = stream_rows(service, JP, queries.AD_GROUP_LISTING)
    ads = stream_rows(service, JP, queries.AD_LISTING)
    structure = below.structure(world.spec, world.account("google_ads", JP))
    assert [(str(r.ad_group.id), r.ad_group.name, r.ad_group.status.name, str(r.campaign.id))
            for r in groups] == [
        (g.ad_group_id, g.name, g.status, g.campaign_id) for g in structure.ad_groups
    ]  # fmt: skip
    assert [
        (str(r.ad_group_ad.ad.id), r.ad_group_ad.ad.name, r.ad_group_ad.ad.type_.name,
         list(r.ad_group_ad.ad.final_urls), r.ad_group_ad.status.name, str(r.ad_group.id))
        for r in ads
    ] == [
        (a.ad_id, a.name, a.ad_type, list(a.final_urls), a.status, a.ad_group_id)
        for a in structure.ads
    ]  # fmt: skip
    assert {a.ad_type for a in structure.ads} == {
        "RESPONSIVE_SEARCH_AD", "RESPONSIVE_DISPLAY_AD", "CALL_AD",
    }  # fmt: skip
    assert ads[0].ad_group_ad.resource_name.startswith(f"customers/{JP}/adGroupAds/")


def test_a_range_without_segments_date_sums_each_ad_over_its_days(server, world):
    service = ads_service(server)
    query = queries.ad_metrics(FIRST, LAST).replace("segments.date, ", "")
    rows = stream_rows(service, US, query)
    daily = below.ad_days(world, US, FIRST, LAST)
    expected: Counter = Counter()
    for r in daily:
        expected[int(r.object_id)] += r.cost_micros
    assert {r.ad_group_ad.ad.id: r.metrics.cost_micros for r in rows} == dict(expected)


def _actions(rows, identity) -> Counter:
    """(object, date, action) -> (conversions, value, all conversions, all value), exact."""
    found: Counter = Counter()
    for r in rows:
        m = r.metrics
        values = (m.conversions, m.conversions_value, m.all_conversions, m.all_conversions_value)
        for i, value in enumerate(values):
            found[(identity(r), r.segments.date, r.segments.conversion_action_name, i)] += Decimal(
                repr(value)
            )
    return found


def test_rows_per_conversion_action_split_the_campaigns_and_make_up_metrics_conversions(
    server, world
):
    """As for campaigns, a report of its own per conversion action: the ads' (and keywords')
    rows per action sum to the campaign's per action exactly (Performance Max aside), and an
    ad's metrics.conversions is the sum of its counted actions (Page view is not counted)."""
    service = ads_service(server)
    campaign = stream_rows(service, US, queries.conversions_by_action(FIRST, LAST))
    ads = stream_rows(service, US, queries.ad_conversions_by_action(FIRST, LAST))
    keywords = stream_rows(service, US, queries.keyword_conversions_by_action(FIRST, LAST))
    assert {r.segments.conversion_action_name for r in ads} == {"Purchase", "Lead", "Page view"}
    by_campaign = _actions(campaign, lambda r: r.campaign.id)
    by_ads = _actions(ads, lambda r: r.campaign.id)
    by_keywords = _actions(keywords, lambda r: r.campaign.id)
    with_ads, with_keywords = {k[0] for k in by_ads}, {k[0] for k in by_keywords}
    assert with_keywords < with_ads < {k[0] for k in by_campaign}  # PMax: none
    assert {k: v for k, v in by_campaign.items() if k[0] in with_ads and v} == {
        k: v for k, v in by_ads.items() if v
    }
    assert {k: v for k, v in by_campaign.items() if k[0] in with_keywords and v} == {
        k: v for k, v in by_keywords.items() if v
    }
    # Page view: only in all_conversions (index 2), as the campaign rows report it.
    views = [v for k, v in by_ads.items() if k[2] == "Page view"]
    assert views and all(v == 0 for k, v in by_ads.items() if k[2] == "Page view" and k[3] < 2)
    counted: Counter = Counter()
    for (ad, day, name, i), value in _actions(ads, lambda r: r.ad_group_ad.ad.id).items():
        if i < 2 and name != "Page view":
            counted[(ad, day, i)] += value
    metrics: Counter = Counter()
    for r in stream_rows(service, US, queries.ad_metrics(FIRST, LAST)):
        metrics[(r.ad_group_ad.ad.id, r.segments.date, 0)] += Decimal(repr(r.metrics.conversions))
        metrics[(r.ad_group_ad.ad.id, r.segments.date, 1)] += Decimal(
            repr(r.metrics.conversions_value)
        )
    assert {k: v for k, v in metrics.items() if v} == {k: v for k, v in counted.items() if v}
    assert len(ads) == len(below.ad_action_days(world, US, FIRST, LAST)) > 100


@pytest.mark.parametrize("resource", ["ad_group_ad", "keyword_view"])
def test_cost_beside_conversion_action_is_refused_below_the_campaign_as_for_campaigns(
    server, resource
):
    service = ads_service(server)
    query = (
        "SELECT ad_group.id, segments.conversion_action_name, metrics.cost_micros "
        f"FROM {resource} WHERE segments.date BETWEEN '2024-02-01' AND '2024-02-02'"
    )
    with pytest.raises(GoogleAdsException) as caught:
        stream_rows(service, US, query)
    assert only_error(caught.value).error_code.query_error.name == (
        "PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE"
    )
