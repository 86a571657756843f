"""Errors of the orders source, classified once: retryable (the database cannot be reached),
fatal (a query it refuses, a bad URL, missing files) or data (an order that cannot be loaded). Every message names the source, and
for an order its id and the field; never the database URL (it may hold a password)."""

from __future__ import annotations


class OrderSourceError(Exception):
    """The orders source cannot be read (connection, query, files); retrying may not help."""

    def __init__(self, source: str, problem: str):
        super().__init__(f"orders source {source!r}: {problem}")
        self.source = source


class OrderFatalError(OrderSourceError):
    """Retrying cannot help: a query the database refuses, a bad URL, missing files."""


class OrderDataError(OrderFatalError, ValueError):
    """An order that cannot be loaded; names source, order, field and column (and, in a file,
    the file and line). Nothing of the run is written."""

    def __init__(
        self,
        source: str,
        order_id: str | None,
        field: str,
        column: str | None,
        problem: str,
        *,
        where: str | None = None,
    ):
        order = f"order {order_id!r}" if order_id else "an order without an id"
        if order_id is None and field != "order_id":
            order = "before the first order"
        located = f"{where}: " if where else ""
        column_text = f" (column {column!r})" if column and column != field else ""
        super().__init__(source, f"{located}{order}: field {field}{column_text}: {problem}")
        self.order_id, self.field, self.column, self.where = order_id, field, column, where
