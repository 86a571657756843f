"""The floor benchmark's SQL (benchmarks/floor_sql.py) rounds and reduces exactly as the pipeline
does: if it did not, its marts would differ from the pipeline's and the benchmark would measure
different work. Values worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from benchmarks import floor_sql


@pytest.fixture
def db():
    connection = duckdb.connect()
    connection.execute(floor_sql.RAW_DDL)
    floor_sql.create_macros(connection)
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("numerator", "denominator", "quotient"),
    [
        (5, 2, 2),  # 2.5: a tie goes to the even neighbour
        (7, 2, 4),  # 3.5: to 4
        (-5, 2, -2),
        (-7, 2, -4),
        (7, -2, -4),
        (11, 3, 4),  # 3.67
        (10, 3, 3),  # 3.33
        (1, 0, None),  # no quotient where the denominator is 0
    ],
)
def test_div_even_rounds_half_to_even(db, numerator, denominator, quotient):
    row = db.execute(
        "SELECT div_even(CAST(? AS HUGEINT), CAST(? AS HUGEINT))", [numerator, denominator]
    ).fetchone()
    assert row[0] == quotient


def test_money_and_ratio_round_trip_through_unscaled_integers(db):
    fx = lambda text: f"div_even(u6({text}::DECIMAL(20,6)) * {{}}, 1000000000000)"  # noqa: E731
    row = db.execute(
        # 12.345678 x 0.857142857143 = 10.582009714287...; 0.000005 x 0.5 = 0.0000025 (a tie:
        # to 0.000002); 0.000015 x 0.5 = 0.0000075 (to 0.000008); 2 / 3 at 10 places.
        f"SELECT d6({fx('12.345678').format(857142857143)}), "
        f"d6({fx('0.000005').format(500000000000)}), d6({fx('0.000015').format(500000000000)}), "
        "d10(div_even(CAST(2 AS HUGEINT) * 10000000000, 3)), d12(1000000000000)"
    ).fetchone()
    assert row == (
        Decimal("10.582010"),
        Decimal("0.000002"),
        Decimal("0.000008"),
        Decimal("0.6666666667"),
        Decimal("1.000000000000"),
    )


def _action(platform, record_id, action_id, updated, status, sale, commission, correction):
    return (
        platform, "acct", dt.date(2026, 10, 1), record_id, action_id, dt.date(2026, 9, 30),
        dt.datetime(2026, 10, 1, updated, tzinfo=dt.UTC), status, "sale", "p1", "Partner",
        "EUR" if platform == "cj" else None, sale, commission, "{}",
        dt.datetime(2026, 11, 1, tzinfo=dt.UTC), correction,
    )  # fmt: skip


def test_latest_actions_settles_cj_corrections_and_keeps_the_latest_version(db):
    rows = [
        # CJ action A: a sale, then a correction that takes all of it back -> reversed, keeping
        # the amounts reversed (the negated correction).
        _action("cj", "a1", "A", 1, "new", "100", "10", False),
        _action("cj", "a2", "A", 2, "new", "-100", "-10", True),
        # CJ action B: the original read twice (new, then locked) and a partial correction ->
        # approved, 50 + 10 and 5 + 1.
        _action("cj", "b1", "B", 1, "new", "50", "5", False),
        _action("cj", "b1", "B", 3, "locked", "50", "5", False),
        _action("cj", "b2", "B", 2, "new", "10", "1", True),
        # CJ action C: a correction whose original is not loaded -> left out.
        _action("cj", "c2", "C", 2, "new", "-3", "-1", True),
        # impact.com action D: its record read pending, then approved with new amounts.
        _action("impact", "D", "D", 1, "PENDING", "20", "2", False),
        _action("impact", "D", "D", 4, "APPROVED", "25", "3", False),
    ]
    placeholders = ", ".join(["?"] * len(rows[0]))
    db.executemany(f"INSERT INTO raw.affiliate_actions VALUES ({placeholders})", rows)
    floor_sql.latest_actions(db, {"cj": "EUR", "impact": "USD"})
    got = db.execute(
        "SELECT platform, action_id, status, currency, sale_amount_local, commission_local, "
        "source_updated_at FROM latest_actions ORDER BY platform, action_id"
    ).fetchall()
    at = lambda hour: dt.datetime(2026, 10, 1, hour, tzinfo=dt.UTC)  # noqa: E731
    assert got == [
        ("cj", "A", "reversed", "EUR", Decimal("100"), Decimal("10"), at(2)),
        ("cj", "B", "approved", "EUR", Decimal("60"), Decimal("6"), at(3)),
        ("impact", "D", "approved", "USD", Decimal("25"), Decimal("3"), at(4)),
    ]


def _meta_ad(ad_id, link, url_tags):
    return ("acct", ad_id, "s1", "c1", f"Ad {ad_id}", "ACTIVE", "ACTIVE", link, url_tags, "{}")


def test_below_dimensions_name_ads_and_build_final_urls_as_the_pipeline(db):
    meta_ads = [
        _meta_ad("1", "https://shop.example.com/sale", "utm_source=fb&utm_medium=paid"),
        _meta_ad("2", "https://shop.example.com/?ref=fb", "utm_source=fb"),  # has a query: &
        _meta_ad("3", "https://shop.example.com/p#top", "?utm_source=fb"),  # before the fragment
        _meta_ad("4", "https://shop.example.com/p?", "&utm_source=fb"),  # ends in ?: no joint
        _meta_ad("5", "https://shop.example.com/gift", None),  # no tags: the link
        _meta_ad("6", None, "utm_source=fb"),  # no destination: NULL
        _meta_ad("7", "", ""),
    ]
    db.executemany(
        "INSERT INTO raw.meta_ads (account_id, ad_id, adset_id, campaign_id, ad_name, status, "
        "effective_status, link, url_tags, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        meta_ads,
    )
    db.execute(
        "INSERT INTO raw.meta_adsets (account_id, adset_id, campaign_id, adset_name, status, "
        "effective_status) VALUES ('acct', 's1', 'c1', 'Set 1', 'ACTIVE', 'CAMPAIGN_PAUSED')"
    )
    db.executemany(
        "INSERT INTO raw.google_ads_ads (account_id, ad_id, ad_group_id, campaign_id, ad_name, "
        "ad_type, ad_status, final_url) VALUES ('0000000001', ?, '55', '9', ?, ?, 'ENABLED', ?)",
        [
            ("71", "", "RESPONSIVE_SEARCH_AD", "https://shop.example.com/a"),  # named by type
            ("72", None, "EXPANDED_TEXT_AD", None),
            ("73", "Spring video", "VIDEO_AD", "https://shop.example.com/b"),
        ],
    )
    db.execute(
        "INSERT INTO raw.google_ads_ad_groups (account_id, ad_group_id, campaign_id, "
        "ad_group_name, ad_group_status) VALUES ('0000000001', '55', '9', 'Group', 'PAUSED')"
    )
    floor_sql.below_dimensions(db, {"meta": {"accounts": ["acct"]}, "google_ads": {"manager": "1"}})
    ads = db.execute(
        "SELECT platform, ad_id, ad_group_id, ad_name, ad_status, final_url FROM core.ads "
        "ORDER BY platform, ad_id"
    ).fetchall()
    assert ads == [
        ("google_ads", "71", "55", "RESPONSIVE_SEARCH_AD", "ENABLED", "https://shop.example.com/a"),
        ("google_ads", "72", "55", "EXPANDED_TEXT_AD", "ENABLED", None),
        ("google_ads", "73", "55", "Spring video", "ENABLED", "https://shop.example.com/b"),
        ("meta", "1", "s1", "Ad 1", "ACTIVE",
         "https://shop.example.com/sale?utm_source=fb&utm_medium=paid"),
        ("meta", "2", "s1", "Ad 2", "ACTIVE", "https://shop.example.com/?ref=fb&utm_source=fb"),
        ("meta", "3", "s1", "Ad 3", "ACTIVE", "https://shop.example.com/p?utm_source=fb#top"),
        ("meta", "4", "s1", "Ad 4", "ACTIVE", "https://shop.example.com/p?utm_source=fb"),
        ("meta", "5", "s1", "Ad 5", "ACTIVE", "https://shop.example.com/gift"),
        ("meta", "6", "s1", "Ad 6", "ACTIVE", None),
        ("meta", "7", "s1", "Ad 7", "ACTIVE", None),
    ]  # fmt: skip
    groups = db.execute(
        "SELECT platform, account_id, campaign_id, ad_group_id, ad_group_name, ad_group_status "
        "FROM core.ad_groups ORDER BY platform"
    ).fetchall()
    assert groups == [
        ("google_ads", "0000000001", "9", "55", "Group", "PAUSED"),
        ("meta", "acct", "c1", "s1", "Set 1", "ACTIVE"),  # the ad set's own status
    ]


def test_url_parts_split_host_path_and_utm_parameters():
    parts = floor_sql.url_parts(
        [
            "https://Shop.Example.com/sale?UTM_Source=fb&utm_medium=paid+social&utm_source=x",
            "https://shop.example.com?utm_campaign=&utm_term=run%20shoes#utm_content=no",
            "",
        ]
    )
    assert parts.to_pylist() == [
        {"final_url": "https://Shop.Example.com/sale?UTM_Source=fb&utm_medium=paid+social"
                      "&utm_source=x",
         "url_host": "shop.example.com", "url_path": "/sale", "utm_source": "fb",
         "utm_medium": "paid social", "utm_campaign": None, "utm_content": None,
         "utm_term": None},
        {"final_url": "https://shop.example.com?utm_campaign=&utm_term=run%20shoes"
                      "#utm_content=no",
         "url_host": "shop.example.com", "url_path": None, "utm_source": None,
         "utm_medium": None, "utm_campaign": None, "utm_content": None,
         "utm_term": "run shoes"},
        {"final_url": "", "url_host": None, "url_path": None, "utm_source": None,
         "utm_medium": None, "utm_campaign": None, "utm_content": None, "utm_term": None},
    ]  # fmt: skip
