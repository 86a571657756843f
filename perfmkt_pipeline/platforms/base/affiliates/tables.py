"""The raw table every affiliate source lands in (networks and file feeds alike): one row per
record per read window, with the record as received."""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.warehouse.raw.common import loaded_at, record
from perfmkt_pipeline.warehouse.tables import MONEY, RAW, _c, _table

affiliate_actions = _table(
    RAW,
    "affiliate_actions",
    ["platform", "account_id", "action_id", "record_id", "window_date"],
    "Affiliate actions as each network returned them, one row per record per pull window.",
    _c(
        "platform",
        sa.String(32),
        "the source's platform name (a network's, or a file feed's name)",
        False,
    ),
    _c("account_id", sa.String(64), "advertiser account on the network", False),
    _c("window_date", sa.Date, "the day of the read window this record came from", False),
    _c(
        "record_id",
        sa.String(64),
        "the record's own id (the action id where a record is the action)",
        False,
    ),
    _c(
        "action_id",
        sa.String(64),
        "the action the record describes (a correction record: the original's id)",
        False,
    ),
    _c("event_date", sa.Date, "day of the sale or lead"),
    _c("updated_at", sa.DateTime(timezone=True), "when the network last changed the record"),
    _c("status", sa.String(32), "the network's own status word"),
    _c("action_type", sa.Text, "the network's action type / tracker"),
    _c("partner_id", sa.String(64), "publisher id"),
    _c("partner_name", sa.Text, "publisher name"),
    _c("currency", sa.String(3), "currency of the amounts"),
    _c("sale_amount", MONEY, "sale amount"),
    _c("commission", MONEY, "commission (the advertiser's cost)"),
    record(),
    loaded_at(),
    # Added by migration 0004, hence after loaded_at.
    _c(
        "is_correction",
        sa.Boolean,
        "a record correcting an earlier one, whose amounts are deltas; else false",
    ),
)
