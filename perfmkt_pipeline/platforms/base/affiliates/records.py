"""The common shape every affiliate record is normalised to, the read windows, and field parsers
(shared by every affiliate source; `sync_window` is transform/affiliates.py's).

Each network's record is kept as received (`record`, JSON text) next to typed fields that mean
the same on every network. Status stays the network's own word here; transform/affiliates.py
maps it to pending | approved | reversed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from perfmkt_pipeline.platforms.base.errors import AffiliateDataError
from perfmkt_pipeline.platforms.base.json_codec import compact_json
from perfmkt_pipeline.transform.affiliates import sync_window  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class ActionRecord:
    """One record of one affiliate action, as a network returned it."""

    platform: str  # the platform's name (a file feed's: the feed's)
    account_id: str
    record_id: str  # the record's own id (the action id where a record is the action)
    action_id: str  # the action it describes (a correction record: the original's)
    window_date: dt.date  # day of the read window the record belongs to (update/posting day)
    event_date: dt.date | None  # day of the sale or lead, in the network's reporting zone
    updated_at: dt.datetime | None  # aware; when the network last changed the record
    status: str  # the network's own status word
    action_type: str | None
    partner_id: str | None
    partner_name: str | None
    currency: str | None
    sale_amount: Decimal | None
    commission: Decimal | None
    is_correction: bool  # a record correcting an earlier one: its amounts are deltas
    record: str  # the record exactly as received (JSON text)


# One read window of one account: (first day, last day, its records). Clients hand a range over
# window by window, so a caller can land each before the next is read.
Window = tuple[dt.date, dt.date, list[ActionRecord]]


@dataclass(frozen=True)
class Where:
    """Where a record came from, for data-error messages: source, account, day, record."""

    network: str
    account_id: str
    day: str  # the read window ("2026-10-01..2026-10-31") or the record's day
    record_id: str | None = None

    def error(self, field: str, problem: str) -> AffiliateDataError:
        record = f", record {self.record_id}" if self.record_id else ""
        return AffiliateDataError(
            f"{self.network} account {self.account_id}, {self.day}{record}: field {field}: "
            f"{problem}",
            network=self.network,
            account_id=self.account_id,
        )


def record_json(data: Any) -> str:
    """Compact JSON of a decoded record (values unchanged: strings stay strings)."""
    return compact_json(data)


def required(data: dict, field: str, where: Where) -> Any:
    value = data.get(field)
    if value is None or value == "":
        raise where.error(field, "missing")
    return value


def optional_text(data: dict, field: str) -> str | None:
    value = data.get(field)
    return None if value is None or value == "" else str(value)


def decimal(value: Any, field: str, where: Where) -> Decimal:
    """An exact amount from a decimal string or JSON number (never through float)."""
    if isinstance(value, bool) or value is None:
        raise where.error(field, f"{value!r} is not a number")
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise where.error(field, f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise where.error(field, f"{value!r} is not a finite number")
    return amount


def moment(value: Any, field: str, where: Where, zone: ZoneInfo | None = None) -> dt.datetime:
    """An aware datetime from ISO-8601; naive values are read in `zone` (required then)."""
    if not isinstance(value, str):
        raise where.error(field, f"{value!r} is not a date-time")
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise where.error(field, f"{value!r} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        if zone is None:
            raise where.error(field, f"{value!r} has no UTC offset")
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def day_in(moment_: dt.datetime, zone: ZoneInfo) -> dt.date:
    return moment_.astimezone(zone).date()


def chunks(start: dt.date, end: dt.date, max_days: int) -> Iterator[tuple[dt.date, dt.date]]:
    """Consecutive inclusive day ranges of at most `max_days` covering [start, end]."""
    first = start
    while first <= end:
        last = min(end, first + dt.timedelta(days=max_days - 1))
        yield first, last
        first = last + dt.timedelta(days=1)


class WindowedClient:
    """A network client that reads a range one call window at a time (`windows`): by default
    windows of at most `max_window_days`, each read by `read_window` (one call, or every page
    of one), its progress logged through `self.http.log` under `network`."""

    network: str = ""
    max_window_days: int = 31

    def read_window(self, account_id: str, first: dt.date, last: dt.date) -> list[ActionRecord]:
        raise NotImplementedError

    def windows(self, account_id: str, start: dt.date, end: dt.date) -> Iterator[Window]:
        """[start, end] one call window at a time: (first, last, what was read for it), so a
        caller lands each before the next is read."""
        return read_in_windows(
            start,
            end,
            self.max_window_days,
            lambda first, last: self.read_window(account_id, first, last),
            self.http.log,
            f"{self.network} account {account_id}",
        )

    def fetch(self, account_id: str, start: dt.date, end: dt.date) -> list[ActionRecord]:
        """Every record of [start, end], all windows together (for callers that need no
        streaming)."""
        return [r for _, _, found in self.windows(account_id, start, end) for r in found]


def read_in_windows(
    start: dt.date,
    end: dt.date,
    max_days: int,
    read: Callable[[dt.date, dt.date], list[ActionRecord]],
    log: Any,
    label: str,
) -> Iterator[Window]:
    """[start, end] one call window of at most `max_days` at a time: (first, last, what `read`
    returned for it), logging progress as `label`, so a caller lands each window before the
    next is read (memory stays at one window)."""
    windows = list(chunks(start, end, max_days))
    so_far = 0
    for number, (first, last) in enumerate(windows, start=1):
        found = read(first, last)
        so_far += len(found)
        log.info(
            f"{label}: window {number} of {len(windows)} ({first}..{last}): "
            f"{len(found)} records, {so_far} so far"
        )
        yield first, last, found
        del found  # the caller has it; not held while the next window is read


def midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def last_second(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The last whole second of `day`: networks send seconds, and their windows are inclusive."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)


_DECODER = json.JSONDecoder(parse_float=Decimal)
_WHITESPACE = " \t\r\n"


def json_array_items(text: str) -> list[tuple[Any, str]]:
    """Each element of a JSON array with its exact text: numbers decode to Decimal (never
    float) and `record` keeps the element byte for byte as the network sent it."""
    position = _skip(text, 0)
    if text[position : position + 1] != "[":
        raise ValueError("not a JSON array")
    items: list[tuple[Any, str]] = []
    position = _skip(text, position + 1)
    if text[position : position + 1] == "]":
        return items
    while True:
        value, finish = _DECODER.raw_decode(text, position)
        items.append((value, text[position:finish]))
        position = _skip(text, finish)
        separator = text[position : position + 1]
        if separator == "]":
            if text[_skip(text, position + 1) :]:
                raise ValueError("text after the JSON array")
            return items
        if separator != ",":
            raise ValueError(f"expected ',' or ']' at {position}")
        position = _skip(text, position + 1)


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position
