"""The evidence of the core dimension rows (core.ad_accounts, core.campaigns): each built row
carries it, and the rows are upserted by grain, never replaced by the run's window
(warehouse/core_dims.write_dimensions).

The evidence of a row is the `loaded_at` of the raw row its values come from: the platform's raw
account row for an account (each registered platform's `PlatformRaw.accounts`), and for a
campaign the raw row it was named on (`PlatformRaw.campaign_names`: the latest day's, or for a
partner the latest read window's). Configured affiliate accounts have none
(configuration is always current). The write path replaces a stored row only with one at least as
recent, so a rebuild from raw rows loaded long ago never overwrites a newer name or status, and a
run whose window describes fewer accounts or campaigns leaves the others in place.
"""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pyarrow.compute as pc

from perfmkt_pipeline.transform.core.build import CoreInputs, CoreTables
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.tables import EVIDENCE

_STAMP = pa.timestamp("us", tz="UTC")
ACCOUNT_KEYS = list(tables.ad_accounts.info["grain"])
CAMPAIGN_KEYS = list(tables.campaigns.info["grain"])


def _newest(rows: pa.Table, platform: str | None, keys: dict[str, str]) -> pa.Table:
    """(grain..., source_loaded_at): the newest `loaded_at` per key of raw `rows`; `keys` maps
    each grain column to its raw column, `platform` fills the platform when raw has none."""
    if platform is not None:
        rows = rows.append_column("platform", pa.array([platform] * rows.num_rows, pa.string()))
    raw_keys = list(keys.values())
    newest = rows.group_by(raw_keys, use_threads=False).aggregate([("loaded_at", "max")])
    return pa.table(
        {
            **{ours: newest[theirs].cast(pa.string()) for ours, theirs in keys.items()},
            EVIDENCE: newest["loaded_at_max"].cast(_STAMP),
        }
    )


def _evidence(inputs: CoreInputs) -> tuple[pa.Table, pa.Table]:
    """The evidence of every account and campaign the raw inputs describe."""
    accounts, campaigns = [], []
    account = {"platform": "platform", "account_id": "account_id"}
    campaign = {**account, "campaign_id": "campaign_id"}
    for platform, raw in inputs.platforms.items():
        accounts.append(_newest(raw.accounts, platform, account))
        campaigns.append(_newest(raw.campaign_names, platform, campaign))
    if inputs.affiliates is not None:
        partners = {**account, "campaign_id": "partner_id"}
        names = inputs.affiliates.partner_names
        named = names.filter(pc.is_valid(names["partner_id"]))
        campaigns.append(_newest(named, None, partners))
    return _stack(accounts, ACCOUNT_KEYS), _stack(campaigns, CAMPAIGN_KEYS)


def _stack(parts: list[pa.Table], keys: list[str]) -> pa.Table:
    schema = pa.schema([*[(k, pa.string()) for k in keys], (EVIDENCE, _STAMP)])
    return pa.concat_tables([schema.empty_table(), *[p.select(schema.names) for p in parts]])


def _with(rows: pa.Table, evidence: pa.Table, keys: list[str]) -> pa.Table:
    """`rows` with the evidence of their key (NULL where raw gives none), in their own order."""
    order = "__dimension_row"
    numbered = rows.append_column(order, pa.array(range(rows.num_rows), pa.int64()))
    joined = numbered.join(evidence, keys, join_type="left outer", use_threads=False)
    return joined.sort_by(order).select([*rows.column_names, EVIDENCE])


def with_evidence(core: CoreTables, inputs: CoreInputs) -> CoreTables:
    """`core` with `source_loaded_at` on its account and campaign rows."""
    accounts, campaigns = _evidence(inputs)
    return dataclasses.replace(
        core,
        ad_accounts=_with(core.ad_accounts, accounts, ACCOUNT_KEYS),
        campaigns=_with(core.campaigns, campaigns, CAMPAIGN_KEYS),
    )
