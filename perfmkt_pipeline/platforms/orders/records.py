"""One order as the source sent it -> the typed, validated values of a raw.orders row.

The column mapping, status vocabulary, currency and time zone come from `OrderSourceSettings`.
A value that cannot be loaded raises `OrderDataError` naming the source, the order, the field
and its column: an unknown currency (the FX source's reference currencies only), a negative revenue on an
order whose status is not a refund, a refund larger than the order, an unknown status word, a
time or amount that does not parse, a missing mapped column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from perfmkt_pipeline.config import OrderSourceSettings, known_currencies, rates_source_name
from perfmkt_pipeline.platforms.orders.errors import OrderDataError
from perfmkt_pipeline.transform.utm import UTM_FIELDS, utm_parameters

# raw.orders columns a parsed order fills (loaded_at is the write path's).
RAW_COLUMNS = [
    "source", "order_id", "updated_at", "ordered_at", "status", "currency", "revenue",
    "refunded", "customer_id", "is_new_customer", *UTM_FIELDS, "record",
]  # fmt: skip
# MONEY columns hold 6 decimal places and 14 integer digits: more is refused, never rounded.
_SCALE = Decimal("0.000001")
_LIMIT = Decimal(10) ** 14
_TRUE = frozenset({"true", "t", "1", "yes", "y"})
_FALSE = frozenset({"false", "f", "0", "no", "n"})


class OrderParser:
    """Parses the rows of one source; `where` (file and line) is added to error messages."""

    def __init__(self, settings: OrderSourceSettings, timestamp_format: str | None = None):
        self.settings = settings
        self.source = settings.name
        self.columns = dict(settings.columns)
        self.currencies = known_currencies()
        self.zone = ZoneInfo(settings.timezone)
        self.timestamp_format = timestamp_format
        self._zones: dict[str, ZoneInfo] = {}

    def check_columns(self, available: Sequence[str], what: str, where: str | None = None) -> None:
        """Every mapped column is among `available` (the query's result, the file's header)."""
        present = set(available)
        for field, column in self.columns.items():
            if column not in present:
                raise OrderDataError(
                    self.source, None, field, column, f"column {column!r} missing from {what}",
                    where=where,
                )  # fmt: skip

    def parse(self, row: Mapping[str, Any], where: str | None = None) -> tuple:
        """The values of RAW_COLUMNS for one row (its record: every column, as received)."""
        columns = self.columns
        order_id = _text(row.get(columns["order_id"]))
        if order_id is None:
            raise OrderDataError(
                self.source, None, "order_id", columns["order_id"], "empty order id", where=where
            )

        def fail(field: str, problem: str) -> OrderDataError:
            return OrderDataError(
                self.source, order_id, field, columns.get(field), problem, where=where
            )

        zone = self._zone(row, fail)
        ordered_at = self._moment(row.get(columns["ordered_at"]), zone, "ordered_at", fail)
        updated_at = self._moment(row.get(columns["updated_at"]), zone, "updated_at", fail)
        word = _text(row.get(columns["status"]))
        status = self.settings.status_map.get(word) if word is not None else None
        if status is None:
            known = ", ".join(repr(w) for w in sorted(self.settings.status_map))
            raise fail("status", f"unknown status {word!r} (the source's statuses: {known})")
        currency = self._currency(row, fail)
        revenue = _amount(row.get(columns["revenue"]), "revenue", fail, required=True)
        if revenue < 0 and status != "refunded":
            raise fail(
                "revenue",
                f"negative revenue {revenue} on an order that is not a refund (status {word!r} "
                f"maps to {status})",
            )
        refunded = None
        if "refunded" in columns:
            refunded = _amount(row.get(columns["refunded"]), "refunded", fail, required=False)
            if refunded is not None and refunded < 0:
                raise fail("refunded", f"negative refunded amount {refunded}")
            if refunded is not None and revenue >= 0 and refunded > revenue:
                raise fail("refunded", f"refunded {refunded} is more than the revenue {revenue}")
        utm = self._utm(row)
        return (
            self.source,
            order_id,
            updated_at,
            ordered_at,
            word,
            currency,
            revenue,
            refunded,
            _text(row.get(columns["customer_id"])) if "customer_id" in columns else None,
            self._flag(row, fail),
            *[utm[name] for name in UTM_FIELDS],
            orjson.dumps(dict(row), default=str).decode(),
        )

    # -- fields ----------------------------------------------------------------------------------

    def _zone(self, row: Mapping[str, Any], fail) -> ZoneInfo:
        if "order_timezone" not in self.columns:
            return self.zone
        name = _text(row.get(self.columns["order_timezone"]))
        if name is None:
            return self.zone
        if name not in self._zones:
            try:
                self._zones[name] = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise fail("order_timezone", f"unknown time zone {name!r}") from None
        return self._zones[name]

    def _moment(self, value: Any, zone: ZoneInfo, field: str, fail) -> dt.datetime:
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, str) and value.strip():
            text = value.strip()
            try:
                if self.timestamp_format:
                    moment = dt.datetime.strptime(text, self.timestamp_format)  # noqa: DTZ007
                else:
                    moment = dt.datetime.fromisoformat(text)
            except ValueError:
                form = repr(self.timestamp_format) if self.timestamp_format else "ISO 8601"
                raise fail(field, f"{value!r} is not a date-time ({form})") from None
        else:
            raise fail(field, f"{value!r} is not a date-time")
        # A naive time is the order's (or the source's) wall clock; in a DST fall-back hour it is
        # read as the first of the two (zoneinfo's fold=0).
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(dt.UTC)

    def _currency(self, row: Mapping[str, Any], fail) -> str:
        if "currency" not in self.columns:
            assert self.settings.currency is not None  # the settings guarantee one of the two
            return self.settings.currency
        code = _text(row.get(self.columns["currency"]))
        if code is None:
            if self.settings.currency is not None:
                return self.settings.currency
            raise fail("currency", "empty currency")
        if code.upper() not in self.currencies:
            raise fail(
                "currency",
                f"unknown currency {code!r} ({rates_source_name()} reference currencies only)",
            )
        return code.upper()

    def _flag(self, row: Mapping[str, Any], fail) -> bool | None:
        if "is_new_customer" not in self.columns:
            return None
        value = row.get(self.columns["is_new_customer"])
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text == "":
            return None
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise fail("is_new_customer", f"{value!r} is neither true nor false")

    def _utm(self, row: Mapping[str, Any]) -> dict[str, str | None]:
        columns = self.columns
        parsed = (
            utm_parameters(_text(row.get(columns["landing_url"])))
            if "landing_url" in columns
            else {}
        )
        values = {}
        for name in UTM_FIELDS:
            if name in columns:
                value = row.get(columns[name])
                values[name] = None if value is None or value == "" else str(value)
            else:
                values[name] = parsed.get(name)
        return values


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else str(value)
    return text or None


def _amount(value: Any, field: str, fail, *, required: bool) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise fail(field, "empty amount")
        return None
    if isinstance(value, bool):
        raise fail(field, f"{value!r} is not a number")
    try:
        if isinstance(value, Decimal):
            amount = value
        elif isinstance(value, float):
            amount = Decimal(repr(value))
        else:
            amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise fail(field, f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise fail(field, f"{value!r} is not a finite number")
    if abs(amount) >= _LIMIT or amount != amount.quantize(_SCALE):
        raise fail(field, f"{value!r} does not fit 14 digits with 6 decimal places")
    return amount
