"""The LoopAds API calls and the errors that stop them (its spec's `ErrorClasses`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import requests


class LoopadsError(Exception):
    """Every LoopAds failure; the message names the account (and the day and field)."""


class LoopadsAuthError(LoopadsError):
    """The token was refused: a retry cannot help."""


class LoopadsDataError(LoopadsError):
    """A record that does not parse."""


class LoopadsClient:
    def __init__(self, base_url: str, token: str, timeout_seconds: float):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout_seconds
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _get(self, account_id: str, path: str, **params: str) -> Any:
        response = self.session.get(f"{self.base_url}{path}", params=params, timeout=self.timeout)
        if response.status_code in (401, 403):
            raise LoopadsAuthError(f"loopads account {account_id}: token refused ({path})")
        if response.status_code != 200:
            raise LoopadsError(
                f"loopads account {account_id}: {path} answered HTTP {response.status_code}"
            )
        return response.json()

    def account(self, account_id: str) -> dict[str, Any]:
        """raw.loopads_accounts' row of the account."""
        body = self._get(account_id, f"/v1/accounts/{account_id}")
        return {
            "account_id": account_id,
            "account_name": body["name"],
            "currency": body["currency"],
            "timezone": body["timezone"],
        }

    def report(self, account_id: str, since: dt.date, until: dt.date) -> list[dict[str, Any]]:
        """raw.loopads_daily's rows of the account for since..until (inclusive)."""
        body = self._get(
            account_id,
            f"/v1/accounts/{account_id}/report",
            since=since.isoformat(),
            until=until.isoformat(),
        )
        return [_row(account_id, record) for record in body["rows"]]


def _row(account_id: str, record: dict[str, Any]) -> dict[str, Any]:
    day = record.get("date")
    try:
        return {
            "account_id": account_id,
            "date": dt.date.fromisoformat(day),
            "campaign_id": str(record["campaign_id"]),
            "campaign_name": record.get("campaign_name"),
            "spend": Decimal(record["spend"]),
            "impressions": int(record["impressions"]),
            "clicks": int(record["clicks"]),
            "conversions": Decimal(record["conversions"]),
            "conversion_value": Decimal(record["conversion_value"]),
        }
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise LoopadsDataError(
            f"loopads account {account_id}, day {day}: bad report row ({error!r}): {record}"
        ) from None
