"""The `meta` section of the configuration (the spec's `settings`)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from perfmkt_pipeline.config import AccountsSection, LookbackDays, RowLossPct

# Meta restates insights for 28 days (attribution windows close, invalid activity is removed):
# https://www.facebook.com/business/help/1329822420714248 (PLATFORMS.md).
LOOKBACK_DAYS = 28
# Rows a re-read may lose by default (PLATFORMS.md): Meta omits zero-activity rows and
# re-attributes actions for 28 days, so a restatement can empty a few.
MAX_ROW_LOSS_PCT = 10.0

_META_ACCOUNT_ID = re.compile(r"^\d{1,20}$")


class MetaSettings(AccountsSection):
    api_version: str = Field(default="v26.0", pattern=r"^v\d{2}\.0$")
    # Ad account ids, digits only (the `act_` prefix is added by the client).
    account_ids: list[str] = []
    lookback_days: LookbackDays = LOOKBACK_DAYS
    conversion_action_types: list[str] = ["offsite_conversion.fb_pixel_purchase"]
    attribution_windows: list[Literal["1d_click", "7d_click", "28d_click", "1d_view"]] = [
        "7d_click",
        "1d_view",
    ]
    use_unified_attribution_setting: bool = False
    # Ranges up to this many days are fetched synchronously; longer ones as async report runs.
    sync_max_days: Annotated[int, Field(ge=1, le=90)] = 7
    async_chunk_days: Annotated[int, Field(ge=1, le=93)] = 30
    async_timeout_seconds: Annotated[float, Field(gt=0)] = 1800.0
    # Report-run status polls: first wait, growing by half each poll up to the maximum.
    async_poll_seconds: Annotated[float, Field(gt=0)] = 2.0
    async_poll_max_seconds: Annotated[float, Field(gt=0)] = 30.0
    # Failed report runs tolerated per range (each is re-submitted as two halves) before giving up.
    async_max_failed_jobs: Annotated[int, Field(ge=0, le=50)] = 6
    # Rows per insights page (`limit`).
    page_limit: Annotated[int, Field(ge=1, le=5000)] = 500
    # Retries of one request that was rate limited or failed transiently, and their backoff
    # (exponential from `retry_base_seconds`, capped; jittered).
    max_retries: Annotated[int, Field(ge=0, le=20)] = 8
    retry_base_seconds: Annotated[float, Field(gt=0)] = 2.0
    retry_max_seconds: Annotated[float, Field(gt=0)] = 600.0
    # Above this usage percentage (any usage header) calls are spaced out, waiting up to
    # `throttle_max_wait_seconds` in proportion to how close the limit is.
    throttle_start_pct: Annotated[float, Field(ge=0, lt=100)] = 75.0
    throttle_max_wait_seconds: Annotated[float, Field(ge=0)] = 60.0
    # Per HTTP request (connect + read).
    request_timeout_seconds: Annotated[float, Field(gt=0)] = 300.0
    # Ad accounts read at once (threads of one run, each with its own connection; Graph's
    # limits are per ad account); 1 reads them one after another.
    max_concurrent_accounts: Annotated[int, Field(ge=1, le=32)] = 4
    # Rows a re-read of an account's window may lose (% of what it held) before it is refused;
    # allow_row_loss: load a bigger loss anyway, with a warning.
    max_row_loss_pct: RowLossPct = MAX_ROW_LOSS_PCT
    allow_row_loss: bool = False

    @field_validator("account_ids")
    @classmethod
    def _account_ids(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _META_ACCOUNT_ID.match(value):
                raise ValueError(f"{value!r} is not a numeric ad account id (omit 'act_')")
        return values
