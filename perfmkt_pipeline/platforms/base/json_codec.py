"""The raw `record` text of every source record, through orjson.

A 90-day backfill spent ~8% of its CPU writing records as JSON with the stdlib; orjson does it
about 4x faster. The text is the stdlib's: where orjson would write something else, the value
goes to the stdlib instead. That is NaN and ±Infinity (orjson writes null; the stdlib NaN /
Infinity), integers beyond 64 bits, non-str dict keys, lone surrogates, dates and dataclasses
(which the stdlib refuses), and subclasses of str, int, dict and list (an OrderedDict's own
order, a str Enum). Left to orjson: floats under 1e-4, the same number in another notation
(0.00001 for 1e-05), and UUIDs and plain Enums, which it writes where the stdlib refuses them
(no decoded record holds one). Such values are rare in what sources send: the fallback costs
little. (Decoding responses with orjson gained only ~1.1x on the networks' string-heavy pages,
so the sources read them with the stdlib.)
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

# Unsupported types (dates, dataclasses, subclasses) raise, and so go to the stdlib.
_ENCODE_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def compact_json(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, separators=(",", ":"))`: compact, non-ASCII kept,
    key order as given."""
    try:
        text = orjson.dumps(value, option=_ENCODE_OPTIONS)
    except orjson.JSONEncodeError:
        return _stdlib_compact(value)
    # orjson writes a NaN or an infinity as null, so only a text with a null can hide one.
    if b"null" in text and _has_non_finite(value):
        return _stdlib_compact(value)
    return text.decode()


def _stdlib_compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _has_non_finite(value: Any) -> bool:
    """Whether `value` holds a NaN or an infinity (subclasses never get here: orjson refused
    them)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is float and not math.isfinite(item):
            return True
    return False
