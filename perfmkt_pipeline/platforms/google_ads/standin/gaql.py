"""A small GAQL (Google Ads Query Language) parser and evaluator for the Google Ads stand-in.

Covers the grammar connectors use for reporting: `SELECT fields FROM resource [WHERE cond AND
cond ...] [ORDER BY field [ASC|DESC], ...] [LIMIT n]`, with the operators `= != < <= > >= IN
NOT IN BETWEEN DURING`. Syntax errors raise `GaqlError` carrying the `QueryError` enum name the
real API would report, so the server can turn them into a `GoogleAdsFailure`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Relative ranges for `segments.date DURING X`, as days back from "today" (the World's as-of
# date): (first, last) offsets, both inclusive. The API's LAST_N_DAYS exclude today.
DURING_RANGES: dict[str, tuple[int, int]] = {
    "TODAY": (0, 0),
    "YESTERDAY": (1, 1),
    "LAST_7_DAYS": (7, 1),
    "LAST_14_DAYS": (14, 1),
    "LAST_30_DAYS": (30, 1),
}

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "ORDER", "BY", "ASC", "DESC", "LIMIT",
    "IN", "NOT", "BETWEEN", "DURING", "PARAMETERS", "OR", "LIKE",
}  # fmt: skip


class GaqlError(Exception):
    """An invalid query: `code` is a `QueryErrorEnum.QueryError` name, `trigger` the bad input."""

    def __init__(self, code: str, message: str, trigger: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.trigger = trigger


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str  # "=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN", "BETWEEN", "DURING"
    values: tuple[Any, ...]  # literals: str (quoted or bare enum constant), int, float, bool


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]  # in SELECT order (the response field mask keeps this order)
    resource: str
    conditions: tuple[Condition, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    limit: int | None = None


@dataclass(frozen=True)
class _Token:
    kind: str  # "string" | "number" | "op" | "punct" | "word" | "keyword" | "end"
    text: str
    value: Any = None


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            bad = text[pos:].strip()
            if bad.startswith(("'", '"')):
                raise GaqlError("STRING_NOT_TERMINATED", f"String not terminated: {bad}", bad)
            raise GaqlError("UNEXPECTED_INPUT", f"Unexpected input {bad[:20]!r}.", bad[:20])
        pos = match.end()
        kind = match.lastgroup or ""
        raw = match.group(kind)
        if kind == "string":
            tokens.append(_Token("string", raw, re.sub(r"\\(.)", r"\1", raw[1:-1])))
        elif kind == "number":
            tokens.append(_Token("number", raw, float(raw) if "." in raw else int(raw)))
        elif kind == "word" and raw.upper() in _KEYWORDS:
            tokens.append(_Token("keyword", raw.upper()))
        else:
            tokens.append(_Token(kind, raw))
    tokens.append(_Token("end", ""))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def accept(self, keyword: str) -> bool:
        token = self.peek()
        if token.kind == "keyword" and token.text == keyword:
            self.pos += 1
            return True
        return False

    def expect(self, keyword: str, code: str) -> None:
        if not self.accept(keyword):
            found = self.peek().text or "end of query"
            raise GaqlError(code, f"Expected {keyword}, found {found!r}.", self.peek().text)

    def field(self) -> str:
        token = self.take()
        if token.kind != "word":
            if token.kind == "end":
                raise GaqlError("UNEXPECTED_END_OF_QUERY", "Unexpected end of query.")
            raise GaqlError(
                "BAD_FIELD_NAME", f"Expected a field name, found {token.text!r}.", token.text
            )
        return token.text

    def literal(self) -> Any:
        token = self.take()
        if token.kind in ("string", "number"):
            return token.value
        if token.kind == "word" and token.text.upper() in ("TRUE", "FALSE"):
            return token.text.upper() == "TRUE"
        if token.kind == "word" and "." not in token.text:
            return token.text  # a bare enum constant such as ENABLED
        if token.kind == "end":
            raise GaqlError("UNEXPECTED_END_OF_QUERY", "Unexpected end of query.")
        raise GaqlError("BAD_VALUE", f"Expected a value, found {token.text!r}.", token.text)

    def literal_list(self) -> tuple[Any, ...]:
        if self.take().text != "(":
            raise GaqlError("EXPECTED_LIST", "Expected a parenthesised list of values.")
        values = [self.literal()]
        while self.peek().text == ",":
            self.take()
            values.append(self.literal())
        if self.take().text != ")":
            raise GaqlError("EXPECTED_LIST", "Expected ')' closing the list of values.")
        return tuple(values)

    def condition(self) -> Condition:
        field = self.field()
        token = self.take()
        if token.kind == "op":
            return Condition(field, token.text, (self.literal(),))
        if token.kind == "keyword" and token.text == "IN":
            return Condition(field, "IN", self.literal_list())
        if token.kind == "keyword" and token.text == "NOT":
            self.expect("IN", "BAD_OPERATOR")
            return Condition(field, "NOT IN", self.literal_list())
        if token.kind == "keyword" and token.text == "BETWEEN":
            low = self.literal()
            self.expect("AND", "EXPECTED_AND")
            return Condition(field, "BETWEEN", (low, self.literal()))
        if token.kind == "keyword" and token.text == "DURING":
            name = self.take().text.upper()
            if name not in DURING_RANGES:
                raise GaqlError(
                    "INVALID_VALUE_WITH_DURING_OPERATOR",
                    f"Unsupported DURING value {name!r}.",
                    name,
                )
            return Condition(field, "DURING", (name,))
        raise GaqlError("BAD_OPERATOR", f"Unsupported operator {token.text!r}.", token.text)

    def query(self) -> Query:
        self.expect("SELECT", "EXPECTED_SELECT")
        fields = [self.field()]
        while self.peek().text == ",":
            self.take()
            fields.append(self.field())
        self.expect("FROM", "EXPECTED_FROM")
        resource = self.field()
        conditions: list[Condition] = []
        if self.accept("WHERE"):
            conditions.append(self.condition())
            while self.accept("AND"):
                conditions.append(self.condition())
            if self.peek().kind == "keyword" and self.peek().text == "OR":
                raise GaqlError("UNEXPECTED_INPUT", "GAQL has no OR; use IN.", "OR")
        order_by: list[tuple[str, bool]] = []
        if self.accept("ORDER"):
            self.expect("BY", "EXPECTED_BY")
            while True:
                field = self.field()
                descending = self.accept("DESC")
                if not descending:
                    self.accept("ASC")
                order_by.append((field, descending))
                if self.peek().text != ",":
                    break
                self.take()
        limit = None
        if self.accept("LIMIT"):
            token = self.take()
            if token.kind != "number" or not isinstance(token.value, int) or token.value < 1:
                raise GaqlError("BAD_LIMIT_VALUE", f"Bad LIMIT value {token.text!r}.", token.text)
            limit = token.value
        if self.accept("PARAMETERS"):
            raise GaqlError("BAD_PARAMETER_NAME", "The sandbox supports no PARAMETERS.")
        if self.peek().kind != "end":
            text = self.peek().text
            raise GaqlError("UNEXPECTED_INPUT", f"Unexpected input {text!r}.", text)
        return Query(tuple(fields), resource, tuple(conditions), tuple(order_by), limit)


def parse(text: str) -> Query:
    """Parse a GAQL query; raise `GaqlError` for anything outside the supported grammar."""
    return _Parser(text).query()


def parse_date(value: Any) -> dt.date:
    """A GAQL date literal ('YYYY-MM-DD') as a date, or `GaqlError` INVALID_DATE_FORMAT."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise GaqlError("INVALID_DATE_FORMAT", f"Invalid date {value!r}; use 'YYYY-MM-DD'.", str(value))


def date_range(conditions: Sequence[Condition], today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The closed date range the `segments.date` conditions allow, or None if not bounded.

    Raises `GaqlError` DATE_RANGE_TOO_NARROW when the conditions exclude every day.
    """
    start: dt.date | None = None
    end: dt.date | None = None

    def narrow(low: dt.date | None, high: dt.date | None) -> None:
        nonlocal start, end
        if low is not None and (start is None or low > start):
            start = low
        if high is not None and (end is None or high < end):
            end = high

    one_day = dt.timedelta(days=1)
    for cond in conditions:
        if cond.field != "segments.date":
            continue
        values = cond.values
        if cond.operator == "BETWEEN":
            narrow(parse_date(values[0]), parse_date(values[1]))
        elif cond.operator == "DURING":
            first, last = DURING_RANGES[values[0]]
            narrow(today - dt.timedelta(days=first), today - dt.timedelta(days=last))
        elif cond.operator == "=":
            day = parse_date(values[0])
            narrow(day, day)
        elif cond.operator == "IN":
            days = [parse_date(v) for v in values]
            narrow(min(days), max(days))
        elif cond.operator in (">=", ">"):
            day = parse_date(values[0])
            narrow(day + one_day if cond.operator == ">" else day, None)
        elif cond.operator in ("<=", "<"):
            day = parse_date(values[0])
            narrow(None, day - one_day if cond.operator == "<" else day)
    if start is None or end is None:
        return None
    if start > end:
        raise GaqlError("DATE_RANGE_TOO_NARROW", f"Empty date range {start} to {end}.")
    return start, end


def _comparable(value: Any, literal: Any) -> Any:
    """Coerce a literal to the record value's type (enum names and dates compare as strings)."""
    if isinstance(value, bool):
        return literal if isinstance(literal, bool) else str(literal).upper() == "TRUE"
    if isinstance(value, int | float) and isinstance(literal, str):
        try:
            return type(value)(literal)
        except ValueError:
            raise GaqlError("BAD_NUMBER", f"Expected a number, found {literal!r}.") from None
    if isinstance(value, str):
        return str(literal)
    return literal


def matches(record: Mapping[str, Any], conditions: Sequence[Condition], today: dt.date) -> bool:
    """Whether a record (field path -> value) satisfies every condition (they are ANDed)."""
    for cond in conditions:
        value = record[cond.field]
        op = cond.operator
        if op == "DURING":
            first, last = DURING_RANGES[cond.values[0]]
            low = (today - dt.timedelta(days=first)).isoformat()
            high = (today - dt.timedelta(days=last)).isoformat()
            ok = low <= value <= high
        elif op in ("IN", "NOT IN"):
            ok = (value in {_comparable(value, v) for v in cond.values}) == (op == "IN")
        elif op == "BETWEEN":
            ok = _comparable(value, cond.values[0]) <= value <= _comparable(value, cond.values[1])
        else:
            other = _comparable(value, cond.values[0])
            ok = {
                "=": value == other,
                "!=": value != other,
                "<": value < other,
                "<=": value <= other,
                ">": value > other,
                ">=": value >= other,
            }[op]
        if not ok:
            return False
    return True
