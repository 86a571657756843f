"""orjson writes the raw `record` text as `json.dumps(ensure_ascii=False, separators=(",", ":"))`
wrote it, for the values where orjson alone would differ too."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import json
import math
import random
from decimal import Decimal

import pytest

from perfmkt_pipeline.platforms.base.affiliates.records import record_json
from perfmkt_pipeline.platforms.base.json_codec import compact_json
from perfmkt_pipeline.platforms.meta.parsing import to_json


class Kind(enum.StrEnum):
    SALE = "sale"


@dataclasses.dataclass
class Point:
    x: int


def _moved_first_key_last() -> collections.OrderedDict:
    ordered = collections.OrderedDict(a=1, b=2)
    ordered.move_to_end("a")
    return ordered


ENCODED = [
    # (value, the stdlib's text)
    (
        {"campaign_name": "Été – Prospecting", "spend": "12.34", "actions": [{"value": "3"}]},
        '{"campaign_name":"Été – Prospecting","spend":"12.34","actions":[{"value":"3"}]}',
    ),
    ({"b": 1, "a": 2}, '{"b":1,"a":2}'),  # key order as given
    ("tab\t nul\x00 quote\" backslash\\ del\x7f \u2028", '"tab\\t nul\\u0000 quote\\" backslash\\\\ del\x7f \u2028"'),
    ({"commission": None, "rate": 0.5}, '{"commission":null,"rate":0.5}'),
    # orjson writes null for these; the stdlib NaN / Infinity
    ({"spend": math.nan, "ok": None}, '{"spend":NaN,"ok":null}'),
    ([math.inf, -math.inf], "[Infinity,-Infinity]"),
    ({"actions": [{"value": None, "1d_view": (math.nan,)}]}, '{"actions":[{"value":null,"1d_view":[NaN]}]}'),
    ([0.0001, 12.5, 1e16, -0.0], "[0.0001,12.5,1e+16,-0.0]"),
    # beyond 64 bits, orjson refuses
    ([2**64, -(2**63) - 1], "[18446744073709551616,-9223372036854775809]"),
    ({7: "a", None: "b", False: "c", 1.5: "d"}, '{"7":"a","null":"b","false":"c","1.5":"d"}'),
    ("\ud800", '"\ud800"'),  # a lone surrogate (decoded from "\ud800")
    (_moved_first_key_last(), '{"b":2,"a":1}'),  # orjson would write the dict's storage order
    ({"type": Kind.SALE}, '{"type":"sale"}'),
]  # fmt: skip


@pytest.mark.parametrize("dumps", [compact_json, to_json, record_json])
@pytest.mark.parametrize(("value", "text"), ENCODED)
def test_record_text_is_the_stdlib_text_character_for_character(dumps, value, text):
    assert dumps(value) == text


def test_floats_are_written_as_the_stdlib_writes_them_or_under_1e_4_as_the_same_number():
    draw = random.Random(20261119)
    floats = [draw.uniform(0, 1) * 10.0 ** draw.randint(-30, 30) for _ in range(20_000)]
    signed = floats + [-f for f in floats]
    usual = [f for f in signed if abs(f) >= 1e-4]
    assert compact_json(usual) == json.dumps(usual, separators=(",", ":"))
    assert json.loads(compact_json(signed)) == signed
    assert compact_json([1e-05, -3e-07]) == "[0.00001,-3e-7]"  # the stdlib: [1e-05,-3e-07]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("1.5"), "Object of type Decimal is not JSON serializable"),
        (dt.date(2026, 11, 19), "Object of type date is not JSON serializable"),
        (dt.datetime(2026, 11, 19, 8, 30), "Object of type datetime is not JSON serializable"),
        (Point(1), "Object of type Point is not JSON serializable"),
    ],
)
def test_values_the_stdlib_refuses_are_refused_alike(value, message):
    with pytest.raises(TypeError) as raised:
        compact_json({"field": value})
    assert str(raised.value) == message
