"""The row-loss guard of the write path: a load may not leave a slice with fewer rows than it held,
beyond what its source can legitimately drop on a re-read, unless configuration allows it.

`replace_slice` knows, inside its transaction, how many rows the slice held (deleted) and how many
the answer brought (inserted). A `LossGuard` compares the two before anything is committed: too
large a loss raises `RowLossError` (the caller's transaction rolls back, the warehouse stays as it
was), or, when the source's configuration allows it, is loaded and reported as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_log = logging.getLogger(__name__)


class RowLossError(ValueError):
    """A load would delete rows its source did not say are gone; nothing was written."""


@dataclass(frozen=True)
class LossGuard:
    """What one source may drop from a slice it re-reads.

    `max_loss_pct`: rows the answer may hold fewer than the slice held, as a percentage of what it
    held (below 100, so an empty answer for a slice that held rows is always a loss). `allow`:
    load a bigger loss anyway, reported through `warn`.
    """

    source: str
    max_loss_pct: float = 0.0
    allow: bool = False
    setting: str = ""  # the configuration key that allows a bigger loss, for the message
    why: str = ""  # what the source may legitimately drop, for the message
    read_from: Sequence[str] = ()  # files a feed read, named in the message
    warn: Callable[[str], None] | None = None

    def lost(self, held: int, kept: int) -> int:
        return max(held - kept, 0)

    def exceeded(self, held: int, kept: int) -> bool:
        lost = self.lost(held, kept)
        if held == 0 or lost == 0:
            return False
        return kept == 0 or lost * 100 > self.max_loss_pct * held

    def check(
        self,
        table: str,
        filters: Mapping[str, Any],
        window: tuple[Any, Any] | None,
        held: int,
        kept: int,
    ) -> None:
        """Raise RowLossError (or warn, when allowed) if the answer lost too many rows."""
        if not self.exceeded(held, kept):
            return
        message = self.describe(table, filters, window, held, kept)
        if not self.allow:
            raise RowLossError(
                f"{message}; nothing was written. If the source really dropped those rows, set "
                f"{self.setting or 'allow_row_loss'}: true for the load that should accept it"
            )
        (self.warn or _log.warning)(f"{message}; loaded anyway ({self.setting}: true)")

    def describe(
        self,
        table: str,
        filters: Mapping[str, Any],
        window: tuple[Any, Any] | None,
        held: int,
        kept: int,
    ) -> str:
        where = [self.source]
        if "account_id" in filters:
            where.append(f"account {_listed(filters['account_id'])}")
        if window is not None:
            where.append(f"{window[0]}..{window[1]}")
        if self.read_from:
            where.append(f"read from {', '.join(self.read_from)}")
        answer = "0 (an empty answer)" if kept == 0 else str(kept)
        limit = f"at most {self.max_loss_pct:g}% may vanish on a re-read"
        if self.why:
            limit += f" ({self.why})"
        return (
            f"{', '.join(where)}: {table}: the warehouse held {held} rows, the answer has "
            f"{answer}: {held - kept} fewer; {limit}"
        )


def _listed(value: Any) -> str:
    if isinstance(value, str) or not isinstance(value, Sequence):
        return str(value)
    return ", ".join(str(v) for v in value)


__all__ = ["LossGuard", "RowLossError"]
