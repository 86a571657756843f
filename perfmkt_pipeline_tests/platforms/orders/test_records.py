"""Parsing one order row: times with their zone, amounts, statuses, flags, UTM tags; each bad
value an error naming source, order, field and column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from perfmkt_pipeline.config import ConfigError, parse_settings
from perfmkt_pipeline.platforms.orders.errors import OrderDataError
from perfmkt_pipeline.platforms.orders.records import RAW_COLUMNS, OrderParser
from perfmkt_pipeline.platforms.orders.sql import make_read_only
from perfmkt_pipeline_tests.platforms.orders.support import mariadb_server, shop  # noqa: F401

COLUMNS = {
    "order_id": "id", "ordered_at": "created", "order_timezone": "tz", "updated_at": "changed",
    "revenue": "total", "refunded": "refund", "currency": "cur", "status": "state",
    "is_new_customer": "first", "utm_source": "src", "landing_url": "landing",
}  # fmt: skip
STATUSES = {"paid": "placed", "refund": "refunded", "void": "cancelled"}


def _parser(**overrides) -> OrderParser:
    source = {"name": "web", "files": {"location": "/x"}, "columns": COLUMNS,
              "status_map": STATUSES, "timezone": "Europe/Berlin", **overrides}  # fmt: skip
    settings = parse_settings({"start_date": "2026-01-01", "orders": [source]}, environ={})
    return OrderParser(settings.orders[0])


ROW = {
    "id": "W-1", "created": "2026-03-29 01:30:00", "tz": "", "changed": "2026-03-29T12:00:00Z",
    "total": "120.50", "refund": "20.5", "cur": "eur", "state": "refund", "first": "Yes",
    "src": "Newsletter", "landing": "https://s.example/?UTM_MEDIUM=Email&utm_source=ignored",
}  # fmt: skip


def test_a_row_becomes_typed_values_in_utc() -> None:
    values = dict(zip(RAW_COLUMNS, _parser().parse(ROW), strict=True))
    assert values["ordered_at"] == dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # CET, UTC+1
    assert values["updated_at"] == dt.datetime(2026, 3, 29, 12, tzinfo=dt.UTC)
    assert (values["revenue"], values["refunded"], values["currency"]) == (
        Decimal("120.50"), Decimal("20.5"), "EUR"
    )  # fmt: skip
    assert (values["status"], values["is_new_customer"]) == ("refund", True)
    # A mapped utm column wins over the landing URL; the others come from the URL.
    assert (values["utm_source"], values["utm_medium"]) == ("Newsletter", "Email")
    assert values["record"].startswith('{"id":"W-1","created":"2026-03-29 01:30:00"')


def test_an_order_time_zone_column_decides_a_naive_time() -> None:
    values = dict(zip(RAW_COLUMNS, _parser().parse({**ROW, "tz": "Asia/Tokyo"}), strict=True))
    assert values["ordered_at"] == dt.datetime(2026, 3, 28, 16, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"state": "lost"},
            "field status (column 'state'): unknown status 'lost' (the source's "
            "statuses: 'paid', 'refund', 'void')",
        ),
        (
            {"total": "-3", "state": "paid"},
            "field revenue (column 'total'): negative revenue -3 "
            "on an order that is not a refund (status 'paid' maps "
            "to placed)",
        ),
        (
            {"refund": "130"},
            "field refunded (column 'refund'): refunded 130 is more than the revenue 120.50",
        ),
        (
            {"total": "1.0000001"},
            "field revenue (column 'total'): '1.0000001' does not fit 14 "
            "digits with 6 decimal places",
        ),
        ({"total": "NaN"}, "field revenue (column 'total'): 'NaN' is not a finite number"),
        (
            {"created": "29/03/2026"},
            "field ordered_at (column 'created'): '29/03/2026' is not a date-time (ISO 8601)",
        ),
        (
            {"tz": "Mars/Olympus"},
            "field order_timezone (column 'tz'): unknown time zone 'Mars/Olympus'",
        ),
        (
            {"first": "maybe"},
            "field is_new_customer (column 'first'): 'maybe' is neither true nor false",
        ),
        (
            {"cur": "XBT"},
            "field currency (column 'cur'): unknown currency 'XBT' (ECB reference currencies only)",
        ),
    ],
)
def test_each_bad_value_names_source_order_field_and_column(change, problem) -> None:
    with pytest.raises(OrderDataError) as raised:
        _parser().parse({**ROW, **change}, "f.csv, line 7")
    assert str(raised.value) == f"orders source 'web': f.csv, line 7: order 'W-1': {problem}"


def test_a_refund_row_may_carry_a_negative_revenue() -> None:
    values = dict(zip(RAW_COLUMNS, _parser().parse({**ROW, "total": "-20", "refund": ""}),
                      strict=True))  # fmt: skip
    assert (values["revenue"], values["refunded"]) == (Decimal("-20"), None)


def test_a_source_must_say_how_to_read_and_map_what_it_needs() -> None:
    base = {"name": "web", "columns": {"order_id": "id"}, "status_map": {"x": "placed"}}
    with pytest.raises(ConfigError) as raised:
        parse_settings({"start_date": "2026-01-01", "orders": [base]}, environ={})
    assert "give exactly one of sql and files" in str(raised.value)
    with pytest.raises(ConfigError) as raised:
        parse_settings(
            {"start_date": "2026-01-01", "orders": [{**base, "sql": {"table": "o"}}]}, environ={}
        )
    assert "columns must map ['ordered_at', 'updated_at', 'revenue', 'status']" in str(raised.value)


def test_the_shop_session_is_read_only(shop) -> None:  # noqa: F811
    database = shop()
    engine = sa.create_engine(database.url)
    try:
        with engine.connect() as conn:
            make_read_only(conn)
            assert conn.execute(sa.text("SELECT COUNT(*) FROM orders")).scalar() > 0
            with pytest.raises(sa.exc.DBAPIError, match="READ ONLY"):
                conn.execute(sa.text("DELETE FROM orders"))
    finally:
        engine.dispose()
