"""The read windows every affiliate sync uses, and exact JSON array items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from perfmkt_pipeline.platforms.awin.client import AWIN_MAX_WINDOW_DAYS
from perfmkt_pipeline.platforms.base.affiliates.records import chunks, json_array_items, sync_window

D = dt.date


@pytest.mark.parametrize(
    ("start", "end", "lookback", "window"),
    [
        # The daily sync of one day re-reads the 45 days up to it.
        (D(2026, 11, 19), D(2026, 11, 19), 45, (D(2026, 10, 6), D(2026, 11, 19))),
        # A backfill longer than the lookback reads exactly its own range.
        (D(2026, 9, 21), D(2026, 11, 19), 45, (D(2026, 9, 21), D(2026, 11, 19))),
        (D(2026, 11, 10), D(2026, 11, 19), 3, (D(2026, 11, 10), D(2026, 11, 19))),
        (D(2026, 11, 19), D(2026, 11, 19), 1, (D(2026, 11, 19), D(2026, 11, 19))),
    ],
)
def test_a_sync_re_reads_the_trailing_lookback_before_the_end_of_its_range(
    start, end, lookback, window
):
    assert sync_window(start, end, lookback) == window


def test_long_ranges_are_read_in_windows_each_network_accepts():
    assert list(chunks(D(2026, 1, 1), D(2026, 3, 3), AWIN_MAX_WINDOW_DAYS)) == [
        (D(2026, 1, 1), D(2026, 1, 31)),
        (D(2026, 2, 1), D(2026, 3, 3)),
    ]
    assert list(chunks(D(2026, 1, 2), D(2026, 1, 1), 31)) == []


def test_json_array_items_keep_each_element_as_sent_with_decimal_numbers():
    text = '[ {"id": 1, "amount": 1.10},{"id":2,"amount":3e2, "n": [1, 2.50]} ]\n'
    assert json_array_items(text) == [
        ({"id": 1, "amount": Decimal("1.10")}, '{"id": 1, "amount": 1.10}'),
        (
            {"id": 2, "amount": Decimal("3E+2"), "n": [1, Decimal("2.50")]},
            '{"id":2,"amount":3e2, "n": [1, 2.50]}',
        ),
    ]
    assert json_array_items(" [] ") == []
    for broken in ('{"id": 1}', "[1 2]", "[1] x"):
        with pytest.raises(ValueError):
            json_array_items(broken)
