"""Meta insights rows as received -> typed rows for the raw landing tables (pure functions).

Graph sends every metric as a string. `actions` and `action_values` are lists of
`{"action_type", "value", "<window>": ...}`: `value` is the count (or value) under the attribution
setting in force, and each requested window (`7d_click`, `1d_view`, ...) that is non-zero gets
its own key. Rows are kept whole (`record`, `actions`, `action_values` as JSON) and also broken
out per action type and attribution key ("value" or a window).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from perfmkt_pipeline.platforms.base.json_codec import compact_json
from perfmkt_pipeline.platforms.meta.errors import MetaDataError

# The insights fields the pipeline requests (PLATFORMS.md), at level=ad with time_increment=1.
INSIGHTS_FIELDS = (
    "account_currency",
    "account_id",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "ad_id",
    "date_start",
    "date_stop",
    "spend",
    "impressions",
    "clicks",
    "actions",
    "action_values",
)
ACCOUNT_FIELDS = ("account_id", "name", "currency", "timezone_name")
# Keys of an actions entry that hold a number per attribution: the default plus each window.
DEFAULT_ATTRIBUTION = "value"
_ATTRIBUTION_KEY = re.compile(r"^(value|\d+d_(click|view))$")


@dataclass(frozen=True)
class AccountInfo:
    account_id: str
    name: str | None
    currency: str | None
    timezone: str | None
    record: dict[str, Any]

    def row(self) -> dict[str, Any]:
        """A raw.meta_accounts row."""
        return {
            "account_id": self.account_id,
            "account_name": self.name,
            "currency": self.currency,
            "timezone": self.timezone,
            "record": to_json(self.record),
        }


def to_json(value: Any) -> str:
    """JSON text of a value as received (key order kept, no re-formatting of numbers)."""
    return compact_json(value)


def parse_account(account_id: str, record: Mapping[str, Any]) -> AccountInfo:
    return AccountInfo(
        account_id,
        record.get("name"),
        record.get("currency"),
        record.get("timezone_name"),
        dict(record),
    )


def _decimal(account_id: str, day: str | None, field: str, raw: Any) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw if type(raw) is str else str(raw))  # Graph sends strings
    except InvalidOperation:
        raise MetaDataError(account_id, day, field, f"is not a decimal number: {raw!r}") from None
    if not value.is_finite():
        raise MetaDataError(account_id, day, field, f"is not a finite number: {raw!r}")
    return value


def _integer(account_id: str, day: str | None, field: str, raw: Any) -> int | None:
    if raw is None:
        return None
    text = str(raw)
    if not text.lstrip("-").isdigit():
        raise MetaDataError(account_id, day, field, f"is not an integer: {raw!r}")
    return int(text)


def _day(account_id: str, record: Mapping[str, Any]) -> dt.date:
    raw = record.get("date_start")
    try:
        day = dt.date.fromisoformat(str(raw))
    except ValueError:
        raise MetaDataError(account_id, None, "date_start", f"is not a date: {raw!r}") from None
    if record.get("date_stop") not in (None, raw):
        raise MetaDataError(
            account_id,
            str(raw),
            "date_stop",
            f"is {record['date_stop']!r}: daily rows (time_increment=1) start and stop on one day",
        )
    return day


def _required(account_id: str, day: str, record: Mapping[str, Any], field: str) -> str:
    value = record.get(field)
    if value in (None, ""):
        raise MetaDataError(account_id, day, field, "is missing")
    return str(value)


def _entries(account_id: str, day: str, record: Mapping[str, Any], field: str) -> list[dict]:
    value = record.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(e, Mapping) for e in value):
        raise MetaDataError(account_id, day, field, "is not a list of objects")
    return value


def insight_row(account_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A raw.meta_ad_insights row from one insights record (ad, day)."""
    day = _day(account_id, record)
    iso = day.isoformat()
    received_account = record.get("account_id")
    if received_account is not None and str(received_account) != account_id:
        raise MetaDataError(account_id, iso, "account_id", f"is {received_account!r}")
    actions = _entries(account_id, iso, record, "actions")
    values = _entries(account_id, iso, record, "action_values")
    return {
        "account_id": account_id,
        "date": day,
        "campaign_id": record.get("campaign_id"),
        "campaign_name": record.get("campaign_name"),
        "adset_id": record.get("adset_id"),
        "ad_id": _required(account_id, iso, record, "ad_id"),
        "currency": record.get("account_currency"),
        "spend": _decimal(account_id, iso, "spend", record.get("spend")),
        "impressions": _integer(account_id, iso, "impressions", record.get("impressions")),
        "clicks": _integer(account_id, iso, "clicks", record.get("clicks")),
        "actions": to_json(actions) if "actions" in record else None,
        "action_values": to_json(values) if "action_values" in record else None,
        "record": to_json(record),
    }


# Whether an entry's key names an attribution (`_ATTRIBUTION_KEY`), remembered per key: a page
# of 5,000 records has about 60,000 keys, nearly all of them the same handful (issue #18).
@functools.lru_cache(maxsize=1024)
def _is_attribution(key: str) -> bool:
    return _ATTRIBUTION_KEY.match(key) is not None


def _by_attribution(
    account_id: str, day: dt.date, field: str, entries: list[dict]
) -> dict[tuple[str, str], Decimal]:
    """(action type, attribution key) -> number of entries already checked to be objects (the
    day is formatted only for an error message)."""
    out: dict[tuple[str, str], Decimal] = {}
    for entry in entries:
        action_type = entry.get("action_type")
        if not action_type:
            raise MetaDataError(account_id, day.isoformat(), f"{field}[].action_type", "is missing")
        for key, raw in entry.items():
            if _is_attribution(key) and raw is not None:
                try:
                    value = Decimal(raw if type(raw) is str else str(raw))
                except InvalidOperation:
                    value = None  # _decimal raises the error that says why
                if value is None or not value.is_finite():
                    name = f"{field}[{action_type}].{key}"
                    value = _decimal(account_id, day.isoformat(), name, raw)
                out[(str(action_type), key)] = value
    return out


ACTION_COLUMNS = (
    "account_id",
    "date",
    "campaign_id",
    "ad_id",
    "action_type",
    "attribution",
    "actions",
    "action_value",
)


def action_rows(account_id: str, record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """raw.meta_ad_actions rows: one per action type and attribution key found in `actions` or
    `action_values`; `actions` holds the count, `action_value` the value (None when absent)."""
    day = _day(account_id, record)
    iso = day.isoformat()
    ad_id = _required(account_id, iso, record, "ad_id")
    _entries(account_id, iso, record, "actions")
    _entries(account_id, iso, record, "action_values")
    columns = action_columns(account_id, [record], [{"date": day, "ad_id": ad_id}])
    rows = zip(*columns.values(), strict=True)
    return [dict(zip(ACTION_COLUMNS, row, strict=True)) for row in rows]


def action_columns(
    account_id: str, records: list[Mapping[str, Any]], insights: list[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """The raw.meta_ad_actions rows of `records` (`action_rows` of each, in order) as columns,
    given each record's insight row (`insight_row`, which has checked its day, ad and entries:
    only the entries' contents are left to check here)."""
    columns: dict[str, list[Any]] = {name: [] for name in ACTION_COLUMNS}
    accounts, dates, campaigns, ads, types, attributions, counted, valued = columns.values()
    for record, row in zip(records, insights, strict=True):
        day = row["date"]
        counts = _by_attribution(account_id, day, "actions", record.get("actions") or [])
        values = _by_attribution(
            account_id, day, "action_values", record.get("action_values") or []
        )
        keys = list(counts) + [k for k in values if k not in counts]
        if not keys:
            continue
        n = len(keys)
        accounts += [account_id] * n
        dates += [day] * n
        campaigns += [record.get("campaign_id")] * n
        ads += [row["ad_id"]] * n
        for key in keys:
            types.append(key[0])
            attributions.append(key[1])
            counted.append(counts.get(key))
            valued.append(values.get(key))
    return columns


def counted_in_columns(
    columns: dict[str, list[Any]], action_types: list[str]
) -> tuple[Decimal, Decimal]:
    """Conversions and their value at the default attribution, over the configured action types
    (the ones that count; others, such as omni_purchase, would double-count purchases), of
    raw.meta_ad_actions rows given as columns (`action_columns`)."""
    counted = set(action_types)
    conversions = value = Decimal(0)
    for attribution, action_type, actions, action_value in zip(
        columns["attribution"],
        columns["action_type"],
        columns["actions"],
        columns["action_value"],
        strict=True,
    ):
        if attribution == DEFAULT_ATTRIBUTION and action_type in counted:
            conversions += actions or 0
            value += action_value or 0
    return conversions, value


# Listings (issue #17), once per account per run. Fields per the Graph API reference of the ad
# set (https://developers.facebook.com/docs/marketing-api/reference/ad-campaign), the ad
# (.../reference/adgroup) and its creative (.../reference/ad-creative), the creative expanded in
# place (`creative{...}`) so that one listing answers for every ad.
ADSET_FIELDS = ("id", "name", "campaign_id", "status", "effective_status")
AD_FIELDS = (
    "id",
    "name",
    "adset_id",
    "campaign_id",
    "status",
    "effective_status",
    "creative{id,url_tags,link_url,object_story_spec,asset_feed_spec}",
)


def _nested(record: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(record, Mapping):
            return None
        record = record.get(key)
    return record


def destination_link(creative: Mapping[str, Any] | None) -> str | None:
    """Where a creative sends people: the link of a link ad (object_story_spec.link_data.link),
    else a video ad's call to action (video_data.call_to_action.value.link), else a dynamic
    creative's first website URL (asset_feed_spec.link_urls[0].website_url), else `link_url`.
    None when it names none."""
    candidates = [
        _nested(creative, "object_story_spec", "link_data", "link"),
        _nested(creative, "object_story_spec", "video_data", "call_to_action", "value", "link"),
    ]
    links = _nested(creative, "asset_feed_spec", "link_urls")
    if isinstance(links, list) and links:
        candidates.append(_nested(links[0], "website_url"))
    candidates.append(_nested(creative, "link_url"))
    return next((str(c) for c in candidates if c not in (None, "")), None)


def _listed_id(account_id: str, what: str, record: Mapping[str, Any]) -> str:
    value = record.get("id")
    if value in (None, ""):
        raise MetaDataError(account_id, None, f"{what}.id", "is missing")
    return str(value)


def adset_row(account_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A raw.meta_adsets row from one record of GET /act_<id>/adsets."""
    return {
        "account_id": account_id,
        "adset_id": _listed_id(account_id, "adsets[]", record),
        "campaign_id": record.get("campaign_id"),
        "adset_name": record.get("name"),
        "status": record.get("status"),
        "effective_status": record.get("effective_status"),
        "record": to_json(record),
    }


def ad_row(account_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A raw.meta_ads row from one record of GET /act_<id>/ads (creative expanded)."""
    creative = record.get("creative")
    if creative is not None and not isinstance(creative, Mapping):
        raise MetaDataError(account_id, None, "ads[].creative", "is not an object")
    tags = _nested(creative, "url_tags")
    return {
        "account_id": account_id,
        "ad_id": _listed_id(account_id, "ads[]", record),
        "adset_id": record.get("adset_id"),
        "campaign_id": record.get("campaign_id"),
        "ad_name": record.get("name"),
        "status": record.get("status"),
        "effective_status": record.get("effective_status"),
        "link": destination_link(creative),
        "url_tags": str(tags) if tags not in (None, "") else None,
        "record": to_json(record),
    }
