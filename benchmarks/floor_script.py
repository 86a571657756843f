"""The floor: the least a hand-written script needs to do what a pipeline run does.

    python -m benchmarks.floor_script PLAN_JSON

Reads the plan that `benchmarks.floor` writes (endpoints, accounts, the run's day range and the
request plan the pipeline's settings give), the secrets from the environment (the sandbox's), and
makes the same requests the pipeline makes: plain HTTP (`requests`) for Meta's Graph API (with
the ad set and ad listings, once per account), the networks and the ECB, the official
`google-ads` client's SearchStream for Google Ads (the campaign, ad group and ad listings once
per account, and per chunk the campaign, ad and keyword reports and their conversions per
action). Pages are decoded with `json`, turned into Arrow tables and bulk-loaded into DuckDB
tables of the same columns as the pipeline's raw tables, every record kept as received (the
warehouse contract).
With `"layers": "all"` it then computes core and marts in SQL inside DuckDB (benchmarks/
floor_sql.py). No product code is imported: this is the script a careful engineer would write by
hand, and it is what the pipeline's cost is compared with.

What it leaves out, on purpose: retries, rate-limit handling beyond what the sandbox's limits
need (Awin's 20 calls a minute), logging, the load log, slice replacement (it loads an empty
warehouse once), restatements (none on a first load) and the asset checks.
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import io
import json
import os
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import orjson
import pyarrow as pa
import requests

from benchmarks import floor_sql

ONE_DAY = dt.timedelta(days=1)
# Graph's report-run statuses that end a run (AdReportRun.async_status).
JOB_COMPLETED = "Job Completed"
JOB_FAILED = ("Job Failed", "Job Skipped")
# The pipeline's poll schedule (platforms/meta/client.py): each wait 1.5x the last.
POLL_GROWTH = 1.5
INSIGHTS_FIELDS = (
    "account_currency,account_id,campaign_id,campaign_name,adset_id,ad_id,date_start,date_stop,"
    "spend,impressions,clicks,actions,action_values"
)
ATTRIBUTIONS = ("value", "_click", "_view")  # keys of an actions entry that hold a number
# The listings (once per account per run): the pipeline's fields, every effective_status the
# SDK knows (AdSet.EffectiveStatus, Ad.EffectiveStatus), so archived and deleted objects too.
ADSET_FIELDS = "id,name,campaign_id,status,effective_status"
AD_FIELDS = (
    "id,name,adset_id,campaign_id,status,effective_status,"
    "creative{id,url_tags,link_url,object_story_spec,asset_feed_spec}"
)
ADSET_STATUSES = ["ACTIVE", "ARCHIVED", "CAMPAIGN_PAUSED", "DELETED", "IN_PROCESS", "PAUSED",
                  "WITH_ISSUES"]  # fmt: skip
AD_STATUSES = [
    "ACTIVE", "ADSET_PAUSED", "ARCHIVED", "CAMPAIGN_PAUSED", "DELETED", "DISAPPROVED",
    "IN_PROCESS", "PAUSED", "PENDING_BILLING_INFO", "PENDING_REVIEW", "PREAPPROVED", "WITH_ISSUES",
]  # fmt: skip
# The GAQL of the pipeline's queries (same fields, so the same rows and the same records).
CUSTOMER_CLIENTS = (
    "SELECT customer_client.id, customer_client.descriptive_name, customer_client.currency_code, "
    "customer_client.time_zone, customer_client.manager, customer_client.status, "
    "customer_client.level FROM customer_client"
)
CAMPAIGN_METRICS = (
    "SELECT campaign.id, campaign.name, campaign.status, segments.date, metrics.cost_micros, "
    "metrics.impressions, metrics.clicks, metrics.conversions, metrics.conversions_value "
    "FROM campaign WHERE segments.date BETWEEN '{0}' AND '{1}'"
)
CONVERSIONS = (
    "SELECT campaign.id, segments.date, segments.conversion_action_name, metrics.conversions, "
    "metrics.conversions_value, metrics.all_conversions, metrics.all_conversions_value "
    "FROM campaign WHERE segments.date BETWEEN '{0}' AND '{1}'"
)
# Below the campaign: three listings once per account per run, and per chunk the ad and keyword
# reports and their conversions per action (the pipeline's queries.py, field for field).
CAMPAIGN_LISTING = (
    "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type "
    "FROM campaign"
)
AD_GROUP_LISTING = "SELECT campaign.id, ad_group.id, ad_group.name, ad_group.status FROM ad_group"
AD_LISTING = (
    "SELECT campaign.id, ad_group.id, ad_group_ad.ad.id, ad_group_ad.ad.name, "
    "ad_group_ad.ad.type, ad_group_ad.ad.final_urls, ad_group_ad.status FROM ad_group_ad"
)
_BELOW_METRICS = (
    "segments.date, metrics.cost_micros, metrics.impressions, metrics.clicks, "
    "metrics.conversions, metrics.conversions_value"
)
_BELOW_CONVERSIONS = (
    "segments.date, segments.conversion_action_name, metrics.conversions, "
    "metrics.conversions_value, metrics.all_conversions, metrics.all_conversions_value"
)
_AD_IDS = "campaign.id, ad_group.id, ad_group_ad.ad.id"
_KEYWORD_IDS = (
    "campaign.id, ad_group.id, ad_group_criterion.criterion_id, "
    "ad_group_criterion.keyword.text, ad_group_criterion.keyword.match_type"
)
_BETWEEN = " WHERE segments.date BETWEEN '{0}' AND '{1}'"
AD_METRICS = f"SELECT {_AD_IDS}, {_BELOW_METRICS} FROM ad_group_ad{_BETWEEN}"
KEYWORD_METRICS = f"SELECT {_KEYWORD_IDS}, {_BELOW_METRICS} FROM keyword_view{_BETWEEN}"
AD_CONVERSIONS = f"SELECT {_AD_IDS}, {_BELOW_CONVERSIONS} FROM ad_group_ad{_BETWEEN}"
KEYWORD_CONVERSIONS = f"SELECT {_KEYWORD_IDS}, {_BELOW_CONVERSIONS} FROM keyword_view{_BETWEEN}"
CJ_QUERY = (
    "query Commissions($advertisers: [String!]!, $since: String!, $before: String!, "
    "$sinceCommissionId: String) {\n  advertiserCommissions(forAdvertisers: $advertisers, "
    "sinceEventDate: $since, beforeEventDate: $before, sinceCommissionId: "
    "$sinceCommissionId) {\n    count maxCommissionId payloadComplete records { commissionId "
    "originalActionId original actionStatus actionType publisherId publisherName orderId "
    "eventDate postingDate saleAmountAdvCurrency advCommissionAmountAdvCurrency "
    "correctionReason }\n  }\n}\n"
)
IMPACT_DECIDED = ("APPROVED", "REVERSED")
IMPACT_WINDOW = dt.timedelta(days=45)  # an ActionDate pair spans at most 45 days
AFFILIATE_COLUMNS = [
    "platform", "account_id", "window_date", "record_id", "action_id", "event_date", "updated_at",
    "status", "action_type", "partner_id", "partner_name", "currency", "sale_amount",
    "commission", "record", "is_correction",
]  # fmt: skip


def chunks(start: dt.date, end: dt.date, days: int) -> Iterator[tuple[dt.date, dt.date]]:
    while start <= end:
        last = min(end, start + dt.timedelta(days=days - 1))
        yield start, last
        start = last + ONE_DAY


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Loader:
    """One DuckDB file; threads hand it Arrow tables (strings are cast by the INSERT)."""

    def __init__(self, path: str, loaded_at: dt.datetime):
        self.db = duckdb.connect(path)
        self.db.execute(floor_sql.RAW_DDL)
        self.loaded_at = loaded_at
        self.lock = threading.Lock()

    def load(self, table: str, columns: dict[str, list]) -> None:
        if not next(iter(columns.values())):
            return
        staged = pa.table(columns)
        with self.lock:
            self.db.register("staged", staged)
            self.db.execute(
                f"INSERT INTO raw.{table} BY NAME SELECT *, $1::TIMESTAMPTZ AS loaded_at "
                "FROM staged",
                [self.loaded_at],
            )
            self.db.unregister("staged")


# -- Meta --------------------------------------------------------------------------------------


def meta_chunks(plan: dict, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date, bool]]:
    """The pipeline's plan (platforms/meta/client.plan_chunks): one sync call for a short range,
    else report runs of `async_chunk_days` (a tail of at most `sync_max_days` is a sync call)."""
    if (end - start).days + 1 <= plan["sync_max_days"]:
        return [(start, end, False)]
    return [
        (first, last, (last - first).days + 1 > plan["sync_max_days"])
        for first, last in chunks(start, end, plan["async_chunk_days"])
    ]


def pages(session: requests.Session, url: str | None, params: dict | None) -> list[dict]:
    """Every record of a cursor-paged Graph edge."""
    records: list[dict] = []
    while url:
        response = session.get(url, params=params)
        response.raise_for_status()
        page = response.json()
        records += page["data"]
        url, params = page.get("paging", {}).get("next"), None
    return records


def meta_listings(plan: dict, loader: Loader, session: requests.Session, account: str) -> None:
    """The account's ad sets and ads (with their creative), listed once per run."""
    base = f"{plan['url']}/{plan['api_version']}/act_{account}"
    token = os.environ["META_ACCESS_TOKEN"]
    listed = {}
    for edge, fields, statuses in (("adsets", ADSET_FIELDS, ADSET_STATUSES),
                                   ("ads", AD_FIELDS, AD_STATUSES)):  # fmt: skip
        params = {"access_token": token, "fields": fields, "limit": plan["page_limit"],
                  "effective_status": json.dumps(statuses)}  # fmt: skip
        listed[edge] = pages(session, f"{base}/{edge}", params)
    adsets: dict[str, list] = {name: [] for name in floor_sql.META_ADSET_COLUMNS}
    for r in listed["adsets"]:
        row = (account, str(r["id"]), r.get("campaign_id"), r.get("name"), r.get("status"),
               r.get("effective_status"), dumps(r))  # fmt: skip
        for name, value in zip(floor_sql.META_ADSET_COLUMNS, row, strict=True):
            adsets[name].append(value)
    ads: dict[str, list] = {name: [] for name in floor_sql.META_AD_COLUMNS}
    for r in listed["ads"]:
        creative = r.get("creative")
        tags = (creative or {}).get("url_tags")
        row = (account, str(r["id"]), r.get("adset_id"), r.get("campaign_id"), r.get("name"),
               r.get("status"), r.get("effective_status"), destination_link(creative),
               str(tags) if tags not in (None, "") else None, dumps(r))  # fmt: skip
        for name, value in zip(floor_sql.META_AD_COLUMNS, row, strict=True):
            ads[name].append(value)
    loader.load("meta_adsets", adsets)
    loader.load("meta_ads", ads)


def _nested(record: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def destination_link(creative: dict | None) -> str | None:
    """A link ad's link, else a video ad's call to action's, else a dynamic creative's first
    website URL, else link_url (as the pipeline reads a creative)."""
    links = _nested(creative, "asset_feed_spec", "link_urls")
    candidates = (
        _nested(creative, "object_story_spec", "link_data", "link"),
        _nested(creative, "object_story_spec", "video_data", "call_to_action", "value", "link"),
        _nested(links[0], "website_url") if isinstance(links, list) and links else None,
        _nested(creative, "link_url"),
    )
    return next((str(c) for c in candidates if c not in (None, "")), None)


def meta_account(plan: dict, loader: Loader, account: str, start: dt.date, end: dt.date) -> None:
    session = requests.Session()
    base = f"{plan['url']}/{plan['api_version']}"
    token = {"access_token": os.environ["META_ACCESS_TOKEN"]}
    meta_listings(plan, loader, session, account)
    for since, until, is_async in meta_chunks(plan, start, end):
        params = {
            **token,
            "fields": INSIGHTS_FIELDS,
            "level": "ad",
            "time_increment": "1",
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "action_attribution_windows": json.dumps(plan["attribution_windows"]),
            "limit": plan["page_limit"],
        }
        if is_async:
            run = session.post(f"{base}/act_{account}/insights", data=params)
            run_id = run.json()["report_run_id"]
            delay = plan["poll_seconds"]
            while True:
                time.sleep(delay)
                fields = {**token, "fields": "async_status,async_percent_completion"}
                status = session.get(f"{base}/{run_id}", params=fields).json()["async_status"]
                if status == JOB_COMPLETED:
                    break
                if status in JOB_FAILED:
                    raise RuntimeError(f"meta act_{account}: report run {run_id}: {status}")
                delay = min(delay * POLL_GROWTH, plan["poll_max_seconds"])
            url, params = f"{base}/{run_id}/insights", {**token, "limit": plan["page_limit"]}
        else:
            url = f"{base}/act_{account}/insights"
        land_meta(loader, account, pages(session, url, params))


def land_meta(loader: Loader, account: str, records: list[dict]) -> None:
    insights: dict[str, list] = {name: [] for name in floor_sql.META_INSIGHT_COLUMNS}
    actions: dict[str, list] = {name: [] for name in floor_sql.META_ACTION_COLUMNS}
    for r in records:
        counts, values = {}, {}
        for field, into in (("actions", counts), ("action_values", values)):
            for entry in r.get(field) or ():
                kind = entry["action_type"]
                for key, number in entry.items():
                    if key.endswith(ATTRIBUTIONS):
                        into[(kind, key)] = number
        day, campaign, ad = r["date_start"], r.get("campaign_id"), r["ad_id"]
        for kind, key in [*counts, *(k for k in values if k not in counts)]:
            for name, value in zip(
                floor_sql.META_ACTION_COLUMNS,
                (account, day, campaign, ad, kind, key, counts.get((kind, key)),
                 values.get((kind, key))),
                strict=True,
            ):  # fmt: skip
                actions[name].append(value)
        row = (
            account, day, campaign, r.get("campaign_name"), r.get("adset_id"), ad,
            r.get("account_currency"), r.get("spend"), r.get("impressions"), r.get("clicks"),
            dumps(r["actions"]) if "actions" in r else None,
            dumps(r["action_values"]) if "action_values" in r else None, dumps(r),
        )  # fmt: skip
        for name, value in zip(floor_sql.META_INSIGHT_COLUMNS, row, strict=True):
            insights[name].append(value)
    loader.load("meta_ad_insights", insights)
    loader.load("meta_ad_actions", actions)


def meta(plan: dict, loader: Loader, start: dt.date, end: dt.date, threads: int) -> None:
    session = requests.Session()
    base = f"{plan['url']}/{plan['api_version']}"
    described: dict[str, list] = {n: [] for n in ("account_id", "account_name", "currency",
                                                   "timezone", "record")}  # fmt: skip
    for account in plan["accounts"]:  # described one after another, as the pipeline does
        node = session.get(
            f"{base}/act_{account}",
            params={
                "access_token": os.environ["META_ACCESS_TOKEN"],
                "fields": "account_id,name,currency,timezone_name",
            },
        ).json()
        row = (account, node.get("name"), node.get("currency"), node.get("timezone_name"))
        for name, value in zip(described, (*row, dumps(node)), strict=True):
            described[name].append(value)
    loader.load("meta_accounts", described)
    each(plan["accounts"], lambda a: meta_account(plan, loader, a, start, end), threads)


# -- Google Ads --------------------------------------------------------------------------------


def google_ads(plan: dict, loader: Loader, start: dt.date, end: dt.date, threads: int) -> None:
    # Imported here: a run without Google Ads does not pay for the library.
    import google.oauth2.credentials
    from google.ads.googleads.client import GoogleAdsClient
    from google.protobuf.json_format import MessageToJson

    credentials = google.oauth2.credentials.Credentials(
        token=None,
        refresh_token=os.environ["GOOGLE_ADS_REFRESH_TOKEN"],
        client_id=os.environ["GOOGLE_ADS_CLIENT_ID"],
        client_secret=os.environ["GOOGLE_ADS_CLIENT_SECRET"],
        token_uri=plan["oauth_url"],
    )
    service = GoogleAdsClient(
        credentials=credentials,
        developer_token=os.environ["GOOGLE_ADS_DEVELOPER_TOKEN"],
        endpoint=plan["endpoint"],
        login_customer_id=plan["manager"],
        version=plan["api_version"],
        use_proto_plus=False,
    ).get_service("GoogleAdsService")

    def stream(customer: str, query: str) -> Iterator[Any]:
        for batch in service.search_stream(customer_id=customer, query=query):
            yield from batch.results

    accounts: dict[str, list] = {n: [] for n in ("account_id", "account_name", "currency",
                                                  "timezone", "record")}  # fmt: skip
    for row in stream(plan["manager"], CUSTOMER_CLIENTS):
        client = row.customer_client
        if client.manager or client.status != 2:  # CustomerStatus ENABLED
            continue
        values = (f"{client.id:010d}", client.descriptive_name or None, client.currency_code,
                  client.time_zone or None, MessageToJson(row, indent=None))  # fmt: skip
        for name, value in zip(accounts, values, strict=True):
            accounts[name].append(value)
    loader.load("google_ads_accounts", accounts)
    enum_names: dict[tuple[str, str, int], str] = {}

    def enum(message: Any, field: str) -> str:
        number = getattr(message, field)
        key = (message.DESCRIPTOR.full_name, field, number)
        if key not in enum_names:
            value = message.DESCRIPTOR.fields_by_name[field].enum_type.values_by_number.get(number)
            enum_names[key] = value.name if value is not None else str(number)
        return enum_names[key]

    def optional_id(number: int) -> str | None:
        return str(number) if number > 0 else None

    def land(table: str, columns: list[str], rows: Iterator[tuple]) -> None:
        landed: dict[str, list] = {n: [] for n in columns}
        for values in rows:
            for name, value in zip(columns, values, strict=True):
                landed[name].append(value)
        loader.load(table, landed)

    def listings(customer: str) -> None:
        land("google_ads_campaigns", floor_sql.GOOGLE_CAMPAIGN_LISTING_COLUMNS, (
            (customer, str(r.campaign.id), r.campaign.name, enum(r.campaign, "status"),
             enum(r.campaign, "advertising_channel_type"), MessageToJson(r, indent=None))
            for r in stream(customer, CAMPAIGN_LISTING)
        ))  # fmt: skip
        land("google_ads_ad_groups", floor_sql.GOOGLE_AD_GROUP_COLUMNS, (
            (customer, str(r.ad_group.id), optional_id(r.campaign.id), r.ad_group.name,
             enum(r.ad_group, "status"), MessageToJson(r, indent=None))
            for r in stream(customer, AD_GROUP_LISTING)
        ))  # fmt: skip
        land("google_ads_ads", floor_sql.GOOGLE_AD_COLUMNS, (
            (customer, str(r.ad_group_ad.ad.id), optional_id(r.ad_group.id),
             optional_id(r.campaign.id), r.ad_group_ad.ad.name, enum(r.ad_group_ad.ad, "type_"),
             enum(r.ad_group_ad, "status"),
             r.ad_group_ad.ad.final_urls[0] if r.ad_group_ad.ad.final_urls else None,
             MessageToJson(r, indent=None))
            for r in stream(customer, AD_LISTING)
        ))  # fmt: skip

    def metrics(m: Any) -> tuple:
        return (m.cost_micros, m.impressions, m.clicks, repr(m.conversions),
                repr(m.conversions_value))  # fmt: skip

    def per_action(r: Any) -> tuple:
        m = r.metrics
        return (r.segments.conversion_action_name, repr(m.conversions), repr(m.conversions_value),
                repr(m.all_conversions), repr(m.all_conversions_value))  # fmt: skip

    def ad_ids(customer: str, r: Any) -> tuple:
        return (customer, r.segments.date, str(r.campaign.id), str(r.ad_group.id),
                str(r.ad_group_ad.ad.id))  # fmt: skip

    def keyword_ids(customer: str, r: Any) -> tuple:
        c = r.ad_group_criterion
        return (customer, r.segments.date, str(r.campaign.id), str(r.ad_group.id),
                str(c.criterion_id), c.keyword.text, enum(c.keyword, "match_type"))  # fmt: skip

    def account(customer: str) -> None:
        listings(customer)
        for first, last in chunks(start, end, plan["chunk_days"]):
            land("google_ads_campaign_daily", floor_sql.GOOGLE_CAMPAIGN_COLUMNS, (
                (customer, r.segments.date, str(r.campaign.id), r.campaign.name,
                 enum(r.campaign, "status"), *metrics(r.metrics), MessageToJson(r, indent=None))
                for r in stream(customer, CAMPAIGN_METRICS.format(first, last))
            ))  # fmt: skip
            land("google_ads_conversion_daily", floor_sql.GOOGLE_CONVERSION_COLUMNS, (
                (customer, r.segments.date, str(r.campaign.id), *per_action(r),
                 MessageToJson(r, indent=None))
                for r in stream(customer, CONVERSIONS.format(first, last))
            ))  # fmt: skip
            for table, query, ids, values in (
                ("google_ads_ad_daily", AD_METRICS, ad_ids, lambda r: metrics(r.metrics)),
                ("google_ads_keyword_daily", KEYWORD_METRICS, keyword_ids,
                 lambda r: metrics(r.metrics)),
                ("google_ads_ad_conversion_daily", AD_CONVERSIONS, ad_ids, per_action),
                ("google_ads_keyword_conversion_daily", KEYWORD_CONVERSIONS, keyword_ids,
                 per_action),
            ):  # fmt: skip
                land(table, floor_sql.GOOGLE_BELOW_COLUMNS[table], (
                    (*ids(customer, r), *values(r), MessageToJson(r, indent=None))
                    for r in stream(customer, query.format(first, last))
                ))  # fmt: skip

    each(accounts["account_id"], account, threads)


# -- affiliate networks ------------------------------------------------------------------------


def sync_window(plan: dict, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The run's range and the trailing lookback the pipeline re-reads."""
    return min(start, end - dt.timedelta(days=plan["lookback_days"] - 1)), end


def land_actions(loader: Loader, rows: list[tuple]) -> None:
    columns = {name: [row[i] for row in rows] for i, name in enumerate(AFFILIATE_COLUMNS)}
    loader.load("affiliate_actions", columns)


def impact_windows(start: dt.date, end: dt.date, zone: ZoneInfo) -> list[tuple[dt.date, dt.date]]:
    """Windows of as many days as fit in 45 days of elapsed time (impact.com's limit for an
    ActionDate pair; 44 across the autumn daylight-saving change), as the pipeline cuts them."""
    windows, first = [], start
    while first <= end:
        last = min(end, first + IMPACT_WINDOW - ONE_DAY)
        while last > first and elapsed(first, last, zone) > IMPACT_WINDOW:
            last -= ONE_DAY
        windows.append((first, last))
        first = last + ONE_DAY
    return windows


def elapsed(first: dt.date, last: dt.date, zone: ZoneInfo) -> dt.timedelta:
    # In UTC: two times of one zone subtract naively, ignoring a daylight-saving change.
    since = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    return dt.datetime.combine(last, dt.time(23, 59, 59), zone).astimezone(dt.UTC) - since


def impact(plan: dict, loader: Loader, start: dt.date, end: dt.date) -> None:
    """Actions by event day (ActionDateStart/End): each lands under its event day."""
    session = requests.Session()
    session.auth = (os.environ["IMPACT_ACCOUNT_SID"], os.environ["IMPACT_AUTH_TOKEN"])
    session.headers["Accept"] = "application/json"
    zone = ZoneInfo(plan["timezone"])
    for account in plan["accounts"]:
        for first, last in impact_windows(*sync_window(plan, start, end), zone):
            url: str | None = f"{plan['url']}/Advertisers/{account}/Actions"
            params: dict | None = {
                "CampaignId": plan["program_ids"][account],
                "ActionDateStart": dt.datetime.combine(first, dt.time(), zone).isoformat(),
                "ActionDateEnd": dt.datetime.combine(last, dt.time(23, 59, 59), zone).isoformat(),
                "PageSize": plan["page_size"],
            }
            rows = []
            while url:
                page = session.get(url, params=params).json()
                for a in page["Actions"]:
                    changed = dt.datetime.fromisoformat(
                        a["LockingDate" if a["State"] in IMPACT_DECIDED else "CreationDate"]
                    )
                    event = dt.datetime.fromisoformat(a["EventDate"]).astimezone(zone).date()
                    rows.append(
                        ("impact", account, event, a["Id"], a["Id"], event, changed,
                         a["State"], a.get("ActionTrackerName") or None,
                         a.get("MediaPartnerId") or None, a.get("MediaPartnerName") or None,
                         a.get("Currency") or None, a.get("Amount") or None, a["Payout"],
                         dumps(a), False)
                    )  # fmt: skip
                following = page.get("@nextpageuri")
                url, params = (plan["url"] + following, None) if following else (None, None)
            land_actions(loader, rows)


def cj(plan: dict, loader: Loader, start: dt.date, end: dt.date) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {os.environ['CJ_ACCESS_TOKEN']}"
    zone = ZoneInfo(plan["timezone"])

    def utc(day: dt.date) -> str:
        return (
            dt.datetime.combine(day, dt.time(), zone)
            .astimezone(dt.UTC)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
        )

    for account in plan["accounts"]:
        for first, last in chunks(*sync_window(plan, start, end), plan["window_days"]):
            variables = {"advertisers": [account], "since": utc(first),
                         "before": utc(last + ONE_DAY), "sinceCommissionId": None}  # fmt: skip
            rows = []
            while True:
                body = session.post(
                    f"{plan['url']}/query", json={"query": CJ_QUERY, "variables": variables}
                ).json()
                answer = body["data"]["advertiserCommissions"]
                for r in answer["records"]:
                    posted = dt.datetime.fromisoformat(r["postingDate"])
                    event = dt.datetime.fromisoformat(r["eventDate"]).astimezone(zone).date()
                    rows.append(
                        ("cj", account, event, r["commissionId"],
                         r["originalActionId"], event, posted, r["actionStatus"],
                         r.get("actionType") or None, r.get("publisherId") or None,
                         r.get("publisherName") or None, plan["currency"],
                         r["saleAmountAdvCurrency"], r["advCommissionAmountAdvCurrency"],
                         dumps(r), not r["original"])
                    )  # fmt: skip
                if answer["payloadComplete"]:
                    break
                variables = {**variables, "sinceCommissionId": str(answer["maxCommissionId"])}
            land_actions(loader, rows)


def awin(plan: dict, loader: Loader, start: dt.date, end: dt.date) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {os.environ['AWIN_ACCESS_TOKEN']}"
    zone = ZoneInfo(plan["timezone"])
    decoder = json.JSONDecoder(parse_float=Decimal)
    sent: list[float] = []  # Awin allows 20 calls a minute
    for account in plan["accounts"]:
        for first, last in chunks(*sync_window(plan, start, end), plan["window_days"]):
            if len(sent) >= plan["calls_per_minute"]:
                time.sleep(max(0.0, sent[-plan["calls_per_minute"]] + 60 - time.monotonic()))
            sent.append(time.monotonic())
            text = session.get(
                f"{plan['url']}/advertisers/{account}/transactions/",
                params={"startDate": f"{first}T00:00:00", "endDate": f"{last}T23:59:59",
                        "timezone": plan["timezone"], "dateType": "transaction"},
            ).text  # fmt: skip
            rows = []
            for t, record in array_items(decoder, text):
                moment = dt.datetime.fromisoformat(t["transactionDate"])
                moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
                changed = t.get("validationDate")
                if changed:
                    changed = dt.datetime.fromisoformat(changed)
                    changed = changed if changed.tzinfo else changed.replace(tzinfo=zone)
                day = moment.astimezone(zone).date()
                sale = (t.get("saleAmount") or {}).get("amount")
                commission = t["commissionAmount"]
                rows.append(
                    ("awin", account, day, str(t["id"]), str(t["id"]), day, changed or moment,
                     t["commissionStatus"], t.get("type") or None,
                     str(t["publisherId"]) if t.get("publisherId") else None,
                     t.get("siteName") or None, commission.get("currency"),
                     None if sale is None else str(sale), str(commission["amount"]), record,
                     False)
                )  # fmt: skip
            land_actions(loader, rows)


def array_items(decoder: json.JSONDecoder, text: str) -> Iterator[tuple[Any, str]]:
    """Each element of a JSON array and its text exactly as sent (Awin's record)."""
    position = text.index("[") + 1
    while True:
        while text[position] in " \t\r\n,":
            position += 1
        if text[position] == "]":
            return
        value, finish = decoder.raw_decode(text, position)
        yield value, text[position:finish]
        position = finish


# -- ECB ---------------------------------------------------------------------------------------


def ecb(plan: dict, loader: Loader) -> None:
    payload = requests.get(plan["url"]).content
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader)]
    first, last = plan["first"], plan["last"]
    rates: dict[str, list] = {"date": [], "currency": [], "units_per_eur": []}
    for row in reader:
        day = row[0].strip() if row else ""
        if not day or not first <= day <= last:
            continue
        for currency, value in [("EUR", "1"), *zip(header[1:], row[1:], strict=False)]:
            value = value.strip()
            if currency and value not in ("N/A", ""):
                rates["date"].append(day)
                rates["currency"].append(currency)
                rates["units_per_eur"].append(value)
    loader.load("ecb_rates", rates)


# -- the run -----------------------------------------------------------------------------------


def each(items: list, work: Callable[[Any], None], threads: int) -> None:
    with concurrent.futures.ThreadPoolExecutor(max(1, min(threads, len(items)))) as pool:
        for future in [pool.submit(work, item) for item in items]:
            future.result()


def main(argv: list[str]) -> int:
    plan = json.loads(Path(argv[0]).read_text())
    start, end = dt.date.fromisoformat(plan["start"]), dt.date.fromisoformat(plan["end"])
    loaded_at = dt.datetime.now(dt.UTC)
    loader = Loader(plan["warehouse"], loaded_at)
    threads = plan["max_concurrent_accounts"]
    sources: list[Callable[[], None]] = [lambda: ecb(plan["ecb"], loader)]
    if plan.get("meta"):
        sources.append(lambda: meta(plan["meta"], loader, start, end, threads))
    if plan.get("google_ads"):
        sources.append(lambda: google_ads(plan["google_ads"], loader, start, end, threads))
    for name, read in (("impact", impact), ("cj", cj), ("awin", awin)):
        if plan.get(name):
            sources.append(lambda read=read, name=name: read(plan[name], loader, start, end))
    each(sources, lambda read: read(), len(sources))  # the platforms at once, as the pipeline
    if plan["layers"] == "all":
        floor_sql.build_core_and_marts(loader.db, plan, loaded_at.date())
    loader.db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
