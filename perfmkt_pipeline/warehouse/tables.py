"""SQLAlchemy Core definitions of the warehouse: the `core` and `marts` contract of WAREHOUSE.md
and the pipeline's own `raw` landing tables.

Each table's `info["grain"]` lists the columns that identify a row (the contract's "one row per").
No primary-key constraints are declared: DuckDB's ART indexes make bulk loads several times slower
and the write path already guarantees the grain by replacing whole slices; asset checks verify it.
Dimension tables are upserted by their grain instead; their `info["evidence"]` names the column
saying how recent a row's source is, so an older reading never overwrites a newer one.
Column comments are the descriptions analysts see in the Dagster UI (and in PostgreSQL itself).

These declarations are the only place a core or mart column is written out: the measure and ratio
columns come from measures.py, and in-memory Arrow schemas and column lists are derived from the
tables here (`arrow_schema`, `column_names`), never written out again.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import sqlalchemy as sa

from perfmkt_pipeline.warehouse.measures import LOCAL_SUFFIX, MEASURES, RATIOS, Measure

# The raw tables (raw/) take their column types from here too.
from perfmkt_pipeline.warehouse.types import (  # noqa: F401
    CONVERSIONS,
    COUNT,
    FX_RATE,
    LOADED_AT,
    MONEY,
    RATIO,
    UNITS_PER_EUR,
    arrow_type,
)

RAW, CORE, MARTS = "raw", "core", "marts"
SCHEMAS = (RAW, CORE, MARTS)

metadata = sa.MetaData()


def _c(
    name: str, type_: sa.types.TypeEngine | type, comment: str, nullable: bool = True
) -> sa.Column:
    return sa.Column(name, type_, nullable=nullable, comment=comment)


def _table(schema: str, name: str, grain: list[str], comment: str, *columns: sa.Column) -> sa.Table:
    table = sa.Table(name, metadata, *columns, schema=schema, comment=comment)
    table.info["grain"] = grain
    return table


def _loaded_at() -> sa.Column:
    return _c("loaded_at", LOADED_AT, "UTC time of the load that wrote this row", nullable=False)


EVIDENCE = "source_loaded_at"


def _evidence() -> sa.Column:
    return _c(
        EVIDENCE,
        LOADED_AT,
        "UTC load time of the raw row this row's values come from (NULL: from configuration); "
        "a rebuild replaces the row only with values at least as recent",
    )


def _local_amount(name: str) -> sa.Column:
    return _c(f"{name}{LOCAL_SUFFIX}", MONEY, f"{name} in the account's own currency")


def _converted_amount(name: str) -> sa.Column:
    return _c(name, MONEY, f"{name} in the reporting currency (local x fx_rate)")


def _money_columns(*names: str, day: str = "date") -> list[sa.Column]:
    """`<name>_local` in account currency plus `<name>` in reporting currency, with the FX fields."""
    return [
        _c("currency", sa.String(3), "ISO 4217 code of the account's currency", nullable=False),
        *[_local_amount(n) for n in names],
        _c("reporting_currency", sa.String(3), "ISO 4217 code of the reporting currency", False),
        _c("fx_rate", FX_RATE, f"reporting-currency units per unit of `currency` on `{day}` (ECB)"),
        *[_converted_amount(n) for n in names],
    ]


# Measures of the first schema sit among the other columns; one a later migration added sits
# after loaded_at, where ALTER TABLE ... ADD COLUMN put it.
_FIRST = [m for m in MEASURES if m.added_in is None]
_LATER = [m for m in MEASURES if m.added_in is not None]


def _core_measure(m: Measure) -> list[sa.Column]:
    if m.money:
        return [_local_amount(m.name), _converted_amount(m.name)]
    return [_c(m.name, m.type, m.core_comment or "")]


def _core_measures() -> list[sa.Column]:
    """core.ad_performance_daily's measures: counts first, then the amounts with their FX fields."""
    return [
        *[column for m in _FIRST if not m.money for column in _core_measure(m)],
        *_money_columns(*[m.name for m in _FIRST if m.money]),
    ]


# --- core -------------------------------------------------------------------------------------

ad_accounts = _table(
    CORE,
    "ad_accounts",
    ["platform", "account_id"],
    "One row per advertising or affiliate account.",
    _c(
        "platform", sa.String(32), "google_ads, meta, impact, cj, awin or a file feed's name", False
    ),
    _c("account_id", sa.String(64), "the platform's account id", False),
    _c("account_name", sa.Text, "the account's name on the platform"),
    _c("currency", sa.String(3), "ISO 4217 code of the account's currency", False),
    _c("timezone", sa.String(64), "IANA time zone the platform reports the account's days in"),
    _loaded_at(),
    _evidence(),  # added by migration 0005, hence after loaded_at
)
ad_accounts.info["evidence"] = EVIDENCE

campaigns = _table(
    CORE,
    "campaigns",
    ["platform", "account_id", "campaign_id"],
    "One row per campaign; for affiliates the partner (publisher) is the campaign.",
    _c(
        "platform", sa.String(32), "google_ads, meta, impact, cj, awin or a file feed's name", False
    ),
    _c("account_id", sa.String(64), "the platform's account id", False),
    _c("campaign_id", sa.String(64), "campaign id (affiliates: partner id)", False),
    _c("campaign_name", sa.Text, "campaign name (affiliates: partner name)"),
    _c("campaign_status", sa.String(32), "the platform's status word for the campaign"),
    _loaded_at(),
    _evidence(),  # added by migration 0005, hence after loaded_at
)
campaigns.info["evidence"] = EVIDENCE

ad_performance_daily = _table(
    CORE,
    "ad_performance_daily",
    ["date", "platform", "account_id", "campaign_id"],
    "Daily delivery, spend and conversions per campaign, in local and reporting currency.",
    _c(
        "date", sa.Date, "the day in the account's time zone (affiliates: the network's day)", False
    ),
    _c(
        "platform", sa.String(32), "google_ads, meta, impact, cj, awin or a file feed's name", False
    ),
    _c("channel", sa.String(16), "search, social or affiliate", False),
    _c("account_id", sa.String(64), "the platform's account id", False),
    _c("campaign_id", sa.String(64), "campaign id (affiliates: partner id)", False),
    *_core_measures(),
    _c("settled", sa.Boolean, "true once the day is older than the platform's restatement window"),
    _loaded_at(),
    *[column for m in _LATER for column in _core_measure(m)],
)

conversions_daily = _table(
    CORE,
    "conversions_daily",
    ["date", "platform", "account_id", "campaign_id", "conversion_name"],
    "Daily conversions per campaign and conversion action / action type.",
    _c("date", sa.Date, "the day in the account's time zone", False),
    _c(
        "platform", sa.String(32), "google_ads, meta, impact, cj, awin or a file feed's name", False
    ),
    _c("account_id", sa.String(64), "the platform's account id", False),
    _c("campaign_id", sa.String(64), "campaign id (affiliates: partner id)", False),
    _c(
        "conversion_name",
        sa.Text,
        "conversion action name, Meta action_type, or affiliate action type",
        False,
    ),
    _c("conversions", CONVERSIONS, "conversions of this kind"),
    *_money_columns("conversion_value"),
    _c("settled", sa.Boolean, "true once the day is older than the platform's restatement window"),
    _loaded_at(),
)

affiliate_actions = _table(
    CORE,
    "affiliate_actions",
    ["platform", "action_id"],
    "The latest known state of every affiliate action.",
    _c("platform", sa.String(32), "impact, cj, awin or a file feed's name", False),
    _c("account_id", sa.String(64), "the advertiser account on the network", False),
    _c("action_id", sa.String(64), "the network's action / transaction id", False),
    _c("event_date", sa.Date, "the day of the sale or lead (network's reporting day)", False),
    _c("status", sa.String(16), "pending, approved or reversed", False),
    _c("campaign_id", sa.String(64), "partner (publisher) id"),
    *_money_columns("sale_amount", "commission", day="event_date"),
    _c("source_updated_at", sa.DateTime(timezone=True), "when the network last changed the action"),
    _loaded_at(),
)

fx_rates = _table(
    CORE,
    "fx_rates",
    ["date", "currency"],
    "ECB euro reference rates: units of each currency per 1 EUR (EUR itself is 1).",
    _c("date", sa.Date, "the ECB publication day", False),
    _c("currency", sa.String(3), "ISO 4217 code", False),
    _c("units_per_eur", UNITS_PER_EUR, "units of `currency` per 1 EUR", False),
    _loaded_at(),
)

restatements = _table(
    CORE,
    "restatements",
    ["date", "platform", "account_id", "campaign_id", "metric", "detected_at"],
    "Every change a re-pull made to a day that had already been loaded.",
    _c("date", sa.Date, "the restated day", False),
    _c("platform", sa.String(32), "the platform that restated it", False),
    _c("account_id", sa.String(64), "the platform's account id", False),
    _c("campaign_id", sa.String(64), "campaign id (affiliates: partner id)", False),
    _c("metric", sa.String(64), "the column that changed", False),
    _c("old_value", sa.Numeric(28, 6), "the value before the re-pull"),
    _c("new_value", sa.Numeric(28, 6), "the value after the re-pull"),
    _c("detected_at", LOADED_AT, "UTC time of the load that saw the change", False),
)

# --- marts ------------------------------------------------------------------------------------


def _mart_measures() -> list[sa.Column]:
    return [
        *[_c(m.name, m.type, m.mart_comment) for m in _FIRST],
        *[_c(r.name, RATIO, r.comment) for r in RATIOS],
        _c("settled", sa.Boolean, "true once every contributing day is settled"),
        _loaded_at(),
        *[_c(m.name, m.type, m.mart_comment) for m in _LATER],
    ]


channel_daily = _table(
    MARTS,
    "channel_daily",
    ["date", "channel", "platform"],
    "Daily metrics per channel and platform, reporting currency. Platforms each claim their own "
    "conversions: summing conversions across platforms over-counts.",
    _c("date", sa.Date, "the day as the platforms report it", False),
    _c("channel", sa.String(16), "search, social or affiliate", False),
    _c(
        "platform", sa.String(32), "google_ads, meta, impact, cj, awin or a file feed's name", False
    ),
    _c("reporting_currency", sa.String(3), "ISO 4217 code of the reporting currency", False),
    *_mart_measures(),
)

campaign_daily = _table(
    MARTS,
    "campaign_daily",
    ["date", "platform", "account_id", "campaign_id"],
    "Daily metrics per campaign, reporting currency.",
    _c("date", sa.Date, "the day in the account's time zone", False),
    _c("channel", sa.String(16), "search, social or affiliate", False),
    _c(
        "platform", sa.String(32), "google_ads, meta, impact, cj, awin or a file feed's name", False
    ),
    _c("account_id", sa.String(64), "the platform's account id", False),
    _c("campaign_id", sa.String(64), "campaign id (affiliates: partner id)", False),
    _c("campaign_name", sa.Text, "campaign name (affiliates: partner name)"),
    _c("reporting_currency", sa.String(3), "ISO 4217 code of the reporting currency", False),
    *_mart_measures(),
)

# --- first-party orders (issue #20) -----------------------------------------------------------

_UTM_COMMENT = "the order's {} parameter, as sent (NULL when absent)"

orders = _table(
    CORE,
    "orders",
    ["source", "order_id"],
    "The latest known state of every first-party order (the shop's own orders), in local and "
    "reporting currency.",
    _c("source", sa.String(32), "the configured orders source", False),
    _c("order_id", sa.String(128), "the shop's order id", False),
    _c("ordered_at", sa.DateTime(timezone=True), "when the order was placed (UTC)", False),
    _c("date", sa.Date, "the order's day in the configured business time zone", False),
    _c("status", sa.String(16), "placed, refunded (in part or whole) or cancelled", False),
    _c("currency", sa.String(3), "ISO 4217 code of the order's currency", False),
    _c("revenue_local", MONEY, "the order's revenue net of refunds, in its own currency", False),
    _c("reporting_currency", sa.String(3), "ISO 4217 code of the reporting currency", False),
    _c("fx_rate", FX_RATE, "reporting-currency units per unit of `currency` on `date` (ECB)"),
    _c("revenue", MONEY, "revenue net of refunds in the reporting currency (local x fx_rate)"),
    _c("customer_id", sa.String(128), "the shop's customer id (NULL where not mapped)"),
    _c("is_new_customer", sa.Boolean, "the customer's first order (NULL where not known)"),
    *[
        _c(name, sa.Text, _UTM_COMMENT.format(name))
        for name in ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
    ],
    _c("source_updated_at", sa.DateTime(timezone=True), "when the shop last changed the order"),
    _loaded_at(),
)

blended_daily = _table(
    MARTS,
    "blended_daily",
    ["date"],
    "Per day: spend across every channel beside the shop's own orders and revenue: MER, blended "
    "CPA, and how far the platforms' claimed conversions exceed the orders (over_attribution). "
    "Spend is by each account's own day, orders by the business time zone's day.",
    _c("date", sa.Date, "the day (orders: business time zone; spend: the platforms' days)", False),
    _c("reporting_currency", sa.String(3), "ISO 4217 code of the reporting currency", False),
    _c("spend", MONEY, "spend of every channel (NULL: no platform row for the day)"),
    _c("orders", COUNT, "orders placed that day, not cancelled or fully refunded", False),
    _c("revenue", MONEY, "revenue net of refunds of the day's orders, cancelled ones left out"),
    _c("new_customer_orders", COUNT, "orders of new customers (NULL where no order says)"),
    _c("mer", RATIO, "revenue / spend; NULL when spend is 0 or NULL"),
    _c("blended_cpa", RATIO, "spend / orders; NULL when orders is 0"),
    _c("new_customer_cpa", RATIO, "spend / new_customer_orders; NULL when 0 or NULL"),
    _c("claimed_conversions", CONVERSIONS, "conversions the platforms claim, summed over all"),
    _c("claimed_conversion_value", MONEY, "conversion value the platforms claim, summed"),
    _c("over_attribution", RATIO, "claimed_conversions / orders; NULL when orders is 0"),
    _c("settled", sa.Boolean, "true once the orders and every platform's day are settled"),
    _loaded_at(),
)

utm_daily = _table(
    MARTS,
    "utm_daily",
    ["date", "utm_source", "utm_medium", "utm_campaign"],
    "Per day and UTM source / medium / campaign: the shop's own orders and revenue beside the "
    "spend of the ads whose final URLs carry the same tags (spend and first_party_roas stay NULL "
    "until ad-level final URLs are loaded).",
    _c("date", sa.Date, "the orders' day in the business time zone", False),
    _c("utm_source", sa.Text, "utm_source as sent (NULL: orders without one)"),
    _c("utm_medium", sa.Text, "utm_medium as sent (NULL: orders without one)"),
    _c("utm_campaign", sa.Text, "utm_campaign as sent (NULL: orders without one)"),
    _c("reporting_currency", sa.String(3), "ISO 4217 code of the reporting currency", False),
    _c("orders", COUNT, "orders placed that day, not cancelled or fully refunded", False),
    _c("revenue", MONEY, "revenue net of refunds, cancelled orders left out"),
    _c(
        "spend",
        MONEY,
        "spend of the ads whose final_url carries the same three values (NULL "
        "until ad-level final URLs are loaded)",
    ),
    _c("first_party_roas", RATIO, "revenue / spend; NULL when spend is 0 or NULL"),
    _c("settled", sa.Boolean, "true once the day is older than every orders source's lookback"),
    _loaded_at(),
)


# --- below the campaign (issue #17) -----------------------------------------------------------
# Declared after the orders tables: the metadata's order is the order of the DDL fixtures.

_PLATFORM = "google_ads or meta"
_SETTLED = "true once the day is older than the platform's restatement window"


def _platform() -> sa.Column:
    return _c("platform", sa.String(32), _PLATFORM, False)


def _ids(*names: str, nullable: bool = True) -> list[sa.Column]:
    described = {
        "account_id": "the platform's account id",
        "campaign_id": "campaign id",
        "ad_group_id": "ad group id (Google Ads) or ad set id (Meta)",
        "ad_id": "ad id",
        "keyword_id": "the ad group criterion id of the keyword (Google Ads)",
    }
    return [_c(n, sa.String(64), described[n], nullable and n != "account_id") for n in names]


ad_groups = _table(
    CORE,
    "ad_groups",
    ["platform", "account_id", "ad_group_id"],
    "One row per ad group (Google Ads) or ad set (Meta), with its latest name and status.",
    _platform(),
    *_ids("account_id", "campaign_id"),
    *_ids("ad_group_id", nullable=False),
    _c("ad_group_name", sa.Text, "the ad group's / ad set's name"),
    _c("ad_group_status", sa.String(32), "the platform's status word for it"),
    _loaded_at(),
    _evidence(),
)
ad_groups.info["evidence"] = EVIDENCE

ads = _table(
    CORE,
    "ads",
    ["platform", "account_id", "ad_id"],
    "One row per ad, with its latest name, status and landing URL.",
    _platform(),
    *_ids("account_id", "campaign_id", "ad_group_id"),
    *_ids("ad_id", nullable=False),
    _c("ad_name", sa.Text, "the ad's name (Google Ads: its name, else its type)"),
    _c("ad_status", sa.String(32), "the platform's status word for the ad"),
    _c(
        "final_url",
        sa.Text,
        "Google Ads: the ad's first final URL; Meta: the creative's destination link with its "
        "url_tags appended as query parameters; NULL where the ad has none",
    ),
    _loaded_at(),
    _evidence(),
)
ads.info["evidence"] = EVIDENCE

ad_daily = _table(
    CORE,
    "ad_daily",
    ["date", "platform", "account_id", "ad_id"],
    "Daily delivery, spend and conversions per ad, in local and reporting currency. Meta's ads "
    "sum to its campaigns; Google Ads reports ads only for campaign types that have them "
    "(Performance Max has none), so its ad sums may be lower than the campaign's, never higher.",
    _c("date", sa.Date, "the day in the account's time zone", False),
    _platform(),
    _c("channel", sa.String(16), "search or social", False),
    *_ids("account_id", "campaign_id", "ad_group_id"),
    *_ids("ad_id", nullable=False),
    *_core_measures(),
    _c("settled", sa.Boolean, _SETTLED),
    _loaded_at(),
)

keyword_daily = _table(
    CORE,
    "keyword_daily",
    ["date", "platform", "account_id", "ad_group_id", "keyword_id"],
    "Daily delivery, spend and conversions per keyword (Google Ads), in local and reporting "
    "currency.",
    _c("date", sa.Date, "the day in the account's time zone", False),
    _platform(),
    *_ids("account_id", "campaign_id"),
    *_ids("ad_group_id", "keyword_id", nullable=False),
    _c("keyword_text", sa.Text, "the keyword as entered"),
    _c("match_type", sa.String(16), "exact, phrase or broad"),
    *_core_measures(),
    _c("settled", sa.Boolean, _SETTLED),
    _loaded_at(),
)


def _names(*names: str) -> list[sa.Column]:
    described = {
        "account_name": "the account's name on the platform",
        "campaign_name": "campaign name",
        "ad_group_name": "ad group / ad set name",
        "ad_name": "ad name",
    }
    return [_c(n, sa.Text, described[n]) for n in names]


def _reporting_currency() -> sa.Column:
    return _c("reporting_currency", sa.String(3), "ISO 4217 code of the reporting currency", False)


account_daily = _table(
    MARTS,
    "account_daily",
    ["date", "platform", "account_id"],
    "Daily metrics per ad or affiliate account, reporting currency (from the campaign rows, so "
    "complete for every campaign type).",
    _c("date", sa.Date, "the day in the account's time zone", False),
    _c("channel", sa.String(16), "search, social or affiliate", False),
    _c(
        "platform", sa.String(32), "google_ads, meta, impact, cj, awin or a file feed's name", False
    ),
    *_ids("account_id"),
    *_names("account_name"),
    _reporting_currency(),
    *_mart_measures(),
)

ad_group_daily = _table(
    MARTS,
    "ad_group_daily",
    ["date", "platform", "account_id", "ad_group_id"],
    "Daily metrics per ad group / ad set (summed from its ads), reporting currency.",
    _c("date", sa.Date, "the day in the account's time zone", False),
    _platform(),
    *_ids("account_id"),
    *_names("account_name"),
    *_ids("campaign_id"),
    *_names("campaign_name"),
    *_ids("ad_group_id", nullable=False),
    *_names("ad_group_name"),
    _reporting_currency(),
    *_mart_measures(),
)

ad_daily_mart = _table(
    MARTS,
    "ad_daily",
    ["date", "platform", "account_id", "ad_id"],
    "Daily metrics per ad, reporting currency, with the ad's landing URL.",
    _c("date", sa.Date, "the day in the account's time zone", False),
    _platform(),
    *_ids("account_id"),
    *_names("account_name"),
    *_ids("campaign_id"),
    *_names("campaign_name"),
    *_ids("ad_group_id"),
    *_names("ad_group_name"),
    *_ids("ad_id", nullable=False),
    *_names("ad_name"),
    _c("final_url", sa.Text, "the ad's landing URL (core.ads.final_url)"),
    _reporting_currency(),
    *_mart_measures(),
)

keyword_daily_mart = _table(
    MARTS,
    "keyword_daily",
    ["date", "platform", "account_id", "ad_group_id", "keyword_id"],
    "Daily metrics per keyword (Google Ads), reporting currency.",
    _c("date", sa.Date, "the day in the account's time zone", False),
    _platform(),
    *_ids("account_id"),
    *_names("account_name"),
    *_ids("campaign_id"),
    *_names("campaign_name"),
    *_ids("ad_group_id", nullable=False),
    *_names("ad_group_name"),
    *_ids("keyword_id", nullable=False),
    _c("keyword_text", sa.Text, "the keyword as entered"),
    _c("match_type", sa.String(16), "exact, phrase or broad"),
    _reporting_currency(),
    *_mart_measures(),
)

_URL_UTM = "the final URL's {} parameter, as sent (NULL when absent)"

url_daily = _table(
    MARTS,
    "url_daily",
    ["date", "platform", "account_id", "final_url"],
    "Daily metrics per landing URL (the ads' final URLs; ads without one are left out), "
    "reporting currency, with the URL's host, path and UTM parameters.",
    _c("date", sa.Date, "the day in the account's time zone", False),
    _platform(),
    *_ids("account_id"),
    _c("final_url", sa.Text, "the ads' landing URL", False),
    _c("url_host", sa.Text, "the URL's host (lower case)"),
    _c("url_path", sa.Text, "the URL's path"),
    *[
        _c(name, sa.Text, _URL_UTM.format(name))
        for name in ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
    ],
    _reporting_currency(),
    *_mart_measures(),
)


# --- derived: what in-memory rows of a table look like ------------------------------------------


def column_names(table: sa.Table, without: Iterable[str] = ()) -> list[str]:
    """`table`'s columns in their order, leaving out `without`."""
    left_out = set(without)
    return [c.name for c in table.columns if c.name not in left_out]


def arrow_schema(table: sa.Table, columns: Iterable[str] | None = None) -> pa.Schema:
    """The Arrow schema of `columns` of `table` (all of them by default), with their exact types."""
    names = column_names(table) if columns is None else columns
    return pa.schema([pa.field(name, arrow_type(table.c[name].type)) for name in names])


def converted_amounts(table: sa.Table) -> dict[str, str]:
    """`<name>_local` -> `<name>`: the account-currency amounts of `table` and the
    reporting-currency columns FX fills from them."""
    return {
        f"{c.name}{LOCAL_SUFFIX}": c.name
        for c in table.columns
        if f"{c.name}{LOCAL_SUFFIX}" in table.c
    }
