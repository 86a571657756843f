"""ECB euro foreign exchange reference rates: fetch the historical file and parse it.

The ECB publishes one CSV (`Date,USD,JPY,...`, newest day first, units of each currency per 1 EUR,
`N/A` where a currency had no rate) inside `eurofxref-hist.zip`; the plain CSV is accepted too.
Rates exist for TARGET business days only: weekends and holidays have no row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

SOURCE = "ecb"
# EUR is the base of every ECB quote, so it never appears as a column: its rate is 1 by definition.
BASE_CURRENCY = "EUR"
_MISSING = {"N/A", ""}
_ZIP_MAGIC = b"PK\x03\x04"
# The file is a few hundred KB; transient failures (5xx, resets) are retried with backoff.
_RETRY = Retry(total=5, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504))
_TIMEOUT_SECONDS = 60


class EcbDataError(ValueError):
    """The reference-rate file does not parse; the message names the row (day) and column."""


@dataclass(frozen=True)
class Rate:
    date: dt.date
    currency: str
    units_per_eur: Decimal


def fetch(url: str, session: requests.Session | None = None) -> bytes:
    """Download the reference-rate file (zip or CSV) from `url`."""
    session = session or requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=_RETRY))
    session.mount("https://", HTTPAdapter(max_retries=_RETRY))
    response = session.get(url, timeout=_TIMEOUT_SECONDS)
    response.raise_for_status()
    return response.content


def _csv_text(payload: bytes) -> str:
    if payload.startswith(_ZIP_MAGIC):
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise EcbDataError(f"{SOURCE}: expected one CSV in the zip, found {names}")
            payload = archive.read(names[0])
    return payload.decode("utf-8-sig")


def parse(payload: bytes, start: dt.date, end: dt.date) -> list[Rate]:
    """Rates for days in [start, end], one per (day, currency) published, plus EUR = 1 each day."""
    reader = csv.reader(io.StringIO(_csv_text(payload)))
    header = [name.strip() for name in next(reader, [])]
    if not header or header[0] != "Date":
        raise EcbDataError(f"{SOURCE}: the first column must be 'Date', got {header[:1]}")
    rates: list[Rate] = []
    for line_number, row in enumerate(reader, start=2):
        if not row or not row[0].strip():
            continue
        try:
            day = dt.date.fromisoformat(row[0].strip())
        except ValueError:
            raise EcbDataError(
                f"{SOURCE}: line {line_number}, column Date: {row[0]!r} is not a date"
            ) from None
        if not start <= day <= end:
            continue
        rates.append(Rate(day, BASE_CURRENCY, Decimal(1)))
        for currency, value in zip(header[1:], row[1:], strict=False):
            value = value.strip()
            if not currency or value in _MISSING:
                continue
            try:
                amount = Decimal(value)
            except InvalidOperation:
                raise EcbDataError(
                    f"{SOURCE}: day {day}, column {currency}: {value!r} is not a number"
                ) from None
            if amount <= 0:
                raise EcbDataError(
                    f"{SOURCE}: day {day}, column {currency}: rate {value} is not positive"
                )
            rates.append(Rate(day, currency, amount))
    return rates
