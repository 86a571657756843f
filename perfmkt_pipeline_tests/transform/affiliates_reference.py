"""The row-by-row reduction `transform.affiliates.latest_actions` replaced, kept as its
specification: the vectorised one must give exactly what this gives (test_affiliates.py)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from perfmkt_pipeline.platforms.base.affiliates.actions import STATUS_VOCABULARIES
from perfmkt_pipeline.transform.affiliates import (
    _RANK,
    _ZERO,
    LATEST_COLUMNS,
    REVERSED,
    _amount,
    _missing,
    _negate,
    _status,
    _version_order,
)


def reference_latest_actions(
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


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None and b is None else (a or _ZERO) + (b or _ZERO)
