"""The GAQL the connector sends, and how a date range is cut into query chunks.

One query covers a whole chunk of days for one account (`segments.date BETWEEN`), so a range
costs (metrics + conversions) x chunks queries per account, never one per day (and as many again
for ads and for keywords). Conversions per
action are a separate query because `segments.conversion_action_name` may only be combined with
conversion metrics (the API refuses cost, clicks and impressions beside it).
"""

from __future__ import annotations

import datetime as dt

# Every level of the hierarchy under the manager: sub-managers' clients are readable through the
# top manager as login customer. Managers and non-enabled accounts are skipped by the client.
CUSTOMER_CLIENTS = (
    "SELECT customer_client.id, customer_client.descriptive_name, customer_client.currency_code, "
    "customer_client.time_zone, customer_client.manager, customer_client.status, "
    "customer_client.level FROM customer_client"
)
CUSTOMER = (
    "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone "
    "FROM customer"
)
_CAMPAIGN_FIELDS = (
    "campaign.id, campaign.name, campaign.status, segments.date, metrics.cost_micros, "
    "metrics.impressions, metrics.clicks, metrics.conversions, metrics.conversions_value"
)
# Selected with the metrics when no manager listing describes the account: every row then carries
# the account's currency and time zone, so no separate `FROM customer` query is needed.
_CUSTOMER_FIELDS = "customer.descriptive_name, customer.currency_code, customer.time_zone"
# metrics.conversions counts only actions marked "include in conversions"; all_conversions counts
# every action, so conversions_daily and a configured conversion mapping see secondary actions too.
_CONVERSION_FIELDS = (
    "campaign.id, segments.date, segments.conversion_action_name, metrics.conversions, "
    "metrics.conversions_value, metrics.all_conversions, metrics.all_conversions_value"
)


# Below the campaign (issue #17). Listings carry no metrics: read once per run, whatever the
# window. The daily reports are one query per chunk of days each, like the campaign's.
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
# Per conversion action, as for campaigns: a report of its own (no cost, clicks or impressions).
_BELOW_CONVERSIONS = (
    "segments.date, segments.conversion_action_name, metrics.conversions, "
    "metrics.conversions_value, metrics.all_conversions, metrics.all_conversions_value"
)
_AD_IDS = "campaign.id, ad_group.id, ad_group_ad.ad.id"
_KEYWORD_IDS = (
    "campaign.id, ad_group.id, ad_group_criterion.criterion_id, "
    "ad_group_criterion.keyword.text, ad_group_criterion.keyword.match_type"
)


def _between(start: dt.date, end: dt.date) -> str:
    return f"segments.date BETWEEN '{start.isoformat()}' AND '{end.isoformat()}'"


def campaign_metrics(start: dt.date, end: dt.date, *, with_customer: bool = False) -> str:
    """Daily cost, impressions, clicks, conversions and value per campaign."""
    fields = f"{_CAMPAIGN_FIELDS}, {_CUSTOMER_FIELDS}" if with_customer else _CAMPAIGN_FIELDS
    return f"SELECT {fields} FROM campaign WHERE {_between(start, end)}"


def conversions_by_action(start: dt.date, end: dt.date) -> str:
    """Daily conversions and value per campaign and conversion action."""
    return f"SELECT {_CONVERSION_FIELDS} FROM campaign WHERE {_between(start, end)}"


def ad_metrics(start: dt.date, end: dt.date) -> str:
    """Daily cost, impressions, clicks, conversions and value per ad (campaign types with ads:
    Performance Max has none)."""
    return f"SELECT {_AD_IDS}, {_BELOW_METRICS} FROM ad_group_ad WHERE {_between(start, end)}"


def ad_conversions_by_action(start: dt.date, end: dt.date) -> str:
    """Daily conversions and value per ad and conversion action."""
    return f"SELECT {_AD_IDS}, {_BELOW_CONVERSIONS} FROM ad_group_ad WHERE {_between(start, end)}"


def keyword_metrics(start: dt.date, end: dt.date) -> str:
    """Daily cost, impressions, clicks, conversions and value per keyword, with its text and
    match type."""
    return f"SELECT {_KEYWORD_IDS}, {_BELOW_METRICS} FROM keyword_view WHERE {_between(start, end)}"


def keyword_conversions_by_action(start: dt.date, end: dt.date) -> str:
    """Daily conversions and value per keyword and conversion action."""
    return (
        f"SELECT {_KEYWORD_IDS}, {_BELOW_CONVERSIONS} FROM keyword_view "
        f"WHERE {_between(start, end)}"
    )


def chunks(start: dt.date, end: dt.date, chunk_days: int) -> list[tuple[dt.date, dt.date]]:
    """[start, end] cut into consecutive inclusive ranges of at most `chunk_days` days."""
    if chunk_days < 1:
        raise ValueError("chunk_days must be at least 1")
    if start > end:
        raise ValueError(f"range start {start} is after its end {end}")
    out = []
    first = start
    while first <= end:
        last = min(end, first + dt.timedelta(days=chunk_days - 1))
        out.append((first, last))
        first = last + dt.timedelta(days=1)
    return out
