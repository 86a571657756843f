"""File-based affiliate feeds: CSV exports of any other network (Rakuten, ShareASale, ...).

The location is a folder (every `*.csv` in it, in name order), one file, or an http(s) URL. The
column mapping, date format, currency and status vocabulary come from `FileFeedSettings`. Every
file is parsed whole before anything is returned: a malformed row (bad date, non-numeric amount,
unknown status, missing id) raises `FileFeedError` naming the file, line and column, so the run
fails and nothing of that file is loaded; so does a duplicate record (the same action and update
time twice in one file), unless the feed is set to warn of duplicates.

A feed is read by event day (`window_date` = event date), like the API networks: a range read
long after the fact gets its days' actions in their latest state (their later `updated_at` would
put them outside a window of update days), and the daily sync catches decisions by re-reading the
trailing `lookback_days` of event days. `updated_at`, where mapped, only chooses among rows of
one action (the latest wins).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from perfmkt_pipeline.platforms.base.affiliates.records import ActionRecord, record_json
from perfmkt_pipeline.platforms.base.errors import AffiliateDataError
from perfmkt_pipeline.platforms.base.http import HttpClient
from perfmkt_pipeline.platforms.file_feeds.settings import FileFeedSettings

_CSV_SUFFIX = ".csv"
_URL_SCHEMES = ("http", "https")
_ENCODING = "utf-8-sig"  # spreadsheet exports often start with a byte-order mark
_log = logging.getLogger(__name__)


class FileFeedError(AffiliateDataError):
    """A feed file that cannot be loaded; names the file, line and column."""

    def __init__(self, feed: str, file: str, line: int, column: str | None, problem: str):
        where = f"{file}, line {line}" + (f", column {column!r}" if column else "")
        super().__init__(f"{feed}: {where}: {problem}", network=feed)
        self.file, self.line, self.column = file, line, column


def is_url(location: str) -> bool:
    return urlsplit(location).scheme in _URL_SCHEMES


@dataclass(frozen=True)
class FeedRead:
    """What one read of a feed for a window found."""

    records: list[ActionRecord]  # one per action: its latest record dated in the window
    files: list[str]  # every file read, in the order applied
    duplicates: int  # records that repeated an action and update time of their file


def read_feed_window(
    settings: FileFeedSettings,
    start: dt.date,
    end: dt.date,
    *,
    http: HttpClient | None = None,
    warn: Callable[[str], None] | None = None,
) -> FeedRead:
    """The feed's actions whose event date is in [start, end], one per action (a later
    updated_at, or at the same time a later file, wins), with the files read and the duplicates
    found. A duplicate (see
    `_Duplicates`) raises FileFeedError naming the file, line and action, or with `duplicates:
    warn` is counted, the later line kept, and reported through `warn`."""
    latest: dict[str, tuple[tuple, ActionRecord]] = {}
    files = feed_files(settings, http)
    duplicates = _Duplicates(settings)
    for index, (name, text) in enumerate(files):
        rows = parse_file(settings, name, text)
        duplicates.check(name, rows)
        for line, record in rows:
            if not start <= record.window_date <= end:
                continue
            key = (record.updated_at or dt.datetime.min.replace(tzinfo=dt.UTC), index, line)
            known = latest.get(record.action_id)
            if known is None or key >= known[0]:
                latest[record.action_id] = (key, record)
    if duplicates.count:
        (warn or _log.warning)(duplicates.summary())
    return FeedRead(
        records=[record for _, record in sorted(latest.values(), key=lambda item: item[0])],
        files=[name for name, _ in files],
        duplicates=duplicates.count,
    )


class _Duplicates:
    """Two records of one file naming the same action with the same update time (or both none):
    nothing says which is the later state. The same action with other update times is its status
    history; in another file it is that file's reading (a later file wins at the same time)."""

    def __init__(self, settings: FileFeedSettings):
        self.settings = settings
        self.count = 0
        self.first: tuple[str, int, str] | None = None

    def check(self, name: str, rows: list[tuple[int, ActionRecord]]) -> None:
        seen: dict[tuple[str, dt.datetime | None], int] = {}
        for line, record in rows:
            key = (record.action_id, record.updated_at)
            if key not in seen:
                seen[key] = line
                continue
            what = _key(record)
            if self.settings.duplicates == "error":
                raise FileFeedError(
                    self.settings.name, name, line, None,
                    f"duplicate record: {what} is already on line {seen[key]} (set "
                    "duplicates: warn to keep the later line)",
                )  # fmt: skip
            self.count += 1
            self.first = self.first or (name, line, what)

    def summary(self) -> str:
        name, line, what = self.first or ("", 0, "")
        return (
            f"{self.settings.name}: {self.count} duplicate record(s) (the same action and update "
            f"time twice in one file), the later line kept; the first: {name}, line {line}, {what}"
        )


def _key(record: ActionRecord) -> str:
    when = record.updated_at.isoformat() if record.updated_at else "no update time"
    return f"action {record.action_id!r} ({when})"


def feed_files(settings: FileFeedSettings, http: HttpClient | None = None) -> list[tuple[str, str]]:
    """(name, text) of every file of the feed, in the order they are applied."""
    location = settings.location
    if is_url(location):
        client = http or HttpClient(settings.name)
        response = client.send("GET", location, account_id=settings.account_id)
        parts = urlsplit(location)  # never echo a query string: it may hold a token
        return [(f"{parts.scheme}://{parts.hostname}{parts.path}", _decode(response.content))]
    path = Path(location).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == _CSV_SUFFIX)
    elif path.is_file():
        files = [path]
    else:
        raise FileFeedError(settings.name, str(path), 0, None, "no such file or folder")
    return [(str(p), _decode(p.read_bytes())) for p in files]


def _decode(content: bytes) -> str:
    return content.decode(_ENCODING)


def parse_file(settings: FileFeedSettings, name: str, text: str) -> list[tuple[int, ActionRecord]]:
    """(line, record) for every row of one file; the first malformed row raises FileFeedError."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=settings.delimiter)
    header = next(reader, None)
    if header is None:
        return []
    header = [h.strip() for h in header]
    missing = [c for c in settings.columns.values() if c not in header]
    if missing:
        raise FileFeedError(settings.name, name, 1, missing[0], "column missing from the header")
    position = {ours: header.index(theirs) for ours, theirs in settings.columns.items()}
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue  # blank line
        line = reader.line_num
        if len(values) != len(header):
            raise FileFeedError(
                settings.name, name, line, None, f"{len(values)} values for {len(header)} columns"
            )
        rows.append((line, _row(settings, name, line, header, values, position)))
    return rows


def _row(
    settings: FileFeedSettings,
    name: str,
    line: int,
    header: list[str],
    values: list[str],
    position: dict[str, int],
) -> ActionRecord:
    def text(field: str) -> str | None:
        if field not in position:
            return None
        value = values[position[field]].strip()
        return value or None

    def fail(field: str, problem: str) -> FileFeedError:
        return FileFeedError(settings.name, name, line, settings.columns[field], problem)

    action_id = text("action_id")
    if action_id is None:
        raise fail("action_id", "empty action id")
    status = text("status")
    if status not in settings.status_map:
        known = ", ".join(sorted(settings.status_map))
        raise fail("status", f"unknown status {status!r} (the feed's statuses: {known})")
    event_date = _date(text("event_date"), settings.date_format, fail, "event_date")
    updated_at = None
    if text("updated_at") is not None:
        fmt = settings.updated_at_format or settings.date_format
        updated_at = _moment(text("updated_at"), fmt, fail)
    commission = _amount(text("commission"), fail, "commission", required=True)
    return ActionRecord(
        platform=settings.name,
        account_id=settings.account_id,
        record_id=action_id,
        action_id=action_id,
        window_date=event_date,
        event_date=event_date,
        updated_at=updated_at,
        status=status,
        action_type=text("action_type"),
        partner_id=text("partner_id"),
        partner_name=text("partner_name"),
        currency=settings.currency,
        sale_amount=_amount(text("sale_amount"), fail, "sale_amount", required=False),
        commission=commission,
        is_correction=False,
        record=record_json(dict(zip(header, values, strict=True))),
    )


def _date(value: str | None, fmt: str, fail, field: str) -> dt.date:
    try:
        return dt.datetime.strptime(value or "", fmt).replace(tzinfo=dt.UTC).date()
    except ValueError:
        raise fail(field, f"{value!r} is not a date in the format {fmt!r}") from None


def _moment(value: str | None, fmt: str, fail) -> dt.datetime:
    try:
        # The format may carry %z; naive values are made UTC below.
        parsed = dt.datetime.strptime(value or "", fmt)  # noqa: DTZ007
    except ValueError:
        raise fail("updated_at", f"{value!r} is not a date-time in the format {fmt!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _amount(value: str | None, fail, field: str, *, required: bool) -> Decimal | None:
    if value is None:
        if required:
            raise fail(field, "empty amount")
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise fail(field, f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise fail(field, f"{value!r} is not a finite number")
    return amount
