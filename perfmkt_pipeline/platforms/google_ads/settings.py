"""The `google_ads` section of the configuration (the spec's `settings`)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from perfmkt_pipeline.config import LookbackDays, RowLossPct, Section

# Google Ads restates conversions for the length of the conversion window, commonly 30 days
# (up to 90; PLATFORMS.md).
LOOKBACK_DAYS = 30
# Rows a re-read may lose by default (PLATFORMS.md): Google Ads omits a campaign-day without any
# metric and restates conversions for the conversion window, so a restatement can empty a few.
MAX_ROW_LOSS_PCT = 10.0

_GOOGLE_CUSTOMER_ID = re.compile(r"^\d{10}$")


class GoogleAdsSettings(Section):
    api_version: Literal["v23", "v24", "v25", "v26"] = "v26"
    # Accounts to read. Empty with a manager set: discover the manager's client accounts.
    customer_ids: list[str] = []
    manager_customer_id: str | None = None
    lookback_days: LookbackDays = LOOKBACK_DAYS
    # Conversion action names that count toward `conversions` in core.ad_performance_daily.
    # Empty: the platform's own `metrics.conversions` (actions marked "include in conversions").
    conversion_actions: list[str] = []
    # Days per SearchStream query; one query per account per chunk.
    chunk_days: Annotated[int, Field(ge=1, le=366)] = 90
    # Calls per query (the first included) when the API answers with a retryable error.
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    # First backoff ceiling after INTERNAL/UNAVAILABLE/DEADLINE_EXCEEDED; doubles per retry
    # (at most 60 s), with jitter.
    backoff_seconds: Annotated[float, Field(ge=0, le=60)] = 2.0
    # Longest QuotaErrorDetails.retry_delay honoured; a longer advised wait fails the run.
    max_retry_delay_seconds: Annotated[float, Field(ge=0, le=3600)] = 300.0
    # Deadline of one SearchStream call.
    timeout_seconds: Annotated[float, Field(gt=0, le=7200)] = 900.0
    # Accounts read at once (threads of one run); 1 reads them one after another.
    max_concurrent_accounts: Annotated[int, Field(ge=1, le=32)] = 4
    # Rows a re-read of an account's window may lose (% of what it held) before it is refused;
    # allow_row_loss: load a bigger loss anyway, with a warning.
    max_row_loss_pct: RowLossPct = MAX_ROW_LOSS_PCT
    allow_row_loss: bool = False

    @field_validator("customer_ids")
    @classmethod
    def _customer_ids(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _GOOGLE_CUSTOMER_ID.match(value):
                raise ValueError(f"{value!r} is not a 10-digit customer id without dashes")
        return values

    @field_validator("manager_customer_id")
    @classmethod
    def _manager(cls, value: str | None) -> str | None:
        if value is not None and not _GOOGLE_CUSTOMER_ID.match(value):
            raise ValueError(f"{value!r} is not a 10-digit customer id without dashes")
        return value

    @property
    def configured(self) -> bool:
        return bool(self.customer_ids or self.manager_customer_id)

    def problems(self, name: str) -> list[str]:
        if self.configured:
            return []
        return [
            f"{name}.customer_ids: neither customer_ids nor manager_customer_id is set (list the "
            f"accounts, or delete the {name} section)"
        ]
