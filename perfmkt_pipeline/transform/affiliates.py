"""Affiliate records -> raw rows, and raw rows -> the latest known state of every action.

`latest_actions` is what `core.affiliate_actions` is built from: pure (a frame in, a frame out).
How records combine:

1. A record may have been read several times (several pulls, overlapping windows). Only its
   latest version counts: the one with the greatest (updated_at, loaded_at, window_date).
2. Records are grouped per (platform, action_id). impact.com, Awin and file feeds send one record
   per action, so its latest version is the action's state.
3. CJ sends corrections and reversals as new records (`is_correction`, tied by
   `originalActionId`) whose amounts are deltas to the original (the sandbox, like CJ, sends a
   reversal as the original's amounts negated). The action's amounts are the original's plus
   every correction's: a correction replaces the amounts, it never adds a row. When the
   corrections bring both amounts to zero the action is `reversed`, and keeps the amounts that
   were reversed (those of the action before its last correction), as a reversed impact.com or
   Awin action keeps its amounts. Otherwise its status is the most advanced one among its
   records (CJ updates actionStatus new -> extended -> locked -> closed on the original).
   An action whose original is not in the input (a correction posted inside the loaded history
   to a sale posted before it) cannot be settled: it is left out, not guessed, and comes in
   once its original is loaded. Give the function every record of the actions it should settle.
4. Status words map to pending | approved | reversed per network (Awin declined/deleted and
   impact.com REVERSED are `reversed`; CJ locked/closed are `approved`); file feeds bring their
   own vocabulary (`status_maps`). An unknown word is an error naming platform, action and word.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

PENDING, APPROVED, REVERSED = "pending", "approved", "reversed"
STATUS_VOCABULARIES: dict[str, dict[str, str]] = {
    "impact": {"PENDING": PENDING, "APPROVED": APPROVED, "REVERSED": REVERSED},
    "cj": {"new": PENDING, "extended": PENDING, "locked": APPROVED, "closed": APPROVED},
    "awin": {"pending": PENDING, "approved": APPROVED, "declined": REVERSED, "deleted": REVERSED},
}
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


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None and b is None else (a or _ZERO) + (b or _ZERO)


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


def latest_actions(
    raw: pd.DataFrame, status_maps: Mapping[str, Mapping[str, str]] | None = None
) -> pd.DataFrame:
    """One row per (platform, action_id) in its latest known state (see the module docstring).

    `raw` has the columns of raw.affiliate_actions (`loaded_at` optional); `status_maps` adds
    the vocabularies of file feeds (platform -> {word: pending|approved|reversed}).
    """
    vocabularies = {**STATUS_VOCABULARIES, **(status_maps or {})}
    if raw.empty:
        return pd.DataFrame(columns=LATEST_COLUMNS)
    latest = _version_order(raw).drop_duplicates(["platform", "record_id"], keep="last")
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in latest.to_dict("records"):
        groups.setdefault((row["platform"], str(row["action_id"])), []).append(row)
    rows = [
        _settle(records, vocabularies)
        for records in groups.values()
        if any(not record.get("is_correction") for record in records)
    ]
    out = pd.DataFrame(rows, columns=LATEST_COLUMNS)
    return out.sort_values(["platform", "account_id", "action_id"], kind="stable").reset_index(
        drop=True
    )


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


def _settle(records: list[dict], vocabularies: Mapping[str, Mapping[str, str]]) -> dict:
    """The state of one action from the latest version of each of its records."""
    originals = [r for r in records if not r.get("is_correction")]
    corrections = [r for r in records if r.get("is_correction")]
    base = originals[-1]
    status = max((_status(r, vocabularies) for r in records), key=_RANK.__getitem__)
    sale, commission = _amount(base["sale_amount"]), _amount(base["commission"])
    for correction in corrections:
        sale = _add(sale, _amount(correction["sale_amount"]))
        commission = _add(commission, _amount(correction["commission"]))
    if corrections and (commission or _ZERO) == 0 and (sale or _ZERO) == 0:
        last = corrections[-1]
        status = REVERSED
        sale = _negate(_amount(last["sale_amount"]))
        commission = _negate(_amount(last["commission"]))
    updated = [r["updated_at"] for r in records if not _missing(r["updated_at"])]
    return {
        "platform": base["platform"],
        "account_id": base["account_id"],
        "action_id": str(base["action_id"]),
        "event_date": base["event_date"],
        "status": status,
        "campaign_id": base["partner_id"],
        "partner_name": base["partner_name"],
        "action_type": base["action_type"],
        "currency": base["currency"],
        "sale_amount_local": sale,
        "commission_local": commission,
        "source_updated_at": max(updated) if updated else None,
    }


def _negate(value: Decimal | None) -> Decimal | None:
    return None if value is None else -value
