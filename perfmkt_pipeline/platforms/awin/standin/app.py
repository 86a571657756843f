"""Awin advertiser API stand-in: `GET /advertisers/<id>/transactions/`.

Bearer token (or `accessToken` query parameter). `startDate`/`endDate` (`yyyy-MM-ddTHH:mm:ss`,
read in `timezone`, default UTC) at most 31 days apart; `dateType` is `transaction` (default) or
`validation`; optional `status`. No paging: the window is the page. The answer is a JSON array
with amounts as JSON numbers and dates rendered in the requested time zone.
"""

from __future__ import annotations

import hmac
import math
import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from perfmkt_pipeline.platforms.awin.standin import data
from perfmkt_pipeline.sandbox.http_server import PlatformApp, Request, Response, ResultCache

# At most 31 days per call (PLATFORMS.md).
AWIN_MAX_WINDOW = timedelta(days=31)
# 20 calls a minute (PLATFORMS.md); enforced only when faults.awin.enforce_limit is set.
AWIN_CALLS_PER_MINUTE = 20
_PATH = re.compile(r"^/advertisers/([^/]+)/transactions/?$")
_STATUS = {"pending": "pending", "approved": "approved", "reversed": "declined"}
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


def _number(amount: Decimal) -> int | float:
    """Awin sends amounts as JSON numbers (at most 2 decimals here, so floats are exact)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def transaction_record(action, account_id: str, zone: ZoneInfo) -> dict:
    def local(moment):
        return None if moment is None else moment.astimezone(zone).strftime(_DATE_FORMAT)

    status = _STATUS[action.status]
    return {
        "id": int(action.action_id),
        "advertiserId": int(account_id),
        "publisherId": int(action.partner_id),
        "siteName": action.partner_name,
        "commissionStatus": status,
        "commissionAmount": {"amount": _number(action.commission), "currency": action.currency},
        "saleAmount": {"amount": _number(action.sale_amount), "currency": action.currency},
        "transactionDate": local(action.event_time),
        "validationDate": local(action.decided_at),
        "type": "Commission group transaction",
        "declineReason": "Returned goods" if status == "declined" else None,
        "amended": False,
        "amendReason": None,
        "orderRef": action.order_id,
        "paidToPublisher": False,
    }


class AwinApp(PlatformApp):
    platform = "awin"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cache = ResultCache()

    def _error(self, status: int, error: str, description: str, headers=None) -> Response:
        return Response.json({"error": error, "description": description}, status, headers)

    def handle(self, request: Request) -> Response:
        m = _PATH.match(request.path)
        advertiser = m.group(1) if m else None
        decision = self.guard("awin.transactions" if m else "awin.unknown", advertiser)
        config = self.faults
        if decision == "auth":
            return self._error(401, "Unauthorized", "The access token has expired")
        if decision in ("rate_limit", "limit_exceeded"):
            wait = str(math.ceil(config.seconds_until_allowed(advertiser) or config.reset_seconds))
            headers = {"Retry-After": wait, "x-ratelimit-reset": wait, "x-ratelimit-remaining": "0"}
            return self._error(
                429, "Too Many Requests", "Rate limit of 20 calls per minute exceeded", headers
            )
        if decision == "server_error":
            return self._error(
                config.server_error_status, "Service Unavailable", "Please retry later"
            )
        if not m or request.method != "GET":
            return self._error(404, "Not Found", f"No resource at {request.path}")
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else (request.arg("accessToken") or "")
        if not hmac.compare_digest(token, self.credentials.awin.token):
            return self._error(401, "Unauthorized", "Invalid or missing access token")
        try:
            account = self.world.account("awin", advertiser)
        except KeyError:
            return self._error(403, "Forbidden", f"No access to advertiser {advertiser}")
        return self._transactions(request, account)

    def _transactions(self, request: Request, account) -> Response:
        try:
            zone = ZoneInfo(request.arg("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return self._error(400, "Bad Request", f"Unknown timezone {request.arg('timezone')!r}")
        try:
            start = datetime.strptime(request.arg("startDate") or "", _DATE_FORMAT).replace(
                tzinfo=zone
            )
            end = datetime.strptime(request.arg("endDate") or "", _DATE_FORMAT).replace(tzinfo=zone)
        except ValueError:
            return self._error(
                400, "Bad Request", "startDate and endDate must be yyyy-MM-ddTHH:mm:ss"
            )
        if end < start:
            return self._error(400, "Bad Request", "endDate must not be before startDate")
        if end - start > AWIN_MAX_WINDOW:
            return self._error(
                400,
                "Bad Request",
                "The date range between startDate and endDate must not exceed 31 days",
            )
        date_type = request.arg("dateType") or "transaction"
        if date_type not in ("transaction", "validation"):
            return self._error(400, "Bad Request", "dateType must be transaction or validation")
        status = request.arg("status")
        if status not in (None, "pending", "approved", "declined", "deleted"):
            return self._error(400, "Bad Request", f"Unknown status {status!r}")
        as_of = self.world.as_of
        actions = self._cache.get_or_compute(
            (id(self.world.spec), account.account_id, start, end, date_type, as_of),
            lambda: data.awin_transactions(
                self.world, account.account_id, start, end, date_type, as_of=as_of
            ),
        )
        records = [transaction_record(a, account.account_id, zone) for a in actions]
        if status:
            records = [r for r in records if r["commissionStatus"] == status]
        return Response.json(records)


def secrets(sandbox) -> dict[str, str]:
    """The access token the stand-in accepts."""
    return {"AWIN_ACCESS_TOKEN": sandbox.credentials.awin.token}
