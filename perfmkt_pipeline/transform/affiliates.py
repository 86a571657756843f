"""Affiliate records -> raw rows, and raw rows -> the latest known state of every action.

`latest_actions` is what `core.affiliate_actions` is built from: pure (a frame in, a frame out).
How records combine:

1. A record may have been read several times (several pulls, overlapping windows). Only its
   latest version counts: the one with the greatest (updated_at, loaded_at, window_date).
2. Records are grouped per (platform, action_id). Most sources send one record per action, so its
   latest version is the action's state.
3. A source may send corrections and reversals as new records (`is_correction`, tied to the
   original action's id) whose amounts are deltas to the original (a reversal: the original's
   amounts negated). The action's amounts are the original's plus every correction's: a
   correction replaces the amounts, it never adds a row. When the corrections bring both amounts
   to zero the action is `reversed`, and keeps the amounts that were reversed (those of the
   action before its last correction), as a reversed action of a one-record source keeps its
   amounts. Otherwise its status is the most advanced one among its records (such a source
   updates the status on the original).
   An action whose original is not in the input (a correction posted inside the loaded history
   to a sale posted before it) cannot be settled: it is left out, not guessed, and comes in
   once its original is loaded. Give the function every record of the actions it should settle.
4. Status words map to pending | approved | reversed by each platform's own vocabulary
   (`status_maps`: each affiliate source's spec declares its own, a file feed its configured
   one). An unknown word is an error naming platform, action and word.

Platform-agnostic: no source is named here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

PENDING, APPROVED, REVERSED = "pending", "approved", "reversed"
# Order in which a status can advance without a correction (the most advanced one wins).
_RANK = {PENDING: 0, APPROVED: 1, REVERSED: 2}
_ZERO = Decimal(0)

RAW_COLUMNS = [
    "platform",
    "account_id",
    "window_date",
    "record_id",
    "action_id",
    "event_date",
    "updated_at",
    "status",
    "action_type",
    "partner_id",
    "partner_name",
    "currency",
    "sale_amount",
    "commission",
    "record",
    "is_correction",
]
LATEST_COLUMNS = [
    "platform",
    "account_id",
    "action_id",
    "event_date",
    "status",
    "campaign_id",
    "partner_name",
    "action_type",
    "currency",
    "sale_amount_local",
    "commission_local",
    "source_updated_at",
]
# Sorts before any real update or load time (NULLs first).
_OLDEST = pd.Timestamp("1900-01-01", tz="UTC")


def raw_frame(records: Iterable[Any]) -> pd.DataFrame:
    """Rows for raw.affiliate_actions from ActionRecords (updated_at in UTC)."""
    rows = [
        {
            **{name: getattr(r, name) for name in RAW_COLUMNS},
            "updated_at": r.updated_at.astimezone(dt.UTC) if r.updated_at else None,
        }
        for r in records
    ]
    frame = pd.DataFrame(rows, columns=RAW_COLUMNS)
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    return frame


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT


def _amount(value: Any) -> Decimal | None:
    return None if _missing(value) else Decimal(value)


def _version_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Oldest version first: by updated_at, then the load that wrote it, then its window."""

    def moments(column: str) -> pd.Series:
        if column not in frame:
            return pd.Series(_OLDEST, index=frame.index)
        values = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
        return values.fillna(_OLDEST)

    keys = pd.DataFrame(
        {
            "updated": moments("updated_at"),
            "loaded": moments("loaded_at"),
            "window": frame["window_date"],
        }
    )
    order = keys.sort_values(["updated", "loaded", "window"], kind="stable").index
    return frame.loc[order]


def sync_window(start: dt.date, end: dt.date, lookback_days: int) -> tuple[dt.date, dt.date]:
    """The days a sync of [start, end] reads: the range itself, and at least the trailing
    `lookback_days` up to its end, so statuses changed since an earlier read are re-read."""
    return min(start, end - dt.timedelta(days=lookback_days - 1)), end


def latest_actions(
    raw: pd.DataFrame, status_maps: Mapping[str, Mapping[str, str]] | None = None
) -> pd.DataFrame:
    """One row per (platform, action_id) in its latest known state (see the module docstring).

    `raw` has the columns of raw.affiliate_actions (`loaded_at` optional); `status_maps` are the
    platforms' vocabularies (platform -> {word: pending|approved|reversed}).

    Vectorised: records are sorted oldest version first and reduced per action with group-bys
    (only the amounts, exact `Decimal`s, are added as Python objects).
    """
    vocabularies = dict(status_maps or {})
    if raw.empty:
        return pd.DataFrame(columns=LATEST_COLUMNS)
    latest = _version_order(raw).drop_duplicates(["platform", "record_id"], keep="last")
    latest = latest.reset_index(drop=True)
    action_id = latest["action_id"].map(str)
    # Actions numbered in order of first appearance: the order they are settled (and checked) in.
    group = latest.groupby([latest["platform"], action_id], sort=False, dropna=False).ngroup()
    flags = (
        latest["is_correction"] if "is_correction" in latest else pd.Series([None] * len(latest))
    )
    correction = flags.map(bool).to_numpy(bool)
    rows = pd.Series(np.arange(len(latest)))
    base = rows[~correction].groupby(group[~correction].to_numpy()).last()  # latest original
    kept = group.isin(base.index).to_numpy()  # actions whose original is in the input
    rank = _ranks(latest, group, kept, vocabularies)
    status = rank[kept].groupby(group[kept].to_numpy()).max().map(_STATUS_OF_RANK)
    # The amounts: the base original's plus every correction's (NULL only when all are NULL).
    adds = correction.copy()
    adds[base.to_numpy()] = True
    adds &= kept
    amounts = {}
    for column in ("sale_amount", "commission"):
        values = latest[column][adds].map(_amount)
        amounts[column] = values.groupby(group[adds].to_numpy()).sum(min_count=1)
    # An action whose corrections bring both amounts to zero is reversed, keeping the amounts
    # its last correction reversed.
    with_corrections = correction & kept
    last = rows[with_corrections].groupby(group[with_corrections].to_numpy()).last()
    zero = {  # NULL counts as zero
        name: summed.reindex(last.index).map(lambda v: _missing(v) or v == 0)
        for name, summed in amounts.items()
    }
    reversal = last[zero["sale_amount"] & zero["commission"]]
    status[reversal.index] = REVERSED
    for name in amounts:
        reversed_amounts = latest[name].iloc[reversal.to_numpy()].map(_amount).tolist()
        amounts[name] = amounts[name].astype(object)
        amounts[name][reversal.index] = [_negate(v) for v in reversed_amounts]
    updated = pd.to_datetime(latest["updated_at"], utc=True)
    newest = updated[kept].groupby(group[kept].to_numpy()).max()
    picked = latest.iloc[base.to_numpy()]
    out = pd.DataFrame(
        {
            "platform": picked["platform"].to_numpy(),
            "account_id": picked["account_id"].to_numpy(),
            "action_id": action_id.iloc[base.to_numpy()].to_numpy(),
            "event_date": picked["event_date"].to_numpy(),
            "status": status.reindex(base.index).to_numpy(),
            "campaign_id": picked["partner_id"].to_numpy(),
            "partner_name": picked["partner_name"].to_numpy(),
            "action_type": picked["action_type"].to_numpy(),
            "currency": picked["currency"].to_numpy(),
            "sale_amount_local": _objects(amounts["sale_amount"].reindex(base.index)),
            "commission_local": _objects(amounts["commission"].reindex(base.index)),
            "source_updated_at": [
                None if _missing(v) else v for v in newest.reindex(base.index).tolist()
            ],
        },
        columns=LATEST_COLUMNS,
    )
    return out.sort_values(["platform", "account_id", "action_id"], kind="stable").reset_index(
        drop=True
    )


_STATUS_OF_RANK = {rank: status for status, rank in _RANK.items()}


def _objects(values: pd.Series) -> list[Decimal | None]:
    return [None if _missing(v) else v for v in values.tolist()]


def _ranks(
    latest: pd.DataFrame,
    group: pd.Series,
    kept: np.ndarray,
    vocabularies: Mapping[str, Mapping[str, str]],
) -> pd.Series:
    """Each record's status rank; an unknown platform or word (in an action that is settled)
    is an error naming the first such record, action by action."""
    words = pd.Series(
        [
            vocabularies.get(platform, {}).get(word)
            for platform, word in zip(latest["platform"], latest["status"], strict=True)
        ],
        index=latest.index,
        dtype=object,
    )
    unknown = words.isna().to_numpy() & kept
    if unknown.any():
        order = np.lexsort((np.arange(len(latest)), group.to_numpy()))
        first = next(i for i in order if unknown[i])
        _status(latest.iloc[first].to_dict(), vocabularies)  # raises, naming it
    return words.map(_RANK.get)


def _status(row: dict, vocabularies: Mapping[str, Mapping[str, str]]) -> str:
    vocabulary = vocabularies.get(row["platform"])
    if vocabulary is None:
        raise ValueError(f"{row['platform']}: no status vocabulary for this platform")
    word = row["status"]
    if word not in vocabulary:
        raise ValueError(
            f"{row['platform']} action {row['action_id']}: unknown status {word!r} "
            f"(known: {', '.join(sorted(vocabulary))})"
        )
    return vocabulary[word]


def _negate(value: Decimal | None) -> Decimal | None:
    return None if value is None else -value
