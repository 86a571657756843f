"""Meta ad sets and ads as the Graph API lists them (GET /act_<id>/adsets, /act_<id>/ads), with
each ad's creative, for the stand-in and the ground truth.

Objects per the Graph API reference: the ad set (marketing-api/reference/ad-campaign), the ad
(marketing-api/reference/adgroup) and the ad creative (marketing-api/reference/ad-creative):
`object_story_spec.link_data.link` is a link ad's destination, a video ad's is its call to
action's `value.link`, and `url_tags` are the query parameters Meta appends to it. Which ads
get which kind of creative follows from their position in the account (deterministic); some
carry no url_tags, some a destination that already has a query string, and some (page posts
boosted without a link) none at all. One ad in eight is archived (it delivered before, so it
has insights rows): as Graph does, the listing leaves archived and deleted objects out unless
`effective_status` asks for them. Fields are selected as Graph does, nested selections
(`creative{url_tags}`) included.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from perfmkt_pipeline.platforms.meta.standin import data as meta_data
from perfmkt_pipeline.platforms.meta.standin.generation import meta_structure
from perfmkt_pipeline.sandbox.spec import SandboxAccount, WorldSpec

SHOP = "https://shop.example.com"
_PAGES = ("", "sale", "collections/new-in", "products/trail-runner", "gift-cards")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _campaign_paused(spec: WorldSpec, account: SandboxAccount, as_of: date) -> dict[str, bool]:
    s = meta_structure(spec, account)
    return {
        cid: s.campaign_end_day[c] is not None and as_of > s.campaign_end_day[c]
        for c, cid in enumerate(s.campaign_ids)
    }


def adsets(spec: WorldSpec, account: SandboxAccount, as_of: date) -> list[dict[str, Any]]:
    """Every ad set of the account, in id order."""
    paused = _campaign_paused(spec, account, as_of)
    seen: dict[str, dict[str, Any]] = {}
    for ad in meta_data.ads(spec, account):
        seen.setdefault(
            ad.adset_id,
            {
                "id": ad.adset_id,
                "name": ad.adset_name,
                "campaign_id": ad.campaign_id,
                "status": "ACTIVE",
                "effective_status": "CAMPAIGN_PAUSED" if paused[ad.campaign_id] else "ACTIVE",
            },
        )
    return sorted(seen.values(), key=lambda r: r["id"])


def creative(account: SandboxAccount, position: int, ad: meta_data.MetaAd) -> dict[str, Any]:
    """The creative of the ad at `position` in its account."""
    page = f"{SHOP}/{_PAGES[(position // 2) % len(_PAGES)]}"
    body: dict[str, Any] = {"id": f"{ad.ad_id}9"}
    if position % 8 == 7:  # a boosted page post without a link: no destination at all
        body["object_story_spec"] = {"page_id": "1000000001"}
        return body
    if position % 8 == 5:
        page += "?ref=fb"
    if position % 4 == 3:  # a video ad: its destination is the call to action's
        body["object_story_spec"] = {
            "page_id": "1000000001",
            "video_data": {
                "video_id": f"{ad.ad_id}7",
                "call_to_action": {"type": "SHOP_NOW", "value": {"link": page}},
            },
        }
    else:
        body["object_story_spec"] = {
            "page_id": "1000000001",
            "link_data": {"link": page, "message": ad.ad_name},
        }
    if position % 8 != 6:
        body["url_tags"] = (
            f"utm_source=facebook&utm_medium=paid_social&utm_campaign={_slug(ad.campaign_name)}"
            f"&utm_content={ad.ad_id}"
        )
    return body


def ads(spec: WorldSpec, account: SandboxAccount, as_of: date) -> list[dict[str, Any]]:
    """Every ad of the account with its creative, in the account's ad order."""
    paused = _campaign_paused(spec, account, as_of)
    return [
        {
            "id": ad.ad_id,
            "name": ad.ad_name,
            "adset_id": ad.adset_id,
            "campaign_id": ad.campaign_id,
            "status": "ARCHIVED" if i % 8 == 2 else "ACTIVE",
            "effective_status": "ARCHIVED"
            if i % 8 == 2
            else "CAMPAIGN_PAUSED"
            if paused[ad.campaign_id]
            else "ACTIVE",
            "creative": creative(account, i, ad),
        }
        for i, ad in enumerate(meta_data.ads(spec, account))
    ]


def destination(record: dict[str, Any]) -> str | None:
    """The final URL an ad's listing describes, as WAREHOUSE.md defines it: the destination
    link with the creative's url_tags appended as query parameters (ground truth)."""
    spec = record["creative"].get("object_story_spec", {})
    link = spec.get("link_data", {}).get("link") or (
        spec.get("video_data", {}).get("call_to_action", {}).get("value", {}).get("link")
    )
    if link is None:
        return None
    tags = record["creative"].get("url_tags")
    if not tags:
        return link
    return f"{link}{'&' if '?' in link else '?'}{tags}"


# Left out of a listing unless `effective_status` names them (Graph's default).
HIDDEN_BY_DEFAULT = frozenset({"ARCHIVED", "DELETED"})


def listed(items: list[dict[str, Any]], effective_status: list[str] | None) -> list[dict]:
    """The items a listing returns: those with one of the asked statuses, or without the
    parameter every item neither archived nor deleted."""
    if effective_status is None:
        return [i for i in items if i["effective_status"] not in HIDDEN_BY_DEFAULT]
    wanted = set(effective_status)
    return [i for i in items if i["effective_status"] in wanted]


# --- Graph field selection ---------------------------------------------------------------------


def parse_fields(text: str) -> dict[str, Any]:
    """`id,name,creative{id,url_tags}` -> {"id": None, "name": None, "creative": {...}}."""
    fields, _ = _parse(text, 0)
    return fields


def _parse(text: str, at: int) -> tuple[dict[str, Any], int]:
    fields: dict[str, Any] = {}
    name = ""
    while at < len(text):
        char = text[at]
        if char == "{":
            fields[name.strip()], at = _parse(text, at + 1)
            name = ""
            continue
        if char == "}":
            if name.strip():
                fields[name.strip()] = None
            return fields, at + 1
        if char == ",":
            if name.strip():
                fields[name.strip()] = None
            name = ""
        else:
            name += char
        at += 1
    if name.strip():
        fields[name.strip()] = None
    return fields, at


def select(record: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of `record` that `fields` asks for (Graph always sends a node's id)."""
    out = {"id": record["id"]} if "id" in record else {}
    for name, nested in fields.items():
        if name not in record:
            continue
        value = record[name]
        out[name] = select(value, nested) if nested and isinstance(value, dict) else value
    return out
