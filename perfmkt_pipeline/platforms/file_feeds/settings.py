"""The `file_feeds` section of the configuration (the spec's `settings`): a list of feeds, each
one source of its own."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from perfmkt_pipeline.config import (
    Currency,
    LookbackDays,
    RowLossPct,
    Section,
    check_currency,
    reserved_platform_names,
)

# A feed's default lookback: it must cover the network's validation period (README).
LOOKBACK_DAYS = 45
# How many days a feed's newest loaded day may trail the day checked: its exports can arrive
# after the daily sync.
EXPECTED_LAG_DAYS = 2

_FEED_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class FileFeedSettings(Section):
    """A network delivered as CSV exports (a local folder or an http(s) URL)."""

    name: str
    location: str  # folder path, file path or http(s) URL
    currency: Currency
    date_format: str = "%Y-%m-%d"
    # Our field -> the column name in the file.
    columns: dict[
        Literal[
            "action_id",
            "event_date",
            "status",
            "partner_id",
            "partner_name",
            "sale_amount",
            "commission",
            "action_type",
            "updated_at",
        ],
        str,
    ]
    # Network status word -> pending | approved | reversed.
    status_map: dict[str, Literal["pending", "approved", "reversed"]]
    lookback_days: LookbackDays = LOOKBACK_DAYS
    account_id: str = "default"
    # strptime format of the `updated_at` column (naive values are UTC); None: `date_format`.
    updated_at_format: str | None = None
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] = ","
    # Records a re-read of the window may lose (% of what it held, not counting actions the files
    # show updated after the window) before it is refused; allow_row_loss: load it anyway.
    max_row_loss_pct: RowLossPct = 0.0
    allow_row_loss: bool = False
    # The same action with the same update time twice in one file: "error" fails the run naming
    # the file, line and action; "warn" keeps the later line and logs how many there were.
    duplicates: Literal["error", "warn"] = "error"

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _FEED_NAME.match(value) or value in reserved_platform_names():
            raise ValueError(f"{value!r} must be lower_snake_case and not a built-in platform name")
        return value

    @model_validator(mode="after")
    def _required_columns(self) -> FileFeedSettings:
        missing = {"action_id", "event_date", "status", "commission"} - set(self.columns)
        if missing:
            raise ValueError(f"columns must map {sorted(missing)}")
        if not self.status_map:
            raise ValueError("status_map maps no status word: every row would be refused")
        return self


def _unique_names(feeds: list[FileFeedSettings]) -> list[FileFeedSettings]:
    names = [feed.name for feed in feeds]
    if len(names) != len(set(names)):
        raise ValueError("names must be unique")
    return feeds


# The section: one entry per feed, each under a name of its own.
FileFeeds = Annotated[list[FileFeedSettings], AfterValidator(_unique_names)]
