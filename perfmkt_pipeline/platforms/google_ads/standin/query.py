"""Runs a parsed GAQL query for one customer against the World and builds `GoogleAdsRow`s.

Supported resources and fields are those reporting connectors read: `customer`,
`customer_client` (the hierarchy below a manager) and `campaign` with `segments.date`,
`segments.conversion_action_name` and the cost/click/conversion metrics; below the campaign
(issue #17) `ad_group` (a listing), `ad_group_ad` and `keyword_view` (listings, or with
`segments.date` and the cost/click/conversion metrics, or segmented by
`segments.conversion_action_name` with conversion metrics only, as campaigns: below.py's
rows). Rows hold only the
selected fields (plus the resource names the API always fills), and the response field mask
lists the selected fields in SELECT order. Anything else is refused the way the API refuses it:
INVALID_ARGUMENT with a `query_error`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from decimal import Decimal
from importlib import import_module
from typing import Any

from perfmkt_pipeline.platforms.google_ads.standin import below, data, gaql
from perfmkt_pipeline.platforms.google_ads.standin.accounts import AdsCustomer, CustomerDirectory
from perfmkt_pipeline.platforms.google_ads.standin.errors import (
    AdsRpcError,
    query_error,
    request_error,
)
from perfmkt_pipeline.sandbox.world import World

Record = dict[str, Any]  # field path -> value (ids int, enums by name, dates 'YYYY-MM-DD')

_CUSTOMER_FIELDS = frozenset(
    f"customer.{f}"
    for f in ("id", "descriptive_name", "currency_code", "time_zone", "manager", "status",
              "test_account", "resource_name")
)  # fmt: skip
_CUSTOMER_CLIENT_FIELDS = frozenset(
    f"customer_client.{f}"
    for f in ("id", "descriptive_name", "currency_code", "time_zone", "manager", "status",
              "level", "client_customer", "hidden", "test_account", "resource_name")
)  # fmt: skip
_CAMPAIGN_FIELDS = frozenset(
    f"campaign.{f}" for f in ("id", "name", "status", "resource_name", "advertising_channel_type")
)
_AD_GROUP_FIELDS = frozenset(f"ad_group.{f}" for f in ("id", "name", "status", "resource_name"))
_AD_GROUP_AD_FIELDS = frozenset(
    f"ad_group_ad.{f}"
    for f in ("ad.id", "ad.name", "ad.type", "ad.final_urls", "status", "resource_name")
)
_CRITERION_FIELDS = frozenset(
    f"ad_group_criterion.{f}"
    for f in ("criterion_id", "keyword.text", "keyword.match_type", "status", "resource_name")
)
_KEYWORD_VIEW_FIELDS = frozenset({"keyword_view.resource_name"})
DATE = "segments.date"
ACTION_NAME = "segments.conversion_action_name"
_SEGMENTS = frozenset({DATE, ACTION_NAME})
_METRICS = frozenset(
    f"metrics.{f}"
    for f in ("cost_micros", "impressions", "clicks", "conversions", "conversions_value",
              "all_conversions", "all_conversions_value")
)  # fmt: skip
# Only conversion metrics can be segmented by conversion action (the API refuses the others).
_CONVERSION_METRICS = frozenset(
    f"metrics.{f}"
    for f in ("conversions", "conversions_value", "all_conversions", "all_conversions_value")
)
_FLOAT_METRICS = _CONVERSION_METRICS
# The stand-in serves all_conversions per conversion action only (what the connector asks for).
_ALL_CONVERSIONS = frozenset({"metrics.all_conversions", "metrics.all_conversions_value"})

_ABOVE_AD_GROUP = _AD_GROUP_FIELDS | _CAMPAIGN_FIELDS | _CUSTOMER_FIELDS

FIELDS_BY_RESOURCE: dict[str, frozenset[str]] = {
    "customer": _CUSTOMER_FIELDS,
    "customer_client": _CUSTOMER_CLIENT_FIELDS,
    # A campaign row can also carry its customer's attributes (an attributed resource).
    "campaign": _CAMPAIGN_FIELDS | _CUSTOMER_FIELDS | _SEGMENTS | _METRICS,
    # Below the campaign, each with its attributed resources (issue #17).
    "ad_group": _ABOVE_AD_GROUP,
    "ad_group_ad": _AD_GROUP_AD_FIELDS | _ABOVE_AD_GROUP | _SEGMENTS | _METRICS,
    "keyword_view": _KEYWORD_VIEW_FIELDS
    | _CRITERION_FIELDS
    | _ABOVE_AD_GROUP
    | _SEGMENTS
    | _METRICS,
}
# The field identifying a row of each resource (metrics of a range are summed per it).
_IDENTITY = {
    "campaign": "campaign.id",
    "ad_group": "ad_group.id",
    "ad_group_ad": "ad_group_ad.ad.id",
    "keyword_view": "ad_group_criterion.criterion_id",
}
_BELOW = ("ad_group", "ad_group_ad", "keyword_view")
# GAQL names whose protobuf field is spelt otherwise (a Python keyword gets a trailing _).
_PROTO_NAMES = {"type": "type_"}


class QueryPlan:
    """A validated query for one customer: `records()` are its rows; `row_filler()` fills them."""

    def __init__(self, query: gaql.Query, customer: AdsCustomer, api_version: str):
        self.query = query
        self.customer = customer
        self.api_version = api_version
        self.range: tuple[dt.date, dt.date] | None = None
        _validate(query, customer)

    @property
    def field_mask(self) -> list[str]:
        return list(self.query.fields)

    def records(self, world: World, directory: CustomerDirectory) -> list[Record]:
        """Every row the query yields, filtered, aggregated, ordered and limited."""
        q = self.query
        today = world.as_of
        if q.resource == "customer":
            rows = [_customer_record(self.customer)]
        elif q.resource == "customer_client":
            rows = [
                _client_record(self.customer, client, level)
                for client, level in directory.hierarchy(self.customer.customer_id)
            ]
        elif q.resource in _BELOW:
            rows = self._below_records(world, today)
        else:
            rows = self._campaign_records(world, today)
        metric_conds = [c for c in q.conditions if c.field in _METRICS]
        other_conds = [c for c in q.conditions if c.field not in _METRICS]
        rows = [r for r in rows if gaql.matches(r, other_conds, today)]
        if q.resource in _IDENTITY and self.range is not None:
            segments = [f for f in q.fields if f in _SEGMENTS]
            rows = _aggregate(rows, segments, _IDENTITY[q.resource])
        rows = [r for r in rows if gaql.matches(r, metric_conds, today)]
        for field, descending in reversed(q.order_by):
            rows.sort(key=lambda r, f=field: r[f], reverse=descending)
        return rows[: q.limit] if q.limit is not None else rows

    def _campaign_records(self, world: World, today: dt.date) -> list[Record]:
        q = self.query
        cid = self.customer.customer_id
        referenced = set(q.fields) | {c.field for c in q.conditions} | {f for f, _ in q.order_by}
        types = below.structure(world.spec, world.account("google_ads", cid)).campaign_types
        campaigns = {
            c.campaign_id: {
                **_campaign_attrs(cid, c.campaign_id, c.name, c.status),
                "campaign.advertising_channel_type": types[c.campaign_id],
            }
            for c in world.campaigns("google_ads", cid)
        }
        base = _customer_record(self.customer)
        if not referenced & (_SEGMENTS | _METRICS):
            return [{**base, **attrs} for attrs in campaigns.values()]
        self.range = gaql.date_range(q.conditions, today)
        if self.range is None:
            raise AdsRpcError(
                query_error(
                    "EXPECTED_FILTERS_ON_DATE_RANGE",
                    "Metrics and segments.date need a finite date range in WHERE "
                    "(BETWEEN, DURING, or >= and <=).",
                )
            )
        start, end = self.range
        out: list[Record] = []
        if ACTION_NAME in referenced:
            for r in data.conversion_action_days(world, cid, start, end):
                out.append(
                    {
                        **base,
                        **campaigns[r.campaign_id],
                        DATE: r.day.isoformat(),
                        ACTION_NAME: r.conversion_action_name,
                        # Like the API: an action not "included in conversions" shows 0 here
                        # and its count only in all_conversions.
                        "metrics.conversions": r.conversions if r.counted else 0.0,
                        "metrics.conversions_value": r.conversions_value if r.counted else 0.0,
                        "metrics.all_conversions": r.conversions,
                        "metrics.all_conversions_value": r.conversions_value,
                    }
                )
            return out
        for r in data.campaign_days(world, cid, start, end):
            out.append(
                {
                    **base,
                    **campaigns[r.campaign_id],
                    DATE: r.day.isoformat(),
                    "metrics.cost_micros": r.cost_micros,
                    "metrics.impressions": r.impressions,
                    "metrics.clicks": r.clicks,
                    "metrics.conversions": r.conversions,
                    "metrics.conversions_value": r.conversions_value,
                }
            )
        return out

    def _below_records(self, world: World, today: dt.date) -> list[Record]:
        """Ad group, ad or keyword rows: the listing, or (with metrics or segments.date) the
        day rows of the query's range (below.py)."""
        q = self.query
        cid = self.customer.customer_id
        account = world.account("google_ads", cid)
        if not account.serves_data:
            return []
        s = below.structure(world.spec, account)
        base = _customer_record(self.customer)
        campaigns = {
            c.campaign_id: {
                **_campaign_attrs(cid, c.campaign_id, c.name, c.status),
                "campaign.advertising_channel_type": s.campaign_types[c.campaign_id],
            }
            for c in world.campaigns("google_ads", cid)
        }
        groups = {g.ad_group_id: _ad_group_attrs(cid, g) for g in s.ad_groups}
        if q.resource == "ad_group":
            objects = {g.ad_group_id: {} for g in s.ad_groups}
            parents = {g.ad_group_id: (g.campaign_id, g.ad_group_id) for g in s.ad_groups}
        elif q.resource == "ad_group_ad":
            objects = {a.ad_id: _ad_attrs(cid, a) for a in s.ads}
            parents = {a.ad_id: (a.campaign_id, a.ad_group_id) for a in s.ads}
        else:
            objects = {k.criterion_id: _keyword_attrs(cid, k) for k in s.keywords}
            parents = {k.criterion_id: (k.campaign_id, k.ad_group_id) for k in s.keywords}

        def record(object_id: str) -> Record:
            campaign_id, group_id = parents[object_id]
            return {**base, **campaigns[campaign_id], **groups[group_id], **objects[object_id]}

        referenced = set(q.fields) | {c.field for c in q.conditions} | {f for f, _ in q.order_by}
        if not referenced & (_SEGMENTS | _METRICS):
            return [record(object_id) for object_id in objects]
        self.range = gaql.date_range(q.conditions, today)
        if self.range is None:
            raise AdsRpcError(
                query_error(
                    "EXPECTED_FILTERS_ON_DATE_RANGE",
                    "Metrics and segments.date need a finite date range in WHERE "
                    "(BETWEEN, DURING, or >= and <=).",
                )
            )
        if ACTION_NAME in referenced:
            per_action = (
                below.ad_action_days if q.resource == "ad_group_ad" else (below.keyword_action_days)
            )
            return [
                {
                    **record(r.object_id),
                    DATE: r.day.isoformat(),
                    ACTION_NAME: r.conversion_action_name,
                    # As for campaigns: an action not "included in conversions" shows 0 here.
                    "metrics.conversions": r.conversions if r.counted else 0.0,
                    "metrics.conversions_value": r.conversions_value if r.counted else 0.0,
                    "metrics.all_conversions": r.conversions,
                    "metrics.all_conversions_value": r.conversions_value,
                }
                for r in per_action(world, cid, *self.range)
            ]
        days = below.ad_days if q.resource == "ad_group_ad" else below.keyword_days
        return [
            {
                **record(r.object_id),
                DATE: r.day.isoformat(),
                "metrics.cost_micros": r.cost_micros,
                "metrics.impressions": r.impressions,
                "metrics.clicks": r.clicks,
                "metrics.conversions": r.conversions,
                "metrics.conversions_value": r.conversions_value,
            }
            for r in days(world, cid, *self.range)
        ]

    def row_filler(self) -> Callable[[Any, Record], None]:
        """A function filling an empty raw-protobuf `GoogleAdsRow` with a record's selected
        fields and the resource names the API always returns."""
        module = import_module(
            f"google.ads.googleads.{self.api_version}.services.types.google_ads_service"
        )
        descriptor = module.GoogleAdsRow.pb().DESCRIPTOR
        selected = {p.split(".")[0] for p in self.query.fields}
        resources = sorted(
            selected & {"customer", "customer_client", "campaign", *_BELOW, "ad_group_criterion"}
        )
        paths = [*self.query.fields, *(f"{r}.resource_name" for r in resources)]
        setters = [(path, _setter(descriptor, path)) for path in dict.fromkeys(paths)]

        def fill(row: Any, record: Record) -> None:
            for path, set_value in setters:
                set_value(row, record[path])

        return fill


def _validate(query: gaql.Query, customer: AdsCustomer) -> None:
    allowed = FIELDS_BY_RESOURCE.get(query.resource)
    if allowed is None:
        raise AdsRpcError(
            query_error(
                "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                f"The sandbox serves FROM {sorted(FIELDS_BY_RESOURCE)} only, not "
                f"{query.resource!r}.",
                query.resource,
            )
        )
    used = [*query.fields, *(c.field for c in query.conditions), *(f for f, _ in query.order_by)]
    for field in used:
        if field not in allowed:
            raise AdsRpcError(
                query_error(
                    "UNRECOGNIZED_FIELD",
                    f"Unrecognized field in the query: '{field}' (FROM {query.resource}).",
                    field,
                )
            )
    referenced = set(used)
    if ACTION_NAME not in referenced and referenced & _ALL_CONVERSIONS:
        raise AdsRpcError(
            query_error(
                "UNRECOGNIZED_FIELD",
                "The sandbox serves metrics.all_conversions only segmented by "
                "segments.conversion_action_name.",
                sorted(referenced & _ALL_CONVERSIONS)[0],
            )
        )
    if ACTION_NAME in referenced and referenced & (_METRICS - _CONVERSION_METRICS):
        bad = sorted(referenced & (_METRICS - _CONVERSION_METRICS))[0]
        raise AdsRpcError(
            query_error(
                "PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
                f"Cannot select or filter on {bad} with segments.conversion_action_name.",
                bad,
            )
        )
    if customer.manager and referenced & _METRICS:
        raise AdsRpcError(
            query_error(
                "REQUESTED_METRICS_FOR_MANAGER",
                f"Metrics cannot be requested for a manager account ({customer.customer_id}).",
            )
        )


def _aggregate(rows: list[Record], segments: Sequence[str], identity: str) -> list[Record]:
    """Sum metrics per row identity (the campaign, ad group, ad or keyword) and selected
    segments (a range query without every segment)."""
    needed = [s for s in (DATE, ACTION_NAME) if s in rows[0]] if rows else []
    if all(s in segments for s in needed):
        return rows
    groups: dict[tuple, Record] = {}
    for r in rows:
        key = (r[identity], *(r[s] for s in segments))
        total = groups.get(key)
        if total is None:
            groups[key] = {k: Decimal(repr(v)) if k in _FLOAT_METRICS else v for k, v in r.items()}
            continue
        for m in _METRICS & r.keys():
            total[m] += Decimal(repr(r[m])) if m in _FLOAT_METRICS else r[m]
    return [
        {k: float(v) if k in _FLOAT_METRICS else v for k, v in g.items()} for g in groups.values()
    ]


def _customer_record(c: AdsCustomer) -> Record:
    return {
        "customer.id": int(c.customer_id),
        "customer.descriptive_name": c.name,
        "customer.currency_code": c.currency,
        "customer.time_zone": c.timezone,
        "customer.manager": c.manager,
        "customer.status": c.status,
        "customer.test_account": False,
        "customer.resource_name": f"customers/{c.customer_id}",
    }


def _client_record(owner: AdsCustomer, c: AdsCustomer, level: int) -> Record:
    return {
        "customer_client.id": int(c.customer_id),
        "customer_client.descriptive_name": c.name,
        "customer_client.currency_code": c.currency,
        "customer_client.time_zone": c.timezone,
        "customer_client.manager": c.manager,
        "customer_client.status": c.status,
        "customer_client.level": level,
        "customer_client.client_customer": f"customers/{c.customer_id}",
        "customer_client.hidden": False,
        "customer_client.test_account": False,
        "customer_client.resource_name": (
            f"customers/{owner.customer_id}/customerClients/{c.customer_id}"
        ),
    }


def _campaign_attrs(customer_id: str, campaign_id: str, name: str, status: str) -> Record:
    return {
        "campaign.id": int(campaign_id),
        "campaign.name": name,
        "campaign.status": status,
        "campaign.resource_name": f"customers/{customer_id}/campaigns/{campaign_id}",
    }


def _ad_group_attrs(customer_id: str, group: below.AdGroup) -> Record:
    return {
        "ad_group.id": int(group.ad_group_id),
        "ad_group.name": group.name,
        "ad_group.status": group.status,
        "ad_group.resource_name": f"customers/{customer_id}/adGroups/{group.ad_group_id}",
    }


def _ad_attrs(customer_id: str, ad: below.Ad) -> Record:
    return {
        "ad_group_ad.ad.id": int(ad.ad_id),
        "ad_group_ad.ad.name": ad.name,
        "ad_group_ad.ad.type": ad.ad_type,
        "ad_group_ad.ad.final_urls": list(ad.final_urls),
        "ad_group_ad.status": ad.status,
        "ad_group_ad.resource_name": (
            f"customers/{customer_id}/adGroupAds/{ad.ad_group_id}~{ad.ad_id}"
        ),
    }


def _keyword_attrs(customer_id: str, keyword: below.Keyword) -> Record:
    pair = f"{keyword.ad_group_id}~{keyword.criterion_id}"
    return {
        "ad_group_criterion.criterion_id": int(keyword.criterion_id),
        "ad_group_criterion.keyword.text": keyword.text,
        "ad_group_criterion.keyword.match_type": keyword.match_type,
        "ad_group_criterion.status": keyword.status,
        "ad_group_criterion.resource_name": f"customers/{customer_id}/adGroupCriteria/{pair}",
        "keyword_view.resource_name": f"customers/{customer_id}/keywordViews/{pair}",
    }


def _setter(row_descriptor: Any, path: str) -> Callable[[Any, Any], None]:
    """Set one field of a raw GoogleAdsRow by its GAQL path (`resource.field`, or deeper such
    as `ad_group_ad.ad.final_urls`); enum values arrive by name, repeated ones as lists."""
    names = [_PROTO_NAMES.get(name, name) for name in path.split(".")]
    descriptor = row_descriptor
    for name in names[:-1]:
        descriptor = descriptor.fields_by_name[name].message_type
    field_descriptor = descriptor.fields_by_name[names[-1]]
    enum_type = field_descriptor.enum_type
    repeated = field_descriptor.is_repeated

    def parent(row: Any) -> Any:
        for name in names[:-1]:
            row = getattr(row, name)
        return row

    if repeated:

        def set_repeated(row: Any, value: Any) -> None:
            getattr(parent(row), names[-1]).extend(value)

        return set_repeated

    if enum_type is not None:

        def set_enum(row: Any, value: Any) -> None:
            setattr(parent(row), names[-1], enum_type.values_by_name[value].number)

        return set_enum

    def set_plain(row: Any, value: Any) -> None:
        setattr(parent(row), names[-1], value)

    return set_plain


def page_token(offset: int, customer_id: str, query: str) -> str:
    """Opaque `next_page_token` for Search: the row offset, bound to the customer and query."""
    digest = hashlib.sha256(f"{customer_id}|{query}".encode()).hexdigest()[:16]
    return base64.urlsafe_b64encode(f"{offset}:{digest}".encode()).decode()


def read_page_token(token: str, customer_id: str, query: str) -> int:
    """The row offset a page token stands for (0 for none); INVALID_PAGE_TOKEN if foreign."""
    if not token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)[0])
    except (ValueError, UnicodeDecodeError):
        offset = -1
    if offset < 0 or page_token(offset, customer_id, query) != token:
        raise AdsRpcError(
            request_error("INVALID_PAGE_TOKEN", "Page token is invalid for this query.")
        )
    return offset
