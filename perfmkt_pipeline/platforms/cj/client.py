"""CJ Affiliate commission detail (GraphQL): `advertiserCommissions` by event date.

`POST /query` with a Bearer personal access token and `{"query", "variables"}`. An answer holds
`{count, maxCommissionId, payloadComplete, records}`; while `payloadComplete` is false the same
query is asked again with `sinceCommissionId = maxCommissionId`. Corrections and reversals are
new records (`original: false`) tied to their action by `originalActionId`, with amounts that are
deltas. GraphQL errors may come with HTTP 200: they are errors all the same.

Why event date (`sinceEventDate`/`beforeEventDate`, CJ's advertiser reference,
https://docs.cj.com/docs/commissiondetail-api-advertiser). A correction is a new line item for
its action's order: it carries the action's event date but posts when it is made, weeks later. A
range read by posting date long after the fact would get its days' originals without their
corrections (reversed actions would count as approved); read by event date it gets both, so a
backfill lands its days as they stand. Corrections are made until the action locks, so the daily
sync catches them by re-reading the trailing `cj.lookback_days` of event days, which must cover
the program's locking period.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import requests

from perfmkt_pipeline.platforms.base.affiliates.records import (
    ActionRecord,
    Where,
    WindowedClient,
    day_in,
    decimal,
    midnight,
    moment,
    optional_text,
    record_json,
    required,
)
from perfmkt_pipeline.platforms.base.errors import (
    AffiliateDataError,
    AuthenticationError,
    FatalError,
    RetryableError,
)
from perfmkt_pipeline.platforms.base.http import HttpClient

NETWORK = "cj"
# CJ accepts at most 31 days of dates per query (commission detail API reference).
CJ_MAX_WINDOW_DAYS = 31
# GraphQL error texts that mean "not allowed" (fatal, name the account) or "try again".
CJ_AUTH_MARKERS = ("not authorized", "unauthorized", "forbidden", "access denied")
CJ_TRANSIENT_MARKERS = ("please retry", "try again", "timeout", "timed out", "temporarily")
RECORD_FIELDS = (
    "commissionId originalActionId original actionStatus actionType publisherId publisherName "
    "orderId eventDate postingDate saleAmountAdvCurrency advCommissionAmountAdvCurrency "
    "correctionReason"
)
QUERY = (
    "query Commissions($advertisers: [String!]!, $since: String!, $before: String!, "
    "$sinceCommissionId: String) {\n"
    "  advertiserCommissions(forAdvertisers: $advertisers, sinceEventDate: $since, "
    "beforeEventDate: $before, sinceCommissionId: $sinceCommissionId) {\n"
    f"    count maxCommissionId payloadComplete records {{ {RECORD_FIELDS} }}\n"
    "  }\n"
    "}\n"
)
_SAFETY_PAGES = 100_000


def _utc(moment_: dt.datetime) -> str:
    return moment_.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CjClient(WindowedClient):
    """Commission records of CJ advertiser accounts (one personal access token), read one
    query window of event days at a time (`windows`: records of events on a day of each window,
    corrections included)."""

    network = NETWORK
    max_window_days = CJ_MAX_WINDOW_DAYS

    def __init__(
        self,
        http: HttpClient,
        base_url: str,
        access_token: str,
        *,
        currency: str,
        zone: ZoneInfo,
    ):
        self.http = http
        self.url = base_url.rstrip("/") + "/query"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self.currency = currency
        self.zone = zone

    def read_window(self, account_id: str, start: dt.date, end: dt.date) -> list[ActionRecord]:
        """One window of event days (at most 31), every page."""
        where = Where(NETWORK, account_id, f"{start}..{end}")
        variables = {
            "advertisers": [account_id],
            "since": _utc(midnight(start, self.zone)),
            "before": _utc(midnight(end + dt.timedelta(days=1), self.zone)),
            "sinceCommissionId": None,
        }
        records: list[ActionRecord] = []
        for _ in range(_SAFETY_PAGES):
            page = self._query(variables, account_id, where)
            raw = page.get("records")
            if not isinstance(raw, list):
                raise where.error("records", "missing from the answer")
            records.extend(self.parse(r, account_id, start, end) for r in raw)
            if page.get("payloadComplete") is True:
                return records
            if page.get("payloadComplete") is not False:
                raise where.error("payloadComplete", f"{page.get('payloadComplete')!r}")
            after = page.get("maxCommissionId")
            if not after or after == variables["sinceCommissionId"]:
                raise where.error("maxCommissionId", f"{after!r} does not advance the paging")
            variables = {**variables, "sinceCommissionId": str(after)}
        raise where.error("payloadComplete", "never became true")

    def _query(self, variables: dict, account_id: str, where: Where) -> dict:
        bodies: list[Any] = []  # every answer's body, decoded once, by the check

        def check(response: requests.Response) -> None:
            bodies.append(self._check(response, account_id))

        self.http.send(
            "POST",
            self.url,
            account_id=account_id,
            json={"query": QUERY, "variables": variables},
            headers=self._headers,
            check=check,
        )
        try:  # the answer send() returned was the last one checked
            return bodies[-1]["data"]["advertiserCommissions"]
        except (KeyError, TypeError):
            raise where.error("data.advertiserCommissions", "missing from the answer") from None

    def _check(self, response: requests.Response, account_id: str) -> Any:
        """GraphQL reports errors in the body, often with HTTP 200: classify them here. Returns
        the decoded body."""
        try:
            body = response.json()
        except ValueError:
            raise AffiliateDataError(
                f"cj account {account_id}: the answer is not JSON",
                network=NETWORK,
                account_id=account_id,
            ) from None
        errors = body.get("errors") if isinstance(body, dict) else None
        if not errors:
            return body
        text = "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
        )
        lowered = text.lower()
        ids = {"network": NETWORK, "account_id": account_id}
        message = f"cj account {account_id}: GraphQL error: {text}"
        if any(marker in lowered for marker in CJ_AUTH_MARKERS):
            raise AuthenticationError(message, **ids)
        if any(marker in lowered for marker in CJ_TRANSIENT_MARKERS):
            raise RetryableError(message, **ids)
        raise FatalError(message, **ids)

    def parse(self, data: dict, account_id: str, start: dt.date, end: dt.date) -> ActionRecord:
        where = Where(NETWORK, account_id, f"{start}..{end}", str(data.get("commissionId") or "?"))
        original = data.get("original")
        if not isinstance(original, bool):
            raise where.error("original", f"{original!r} is not true or false")
        posted = moment(required(data, "postingDate", where), "postingDate", where)
        event = moment(required(data, "eventDate", where), "eventDate", where)
        event_day = day_in(event, self.zone)
        if not start <= event_day <= end:
            raise where.error("eventDate", f"{event_day} is outside the window asked for")
        return ActionRecord(
            platform=NETWORK,
            account_id=account_id,
            record_id=str(required(data, "commissionId", where)),
            action_id=str(required(data, "originalActionId", where)),
            window_date=event_day,
            event_date=event_day,
            updated_at=posted,
            status=str(required(data, "actionStatus", where)),
            action_type=optional_text(data, "actionType"),
            partner_id=optional_text(data, "publisherId"),
            partner_name=optional_text(data, "publisherName"),
            currency=self.currency,
            sale_amount=decimal(
                required(data, "saleAmountAdvCurrency", where), "saleAmountAdvCurrency", where
            ),
            commission=decimal(
                required(data, "advCommissionAmountAdvCurrency", where),
                "advCommissionAmountAdvCurrency",
                where,
            ),
            is_correction=not original,
            record=record_json(data),
        )
