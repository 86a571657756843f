"""The latest state of affiliate actions (transform/affiliates.py) with the status vocabulary of
every registered affiliate source: each source's spec declares its own (`Actions.statuses`), so
no source is named here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pandas as pd

from perfmkt_pipeline.transform import affiliates
from perfmkt_pipeline.transform.affiliates import LATEST_COLUMNS, raw_frame

__all__ = ["LATEST_COLUMNS", "STATUS_VOCABULARIES", "latest_actions", "raw_frame"]


class _Vocabularies(Mapping[str, Mapping[str, str]]):
    """platform -> its status words -> pending | approved | reversed, for every registered
    affiliate source (asked of the registry when read: the registry lists this module's users)."""

    def _found(self) -> dict[str, Mapping[str, str]]:
        from perfmkt_pipeline import platforms  # the registry imports the specs that import this

        return {s.name: s.actions.statuses for s in platforms.all_specs() if s.actions}

    def __getitem__(self, platform: str) -> Mapping[str, str]:
        return self._found()[platform]

    def __iter__(self) -> Iterator[str]:
        return iter(self._found())

    def __len__(self) -> int:
        return len(self._found())


STATUS_VOCABULARIES: Mapping[str, Mapping[str, str]] = _Vocabularies()


def latest_actions(
    raw: pd.DataFrame, status_maps: Mapping[str, Mapping[str, str]] | None = None
) -> pd.DataFrame:
    """`transform.affiliates.latest_actions` with every registered source's vocabulary;
    `status_maps` adds others (a file feed's: platform -> {word: pending|approved|reversed})."""
    return affiliates.latest_actions(raw, {**STATUS_VOCABULARIES, **(status_maps or {})})
