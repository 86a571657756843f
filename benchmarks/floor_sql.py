"""The floor's tables and its raw -> core -> marts, in DuckDB SQL (see benchmarks/floor_script.py).

The raw tables have the columns and types of the pipeline's (warehouse/raw/), so the same rows
are landed. Core and marts follow the rules of the README ("How the numbers are made"), written
as set-based SQL over every raw row (the floor loads one run into an empty warehouse, so the run's
window is the whole of raw):

- money is carried as integers in millionths (`u6`), FX rates in 10^-12 units, ratios in 10^-10
  units; every quotient and rounded product is exact integer arithmetic, rounded half-even
  (`div_even`), since DuckDB divides decimals in floating point;
- the FX rate of a day is the latest ECB fix on or before it (at most 10 days old), found with an
  ASOF join; EUR is 1 and the reporting currency itself is exactly 1;
- Google Ads at campaign level, micros / 10^6; Meta summed from ads, conversions the configured
  action types at the `value` attribution; affiliates from the latest state of each action (the
  latest version of each record; a CJ action's amounts are its original's plus its corrections',
  `reversed` when they bring both to zero, keeping the amounts reversed);
- `settled` once the day is at least the platform's lookback older than the day of the load;
- below the campaign (issue #17): ad groups and ads from the listings (a Google Ads ad without
  a name named by its type, a Meta ad's final URL its creative's link with the url_tags
  appended), ad days (Meta's from the same ad-level rows as the campaigns, Google Ads' from its
  ad report) and keyword days through the same FX and `settled`; marts.account_daily from the
  campaign rows, ad_group_daily, ad_daily, keyword_daily and url_daily from the ad and keyword
  rows, named from core; url_daily's host, path and utm_* split in Python, once per distinct
  URL.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pyarrow as pa

META_INSIGHT_COLUMNS = [
    "account_id", "date", "campaign_id", "campaign_name", "adset_id", "ad_id", "currency",
    "spend", "impressions", "clicks", "actions", "action_values", "record",
]  # fmt: skip
META_ACTION_COLUMNS = [
    "account_id", "date", "campaign_id", "ad_id", "action_type", "attribution", "actions",
    "action_value",
]  # fmt: skip
GOOGLE_CAMPAIGN_COLUMNS = [
    "account_id", "date", "campaign_id", "campaign_name", "campaign_status", "cost_micros",
    "impressions", "clicks", "conversions", "conversions_value", "record",
]  # fmt: skip
GOOGLE_CONVERSION_COLUMNS = [
    "account_id", "date", "campaign_id", "conversion_action_name", "conversions",
    "conversions_value", "all_conversions", "all_conversions_value", "record",
]  # fmt: skip
# Below the campaign (issue #17): the listings and the ad and keyword reports.
META_ADSET_COLUMNS = [
    "account_id", "adset_id", "campaign_id", "adset_name", "status", "effective_status", "record",
]  # fmt: skip
META_AD_COLUMNS = [
    "account_id", "ad_id", "adset_id", "campaign_id", "ad_name", "status", "effective_status",
    "link", "url_tags", "record",
]  # fmt: skip
GOOGLE_CAMPAIGN_LISTING_COLUMNS = [
    "account_id", "campaign_id", "campaign_name", "campaign_status", "channel_type", "record",
]  # fmt: skip
GOOGLE_AD_GROUP_COLUMNS = [
    "account_id", "ad_group_id", "campaign_id", "ad_group_name", "ad_group_status", "record",
]  # fmt: skip
GOOGLE_AD_COLUMNS = [
    "account_id", "ad_id", "ad_group_id", "campaign_id", "ad_name", "ad_type", "ad_status",
    "final_url", "record",
]  # fmt: skip
_AD_IDS = ["account_id", "date", "campaign_id", "ad_group_id", "ad_id"]
_KEYWORD_IDS = [
    "account_id", "date", "campaign_id", "ad_group_id", "criterion_id", "keyword_text",
    "match_type",
]  # fmt: skip
_METRICS = ["cost_micros", "impressions", "clicks", "conversions", "conversions_value"]
_PER_ACTION = [
    "conversion_action_name", "conversions", "conversions_value", "all_conversions",
    "all_conversions_value",
]  # fmt: skip
GOOGLE_BELOW_COLUMNS = {
    "google_ads_ad_daily": [*_AD_IDS, *_METRICS, "record"],
    "google_ads_keyword_daily": [*_KEYWORD_IDS, *_METRICS, "record"],
    "google_ads_ad_conversion_daily": [*_AD_IDS, *_PER_ACTION, "record"],
    "google_ads_keyword_conversion_daily": [*_KEYWORD_IDS, *_PER_ACTION, "record"],
}

_MONEY = "DECIMAL(20,6)"
RAW_DDL = f"""
CREATE SCHEMA raw; CREATE SCHEMA core; CREATE SCHEMA marts;
CREATE TABLE raw.ecb_rates (date DATE, currency VARCHAR, units_per_eur DECIMAL(18,6),
    loaded_at TIMESTAMPTZ);
CREATE TABLE raw.meta_accounts (account_id VARCHAR, account_name VARCHAR, currency VARCHAR,
    timezone VARCHAR, record VARCHAR, loaded_at TIMESTAMPTZ);
CREATE TABLE raw.meta_ad_insights (account_id VARCHAR, date DATE, campaign_id VARCHAR,
    campaign_name VARCHAR, adset_id VARCHAR, ad_id VARCHAR, currency VARCHAR, spend {_MONEY},
    impressions BIGINT, clicks BIGINT, actions VARCHAR, action_values VARCHAR, record VARCHAR,
    loaded_at TIMESTAMPTZ);
CREATE TABLE raw.meta_ad_actions (account_id VARCHAR, date DATE, campaign_id VARCHAR,
    ad_id VARCHAR, action_type VARCHAR, attribution VARCHAR, actions {_MONEY},
    action_value {_MONEY}, loaded_at TIMESTAMPTZ);
CREATE TABLE raw.google_ads_accounts (account_id VARCHAR, account_name VARCHAR,
    currency VARCHAR, timezone VARCHAR, record VARCHAR, loaded_at TIMESTAMPTZ);
CREATE TABLE raw.google_ads_campaign_daily (account_id VARCHAR, date DATE, campaign_id VARCHAR,
    campaign_name VARCHAR, campaign_status VARCHAR, cost_micros BIGINT, impressions BIGINT,
    clicks BIGINT, conversions {_MONEY}, conversions_value {_MONEY}, record VARCHAR,
    loaded_at TIMESTAMPTZ);
CREATE TABLE raw.google_ads_conversion_daily (account_id VARCHAR, date DATE,
    campaign_id VARCHAR, conversion_action_name VARCHAR, conversions {_MONEY},
    conversions_value {_MONEY}, record VARCHAR, loaded_at TIMESTAMPTZ,
    all_conversions {_MONEY}, all_conversions_value {_MONEY});
CREATE TABLE raw.affiliate_actions (platform VARCHAR, account_id VARCHAR, window_date DATE,
    record_id VARCHAR, action_id VARCHAR, event_date DATE, updated_at TIMESTAMPTZ,
    status VARCHAR, action_type VARCHAR, partner_id VARCHAR, partner_name VARCHAR,
    currency VARCHAR, sale_amount {_MONEY}, commission {_MONEY}, record VARCHAR,
    loaded_at TIMESTAMPTZ, is_correction BOOLEAN);
CREATE TABLE raw.meta_adsets (account_id VARCHAR, adset_id VARCHAR, campaign_id VARCHAR,
    adset_name VARCHAR, status VARCHAR, effective_status VARCHAR, record VARCHAR,
    loaded_at TIMESTAMPTZ);
CREATE TABLE raw.meta_ads (account_id VARCHAR, ad_id VARCHAR, adset_id VARCHAR,
    campaign_id VARCHAR, ad_name VARCHAR, status VARCHAR, effective_status VARCHAR,
    link VARCHAR, url_tags VARCHAR, record VARCHAR, loaded_at TIMESTAMPTZ);
CREATE TABLE raw.google_ads_campaigns (account_id VARCHAR, campaign_id VARCHAR,
    campaign_name VARCHAR, campaign_status VARCHAR, channel_type VARCHAR, record VARCHAR,
    loaded_at TIMESTAMPTZ);
CREATE TABLE raw.google_ads_ad_groups (account_id VARCHAR, ad_group_id VARCHAR,
    campaign_id VARCHAR, ad_group_name VARCHAR, ad_group_status VARCHAR, record VARCHAR,
    loaded_at TIMESTAMPTZ);
CREATE TABLE raw.google_ads_ads (account_id VARCHAR, ad_id VARCHAR, ad_group_id VARCHAR,
    campaign_id VARCHAR, ad_name VARCHAR, ad_type VARCHAR, ad_status VARCHAR, final_url VARCHAR,
    record VARCHAR, loaded_at TIMESTAMPTZ);
CREATE TABLE raw.google_ads_ad_daily (account_id VARCHAR, date DATE, campaign_id VARCHAR,
    ad_group_id VARCHAR, ad_id VARCHAR, cost_micros BIGINT, impressions BIGINT, clicks BIGINT,
    conversions {_MONEY}, conversions_value {_MONEY}, record VARCHAR, loaded_at TIMESTAMPTZ);
CREATE TABLE raw.google_ads_keyword_daily (account_id VARCHAR, date DATE, campaign_id VARCHAR,
    ad_group_id VARCHAR, criterion_id VARCHAR, keyword_text VARCHAR, match_type VARCHAR,
    cost_micros BIGINT, impressions BIGINT, clicks BIGINT, conversions {_MONEY},
    conversions_value {_MONEY}, record VARCHAR, loaded_at TIMESTAMPTZ);
CREATE TABLE raw.google_ads_ad_conversion_daily (account_id VARCHAR, date DATE,
    campaign_id VARCHAR, ad_group_id VARCHAR, ad_id VARCHAR, conversion_action_name VARCHAR,
    conversions {_MONEY}, conversions_value {_MONEY}, all_conversions {_MONEY},
    all_conversions_value {_MONEY}, record VARCHAR, loaded_at TIMESTAMPTZ);
CREATE TABLE raw.google_ads_keyword_conversion_daily (account_id VARCHAR, date DATE,
    campaign_id VARCHAR, ad_group_id VARCHAR, criterion_id VARCHAR, keyword_text VARCHAR,
    match_type VARCHAR, conversion_action_name VARCHAR, conversions {_MONEY},
    conversions_value {_MONEY}, all_conversions {_MONEY}, all_conversions_value {_MONEY},
    record VARCHAR, loaded_at TIMESTAMPTZ);
"""

_MACROS = """
CREATE TEMP MACRO u6(x) AS CAST(x * 1000000 AS HUGEINT);
CREATE TEMP MACRO d6(u) AS CAST(CAST(u AS DECIMAL(38,0)) * 0.000001 AS DECIMAL(20,6));
CREATE TEMP MACRO d12(u) AS CAST(CAST(u AS DECIMAL(38,0)) * 0.000000000001 AS DECIMAL(24,12));
CREATE TEMP MACRO d10(u) AS CAST(CAST(u AS DECIMAL(38,0)) * 0.0000000001 AS DECIMAL(28,10));
CREATE TEMP MACRO div_even(n, d) AS CASE WHEN n IS NULL OR d IS NULL OR d = 0 THEN NULL ELSE
    sign(n) * sign(d) * (abs(n) // abs(d) + CASE
        WHEN 2 * (abs(n) % abs(d)) > abs(d) THEN 1
        WHEN 2 * (abs(n) % abs(d)) = abs(d) AND (abs(n) // abs(d)) % 2 = 1 THEN 1
        ELSE 0 END) END;
"""

# Status words of each network -> rank (0 pending, 1 approved, 2 reversed), as the pipeline maps
# them (transform/affiliates.py).
_RANK = """CASE
    WHEN platform = 'impact' THEN CASE status WHEN 'PENDING' THEN 0 WHEN 'APPROVED' THEN 1
        WHEN 'REVERSED' THEN 2 END
    WHEN platform = 'cj' THEN CASE WHEN status IN ('new', 'extended') THEN 0
        WHEN status IN ('locked', 'closed') THEN 1 END
    WHEN platform = 'awin' THEN CASE status WHEN 'pending' THEN 0 WHEN 'approved' THEN 1
        WHEN 'declined' THEN 2 WHEN 'deleted' THEN 2 END END"""


def _text(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"


def _performance_sql(plan: dict) -> str:
    """PERFORMANCE_LOCAL rows (money in millionths) of every configured platform."""
    parts = []
    if plan.get("google_ads"):
        parts.append("""
            SELECT c.date, 'google_ads' AS platform, c.account_id, c.campaign_id, a.currency,
                c.impressions, c.clicks, u6(c.conversions) AS conversions,
                CAST(c.cost_micros AS HUGEINT) AS spend_local,
                u6(c.conversions_value) AS conversion_value_local
            FROM raw.google_ads_campaign_daily c JOIN raw.google_ads_accounts a USING (account_id)
        """)
    if plan.get("meta"):
        parts.append(_meta_delivery_sql(plan, "campaign_id"))
    if _networks(plan):
        filters = [
            f"(platform = '{name}' AND action_type IN ({_text(types)}))"
            for name in _networks(plan)
            if (types := plan[name]["conversion_action_types"])
        ]
        every = [f"platform = '{name}'" for name in _networks(plan)
                 if not plan[name]["conversion_action_types"]]  # fmt: skip
        counted = " OR ".join(filters + every) or "FALSE"
        parts.append(f"""
            SELECT event_date AS date, platform, account_id,
                coalesce(campaign_id, '(none)') AS campaign_id, currency,
                CAST(NULL AS BIGINT) AS impressions, CAST(NULL AS BIGINT) AS clicks,
                u6(count(*) FILTER (WHERE {counted})) AS conversions,
                u6(sum(coalesce(commission_local, 0))) AS spend_local,
                u6(coalesce(sum(sale_amount_local) FILTER (WHERE {counted}), 0))
                    AS conversion_value_local
            FROM latest_actions WHERE status <> 'reversed' GROUP BY ALL
        """)
    return " UNION ALL ".join(parts)


def _meta_delivery_sql(plan: dict, keys: str) -> str:
    """Meta's local rows per (account, day) and `keys` (campaign_id, or campaign_id, ad_id),
    summed from the ad-level insights and the counted actions at the `value` attribution."""
    counted = _text(plan["meta"]["conversion_action_types"])
    return f"""
        SELECT date, 'meta' AS platform, account_id, {keys},
            coalesce(a.currency, f.currency) AS currency,
            coalesce(impressions, 0) AS impressions, coalesce(clicks, 0) AS clicks,
            coalesce(conversions, 0) AS conversions, coalesce(spend, 0) AS spend_local,
            coalesce(value, 0) AS conversion_value_local
        FROM (SELECT account_id, date, {keys}, sum(impressions) AS impressions,
                sum(clicks) AS clicks, u6(sum(spend)) AS spend
              FROM raw.meta_ad_insights GROUP BY ALL) d
        FULL JOIN (SELECT account_id, date, {keys}, u6(sum(actions)) AS conversions,
                u6(sum(action_value)) AS value
              FROM raw.meta_ad_actions
              WHERE attribution = 'value' AND action_type IN ({counted}) GROUP BY ALL) c
            USING (account_id, date, {keys})
        LEFT JOIN raw.meta_accounts a USING (account_id)
        LEFT JOIN (SELECT account_id, max(currency) AS currency FROM raw.meta_ad_insights
                   GROUP BY ALL) f USING (account_id)
    """


def _ad_local_sql(plan: dict) -> str | None:
    """AD_DAILY_LOCAL rows (money in millionths): Meta's from the ad-level insights (an ad's ad
    set the one its insights name, else the listing's), Google Ads' from its ad report."""
    parts = []
    if plan.get("google_ads"):
        parts.append(f"""
            SELECT d.date, 'google_ads' AS platform, d.account_id, d.campaign_id, d.ad_group_id,
                d.ad_id, a.currency, {_GOOGLE_MEASURES}
            FROM raw.google_ads_ad_daily d JOIN raw.google_ads_accounts a USING (account_id)
        """)
    if plan.get("meta"):
        parts.append(f"""
            SELECT m.date, m.platform, m.account_id, m.campaign_id,
                coalesce(s.adset_id, l.adset_id) AS ad_group_id, m.ad_id, m.currency,
                m.impressions, m.clicks, m.conversions, m.spend_local, m.conversion_value_local
            FROM ({_meta_delivery_sql(plan, "campaign_id, ad_id")}) m
            LEFT JOIN (SELECT account_id, ad_id, max(adset_id) AS adset_id
                       FROM raw.meta_ad_insights WHERE adset_id IS NOT NULL GROUP BY ALL) s
                USING (account_id, ad_id)
            LEFT JOIN raw.meta_ads l USING (account_id, ad_id)
        """)
    return " UNION ALL ".join(parts) or None


_GOOGLE_MEASURES = """d.impressions, d.clicks, u6(d.conversions) AS conversions,
    CAST(d.cost_micros AS HUGEINT) AS spend_local,
    u6(d.conversions_value) AS conversion_value_local"""


def _keyword_local_sql(plan: dict) -> str | None:
    """KEYWORD_DAILY_LOCAL rows of Google Ads' keyword report (match types in lower case)."""
    if not plan.get("google_ads"):
        return None
    return f"""
        SELECT d.date, 'google_ads' AS platform, d.account_id, d.campaign_id, d.ad_group_id,
            d.criterion_id AS keyword_id, d.keyword_text,
            CASE d.match_type WHEN 'EXACT' THEN 'exact' WHEN 'PHRASE' THEN 'phrase'
                WHEN 'BROAD' THEN 'broad' END AS match_type,
            a.currency, {_GOOGLE_MEASURES}
        FROM raw.google_ads_keyword_daily d JOIN raw.google_ads_accounts a USING (account_id)
    """


def _networks(plan: dict) -> list[str]:
    return [name for name in ("impact", "cj", "awin") if plan.get(name)]


_LATEST_ACTIONS = f"""
CREATE TEMP TABLE latest_actions AS
WITH versions AS (
    SELECT *, coalesce(is_correction, false) AS correction, {_RANK} AS rank
    FROM raw.affiliate_actions
    QUALIFY row_number() OVER (PARTITION BY platform, record_id
        ORDER BY updated_at DESC NULLS LAST, loaded_at DESC NULLS LAST, window_date DESC) = 1
), ordered AS (
    SELECT *, row_number() OVER (PARTITION BY platform, action_id, correction
            ORDER BY updated_at NULLS FIRST, loaded_at NULLS FIRST, window_date) AS seq,
        count(*) OVER (PARTITION BY platform, action_id, correction) AS n
    FROM versions
), actions AS (
    SELECT platform, action_id, max(rank) AS rank, bool_or(correction) AS corrected,
        sum(sale_amount) FILTER (WHERE correction) AS sale_delta,
        sum(commission) FILTER (WHERE correction) AS commission_delta,
        max(updated_at) AS source_updated_at
    FROM versions GROUP BY ALL
), summed AS (
    SELECT o.platform, o.account_id, o.action_id, o.event_date, o.partner_id AS campaign_id,
        o.partner_name, o.action_type, coalesce(o.currency, p.currency) AS currency, a.rank,
        a.corrected, a.source_updated_at, last.sale_amount AS last_sale,
        last.commission AS last_commission,
        CASE WHEN o.sale_amount IS NULL AND a.sale_delta IS NULL THEN NULL
             ELSE coalesce(o.sale_amount, 0) + coalesce(a.sale_delta, 0) END AS sale,
        CASE WHEN o.commission IS NULL AND a.commission_delta IS NULL THEN NULL
             ELSE coalesce(o.commission, 0) + coalesce(a.commission_delta, 0) END AS commission
    FROM ordered o JOIN actions a USING (platform, action_id)
    LEFT JOIN ordered last ON last.platform = o.platform AND last.action_id = o.action_id
        AND last.correction AND last.seq = last.n
    LEFT JOIN configured_currency p ON p.platform = o.platform
    WHERE NOT o.correction AND o.seq = o.n
)
SELECT platform, account_id, action_id, event_date,
    CASE WHEN reversal THEN 'reversed' ELSE ['pending', 'approved', 'reversed'][rank + 1] END
        AS status,
    campaign_id, partner_name, action_type, currency,
    CASE WHEN reversal THEN -last_sale ELSE sale END AS sale_amount_local,
    CASE WHEN reversal THEN -last_commission ELSE commission END AS commission_local,
    source_updated_at
FROM (SELECT *, corrected AND coalesce(sale, 0) = 0 AND coalesce(commission, 0) = 0 AS reversal
      FROM summed)
"""

_FX = """
CREATE TEMP TABLE fx AS
WITH fixes AS (SELECT date, currency, u6(units_per_eur) AS units FROM core.fx_rates),
units AS (
    SELECT p.date, p.currency,
        CASE WHEN p.currency = 'EUR' THEN 1000000
             WHEN p.date - f.date <= 10 THEN f.units END AS units
    FROM (SELECT date, currency FROM pairs UNION SELECT date, $reporting FROM pairs) p
    ASOF LEFT JOIN fixes f ON p.currency = f.currency AND p.date >= f.date
)
SELECT a.date, a.currency,
    CASE WHEN a.currency = $reporting THEN 1000000000000
         ELSE div_even(r.units * 1000000000000, a.units) END AS fx_rate
FROM units a JOIN units r ON r.date = a.date AND r.currency = $reporting
"""

_RATIOS = """
    d10(div_even(clicks * 10000000000, impressions)) AS ctr,
    d10(div_even(spend * 10000, clicks)) AS cpc,
    d10(div_even(spend * 10000000, impressions)) AS cpm,
    d10(div_even(conversions * 10000, clicks)) AS cvr,
    d10(div_even(spend * 10000000000, conversions)) AS cpa,
    d10(div_even(conversion_value * 10000000000, spend)) AS roas
"""
_MEASURES = """d6(spend) AS spend, impressions, clicks, d6(conversions) AS conversions,
    d6(conversion_value) AS conversion_value"""


def build_core_and_marts(db: duckdb.DuckDBPyConnection, plan: dict, pulled: dt.date) -> None:
    """Every core table (but restatements, empty on a first load) and every mart of the
    configured platforms (the shop's orders are not part of the floor's scenarios)."""
    reporting = plan["reporting_currency"]
    lookbacks = {name: plan[name]["lookback_days"] for name in plan["platforms"]}
    settled = " ".join(
        f"WHEN '{name}' THEN date <= DATE '{pulled - dt.timedelta(days=days)}'"
        for name, days in lookbacks.items()
    )
    create_macros(db)
    db.execute("CREATE TABLE core.fx_rates AS SELECT date, currency, units_per_eur "
               "FROM raw.ecb_rates")  # fmt: skip
    if _networks(plan):
        latest_actions(db, {name: plan[name].get("currency") for name in _networks(plan)})
    db.execute(f"CREATE TEMP TABLE local AS {_performance_sql(plan)}")
    db.execute(f"CREATE TEMP TABLE conversion_local AS {_conversions_sql(plan)}")
    below = {name: sql for name, sql in (("ad_local", _ad_local_sql(plan)),
                                         ("keyword_local", _keyword_local_sql(plan))) if sql}  # fmt: skip
    for name, sql in below.items():
        db.execute(f"CREATE TEMP TABLE {name} AS {sql}")
    db.execute(
        "CREATE TEMP TABLE pairs AS SELECT DISTINCT date, currency FROM local UNION "
        "SELECT date, currency FROM conversion_local"
        + (" UNION SELECT event_date, currency FROM latest_actions" if _networks(plan) else "")
        + "".join(f" UNION SELECT date, currency FROM {name}" for name in below)
    )
    db.execute(_FX, {"reporting": reporting})
    channel = "CASE platform WHEN 'google_ads' THEN 'search' WHEN 'meta' THEN 'social' " \
              "ELSE 'affiliate' END"  # fmt: skip
    if below:
        _below_core(db, plan, below, reporting, channel, settled)
    db.execute(f"""
        CREATE TABLE core.ad_performance_daily AS
        SELECT date, platform, {channel} AS channel, account_id, campaign_id, impressions,
            clicks, d6(conversions) AS conversions, currency, d6(spend_local) AS spend_local,
            d6(conversion_value_local) AS conversion_value_local,
            $reporting AS reporting_currency, d12(fx_rate) AS fx_rate,
            d6(div_even(spend_local * fx_rate, 1000000000000)) AS spend,
            d6(div_even(conversion_value_local * fx_rate, 1000000000000)) AS conversion_value,
            CASE platform {settled} END AS settled
        FROM local JOIN fx USING (date, currency)
    """, {"reporting": reporting})  # fmt: skip
    db.execute(f"""
        CREATE TABLE core.conversions_daily AS
        SELECT date, platform, account_id, campaign_id, conversion_name,
            d6(conversions) AS conversions, currency,
            d6(conversion_value_local) AS conversion_value_local,
            $reporting AS reporting_currency, d12(fx_rate) AS fx_rate,
            d6(div_even(conversion_value_local * fx_rate, 1000000000000)) AS conversion_value,
            CASE platform {settled} END AS settled
        FROM conversion_local JOIN fx USING (date, currency)
    """, {"reporting": reporting})  # fmt: skip
    db.execute(_accounts_and_campaigns_sql(plan))
    if _networks(plan):
        db.execute("""
            CREATE TABLE core.affiliate_actions AS
            SELECT platform, account_id, action_id, event_date, status, campaign_id, a.currency,
                sale_amount_local, commission_local, $reporting AS reporting_currency,
                d12(fx_rate) AS fx_rate,
                d6(div_even(u6(sale_amount_local) * fx_rate, 1000000000000)) AS sale_amount,
                d6(div_even(u6(commission_local) * fx_rate, 1000000000000)) AS commission,
                source_updated_at
            FROM latest_actions a JOIN fx ON fx.date = a.event_date AND fx.currency = a.currency
        """, {"reporting": reporting})  # fmt: skip
    _marts(db)
    if below:
        _below_marts(db, "keyword_local" in below)


_CONVERTED = """impressions, clicks, d6(conversions) AS conversions, currency,
    d6(spend_local) AS spend_local, d6(conversion_value_local) AS conversion_value_local,
    $reporting AS reporting_currency, d12(fx_rate) AS fx_rate,
    d6(div_even(spend_local * fx_rate, 1000000000000)) AS spend,
    d6(div_even(conversion_value_local * fx_rate, 1000000000000)) AS conversion_value"""


def _below_core(
    db: duckdb.DuckDBPyConnection,
    plan: dict,
    below: dict[str, str],
    reporting: str,
    channel: str,
    settled: str,
) -> None:
    """core.ad_groups, core.ads (from the listings), core.ad_daily and core.keyword_daily (the
    campaign rows' FX, channel and settled)."""
    below_dimensions(db, plan)
    db.execute(f"""
        CREATE TABLE core.ad_daily AS
        SELECT date, platform, {channel} AS channel, account_id, campaign_id, ad_group_id, ad_id,
            {_CONVERTED}, CASE platform {settled} END AS settled
        FROM ad_local JOIN fx USING (date, currency)
    """, {"reporting": reporting})  # fmt: skip
    if "keyword_local" in below:
        db.execute(f"""
            CREATE TABLE core.keyword_daily AS
            SELECT date, platform, account_id, campaign_id, ad_group_id, keyword_id,
                keyword_text, match_type, {_CONVERTED}, CASE platform {settled} END AS settled
            FROM keyword_local JOIN fx USING (date, currency)
        """, {"reporting": reporting})  # fmt: skip


def _conversions_sql(plan: dict) -> str:
    """CONVERSIONS_LOCAL rows (money in millionths) of every configured platform."""
    parts = []
    if plan.get("google_ads"):
        parts.append("""
            SELECT date, 'google_ads' AS platform, account_id, campaign_id,
                conversion_action_name AS conversion_name, a.currency,
                u6(sum(coalesce(all_conversions, conversions))) AS conversions,
                u6(sum(coalesce(all_conversions_value, conversions_value)))
                    AS conversion_value_local
            FROM raw.google_ads_conversion_daily JOIN raw.google_ads_accounts a
                USING (account_id)
            GROUP BY ALL
        """)
    if plan.get("meta"):
        parts.append("""
            SELECT date, 'meta' AS platform, account_id, campaign_id,
                action_type AS conversion_name, coalesce(a.currency, f.currency) AS currency,
                u6(coalesce(sum(actions), 0)) AS conversions,
                u6(coalesce(sum(action_value), 0)) AS conversion_value_local
            FROM raw.meta_ad_actions LEFT JOIN raw.meta_accounts a USING (account_id)
            LEFT JOIN (SELECT account_id, max(currency) AS currency FROM raw.meta_ad_insights
                       GROUP BY ALL) f USING (account_id)
            WHERE attribution = 'value' GROUP BY ALL
        """)
    if _networks(plan):
        parts.append("""
            SELECT event_date AS date, platform, account_id,
                coalesce(campaign_id, '(none)') AS campaign_id,
                coalesce(action_type, 'action') AS conversion_name, currency,
                u6(count(*)) AS conversions,
                u6(sum(coalesce(sale_amount_local, 0))) AS conversion_value_local
            FROM latest_actions WHERE status <> 'reversed' GROUP BY ALL
        """)
    return " UNION ALL ".join(parts)


def _accounts_and_campaigns_sql(plan: dict) -> str:
    accounts, campaigns = [], []
    if plan.get("google_ads"):
        accounts.append("SELECT 'google_ads', account_id, account_name, currency, timezone "
                        "FROM raw.google_ads_accounts")  # fmt: skip
        campaigns.append("""
            SELECT DISTINCT ON (account_id, campaign_id) 'google_ads', account_id, campaign_id,
                campaign_name, campaign_status
            FROM raw.google_ads_campaign_daily
            ORDER BY account_id, campaign_id, date DESC, campaign_name DESC, campaign_status DESC
        """)
    if plan.get("meta"):
        accounts.append("SELECT 'meta', account_id, account_name, currency, timezone "
                        "FROM raw.meta_accounts")  # fmt: skip
        campaigns.append("""
            SELECT DISTINCT ON (account_id, campaign_id) 'meta', account_id, campaign_id,
                campaign_name, NULL
            FROM raw.meta_ad_insights
            ORDER BY account_id, campaign_id, date DESC, campaign_name DESC
        """)
    for name in _networks(plan):
        for account in plan[name]["accounts"]:
            currency = plan[name].get("currency")
            fallback = (
                f"'{currency}'" if currency else
                f"(SELECT max(currency) FROM latest_actions WHERE platform = '{name}' "
                f"AND account_id = '{account}')"
            )  # fmt: skip
            accounts.append(
                f"SELECT '{name}', '{account}', NULL, {fallback}, '{plan[name]['timezone']}'"
            )
    if _networks(plan):
        campaigns.append("""
            SELECT DISTINCT ON (platform, account_id, partner_id) platform, account_id,
                partner_id, partner_name, NULL
            FROM raw.affiliate_actions WHERE partner_id IS NOT NULL
            ORDER BY platform, account_id, partner_id, window_date DESC, updated_at DESC
        """)
    return (
        "CREATE TABLE core.ad_accounts (platform VARCHAR, account_id VARCHAR, "
        "account_name VARCHAR, currency VARCHAR, timezone VARCHAR); "
        f"INSERT INTO core.ad_accounts {' UNION ALL '.join(accounts)}; "
        "CREATE TABLE core.campaigns (platform VARCHAR, account_id VARCHAR, "
        "campaign_id VARCHAR, campaign_name VARCHAR, campaign_status VARCHAR); "
        f"INSERT INTO core.campaigns {' UNION ALL '.join(f'(SELECT * FROM ({c}))' for c in campaigns)};"
    )


def latest_actions(db: duckdb.DuckDBPyConnection, currencies: dict[str, str | None]) -> None:
    """The temporary table `latest_actions`: the latest state of every affiliate action in
    raw.affiliate_actions; `currencies` fills a record without one (platform -> code)."""
    db.execute("CREATE TEMP TABLE configured_currency (platform VARCHAR, currency VARCHAR)")
    db.executemany("INSERT INTO configured_currency VALUES (?, ?)", list(currencies.items()))
    db.execute(_LATEST_ACTIONS)


def create_macros(db: duckdb.DuckDBPyConnection) -> None:
    """u6, d6, d10, d12 (unscaled integers <-> decimals) and div_even."""
    db.execute(_MACROS)


def _marts(db: duckdb.DuckDBPyConnection) -> None:
    db.execute(f"""
        CREATE TEMP TABLE performance AS
        SELECT date, channel, platform, account_id, campaign_id, reporting_currency,
            u6(spend) AS spend, impressions, clicks, u6(conversions) AS conversions,
            u6(conversion_value) AS conversion_value, settled
        FROM core.ad_performance_daily;
        CREATE TABLE marts.campaign_daily AS
        SELECT date, channel, platform, account_id, campaign_id, campaign_name,
            reporting_currency, {_MEASURES}, {_RATIOS}, settled
        FROM performance LEFT JOIN core.campaigns USING (platform, account_id, campaign_id);
        CREATE TABLE marts.channel_daily AS
        SELECT date, channel, platform, reporting_currency, {_MEASURES}, {_RATIOS}, settled
        FROM (SELECT date, channel, platform, reporting_currency, sum(spend) AS spend,
                sum(impressions) AS impressions, sum(clicks) AS clicks,
                sum(conversions) AS conversions, sum(conversion_value) AS conversion_value,
                bool_and(settled) AS settled
              FROM performance GROUP BY ALL);
    """)  # fmt: skip


def below_dimensions(db: duckdb.DuckDBPyConnection, plan: dict) -> None:
    """core.ad_groups and core.ads from the listings: a Google Ads ad without a name named by its
    type; a Meta ad's final URL its creative's link with the url_tags appended as query
    parameters (before a fragment; `&` when the link has a query already)."""
    groups, ads = [], []
    if plan.get("google_ads"):
        groups.append("SELECT 'google_ads', account_id, campaign_id, ad_group_id, ad_group_name, "
                      "ad_group_status FROM raw.google_ads_ad_groups")  # fmt: skip
        ads.append("""
            SELECT 'google_ads', account_id, campaign_id, ad_group_id, ad_id,
                CASE WHEN coalesce(ad_name, '') = '' THEN ad_type ELSE ad_name END, ad_status,
                final_url
            FROM raw.google_ads_ads
        """)
    if plan.get("meta"):
        groups.append("SELECT 'meta', account_id, campaign_id, adset_id, adset_name, status "
                      "FROM raw.meta_adsets")  # fmt: skip
        # The creative's link with its url_tags appended as query parameters (before a fragment).
        ads.append("""
            SELECT 'meta', account_id, campaign_id, adset_id, ad_id, ad_name, status,
                CASE WHEN coalesce(link, '') = '' THEN NULL
                     WHEN coalesce(url_tags, '') = '' THEN link
                     ELSE base || CASE WHEN right(base, 1) IN ('?', '&') THEN ''
                                       WHEN contains(base, '?') THEN '&' ELSE '?' END
                          || ltrim(url_tags, '?&') || fragment END
            FROM (SELECT *, CASE WHEN contains(link, '#') THEN left(link, strpos(link, '#') - 1)
                                 ELSE link END AS base,
                         CASE WHEN contains(link, '#') THEN substr(link, strpos(link, '#'))
                              ELSE '' END AS fragment
                  FROM raw.meta_ads)
        """)
    db.execute(
        "CREATE TABLE core.ad_groups (platform VARCHAR, account_id VARCHAR, campaign_id VARCHAR, "
        "ad_group_id VARCHAR, ad_group_name VARCHAR, ad_group_status VARCHAR); "
        f"INSERT INTO core.ad_groups {' UNION ALL '.join(groups)}; "
        "CREATE TABLE core.ads (platform VARCHAR, account_id VARCHAR, campaign_id VARCHAR, "
        "ad_group_id VARCHAR, ad_id VARCHAR, ad_name VARCHAR, ad_status VARCHAR, "
        "final_url VARCHAR); "
        f"INSERT INTO core.ads {' UNION ALL '.join(ads)};"
    )


_SUMS = """sum(spend) AS spend, sum(impressions) AS impressions, sum(clicks) AS clicks,
    sum(conversions) AS conversions, sum(conversion_value) AS conversion_value,
    bool_and(settled) AS settled"""
_UNSCALED = """u6(spend) AS spend, impressions, clicks, u6(conversions) AS conversions,
    u6(conversion_value) AS conversion_value, settled"""
_NAMES = {
    "account_name": "LEFT JOIN (SELECT platform, account_id, account_name FROM core.ad_accounts) "
    "USING (platform, account_id)",
    "campaign_name": "LEFT JOIN (SELECT platform, account_id, campaign_id, campaign_name "
    "FROM core.campaigns) USING (platform, account_id, campaign_id)",
    "ad_group_name": "LEFT JOIN (SELECT platform, account_id, ad_group_id, ad_group_name "
    "FROM core.ad_groups) USING (platform, account_id, ad_group_id)",
}


def _below_marts(db: duckdb.DuckDBPyConnection, keywords: bool) -> None:
    """marts.account_daily (from the campaign rows), ad_group_daily, ad_daily, keyword_daily and
    url_daily (from the ad and keyword rows), named from core's dimension tables."""
    names = " ".join(_NAMES.values())
    db.execute(f"""
        CREATE TABLE marts.account_daily AS
        SELECT date, channel, platform, account_id, account_name, reporting_currency,
            {_MEASURES}, {_RATIOS}, settled
        FROM (SELECT date, channel, platform, account_id, reporting_currency, {_SUMS}
              FROM performance GROUP BY ALL) {_NAMES["account_name"]};
        CREATE TEMP TABLE ad_performance AS
        SELECT date, platform, account_id, campaign_id, ad_group_id, ad_id, reporting_currency,
            {_UNSCALED}
        FROM core.ad_daily;
        CREATE TABLE marts.ad_group_daily AS
        SELECT date, platform, account_id, account_name, campaign_id, campaign_name, ad_group_id,
            ad_group_name, reporting_currency, {_MEASURES}, {_RATIOS}, settled
        FROM (SELECT date, platform, account_id, campaign_id, ad_group_id, reporting_currency,
                {_SUMS}
              FROM ad_performance GROUP BY ALL) {names};
        CREATE TABLE marts.ad_daily AS
        SELECT date, platform, account_id, account_name, campaign_id, campaign_name, ad_group_id,
            ad_group_name, ad_id, ad_name, final_url, reporting_currency, {_MEASURES}, {_RATIOS},
            settled
        FROM ad_performance {names}
        LEFT JOIN (SELECT platform, account_id, ad_id, ad_name, final_url FROM core.ads)
            USING (platform, account_id, ad_id);
    """)  # fmt: skip
    if keywords:
        db.execute(f"""
            CREATE TABLE marts.keyword_daily AS
            SELECT date, platform, account_id, account_name, campaign_id, campaign_name,
                ad_group_id, ad_group_name, keyword_id, keyword_text, match_type,
                reporting_currency, {_MEASURES}, {_RATIOS}, settled
            FROM (SELECT date, platform, account_id, campaign_id, ad_group_id, keyword_id,
                    keyword_text, match_type, reporting_currency, {_UNSCALED}
                  FROM core.keyword_daily) {names}
        """)  # fmt: skip
    urls = [u for (u,) in db.execute(
        "SELECT DISTINCT final_url FROM core.ads WHERE final_url IS NOT NULL"
    ).fetchall()]  # fmt: skip
    parts = url_parts(urls)
    db.register("url_parts", parts)
    db.execute(f"""
        CREATE TABLE marts.url_daily AS
        SELECT date, platform, account_id, final_url, url_host, url_path, utm_source, utm_medium,
            utm_campaign, utm_content, utm_term, reporting_currency, {_MEASURES}, {_RATIOS},
            settled
        FROM (SELECT date, platform, account_id, final_url, reporting_currency, {_SUMS}
              FROM ad_performance JOIN (SELECT platform, account_id, ad_id, final_url
                                        FROM core.ads WHERE final_url IS NOT NULL)
                  USING (platform, account_id, ad_id)
              GROUP BY ALL)
        JOIN url_parts USING (final_url)
    """)  # fmt: skip
    db.unregister("url_parts")


UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


def url_parts(urls: list[str]) -> pa.Table:
    """Each distinct final URL's host (lower case), path (NULL when empty) and utm_* parameters
    (names matched case-insensitively, values decoded and kept as sent, the first occurrence
    winning, an empty value NULL), as the README's url_daily rule reads them."""
    rows: dict[str, list] = {"final_url": [], "url_host": [], "url_path": [],
                             **{name: [] for name in UTM_FIELDS}}  # fmt: skip
    for url in urls:
        split = urlsplit(url.strip())
        found: dict[str, str | None] = {}
        for name, value in parse_qsl(_query(url.strip()), keep_blank_values=True):
            key = name.strip().lower()
            if key in UTM_FIELDS and key not in found:
                found[key] = value if value != "" else None
        rows["final_url"].append(url)
        rows["url_host"].append(split.hostname)
        rows["url_path"].append(split.path or None)
        for name in UTM_FIELDS:
            rows[name].append(found.get(name))
    return pa.table(rows, schema=pa.schema([(name, pa.string()) for name in rows]))


def _query(url: str) -> str:
    if "?" not in url and "=" in url and "/" not in url.split("=", 1)[0]:
        return url.split("#", 1)[0]  # a bare query string
    if url.startswith("?"):
        return url[1:].split("#", 1)[0]
    return urlsplit(url).query
