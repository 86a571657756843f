"""Below the campaign: core rows -> marts.account_daily, ad_group_daily, ad_daily, keyword_daily
and url_daily (WAREHOUSE.md "Below the campaign").

The same rules as the campaign marts (transform/marts.py, whose summing and ratios these use):
reporting currency only, measures summed exactly, ratios NULL on a 0 or NULL denominator,
`settled` only when every contributing row is. account_daily sums the campaign rows (complete
for every campaign type, those without ad rows included); the others sum ad or keyword rows. Each id
a mart carries comes with its name (NULL where the dimension row is not known). url_daily splits
the final URL into host, path and the five utm_* parameters (transform/utm.py); ads without a
final URL are left out of it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.transform.marts import _one_reporting_currency, _with_ratios, sum_measures
from perfmkt_pipeline.transform.utm import utm_columns
from perfmkt_pipeline.warehouse import tables

ACCOUNT_COLUMNS = tables.column_names(tables.account_daily, ["loaded_at"])
AD_GROUP_COLUMNS = tables.column_names(tables.ad_group_daily, ["loaded_at"])
AD_COLUMNS = tables.column_names(tables.ad_daily_mart, ["loaded_at"])
KEYWORD_COLUMNS = tables.column_names(tables.keyword_daily_mart, ["loaded_at"])
URL_COLUMNS = tables.column_names(tables.url_daily, ["loaded_at"])


def _grain(table) -> list[str]:
    return list(table.info["grain"])


def _named(rows: pa.Table, names: pa.Table, keys: list[str], name: str) -> pa.Table:
    """`rows` with `name` looked up from `names` by `keys` (NULL where not found)."""
    lookup = names.select([*keys, name])
    return rows.join(lookup, keys, join_type="left outer", use_threads=False)


def _account_names(rows: pa.Table, accounts: pa.Table) -> pa.Table:
    return _named(rows, accounts, ["platform", "account_id"], "account_name")


def _campaign_names(rows: pa.Table, campaigns: pa.Table) -> pa.Table:
    return _named(rows, campaigns, ["platform", "account_id", "campaign_id"], "campaign_name")


def _ad_group_names(rows: pa.Table, ad_groups: pa.Table) -> pa.Table:
    return _named(rows, ad_groups, ["platform", "account_id", "ad_group_id"], "ad_group_name")


def account_daily(performance: pa.Table, accounts: pa.Table) -> pa.Table:
    """marts.account_daily rows from core.ad_performance_daily and core.ad_accounts rows."""
    _one_reporting_currency(performance)
    keys = ["date", "channel", "platform", "account_id", "reporting_currency"]
    rows = _account_names(sum_measures(performance, keys), accounts)
    return _with_ratios(rows, ACCOUNT_COLUMNS, _grain(tables.account_daily))


def ad_group_daily(
    ad_daily: pa.Table, accounts: pa.Table, campaigns: pa.Table, ad_groups: pa.Table
) -> pa.Table:
    """marts.ad_group_daily rows: core.ad_daily summed per ad group / ad set."""
    _one_reporting_currency(ad_daily, "core.ad_daily")
    keys = ["date", "platform", "account_id", "campaign_id", "ad_group_id", "reporting_currency"]
    rows = sum_measures(ad_daily, keys)
    rows = _ad_group_names(_campaign_names(_account_names(rows, accounts), campaigns), ad_groups)
    return _with_ratios(rows, AD_GROUP_COLUMNS, _grain(tables.ad_group_daily))


def ad_daily(
    ad_daily: pa.Table,
    accounts: pa.Table,
    campaigns: pa.Table,
    ad_groups: pa.Table,
    ads: pa.Table,
) -> pa.Table:
    """marts.ad_daily rows: one per core.ad_daily row, with names and the final URL."""
    _one_reporting_currency(ad_daily, "core.ad_daily")
    rows = _ad_group_names(
        _campaign_names(_account_names(ad_daily, accounts), campaigns), ad_groups
    )
    described = ads.select(["platform", "account_id", "ad_id", "ad_name", "final_url"])
    rows = rows.join(
        described, ["platform", "account_id", "ad_id"], join_type="left outer", use_threads=False
    )
    return _with_ratios(rows, AD_COLUMNS, _grain(tables.ad_daily_mart))


def keyword_daily(
    keyword_daily: pa.Table, accounts: pa.Table, campaigns: pa.Table, ad_groups: pa.Table
) -> pa.Table:
    """marts.keyword_daily rows: one per core.keyword_daily row, with names."""
    _one_reporting_currency(keyword_daily, "core.keyword_daily")
    rows = _ad_group_names(
        _campaign_names(_account_names(keyword_daily, accounts), campaigns), ad_groups
    )
    return _with_ratios(rows, KEYWORD_COLUMNS, _grain(tables.keyword_daily_mart))


def url_parts(urls: pa.ChunkedArray | pa.Array | list[str | None]) -> dict[str, pa.Array]:
    """url_host (lower case), url_path (as sent; NULL when empty) and the five utm_* columns of
    a column of URLs. Each distinct URL is parsed once, in Python; the rows take their parts
    by index (a year of ad days repeats a few thousand URLs hundreds of times each)."""
    column = pa.array(urls, pa.string()) if isinstance(urls, list) else urls
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.string())
    encoded = pc.dictionary_encode(column.cast(pa.string()))
    distinct = encoded.dictionary.to_pylist()
    split = {url: urlsplit(url.strip()) for url in distinct if url}
    parts = {
        "url_host": pa.array([split[u].hostname if u else None for u in distinct], pa.string()),
        "url_path": pa.array(
            [(split[u].path or None) if u else None for u in distinct], pa.string()
        ),
        **utm_columns(distinct),
    }
    # A NULL URL has a NULL index: every part of its row is NULL, as for an empty one.
    return {name: values.take(encoded.indices) for name, values in parts.items()}


def url_daily(ad_daily: pa.Table, ads: pa.Table) -> pa.Table:
    """marts.url_daily rows: core.ad_daily summed per final URL of the ads (core.ads)."""
    _one_reporting_currency(ad_daily, "core.ad_daily")
    urls = ads.select(["platform", "account_id", "ad_id", "final_url"])
    urls = urls.filter(pc.is_valid(urls["final_url"]))
    rows = ad_daily.join(
        urls, ["platform", "account_id", "ad_id"], join_type="inner", use_threads=False
    )
    keys = ["date", "platform", "account_id", "final_url", "reporting_currency"]
    summed = sum_measures(rows, keys)
    for name, values in url_parts(summed["final_url"]).items():
        summed = summed.append_column(name, values)
    return _with_ratios(summed, URL_COLUMNS, _grain(tables.url_daily))


UTM_KEYS = ["utm_source", "utm_medium", "utm_campaign"]


def utm_spend(ad_daily: pa.Table, ads: pa.Table) -> pa.Table:
    """Per day, reporting currency and (utm_source, utm_medium, utm_campaign) of the ads' final
    URLs: the spend of the ads whose URL carries those values (marts.utm_daily's spend side,
    issue #20). Ads whose URL carries none of the three are left out: they match no order's
    tags."""
    urls = ads.select(["platform", "account_id", "ad_id", "final_url"])
    urls = urls.filter(pc.is_valid(urls["final_url"]))
    tags = utm_columns(urls["final_url"])
    for name in UTM_KEYS:
        urls = urls.append_column(name, tags[name])
    tagged = pc.or_(
        pc.or_(pc.is_valid(urls["utm_source"]), pc.is_valid(urls["utm_medium"])),
        pc.is_valid(urls["utm_campaign"]),
    )
    urls = urls.filter(tagged).drop_columns(["final_url"])
    rows = ad_daily.select(
        ["date", "platform", "account_id", "ad_id", "reporting_currency", "spend"]
    ).join(urls, ["platform", "account_id", "ad_id"], join_type="inner", use_threads=False)
    keys = ["date", *UTM_KEYS, "reporting_currency"]
    summed = rows.group_by(keys, use_threads=False).aggregate([("spend", "sum")])
    return pa.table(
        {
            **{k: summed[k] for k in keys},
            "spend": summed["spend_sum"].cast(ad_daily.schema.field("spend").type),
        }
    )
