"""A tiny GraphQL reader for the CJ stand-in: enough of the language for commission queries.

Understands one operation (`{ ... }`, `query { ... }` or `query Name($v: T, ...) { ... }`),
fields with arguments (strings, numbers, booleans, null, enums, lists, `$variables`) and nested
selection sets. No fragments, aliases or directives: those raise `GraphQLError`, which the
stand-in returns as `{"errors": [...]}` like a GraphQL server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field


class GraphQLError(Exception):
    pass


@dataclass
class Field:
    name: str
    args: dict[str, object] = field(default_factory=dict)
    selections: list[Field] = field(default_factory=list)

    def child(self, name: str) -> Field | None:
        return next((f for f in self.selections if f.name == name), None)


_TOKEN = re.compile(
    r'\s+|,|#[^\n]*|(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?)'
    r"|(?P<name>[_A-Za-z][_0-9A-Za-z]*)|(?P<punct>\.\.\.|[{}()\[\]:!$=@])"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise GraphQLError(f"Syntax Error: Unexpected character {text[pos]!r} at {pos}.")
        pos = m.end()
        if m.lastgroup:
            out.append((m.lastgroup, m.group(m.lastgroup)))
    return out


class _Parser:
    def __init__(self, text: str, variables: dict):
        self.toks = _tokens(text)
        self.i = 0
        self.variables = variables

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise GraphQLError("Syntax Error: Unexpected <EOF>.")
        if value is not None and tok[1] != value:
            raise GraphQLError(f"Syntax Error: Expected {value!r}, found {tok[1]!r}.")
        self.i += 1
        return tok

    def document(self) -> list[Field]:
        tok = self.peek()
        if tok and tok == ("name", "query"):
            self.take()
            if self.peek() and self.peek()[0] == "name":
                self.take()
            if self.peek() == ("punct", "("):
                self._skip_block("(", ")")
        elif tok and tok[0] == "name":
            raise GraphQLError(f"Syntax Error: Unexpected Name {tok[1]!r}.")
        selections = self.selection_set()
        if self.peek() is not None:
            raise GraphQLError(f"Syntax Error: Unexpected {self.peek()[1]!r} after the operation.")
        return selections

    def _skip_block(self, open_: str, close: str) -> None:
        depth = 0
        while True:
            kind, value = self.take()
            if value == open_:
                depth += 1
            elif value == close:
                depth -= 1
                if depth == 0:
                    return

    def selection_set(self) -> list[Field]:
        self.take("{")
        fields = []
        while self.peek() != ("punct", "}"):
            kind, name = self.take()
            if kind != "name":
                raise GraphQLError(f"Syntax Error: Expected Name, found {name!r}.")
            if self.peek() == ("punct", ":"):
                raise GraphQLError("The sandbox does not support aliases.")
            f = Field(name)
            if self.peek() == ("punct", "("):
                f.args = self.arguments()
            if self.peek() == ("punct", "{"):
                f.selections = self.selection_set()
            fields.append(f)
        self.take("}")
        if not fields:
            raise GraphQLError("Syntax Error: Expected Name, found '}'.")
        return fields

    def arguments(self) -> dict[str, object]:
        self.take("(")
        args = {}
        while self.peek() != ("punct", ")"):
            kind, name = self.take()
            if kind != "name":
                raise GraphQLError(f"Syntax Error: Expected Name, found {name!r}.")
            self.take(":")
            args[name] = self.value()
        self.take(")")
        return args

    def value(self):
        kind, v = self.take()
        if kind == "string":
            return json.loads(v)
        if kind == "number":
            return float(v) if "." in v else int(v)
        if v == "$":
            _, name = self.take()
            if name not in self.variables:
                raise GraphQLError(f'Variable "${name}" was not provided.')
            return self.variables[name]
        if v == "[":
            items = []
            while self.peek() != ("punct", "]"):
                items.append(self.value())
            self.take("]")
            return items
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(v, v)
        raise GraphQLError(f"Syntax Error: Unexpected {v!r}.")


def parse(query: str, variables: dict | None = None) -> list[Field]:
    """The root fields of the query's single operation."""
    return _Parser(query, variables or {}).document()
