"""impact.com advertiser API stand-in: `GET /Advertisers/<SID>/Actions`.

Basic auth `AccountSID:AuthToken` (the SID must match the path). `StartDate`/`EndDate` are
ISO-8601 with an offset and select actions by last-update time, at most 45 days apart;
`CampaignId` (the program) is required. JSON with `Accept: application/json` (a minimal XML
rendering otherwise). The envelope and every action field are strings; `@nextpageuri` is
relative and empty on the last page. Rate-limit headers on every response; 429 when limited.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import re
from datetime import datetime, timedelta
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from perfmkt_pipeline.sandbox.http_server import PlatformApp, Request, Response, ResultCache

# The Actions window may be at most 45 days wide (PLATFORMS.md).
IMPACT_MAX_WINDOW = timedelta(days=45)
# About 1,000 requests an hour (PLATFORMS.md): reported in x-ratelimit-limit-hour.
IMPACT_HOURLY_LIMIT = 1000
IMPACT_DEFAULT_PAGE_SIZE = 100
IMPACT_MAX_PAGE_SIZE = 20000
_PATH = re.compile(r"^/Advertisers/([^/]+)/Actions(?:\.json)?/?$")
_STATES = {"pending": "PENDING", "approved": "APPROVED", "reversed": "REVERSED"}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def action_record(action, program_id: str) -> dict[str, str]:
    return {
        "Id": action.action_id,
        "CampaignId": program_id,
        "ActionTrackerName": "Online Sale",
        "MediaPartnerId": action.partner_id,
        "MediaPartnerName": action.partner_name,
        "State": _STATES[action.status],
        "Amount": str(action.sale_amount),
        "Payout": str(action.commission),
        "Currency": action.currency,
        "EventDate": _iso(action.event_time),
        "CreationDate": _iso(action.created_at),
        "LockingDate": _iso(action.lock_at),
        "Oid": action.order_id,
    }


class ImpactApp(PlatformApp):
    platform = "impact"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cache = ResultCache()

    def _error(self, status: int, message: str, headers=None) -> Response:
        return Response.json({"Status": "ERROR", "Message": message}, status, headers)

    def _limit_headers(self, sid: str | None, limited: bool) -> dict[str, str]:
        config = self.faults
        if limited:
            wait = config.seconds_until_allowed(sid) or config.reset_seconds
            return {"x-ratelimit-remaining-hour": "0", "x-ratelimit-reset": str(math.ceil(wait))}
        used = config.usage_fraction(sid)
        limit = config.enforce_limit.calls if config.enforce_limit else IMPACT_HOURLY_LIMIT
        remaining = limit - round((used or 0) * limit) if used is not None else limit - 1
        return {
            "x-ratelimit-limit-hour": str(limit),
            "x-ratelimit-remaining-hour": str(max(0, remaining)),
            "x-ratelimit-reset": "3600",
        }

    def _authorized(self, request: Request, sid: str) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == sid and hmac.compare_digest(password, self.credentials.impact_auth_token)

    def handle(self, request: Request) -> Response:
        m = _PATH.match(request.path)
        sid = m.group(1) if m else None
        decision = self.guard("impact.actions" if m else "impact.unknown", sid)
        if decision == "auth":
            return self._error(401, "Authentication failed: the auth token has expired")
        if decision in ("rate_limit", "limit_exceeded"):
            return self._error(429, "Too many requests", self._limit_headers(sid, True))
        if decision == "server_error":
            return self._error(self.faults.server_error_status, "Service temporarily unavailable")
        if not m or request.method != "GET":
            return self._error(404, f"Resource not found: {request.path}")
        if not self._authorized(request, sid):
            return self._error(401, "Authentication failed: invalid AccountSID or AuthToken")
        try:
            account = self.world.account("impact", sid)
        except KeyError:
            return self._error(403, f"Account {sid} is not accessible with these credentials")
        response = self._actions(request, account)
        response.headers.update(self._limit_headers(sid, False))
        return response

    def _actions(self, request: Request, account) -> Response:
        campaign = request.arg("CampaignId")
        if not campaign:
            return self._error(400, "CampaignId is required")
        if campaign != account.program_id:
            return self._error(400, f"Invalid CampaignId: {campaign}")
        try:
            start = datetime.fromisoformat(request.arg("StartDate") or "")
            end = datetime.fromisoformat(request.arg("EndDate") or "")
        except ValueError:
            return self._error(400, "StartDate and EndDate must be ISO-8601 date-times")
        if start.tzinfo is None or end.tzinfo is None:
            return self._error(400, "StartDate and EndDate must carry a UTC offset")
        if end < start:
            return self._error(400, "EndDate must be after StartDate")
        if end - start > IMPACT_MAX_WINDOW:
            return self._error(
                400, "The date range between StartDate and EndDate cannot exceed 45 days"
            )
        try:
            page = int(request.arg("Page") or 1)
            size = int(request.arg("PageSize") or IMPACT_DEFAULT_PAGE_SIZE)
        except ValueError:
            return self._error(400, "Page and PageSize must be integers")
        if page < 1 or not 1 <= size <= IMPACT_MAX_PAGE_SIZE:
            return self._error(
                400, f"Page must be >= 1 and PageSize between 1 and {IMPACT_MAX_PAGE_SIZE}"
            )
        as_of = self.world.as_of
        actions = self._cache.get_or_compute(
            (id(self.world.spec), account.account_id, start, end, as_of),
            lambda: self.world.affiliate_actions_updated(
                "impact", account.account_id, start, end, as_of=as_of
            ),
        )
        total = len(actions)
        pages = max(1, math.ceil(total / size))
        chunk = actions[(page - 1) * size : page * size]
        base = {k: v[-1] for k, v in request.query.items() if k not in ("Page", "PageSize")}

        def uri(n: int) -> str:
            return f"{request.path}?{urlencode({**base, 'Page': n, 'PageSize': size})}"

        envelope = {
            "@page": str(page),
            "@numpages": str(pages),
            "@pagesize": str(size),
            "@total": str(total),
            "@start": str((page - 1) * size),
            "@end": str((page - 1) * size + max(len(chunk) - 1, 0)),
            "@uri": uri(page),
            "@firstpageuri": uri(1),
            "@previouspageuri": uri(page - 1) if page > 1 else "",
            "@nextpageuri": uri(page + 1) if page < pages else "",
            "@lastpageuri": uri(pages),
            "Actions": [action_record(a, account.program_id) for a in chunk],
        }
        if "application/json" in request.headers.get("accept", ""):
            return Response.json(envelope)
        return Response.text(_xml(envelope), content_type="application/xml")


def _xml(envelope: dict) -> str:
    attrs = " ".join(
        f'{k[1:]}="{escape(v, {chr(34): "&quot;"})}"'
        for k, v in envelope.items()
        if k.startswith("@")
    )
    actions = "".join(
        "<Action>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in a.items()) + "</Action>"
        for a in envelope["Actions"]
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><ImpactRadiusResponse><Actions {attrs}>{actions}</Actions></ImpactRadiusResponse>'
