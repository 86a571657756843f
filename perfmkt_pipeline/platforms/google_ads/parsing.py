"""Google Ads rows (the library's raw protobuf `GoogleAdsRow`s) to typed records.

Every record keeps the row as received, serialised by the protobuf library's own JSON printer
(`record`: field names in lowerCamelCase, int64 as strings, enums by name, as the REST form of the
API shows them). Money is exact: micros become `Decimal` by moving the decimal point, never
through a float, for every currency (JPY included: micros of a yen are still millionths).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from google.protobuf import json_format

from perfmkt_pipeline.platforms.google_ads.errors import GoogleAdsDataError

# A row's values beside its identity: its metrics, or one conversion action's (row, customer, day).
Values = Callable[[Any, str, str], dict[str, Any]]

# Google Ads money fields are integers in millionths of the account currency ("micros").
MICROS_EXPONENT = -6
# Conversions and conversion values are doubles on the wire. The warehouse keeps 6 decimal places
# (tables.MONEY / CONVERSIONS); a double's binary noise beyond them (0.1 + 0.2 style) is rounded
# half-even there. Values with 6 places or fewer (the common case) pass unchanged.
DOUBLE_PLACES = Decimal("0.000001")
# CustomerStatusEnum name of an account that can be read.
ENABLED = "ENABLED"


@dataclass(frozen=True)
class Account:
    """A customer (account): currency and time zone are None until the API has described it."""

    customer_id: str
    name: str | None = None
    currency: str | None = None
    time_zone: str | None = None
    record: str | None = None  # the row that described it (customer_client or customer)

    @property
    def described(self) -> bool:
        return self.currency is not None


@dataclass(frozen=True)
class ClientAccount:
    """One `customer_client` row under a manager."""

    account: Account
    manager: bool
    status: str  # CustomerStatusEnum name
    level: int  # 0 is the manager itself


@dataclass(frozen=True)
class CampaignDay:
    """One `FROM campaign` row segmented by `segments.date`."""

    customer_id: str
    date: dt.date
    campaign_id: str
    campaign_name: str
    campaign_status: str
    cost_micros: int
    impressions: int
    clicks: int
    conversions: Decimal
    conversions_value: Decimal
    record: str

    @property
    def cost(self) -> Decimal:
        """Cost in the account currency, exact."""
        return micros_to_decimal(self.cost_micros)


@dataclass(frozen=True)
class ConversionDay:
    """One row segmented by `segments.date` and `segments.conversion_action_name`."""

    customer_id: str
    date: dt.date
    campaign_id: str
    conversion_action_name: str
    conversions: Decimal
    conversions_value: Decimal
    all_conversions: Decimal
    all_conversions_value: Decimal
    record: str


def micros_to_decimal(micros: int) -> Decimal:
    """1234567 micros -> Decimal("1.234567"), exactly."""
    return Decimal(int(micros)).scaleb(MICROS_EXPONENT)


def double_to_decimal(value: float, customer_id: str, day: str | None, field: str) -> Decimal:
    """A wire double as the Decimal its shortest repr spells (1.5 -> 1.5, not 1.4999...)."""
    if not math.isfinite(value):
        raise GoogleAdsDataError(customer_id, day, field, f"is {value!r}, not a finite number")
    number = Decimal(repr(value))
    if number.as_tuple().exponent < DOUBLE_PLACES.as_tuple().exponent:
        number = number.quantize(DOUBLE_PLACES, rounding=ROUND_HALF_EVEN)
    return number


def record_json(row: Any) -> str:
    """The row as received, as JSON (the protobuf library's canonical JSON form)."""
    return json_format.MessageToJson(row, indent=None)


def enum_name(message: Any, field: str) -> str:
    number = getattr(message, field)
    value = message.DESCRIPTOR.fields_by_name[field].enum_type.values_by_number.get(number)
    return value.name if value is not None else str(number)


def parse_campaign_row(row: Any, customer_id: str, start: dt.date, end: dt.date) -> CampaignDay:
    day = _day(row, customer_id, start, end)
    text = day.isoformat()
    metrics = row.metrics
    return CampaignDay(
        customer_id=customer_id,
        date=day,
        campaign_id=_campaign_id(row, customer_id, text),
        campaign_name=row.campaign.name,
        campaign_status=enum_name(row.campaign, "status"),
        cost_micros=metrics.cost_micros,
        impressions=metrics.impressions,
        clicks=metrics.clicks,
        conversions=double_to_decimal(
            metrics.conversions, customer_id, text, "metrics.conversions"
        ),
        conversions_value=double_to_decimal(
            metrics.conversions_value, customer_id, text, "metrics.conversions_value"
        ),
        record=record_json(row),
    )


def parse_conversion_row(row: Any, customer_id: str, start: dt.date, end: dt.date) -> ConversionDay:
    day = _day(row, customer_id, start, end)
    text = day.isoformat()
    name = row.segments.conversion_action_name
    if not name:
        raise GoogleAdsDataError(customer_id, text, "segments.conversion_action_name", "is empty")
    return ConversionDay(
        customer_id=customer_id,
        date=day,
        campaign_id=_campaign_id(row, customer_id, text),
        conversion_action_name=name,
        conversions=double_to_decimal(
            row.metrics.conversions, customer_id, text, "metrics.conversions"
        ),
        conversions_value=double_to_decimal(
            row.metrics.conversions_value, customer_id, text, "metrics.conversions_value"
        ),
        all_conversions=double_to_decimal(
            row.metrics.all_conversions, customer_id, text, "metrics.all_conversions"
        ),
        all_conversions_value=double_to_decimal(
            row.metrics.all_conversions_value, customer_id, text, "metrics.all_conversions_value"
        ),
        record=record_json(row),
    )


def parse_customer_client_row(row: Any, manager_id: str) -> ClientAccount:
    client = row.customer_client
    if not client.id:
        raise GoogleAdsDataError(manager_id, None, "customer_client.id", "is missing")
    customer_id = f"{client.id:010d}"
    account = Account(
        customer_id=customer_id,
        name=client.descriptive_name or None,
        currency=_currency(client.currency_code, customer_id, "customer_client.currency_code"),
        time_zone=client.time_zone or None,
        record=record_json(row),
    )
    return ClientAccount(account, client.manager, enum_name(client, "status"), client.level)


def parse_customer(row: Any, customer_id: str) -> Account:
    """The account described by `customer.*` fields (a `FROM customer` row or any row that
    selected them). `record` holds the row's `customer` part only, as a `FROM customer` row
    would: a campaign row that happened to carry it stays in the daily tables."""
    customer = row.customer
    return Account(
        customer_id=customer_id,
        name=customer.descriptive_name or None,
        currency=_currency(customer.currency_code, customer_id, "customer.currency_code"),
        time_zone=customer.time_zone or None,
        record=record_json(type(row)(customer=customer)),
    )


def _currency(code: str, customer_id: str, field: str) -> str:
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        raise GoogleAdsDataError(customer_id, None, field, f"is {code!r}, not an ISO 4217 code")
    return code


def _campaign_id(row: Any, customer_id: str, day: str) -> str:
    if row.campaign.id <= 0:
        raise GoogleAdsDataError(customer_id, day, "campaign.id", "is missing")
    return str(row.campaign.id)


def _day(row: Any, customer_id: str, start: dt.date, end: dt.date) -> dt.date:
    """`segments.date`, which must fall inside the range the query asked for."""
    text = row.segments.date
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise GoogleAdsDataError(
            customer_id, text or None, "segments.date", f"is {text!r}, not a YYYY-MM-DD date"
        ) from None
    if not start <= day <= end:
        raise GoogleAdsDataError(
            customer_id, text, "segments.date", f"is outside the requested range {start}..{end}"
        )
    return day


# --- below the campaign (issue #17) ------------------------------------------------------------


def _positive_id(message: Any, field: str, customer_id: str, day: str | None, path: str) -> str:
    value = getattr(message, field)
    if value <= 0:
        raise GoogleAdsDataError(customer_id, day, path, "is missing")
    return str(value)


def _metric_values(row: Any, customer_id: str, text: str) -> dict[str, Any]:
    metrics = row.metrics
    return {
        "cost_micros": metrics.cost_micros,
        "impressions": metrics.impressions,
        "clicks": metrics.clicks,
        "conversions": double_to_decimal(
            metrics.conversions, customer_id, text, "metrics.conversions"
        ),
        "conversions_value": double_to_decimal(
            metrics.conversions_value, customer_id, text, "metrics.conversions_value"
        ),
    }


def campaign_listing_row(row: Any, customer_id: str) -> dict[str, Any]:
    """A raw.google_ads_campaigns row from a `FROM campaign` listing row."""
    return {
        "account_id": customer_id,
        "campaign_id": _positive_id(row.campaign, "id", customer_id, None, "campaign.id"),
        "campaign_name": row.campaign.name,
        "campaign_status": enum_name(row.campaign, "status"),
        "channel_type": enum_name(row.campaign, "advertising_channel_type"),
        "record": record_json(row),
    }


def ad_group_row(row: Any, customer_id: str) -> dict[str, Any]:
    """A raw.google_ads_ad_groups row from a `FROM ad_group` listing row."""
    return {
        "account_id": customer_id,
        "ad_group_id": _positive_id(row.ad_group, "id", customer_id, None, "ad_group.id"),
        "campaign_id": str(row.campaign.id) if row.campaign.id > 0 else None,
        "ad_group_name": row.ad_group.name,
        "ad_group_status": enum_name(row.ad_group, "status"),
        "record": record_json(row),
    }


def ad_row(row: Any, customer_id: str) -> dict[str, Any]:
    """A raw.google_ads_ads row from a `FROM ad_group_ad` listing row: the first final URL."""
    ad = row.ad_group_ad.ad
    urls = list(ad.final_urls)
    return {
        "account_id": customer_id,
        "ad_id": _positive_id(ad, "id", customer_id, None, "ad_group_ad.ad.id"),
        "ad_group_id": str(row.ad_group.id) if row.ad_group.id > 0 else None,
        "campaign_id": str(row.campaign.id) if row.campaign.id > 0 else None,
        "ad_name": ad.name,
        # GAQL's ad_group_ad.ad.type is the protobuf field `type_`.
        "ad_type": enum_name(ad, "type_"),
        "ad_status": enum_name(row.ad_group_ad, "status"),
        "final_url": urls[0] if urls else None,
        "record": record_json(row),
    }


def _ad_row(
    row: Any, customer_id: str, start: dt.date, end: dt.date, values: Values
) -> dict[str, Any]:
    """An ad-day's identity (account, day, campaign, ad group, ad) with `values(row,
    customer_id, day)`: its metrics or one conversion action's."""
    day = _day(row, customer_id, start, end)
    text = day.isoformat()
    return {
        "account_id": customer_id,
        "date": day,
        "campaign_id": _campaign_id(row, customer_id, text),
        "ad_group_id": _positive_id(row.ad_group, "id", customer_id, text, "ad_group.id"),
        "ad_id": _positive_id(row.ad_group_ad.ad, "id", customer_id, text, "ad_group_ad.ad.id"),
        **values(row, customer_id, text),
        "record": record_json(row),
    }


def _keyword_row(
    row: Any, customer_id: str, start: dt.date, end: dt.date, values: Values
) -> dict[str, Any]:
    """A keyword-day's identity (account, day, campaign, ad group, criterion, its text and
    match type) with `values(row, customer_id, day)`: its metrics or one conversion action's."""
    day = _day(row, customer_id, start, end)
    text = day.isoformat()
    criterion = row.ad_group_criterion
    return {
        "account_id": customer_id,
        "date": day,
        "campaign_id": _campaign_id(row, customer_id, text),
        "ad_group_id": _positive_id(row.ad_group, "id", customer_id, text, "ad_group.id"),
        "criterion_id": _positive_id(
            criterion, "criterion_id", customer_id, text, "ad_group_criterion.criterion_id"
        ),
        "keyword_text": criterion.keyword.text,
        "match_type": enum_name(criterion.keyword, "match_type"),
        **values(row, customer_id, text),
        "record": record_json(row),
    }


def ad_day_row(row: Any, customer_id: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """A raw.google_ads_ad_daily row from a `FROM ad_group_ad ... segments.date` row."""
    return _ad_row(row, customer_id, start, end, _metric_values)


# Match types as core names them (WAREHOUSE.md: exact | phrase | broad).
MATCH_TYPES = {"EXACT": "exact", "PHRASE": "phrase", "BROAD": "broad"}


def keyword_day_row(row: Any, customer_id: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """A raw.google_ads_keyword_daily row from a `FROM keyword_view ... segments.date` row."""
    return _keyword_row(row, customer_id, start, end, _metric_values)


def _action_values(row: Any, customer_id: str, text: str) -> dict[str, Any]:
    name = row.segments.conversion_action_name
    if not name:
        raise GoogleAdsDataError(customer_id, text, "segments.conversion_action_name", "is empty")
    metrics = row.metrics
    values = {"conversion_action_name": name}
    for field in ("conversions", "conversions_value", "all_conversions", "all_conversions_value"):
        values[field] = double_to_decimal(
            getattr(metrics, field), customer_id, text, f"metrics.{field}"
        )
    return values


def ad_conversion_row(row: Any, customer_id: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """A raw.google_ads_ad_conversion_daily row from a `FROM ad_group_ad` row segmented by
    date and conversion action."""
    return _ad_row(row, customer_id, start, end, _action_values)


def keyword_conversion_row(
    row: Any, customer_id: str, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """A raw.google_ads_keyword_conversion_daily row from a `FROM keyword_view` row segmented
    by date and conversion action."""
    return _keyword_row(row, customer_id, start, end, _action_values)
