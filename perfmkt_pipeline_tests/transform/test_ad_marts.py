"""Below-campaign marts from hand-built core rows: sums, names, ratios and URL parts worked out by
hand (transform/ad_marts.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa

from perfmkt_pipeline.transform import ad_marts
from perfmkt_pipeline.warehouse import tables

D = Decimal
DAY = dt.date(2026, 11, 5)
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def _rows(table, rows: list[dict]) -> pa.Table:
    names = [c.name for c in table.columns if c.name != "loaded_at"]
    filled = [{n: r.get(n) for n in names} for r in rows]
    return pa.Table.from_pylist(filled, schema=tables.arrow_schema(table, names))


def _ad(ad_id: str, group: str, spend: str, clicks: int, settled: bool = True, **more) -> dict:
    return {
        "date": DAY, "platform": "meta", "channel": "social", "account_id": "101",
        "campaign_id": "C1", "ad_group_id": group, "ad_id": ad_id, "impressions": 100 * clicks,
        "clicks": clicks, "conversions": D("1"), "currency": "EUR", "spend_local": D(spend),
        "conversion_value_local": D("10"), "reporting_currency": "USD", "fx_rate": D("1.1"),
        "spend": D(spend) * D("1.1"), "conversion_value": D("11"), "settled": settled, **more,
    }  # fmt: skip


AD_DAILY = _rows(tables.ad_daily, [
    _ad("A1", "S1", "10", 4),
    _ad("A2", "S1", "5", 0, settled=False),
    _ad("A3", "S2", "0", 0),
])  # fmt: skip
ACCOUNTS = _rows(tables.ad_accounts, [
    {"platform": "meta", "account_id": "101", "account_name": "Acme DE", "currency": "EUR"},
])  # fmt: skip
CAMPAIGNS = _rows(tables.campaigns, [
    {"platform": "meta", "account_id": "101", "campaign_id": "C1", "campaign_name": "Prospecting"},
])  # fmt: skip
GROUPS = _rows(tables.ad_groups, [
    {"platform": "meta", "account_id": "101", "campaign_id": "C1", "ad_group_id": "S1",
     "ad_group_name": "Lookalike 1%"},
])  # fmt: skip
ADS = _rows(tables.ads, [
    {"platform": "meta", "account_id": "101", "ad_id": "A1", "ad_name": "Video",
     "final_url": "https://Shop.example/sale?UTM_Source=facebook&utm_campaign=Winter%20Sale"},
    {"platform": "meta", "account_id": "101", "ad_id": "A2", "ad_name": "Carousel",
     "final_url": "https://Shop.example/sale?UTM_Source=facebook&utm_campaign=Winter%20Sale"},
    {"platform": "meta", "account_id": "101", "ad_id": "A3", "ad_name": "No link"},
])  # fmt: skip


def test_ad_groups_sum_their_ads_with_names_ratios_and_settled_only_when_every_ad_is():
    rows = ad_marts.ad_group_daily(AD_DAILY, ACCOUNTS, CAMPAIGNS, GROUPS).to_pylist()
    s1, s2 = rows
    # S1: spend 11 + 5.5 = 16.5 USD, 4 clicks: cpc 4.125, roas 22 / 16.5 = 1.3333333333
    assert (s1["ad_group_id"], s1["ad_group_name"], s1["campaign_name"], s1["account_name"]) == (
        "S1", "Lookalike 1%", "Prospecting", "Acme DE",
    )  # fmt: skip
    assert (s1["spend"], s1["clicks"], s1["cpc"], s1["roas"], s1["settled"]) == (
        D("16.5"), 4, D("4.125"), D("1.3333333333"), False,
    )  # fmt: skip
    # S2: no spend, no clicks: cpc, cvr and roas NULL, never 0; an unknown ad set has no name
    assert (s2["ad_group_name"], s2["spend"], s2["cpc"], s2["cvr"], s2["roas"], s2["settled"]) == (
        None, D("0"), None, None, None, True,
    )  # fmt: skip


def test_urls_sum_the_ads_that_land_there_split_into_host_path_and_utm_parameters():
    (row,) = ad_marts.url_daily(AD_DAILY, ADS).to_pylist()  # A3 has no URL: left out
    assert (
        row["final_url"]
        == "https://Shop.example/sale?UTM_Source=facebook&utm_campaign=Winter%20Sale"
    )
    assert (row["url_host"], row["url_path"]) == ("shop.example", "/sale")
    assert (row["utm_source"], row["utm_medium"], row["utm_campaign"]) == (
        "facebook", None, "Winter Sale",
    )  # fmt: skip
    assert (row["spend"], row["clicks"], row["settled"]) == (D("16.5"), 4, False)


def test_the_ad_mart_names_every_id_and_carries_the_final_url():
    rows = ad_marts.ad_daily(AD_DAILY, ACCOUNTS, CAMPAIGNS, GROUPS, ADS).to_pylist()
    assert [(r["ad_id"], r["ad_name"], r["ad_group_name"], r["final_url"] is not None)
            for r in rows] == [
        ("A1", "Video", "Lookalike 1%", True),
        ("A2", "Carousel", "Lookalike 1%", True),
        ("A3", "No link", None, False),
    ]  # fmt: skip
    assert rows[0]["cpm"] == D("27.5")  # 1000 x 11 / 400


def test_accounts_sum_their_campaign_rows():
    performance = _rows(tables.ad_performance_daily, [
        {k: v for k, v in _ad("x", "x", "10", 4).items() if k not in ("ad_group_id", "ad_id")}
        | {"campaign_id": c} for c in ("C1", "C2")
    ])  # fmt: skip
    (row,) = ad_marts.account_daily(performance, ACCOUNTS).to_pylist()
    assert (row["channel"], row["account_name"], row["spend"], row["impressions"]) == (
        "social", "Acme DE", D("22"), 800,
    )  # fmt: skip


def test_url_parts_give_each_row_its_own_url_parts_whatever_repeats_and_gaps():
    # Issue #18: each distinct URL is parsed once and its parts taken by index; row by row the
    # result is what parsing that row's URL gives, NULL URL and empty URL alike all NULL.
    a = "https://Shop.example/sale?utm_source=fb&utm_medium=paid&utm_term=x#top"
    b = "http://other.example?utm_campaign=C%201&utm_content="
    column = pa.chunked_array([[a, None, b], [], ["", a, b, " HTTPS://Shop.example "]])
    parts = {name: values.to_pylist() for name, values in ad_marts.url_parts(column).items()}
    assert parts == {
        "url_host": ["shop.example", None, "other.example", None, "shop.example",
                     "other.example", "shop.example"],
        "url_path": ["/sale", None, None, None, "/sale", None, None],
        "utm_source": ["fb", None, None, None, "fb", None, None],
        "utm_medium": ["paid", None, None, None, "paid", None, None],
        "utm_campaign": [None, None, "C 1", None, None, "C 1", None],
        "utm_content": [None, None, None, None, None, None, None],
        "utm_term": ["x", None, None, None, "x", None, None],
    }  # fmt: skip
    listed = ad_marts.url_parts([a, None, b, "", a, b, " HTTPS://Shop.example "])
    assert {name: values.to_pylist() for name, values in listed.items()} == parts
    assert all(len(v) == 0 for v in ad_marts.url_parts(pa.chunked_array([], pa.string())).values())
