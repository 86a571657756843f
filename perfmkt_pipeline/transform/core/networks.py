"""Affiliate networks and file feeds -> core local frames.

Input is the latest state of every action (transform/affiliates.py `latest_actions`, converted to
Arrow by `latest_state_table`). The partner (publisher) is the campaign. Per event day and
partner: spend = commission of the non-reversed actions, conversions = how many of them are of a
counted type, conversion_value = the sale amount of those; networks report no impressions or
clicks, so both are NULL. Counted types are NetworkSettings.conversion_action_types per network
(empty: every type counts; file feeds count every type).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.transform.core.common import (
    ACCOUNTS,
    ACTIONS_LOCAL,
    CAMPAIGNS,
    CONVERSIONS,
    CONVERSIONS_LOCAL,
    MONEY,
    PERFORMANCE_LOCAL,
    CoreDataError,
    conform,
    latest_per_key,
)
from perfmkt_pipeline.transform.decimals import to_decimal

REVERSED = "reversed"
# conversion_name of actions whose network gives no type (a file feed without the column).
UNTYPED_ACTION = "action"
# Campaign id of actions without a partner: the grain needs one, and NULL cannot be a key.
NO_PARTNER = "(none)"

LATEST_STATE = pa.schema(
    [("platform", pa.string()), ("account_id", pa.string()), ("action_id", pa.string()),
     ("event_date", pa.date32()), ("status", pa.string()), ("campaign_id", pa.string()),
     ("partner_name", pa.string()), ("action_type", pa.string()), ("currency", pa.string()),
     ("sale_amount_local", MONEY), ("commission_local", MONEY),
     ("source_updated_at", pa.timestamp("us", tz="UTC"))]
)  # fmt: skip
_DAY_KEYS = ["platform", "account_id", "event_date", "campaign_id"]


def latest_state_table(
    latest: pd.DataFrame, currencies: Mapping[str, str | None] | None = None
) -> pa.Table:
    """The reducer's frame as Arrow with exact types; a missing currency is filled from the
    network's configured one (`currencies`: platform -> code), a missing event day is an error."""
    present = [f.name for f in LATEST_STATE if f.name in latest.columns]
    converted = pa.Table.from_pandas(latest[present], preserve_index=False)
    columns = {
        f.name: (
            converted[f.name].cast(f.type)
            if f.name in present
            else pa.nulls(converted.num_rows, f.type)
        )
        for f in LATEST_STATE
    }
    table = pa.table(columns, schema=LATEST_STATE)
    fallback = pa.nulls(table.num_rows, pa.string())
    for platform, currency in (currencies or {}).items():
        if currency is not None:
            mine = pc.equal(table["platform"], platform)
            fallback = pc.if_else(mine, pa.scalar(currency), fallback)
    currency_index = table.schema.get_field_index("currency")
    table = table.set_column(currency_index, "currency", pc.coalesce(table["currency"], fallback))
    for name in ("event_date", "currency"):
        missing = pc.is_null(table[name])
        if pc.any(missing).as_py():
            bad = table.filter(missing)
            raise CoreDataError(
                f"{bad['platform'][0]} account {bad['account_id'][0]}, action "
                f"{bad['action_id'][0]}: no {name}"
            )
    return table


def actions(latest: pa.Table) -> pa.Table:
    """ACTIONS_LOCAL rows: core.affiliate_actions before FX."""
    return conform(latest, ACTIONS_LOCAL)


def _counted(latest: pa.Table, counted_types: Mapping[str, Sequence[str]]) -> pa.ChunkedArray:
    """True for actions whose type counts toward `conversions` on their platform."""
    counted = pa.array([True] * latest.num_rows, pa.bool_())
    for platform, types in counted_types.items():
        if not types:
            continue
        mine = pc.equal(latest["platform"], platform)
        typed = pc.fill_null(pc.is_in(latest["action_type"], pa.array(list(types))), False)
        counted = pc.if_else(mine, typed, counted)
    return counted


def _live(latest: pa.Table) -> pa.Table:
    live = latest.filter(pc.not_equal(latest["status"], REVERSED))
    partner = pc.coalesce(live["campaign_id"], pa.scalar(NO_PARTNER))
    return live.set_column(live.schema.get_field_index("campaign_id"), "campaign_id", partner)


def _zero() -> pa.Scalar:
    return pa.scalar(0, MONEY)


def performance(latest: pa.Table, counted_types: Mapping[str, Sequence[str]]) -> pa.Table:
    """PERFORMANCE_LOCAL rows, one per (platform, account, event day, partner)."""
    live = _live(latest)
    counted = _counted(live, counted_types)
    work = pa.table(
        {
            **{key: live[key] for key in _DAY_KEYS},
            "currency": live["currency"],
            "commission": pc.fill_null(live["commission_local"], _zero()),
            "counted": counted.cast(pa.int64()),
            "counted_sale": pc.if_else(
                counted, pc.fill_null(live["sale_amount_local"], _zero()), _zero()
            ),
        }
    )
    summed = work.group_by([*_DAY_KEYS, "currency"], use_threads=False).aggregate(
        [("commission", "sum"), ("counted", "sum"), ("counted_sale", "sum")]
    )
    _one_currency(summed)
    rows = pa.table(
        {
            "date": summed["event_date"],
            "platform": summed["platform"],
            "account_id": summed["account_id"],
            "campaign_id": summed["campaign_id"],
            "currency": summed["currency"],
            "impressions": pa.nulls(summed.num_rows, pa.int64()),
            "clicks": pa.nulls(summed.num_rows, pa.int64()),
            "conversions": to_decimal(summed["counted_sum"], CONVERSIONS),
            "spend_local": to_decimal(summed["commission_sum"], MONEY),
            "conversion_value_local": to_decimal(summed["counted_sale_sum"], MONEY),
        }
    )
    return conform(rows, PERFORMANCE_LOCAL)


def _one_currency(summed: pa.Table) -> None:
    """One account, one currency: a partner-day in two currencies cannot be one row."""
    keys = summed.group_by(_DAY_KEYS, use_threads=False).aggregate([("currency", "count")])
    doubled = keys.filter(pc.greater(keys["currency_count"], 1))
    if doubled.num_rows:
        raise CoreDataError(
            f"{doubled['platform'][0]} account {doubled['account_id'][0]}, day "
            f"{doubled['event_date'][0]}: actions of partner {doubled['campaign_id'][0]} are in "
            "more than one currency"
        )


def conversions(latest: pa.Table) -> pa.Table:
    """CONVERSIONS_LOCAL rows: per (platform, account, event day, partner, action type), the
    count of non-reversed actions and their sale amount."""
    live = _live(latest)
    action_type = pc.coalesce(live["action_type"], pa.scalar(UNTYPED_ACTION))
    work = pa.table(
        {
            **{key: live[key] for key in _DAY_KEYS},
            "conversion_name": action_type,
            "currency": live["currency"],
            "one": pa.array([1] * live.num_rows, pa.int64()),
            "sale": pc.fill_null(live["sale_amount_local"], _zero()),
        }
    )
    summed = work.group_by(
        [*_DAY_KEYS, "conversion_name", "currency"], use_threads=False
    ).aggregate([("one", "sum"), ("sale", "sum")])
    rows = pa.table(
        {
            "date": summed["event_date"],
            "platform": summed["platform"],
            "account_id": summed["account_id"],
            "campaign_id": summed["campaign_id"],
            "conversion_name": summed["conversion_name"],
            "currency": summed["currency"],
            "conversions": to_decimal(summed["one_sum"], CONVERSIONS),
            "conversion_value_local": to_decimal(summed["sale_sum"], MONEY),
        }
    )
    return conform(rows, CONVERSIONS_LOCAL)


def campaigns(raw_rows: pa.Table) -> pa.Table:
    """core.campaigns rows: each partner with the name on its most recent record (by read
    window, then update time). `raw_rows` holds raw.affiliate_actions columns platform,
    account_id, partner_id, partner_name, updated_at and window_date."""
    partners = raw_rows.filter(pc.is_valid(raw_rows["partner_id"]))
    newest = latest_per_key(
        partners.select(
            ["platform", "account_id", "partner_id", "updated_at", "window_date", "partner_name"]
        ),
        ["platform", "account_id", "partner_id"],
        ["window_date", "updated_at"],
    )
    rows = pa.table(
        {
            "platform": newest["platform"],
            "account_id": newest["account_id"],
            "campaign_id": newest["partner_id"],
            "campaign_name": newest["partner_name"],
            "campaign_status": pa.nulls(newest.num_rows, pa.string()),
        }
    )
    return conform(rows, CAMPAIGNS)


def accounts(
    configured: Sequence[tuple[str, str, str | None, str | None]], latest: pa.Table
) -> pa.Table:
    """core.ad_accounts rows for configured (platform, account_id, currency, timezone); an
    account without a configured currency takes the one its actions are in (and is left out
    while it has none). Networks describe no account names."""
    seen = latest.group_by(["platform", "account_id"], use_threads=False).aggregate(
        [("currency", "max")]
    )
    known = dict(
        zip(
            zip(seen["platform"].to_pylist(), seen["account_id"].to_pylist(), strict=True),
            seen["currency_max"].to_pylist(),
            strict=True,
        )
    )
    rows = [
        {
            "platform": platform,
            "account_id": account_id,
            "account_name": None,
            "currency": currency or known.get((platform, account_id)),
            "timezone": timezone,
        }
        for platform, account_id, currency, timezone in configured
    ]
    return pa.Table.from_pylist([r for r in rows if r["currency"]], schema=ACCOUNTS)
