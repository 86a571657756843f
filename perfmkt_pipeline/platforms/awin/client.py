"""Awin advertiser API: transactions, read by transaction date in windows of at most 31 days.

`GET /advertisers/<id>/transactions/?startDate=..&endDate=..&timezone=..&dateType=transaction`
with a Bearer token. No paging: the window is the page, a JSON array whose amounts are JSON
numbers (decoded as Decimal, never float). At most 20 calls a minute, so the client is paced.

Awin cannot filter by last change, so a transaction's status change is picked up by re-reading
it while its transaction date is inside the sync's trailing window (`awin.lookback_days`, default
45: it must cover the programme's validation period).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from perfmkt_pipeline.platforms.base.affiliates.records import (
    ActionRecord,
    Where,
    WindowedClient,
    day_in,
    decimal,
    json_array_items,
    moment,
    optional_text,
    required,
)
from perfmkt_pipeline.platforms.base.http import HttpClient

NETWORK = "awin"
# At most 31 days per call (PLATFORMS.md).
AWIN_MAX_WINDOW_DAYS = 31
# 20 calls a minute per user (PLATFORMS.md): the client paces itself to stay under it.
AWIN_CALLS_PER_MINUTE = 20.0
# Read by transaction (event) date: every transaction of the window, whatever its status.
AWIN_DATE_TYPE = "transaction"


class AwinClient(WindowedClient):
    """Transactions of Awin advertiser accounts (one access token), read one window of
    transaction days at a time (`windows`: transactions dated on a day of each window)."""

    network = NETWORK
    max_window_days = AWIN_MAX_WINDOW_DAYS

    def __init__(self, http: HttpClient, base_url: str, access_token: str, *, zone: ZoneInfo):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self.zone = zone

    def read_window(self, account_id: str, start: dt.date, end: dt.date) -> list[ActionRecord]:
        """One window of at most 31 days."""
        where = Where(NETWORK, account_id, f"{start}..{end}")
        params = {
            "startDate": f"{start.isoformat()}T00:00:00",
            "endDate": f"{end.isoformat()}T23:59:59",
            "timezone": self.zone.key,
            "dateType": AWIN_DATE_TYPE,
        }
        response = self.http.send(
            "GET",
            f"{self.base_url}/advertisers/{account_id}/transactions/",
            account_id=account_id,
            params=params,
            headers=self._headers,
        )
        try:
            items = json_array_items(response.text)
        except ValueError as error:
            raise where.error("(body)", f"the answer is not a JSON array ({error})") from None
        return [self.parse(data, text, account_id, start, end) for data, text in items]

    def parse(
        self, data: dict, text: str, account_id: str, start: dt.date, end: dt.date
    ) -> ActionRecord:
        where = Where(NETWORK, account_id, f"{start}..{end}", str(data.get("id") or "?"))
        if not isinstance(data, dict):
            raise where.error("(record)", "is not a JSON object")
        transaction_id = str(required(data, "id", where))
        transacted = moment(
            required(data, "transactionDate", where), "transactionDate", where, self.zone
        )
        validated = data.get("validationDate")
        changed = moment(validated, "validationDate", where, self.zone) if validated else transacted
        day = day_in(transacted, self.zone)
        if not start <= day <= end:
            raise where.error("transactionDate", f"{day} is outside the window asked for")
        commission = required(data, "commissionAmount", where)
        sale = data.get("saleAmount") or {}
        if not isinstance(commission, dict) or not isinstance(sale, dict):
            raise where.error("commissionAmount", "is not an {amount, currency} object")
        return ActionRecord(
            platform=NETWORK,
            account_id=account_id,
            record_id=transaction_id,
            action_id=transaction_id,
            window_date=day,
            event_date=day,
            updated_at=changed,
            status=str(required(data, "commissionStatus", where)),
            action_type=optional_text(data, "type"),
            partner_id=optional_text(data, "publisherId"),
            partner_name=optional_text(data, "siteName"),
            currency=optional_text(commission, "currency"),
            sale_amount=(
                decimal(sale["amount"], "saleAmount.amount", where)
                if sale.get("amount") is not None
                else None
            ),
            commission=decimal(
                required(commission, "amount", where), "commissionAmount.amount", where
            ),
            is_correction=False,
            record=text,
        )
