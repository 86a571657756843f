"""Meta listings (issue #17): the creative's destination as Graph describes it, its url_tags
appended, and Graph's nested field selection in the stand-in."""

from __future__ import annotations

import pytest

from perfmkt_pipeline.platforms.meta.core_below import final_url
from perfmkt_pipeline.platforms.meta.errors import MetaDataError
from perfmkt_pipeline.platforms.meta.parsing import ad_row, destination_link
from perfmkt_pipeline.platforms.meta.standin.listings import parse_fields, select


@pytest.mark.parametrize(
    ("creative", "link"),
    [
        ({"object_story_spec": {"link_data": {"link": "https://a.example/x"}}},
         "https://a.example/x"),
        ({"object_story_spec": {"video_data": {"call_to_action": {"value": {
            "link": "https://a.example/v"}}}}}, "https://a.example/v"),
        ({"asset_feed_spec": {"link_urls": [{"website_url": "https://a.example/d"}]}},
         "https://a.example/d"),
        ({"link_url": "https://a.example/l", "object_story_spec": {"page_id": "1"}},
         "https://a.example/l"),
        ({"object_story_spec": {"page_id": "1"}}, None),
        (None, None),
    ],
)  # fmt: skip
def test_the_destination_is_the_link_the_creative_sends_people_to(creative, link):
    assert destination_link(creative) == link


@pytest.mark.parametrize(
    ("link", "tags", "url"),
    [
        ("https://a.example/x", "utm_source=facebook&utm_medium=paid_social",
         "https://a.example/x?utm_source=facebook&utm_medium=paid_social"),
        ("https://a.example/x?ref=fb", "utm_source=facebook",
         "https://a.example/x?ref=fb&utm_source=facebook"),
        ("https://a.example/x?", "?utm_source=facebook", "https://a.example/x?utm_source=facebook"),
        ("https://a.example/x#top", "utm_source=facebook",
         "https://a.example/x?utm_source=facebook#top"),
        ("https://a.example/x", None, "https://a.example/x"),
        (None, "utm_source=facebook", None),
    ],
)  # fmt: skip
def test_url_tags_are_appended_as_query_parameters(link, tags, url):
    assert final_url(link, tags) == url


def test_an_ad_without_an_id_or_with_a_creative_that_is_no_object_is_a_data_error():
    with pytest.raises(MetaDataError, match="ads\\[\\].id"):
        ad_row("101", {"name": "x"})
    with pytest.raises(MetaDataError, match="ads\\[\\].creative"):
        ad_row("101", {"id": "1", "creative": "oops"})


def test_the_stand_in_selects_nested_fields_as_graph_does():
    fields = parse_fields("id,name,creative{url_tags,object_story_spec{link_data}}")
    assert fields == {"id": None, "name": None,
                      "creative": {"url_tags": None, "object_story_spec": {"link_data": None}}}  # fmt: skip
    record = {"id": "1", "name": "A", "status": "ACTIVE",
              "creative": {"id": "9", "url_tags": "a=b", "link_url": "x",
                           "object_story_spec": {"page_id": "p", "link_data": {"link": "l"}}}}  # fmt: skip
    assert select(record, fields) == {
        "id": "1", "name": "A",
        "creative": {"id": "9", "url_tags": "a=b", "object_story_spec": {"link_data": {"link": "l"}}},
    }  # fmt: skip


def test_archived_and_deleted_objects_are_listed_only_when_asked_for_by_status():
    from perfmkt_pipeline.platforms.meta.standin.listings import listed

    items = [{"id": str(i), "effective_status": s} for i, s in
             enumerate(["ACTIVE", "ARCHIVED", "DELETED", "CAMPAIGN_PAUSED"])]  # fmt: skip
    assert [i["id"] for i in listed(items, None)] == ["0", "3"]
    assert [i["id"] for i in listed(items, ["ARCHIVED", "ACTIVE"])] == ["0", "1"]
