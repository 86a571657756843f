"""Where a client delivers rows as they arrive, page by page or batch by batch.

A client that streams a chunk into a `RowSink` never holds more than one page itself, so its
caller decides where a chunk waits until it is complete (a list, or a file on disk). When a client
starts a request over (a retried stream, a report run split in halves), it drops what the
abandoned attempt delivered: `rollback(mark)` to the `mark()` taken before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class RowSink(Protocol):
    def add(self, rows: list[Any]) -> None: ...

    def mark(self) -> Any: ...

    def rollback(self, mark: Any) -> None: ...


@dataclass
class RowList:
    """A `RowSink` in memory."""

    rows: list[Any] = field(default_factory=list)

    def add(self, rows: list[Any]) -> None:
        self.rows.extend(rows)

    def mark(self) -> int:
        return len(self.rows)

    def rollback(self, mark: int) -> None:
        del self.rows[mark:]
