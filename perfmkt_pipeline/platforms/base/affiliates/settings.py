"""The settings section of an API-based affiliate network (a network's spec's `settings`, or
a subclass of it)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from perfmkt_pipeline.config import (
    AccountsSection,
    Currency,
    LookbackDays,
    RowLossPct,
    check_currency,
    check_timezone,
)


class NetworkSettings(AccountsSection):
    """An API-based affiliate network (a network's spec may extend it with its own keys)."""

    # For a network whose records carry no currency: the advertiser's, from configuration.
    currency: Currency | None = None
    # Each sync re-reads this many of the days it reads by (event or transaction days) before the
    # end of its range, so status changes and corrections made until an action locks are read:
    # it must cover the network's locking (or validation) period.
    lookback_days: LookbackDays = 45
    conversion_action_types: list[str] = []  # empty: every action type counts
    # The network's reporting time zone: read windows start and end at its midnights, and a
    # record's day (window_date, event_date) is read in it.
    timezone: str = "UTC"
    # Client-side pacing in calls per minute; None: the network's documented limit (its spec's;
    # none for a network that announces its limits in response headers instead).
    calls_per_minute: Annotated[float, Field(gt=0)] | None = None
    # Retries of a request that was rate limited or failed transiently (5xx, dropped
    # connection), with exponential jittered backoff from `retry_base_seconds`, capped.
    max_retries: Annotated[int, Field(ge=0, le=20)] = 6
    retry_base_seconds: Annotated[float, Field(ge=0)] = 1.0
    retry_max_seconds: Annotated[float, Field(gt=0)] = 300.0
    # Per HTTP request (connect + read).
    request_timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    # Accounts read at once (threads of one run sharing the network's pacing, which is per
    # credential); 1 reads them one after another.
    max_concurrent_accounts: Annotated[int, Field(ge=1, le=32)] = 4
    # Records a re-read of a window may lose (% of what it held) before it is refused;
    # allow_row_loss: load a bigger loss anyway, with a warning. None by default: affiliate
    # records are never deleted (a reversal is a status, a correction a record of its own) and
    # are read by their event day, which does not change (PLATFORMS.md).
    max_row_loss_pct: RowLossPct = 0.0
    allow_row_loss: bool = False

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else check_currency(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)
