"""The GAQL parser and evaluator of the Google Ads stand-in."""

from __future__ import annotations

from datetime import date

import pytest

from perfmkt_pipeline.platforms.google_ads.standin import gaql
from perfmkt_pipeline.platforms.google_ads.standin.gaql import Condition, GaqlError, Query

TODAY = date(2024, 3, 10)


def test_report_query_parses_fields_in_select_order_and_between_condition():
    query = gaql.parse(
        "SELECT segments.date, campaign.id, metrics.cost_micros FROM campaign "
        "WHERE segments.date BETWEEN '2024-02-01' AND '2024-02-29'"
    )
    assert query == Query(
        fields=("segments.date", "campaign.id", "metrics.cost_micros"),
        resource="campaign",
        conditions=(Condition("segments.date", "BETWEEN", ("2024-02-01", "2024-02-29")),),
    )


def test_keywords_are_case_insensitive_and_whitespace_free_form():
    query = gaql.parse(
        "select customer_client.id\n  from customer_client\twhere customer_client.level <= 1 "
        "and customer_client.manager = false order by customer_client.id desc limit 5"
    )
    assert query == Query(
        fields=("customer_client.id",),
        resource="customer_client",
        conditions=(
            Condition("customer_client.level", "<=", (1,)),
            Condition("customer_client.manager", "=", (False,)),
        ),
        order_by=(("customer_client.id", True),),
        limit=5,
    )


def test_in_lists_not_in_and_bare_enum_constants_parse():
    query = gaql.parse(
        "SELECT campaign.id FROM campaign WHERE campaign.status IN ('ENABLED', PAUSED) "
        'AND campaign.name NOT IN ("a \\"quoted\\" name") AND campaign.status != REMOVED'
    )
    assert query.conditions == (
        Condition("campaign.status", "IN", ("ENABLED", "PAUSED")),
        Condition("campaign.name", "NOT IN", ('a "quoted" name',)),
        Condition("campaign.status", "!=", ("REMOVED",)),
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("campaign.id FROM campaign", "EXPECTED_SELECT"),
        ("SELECT campaign.id campaign", "EXPECTED_FROM"),
        ("SELECT campaign.id FROM", "UNEXPECTED_END_OF_QUERY"),
        ("SELECT campaign.id FROM campaign WHERE campaign.name = 'open", "STRING_NOT_TERMINATED"),
        ("SELECT campaign.id FROM campaign WHERE segments.date BETWEEN 'a' 'b'", "EXPECTED_AND"),
        ("SELECT campaign.id FROM campaign LIMIT 0", "BAD_LIMIT_VALUE"),
        ("SELECT campaign.id FROM campaign ORDER campaign.id", "EXPECTED_BY"),
        ("SELECT campaign.id FROM campaign WHERE campaign.id = 1 OR campaign.id = 2", "UNEXPECTED_INPUT"),
        ("SELECT campaign.id FROM campaign WHERE campaign.name LIKE 'x'", "BAD_OPERATOR"),
        ("SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_YEAR", "INVALID_VALUE_WITH_DURING_OPERATOR"),
        ("SELECT campaign.id FROM campaign ;", "UNEXPECTED_INPUT"),
    ],
)  # fmt: skip
def test_malformed_queries_report_the_api_query_error_code(text, code):
    with pytest.raises(GaqlError) as caught:
        gaql.parse(text)
    assert caught.value.code == code


def _range(where: str) -> tuple[date, date] | None:
    return gaql.date_range(
        gaql.parse(f"SELECT segments.date FROM campaign WHERE {where}").conditions, TODAY
    )


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("segments.date BETWEEN '2024-02-01' AND '2024-02-29'", (date(2024, 2, 1), date(2024, 2, 29))),
        ("segments.date >= '2024-02-01' AND segments.date <= '2024-02-29'", (date(2024, 2, 1), date(2024, 2, 29))),
        ("segments.date > '2024-02-01' AND segments.date < '2024-02-29'", (date(2024, 2, 2), date(2024, 2, 28))),
        ("segments.date = '2024-02-05'", (date(2024, 2, 5), date(2024, 2, 5))),
        ("segments.date IN ('2024-02-09', '2024-02-03')", (date(2024, 2, 3), date(2024, 2, 9))),
        ("segments.date DURING LAST_7_DAYS", (date(2024, 3, 3), date(2024, 3, 9))),
        ("segments.date DURING YESTERDAY", (date(2024, 3, 9), date(2024, 3, 9))),
        ("segments.date >= '2024-02-01'", None),
        ("campaign.id = 5", None),
    ],
)  # fmt: skip
def test_date_range_is_the_intersection_of_the_date_conditions(where, expected):
    assert _range(where) == expected


def test_impossible_date_range_is_too_narrow():
    with pytest.raises(GaqlError) as caught:
        _range("segments.date BETWEEN '2024-02-10' AND '2024-02-01'")
    assert caught.value.code == "DATE_RANGE_TOO_NARROW"


@pytest.mark.parametrize("bad", ["2024-2-01", "2024-02-30", "20240201"])
def test_dates_must_be_valid_iso_days(bad):
    with pytest.raises(GaqlError) as caught:
        _range(f"segments.date BETWEEN '{bad}' AND '2024-03-01'")
    assert caught.value.code == "INVALID_DATE_FORMAT"


RECORD = {
    "campaign.status": "ENABLED",
    "customer_client.manager": False,
    "customer_client.level": 1,
    "segments.date": "2024-03-03",
    "metrics.conversions": 2.5,
}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("campaign.status = 'ENABLED'", True),
        ("campaign.status = ENABLED", True),
        ("campaign.status IN ('PAUSED', 'REMOVED')", False),
        ("campaign.status NOT IN ('PAUSED', 'REMOVED')", True),
        ("customer_client.manager = FALSE AND customer_client.level <= 1", True),
        ("customer_client.level > 1", False),
        ("segments.date BETWEEN '2024-03-01' AND '2024-03-03'", True),
        ("segments.date DURING LAST_7_DAYS", True),
        ("segments.date DURING YESTERDAY", False),
        ("metrics.conversions >= 2.5", True),
        ("metrics.conversions > 2.5", False),
    ],
)
def test_records_match_conditions_like_the_api_filters_rows(where, expected):
    conditions = gaql.parse(f"SELECT campaign.id FROM campaign WHERE {where}").conditions
    assert gaql.matches(RECORD, conditions, TODAY) is expected
