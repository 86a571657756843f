"""impact.com advertiser API stand-in: `GET /Advertisers/<SID>/Actions` ("List all actions",
impact.com's brand API reference, https://integrations.impact.com/impact-brand/reference/
list-all-actions, with the limits in force since 5 August 2024).

Basic auth `AccountSID:AuthToken` (the SID must match the path); `CampaignId` (the program) is
required. Three date pairs filter, each an inclusive ISO-8601 range with an offset:
`ActionDateStart`/`ActionDateEnd` on EventDate, `LockingDateStart`/`LockingDateEnd` on
LockingDate, `StartDate`/`EndDate` on the last update - and state transitions (pending to
approved or reversed) are not updates. Where the reference is unclear the stand-in takes the
less convenient reading: every pair (not only StartDate/EndDate) is limited to 45 days and to
starts at most 3 years back, needs both its ends, and pairs given together must all hold. Without
any pair only the last 7 days of updates are served. PageSize defaults to 20,000 and may not be
below 2,000; a query that would need more than 10 pages is refused. Errors are impact.com's
envelope `{"Status": "ERROR", "Message": ...}` with HTTP 400. JSON with `Accept:
application/json` (a minimal XML rendering otherwise); the envelope and every action field are
strings; `@nextpageuri` is relative and empty on the last page. Actions come newest creation
first. Rate-limit headers on every response; 429 when limited.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from perfmkt_pipeline.platforms.impact.standin import data
from perfmkt_pipeline.sandbox.http_server import PlatformApp, Request, Response, ResultCache

# Every date pair may span at most 45 days (List all actions, since 5 August 2024).
IMPACT_MAX_WINDOW = timedelta(days=45)
# No start more than 3 years back (same note); counted from the start of the sandbox's today.
IMPACT_MAX_YEARS_BACK = 3
# Without any date pair, only the last 7 days of updates are returned (same note).
IMPACT_DEFAULT_DAYS = 7
# About 1,000 requests an hour (PLATFORMS.md): reported in x-ratelimit-limit-hour.
IMPACT_HOURLY_LIMIT = 1000
# PageSize: 20,000 when not given, at least 2,000 when given (same note). The reference names no
# maximum: the stand-in serves no more than its default (the less convenient reading).
IMPACT_DEFAULT_PAGE_SIZE = 20_000
IMPACT_MIN_PAGE_SIZE = 2_000
IMPACT_MAX_PAGE_SIZE = IMPACT_DEFAULT_PAGE_SIZE
# More records than this many pages of PageSize is an error, not a long answer (same note).
IMPACT_MAX_PAGES = 10
# (start parameter, end parameter, data.impact_actions keyword) of each date pair.
DATE_PAIRS = (
    ("ActionDateStart", "ActionDateEnd", "event"),
    ("LockingDateStart", "LockingDateEnd", "locking"),
    ("StartDate", "EndDate", "updated"),
)
_PATH = re.compile(r"^/Advertisers/([^/]+)/Actions(?:\.json)?/?$")
_STATES = {"pending": "PENDING", "approved": "APPROVED", "reversed": "REVERSED"}


class _Refused(ValueError):
    """A request impact.com answers with its 400 error envelope."""


def earliest_start(as_of: date) -> datetime:
    """The earliest start any date pair may have: 3 years before the sandbox's today."""
    try:
        day = as_of.replace(year=as_of.year - IMPACT_MAX_YEARS_BACK)
    except ValueError:  # 29 February
        day = as_of.replace(year=as_of.year - IMPACT_MAX_YEARS_BACK, day=28)
    return datetime.combine(day, time(), UTC)


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
        return user == sid and hmac.compare_digest(password, self.credentials.impact.token)

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
        as_of = self.world.as_of
        try:
            filters = self._date_filters(request, as_of)
            page, size = self._paging(request)
            state = request.arg("State")
            if state not in (None, "", *_STATES.values()):
                raise _Refused(f"Invalid State: {state}")
        except _Refused as refused:
            return self._error(400, str(refused))
        key = (id(self.world.spec), account.account_id, tuple(sorted(filters.items())), as_of)
        actions = self._cache.get_or_compute(
            key, lambda: data.impact_actions(self.world, account.account_id, **filters, as_of=as_of)
        )
        if state:
            actions = [a for a in actions if _STATES[a.status] == state]
        total = len(actions)
        if total > IMPACT_MAX_PAGES * size:
            return self._error(
                400,
                f"The query matches {total} records, more than {IMPACT_MAX_PAGES} pages of "
                f"{size}: adjust the PageSize or the date range so that the response has no more "
                f"than {IMPACT_MAX_PAGES} pages",
            )
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

    def _date_filters(self, request: Request, as_of: date) -> dict[str, tuple[datetime, datetime]]:
        filters = {}
        for start_name, end_name, keyword in DATE_PAIRS:
            start_text, end_text = request.arg(start_name), request.arg(end_name)
            if not start_text and not end_text:
                continue
            if not start_text or not end_text:
                given, missing = (start_name, end_name) if start_text else (end_name, start_name)
                raise _Refused(f"{given} requires {missing}")
            start = _moment(start_name, start_text)
            end = _moment(end_name, end_text)
            if end < start:
                raise _Refused(f"{end_name} must be after {start_name}")
            if end - start > IMPACT_MAX_WINDOW:
                raise _Refused(
                    f"The date range between {start_name} and {end_name} cannot exceed "
                    f"{IMPACT_MAX_WINDOW.days} days"
                )
            if start < earliest_start(as_of):
                raise _Refused(
                    f"{start_name} cannot be more than {IMPACT_MAX_YEARS_BACK} years in the past"
                )
            filters[keyword] = (start, end)
        if not filters:
            today = datetime.combine(as_of, time(), UTC)
            filters["updated"] = (today - timedelta(days=IMPACT_DEFAULT_DAYS), today)
        return filters

    def _paging(self, request: Request) -> tuple[int, int]:
        try:
            page = int(request.arg("Page") or 1)
            size = int(request.arg("PageSize") or IMPACT_DEFAULT_PAGE_SIZE)
        except ValueError:
            raise _Refused("Page and PageSize must be integers") from None
        if page < 1:
            raise _Refused("Page must be 1 or more")
        if size < IMPACT_MIN_PAGE_SIZE:
            raise _Refused(f"PageSize must be at least {IMPACT_MIN_PAGE_SIZE}")
        if size > IMPACT_MAX_PAGE_SIZE:
            raise _Refused(f"PageSize must be at most {IMPACT_MAX_PAGE_SIZE}")
        return page, size


def _moment(name: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Refused(f"{name} must be an ISO-8601 date-time") from None
    if moment.tzinfo is None:
        raise _Refused(f"{name} must carry a UTC offset")
    # In UTC, so that differences count elapsed time across daylight-saving changes.
    return moment.astimezone(UTC)


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


def secrets(sandbox) -> dict[str, str]:
    """The credentials the stand-in accepts: the first account's SID and the sandbox's token."""
    accounts = sandbox.world.accounts("impact")
    return {
        "IMPACT_ACCOUNT_SID": accounts[0].account_id if accounts else "",
        "IMPACT_AUTH_TOKEN": sandbox.credentials.impact.token,
    }
