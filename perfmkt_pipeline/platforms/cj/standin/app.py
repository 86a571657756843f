"""CJ Commission Detail (GraphQL) stand-in: `POST /query` with `advertiserCommissions`.

Bearer personal access token. Body: JSON `{"query", "variables"}` or the raw query text. The
sandbox understands `advertiserCommissions(forAdvertisers: [..], sincePostingDate: "..",
beforePostingDate: "..", sinceEventDate: "..", beforeEventDate: "..", sinceCommissionId: "..")`
(CJ's advertiser reference, https://docs.cj.com/docs/commissiondetail-api-advertiser: posting or
event date ranges, `since` inclusive and `before` exclusive; the sandbox wants at least one whole
range, and ranges given together must all hold) selecting any of `count`, `maxCommissionId`,
`payloadComplete` and `records { <RECORD_FIELDS> }`. Records come in commission-id order, at most
`page_size` per response; `payloadComplete` is false when more remain (ask again with
`sinceCommissionId = maxCommissionId`). GraphQL errors are `{"errors": [...]}` with HTTP 200.
"""

from __future__ import annotations

import hmac
import json
import math
from datetime import UTC, datetime

from perfmkt_pipeline.platforms.cj.standin import data, graphql_lite
from perfmkt_pipeline.platforms.cj.standin.data import CjCommission
from perfmkt_pipeline.sandbox.http_server import PlatformApp, Request, Response, ResultCache

# CJ returns at most this many records per call (then payloadComplete is false).
CJ_PAGE_SIZE = 10_000
CJ_ARGS = frozenset(
    {
        "forAdvertisers",
        "sincePostingDate",
        "beforePostingDate",
        "sinceEventDate",
        "beforeEventDate",
        "sinceCommissionId",
    }
)
# (since argument, before argument, data.cj_commissions `by`) of each date range.
DATE_RANGES = (
    ("sincePostingDate", "beforePostingDate", "posting"),
    ("sinceEventDate", "beforeEventDate", "event"),
)
TOP_FIELDS = frozenset({"count", "maxCommissionId", "payloadComplete", "records"})
CORRECTION_REASON = "RETURNED_MERCHANDISE"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


RECORD_FIELDS = {
    "commissionId": lambda r: r.commission_id,
    "originalActionId": lambda r: r.original_action_id,
    "original": lambda r: r.original,
    "actionStatus": lambda r: r.action_status,
    "actionType": lambda r: r.action_type,
    "actionTrackerName": lambda r: "Online Sale",
    "advertiserId": lambda r: r.account_id,
    "publisherId": lambda r: r.publisher_id,
    "publisherName": lambda r: r.publisher_name,
    "orderId": lambda r: r.order_id,
    "eventDate": lambda r: _utc(r.event_date),
    "postingDate": lambda r: _utc(r.posting_date),
    "saleAmountAdvCurrency": lambda r: str(r.sale_amount),
    "advCommissionAmountAdvCurrency": lambda r: str(r.commission),
    "correctionReason": lambda r: None if r.original else CORRECTION_REASON,
}


def _moment_of(record: CjCommission, by: str) -> datetime:
    return record.posting_date if by == "posting" else record.event_date


def _errors(*messages: str, status: int = 200) -> Response:
    return Response.json({"errors": [{"message": m} for m in messages]}, status)


def _date_arg(args: dict, name: str) -> datetime:
    raw = args.get(name)
    if not isinstance(raw, str):
        raise graphql_lite.GraphQLError(f'Argument "{name}" is required (ISO 8601 UTC date-time).')
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise graphql_lite.GraphQLError(f'Invalid date for "{name}": {raw!r}') from None
    if moment.tzinfo is None:
        raise graphql_lite.GraphQLError(
            f'"{name}" must be UTC with a zone, e.g. 2024-01-01T00:00:00Z'
        )
    return moment


def _date_ranges(args: dict) -> dict[str, tuple[datetime, datetime]]:
    ranges = {}
    for since_name, before_name, by in DATE_RANGES:
        if since_name not in args and before_name not in args:
            continue
        since, before = _date_arg(args, since_name), _date_arg(args, before_name)
        if before <= since:
            raise graphql_lite.GraphQLError(f"{before_name} must be after {since_name}")
        ranges[by] = (since, before)
    if not ranges:
        raise graphql_lite.GraphQLError(
            'A date range is required: "sincePostingDate"/"beforePostingDate" or '
            '"sinceEventDate"/"beforeEventDate".'
        )
    return ranges


class CjApp(PlatformApp):
    platform = "cj"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.page_size = CJ_PAGE_SIZE
        self._cache = ResultCache()

    def handle(self, request: Request) -> Response:
        parsed, error = self._parse(request)
        advertisers = parsed[0].args.get("forAdvertisers") if parsed else None
        account = advertisers[0] if isinstance(advertisers, list) and advertisers else None
        kind = "cj.commissions" if request.path.rstrip("/") == "/query" else "cj.unknown"
        decision = self.guard(kind, account)
        config = self.faults
        if decision == "auth":
            return _errors("Unauthorized: the personal access token has expired", status=401)
        if decision in ("rate_limit", "limit_exceeded"):
            wait = str(math.ceil(config.seconds_until_allowed(account) or config.reset_seconds))
            resp = _errors("Too Many Requests", status=429)
            resp.headers.update(
                {"Retry-After": wait, "x-ratelimit-reset": wait, "x-ratelimit-remaining": "0"}
            )
            return resp
        if decision == "server_error":
            return _errors("Service Unavailable", status=config.server_error_status)
        if kind != "cj.commissions" or request.method != "POST":
            return _errors(f"Not found: {request.method} {request.path}", status=404)
        token = request.headers.get("authorization", "")
        if not (
            token.startswith("Bearer ")
            and hmac.compare_digest(token[7:], self.credentials.cj.token)
        ):
            return _errors("Unauthorized", status=401)
        if config.next_query_errors():
            return _errors("Internal error while fetching commissions; please retry")
        if error:
            return _errors(error)
        try:
            return Response.json({"data": {"advertiserCommissions": self._commissions(parsed[0])}})
        except graphql_lite.GraphQLError as e:
            return _errors(str(e))

    def _parse(self, request: Request):
        text, variables = request.body.decode(errors="replace"), {}
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            text, variables = payload.get("query") or "", payload.get("variables") or {}
        try:
            roots = graphql_lite.parse(text, variables)
        except graphql_lite.GraphQLError as e:
            return None, str(e)
        if len(roots) != 1 or roots[0].name != "advertiserCommissions":
            names = ", ".join(r.name for r in roots)
            return (
                None,
                f"The sandbox answers exactly one advertiserCommissions field (got: {names}).",
            )
        return roots, None

    def _records(
        self, cid: str, ranges: dict[str, tuple[datetime, datetime]], as_of
    ) -> list[CjCommission]:
        """The advertiser's records in every range given (all must hold)."""
        (by, (since, before)), *others = ranges.items()
        records = data.cj_commissions(self.world, cid, since, before, by=by, as_of=as_of)
        for other, (low, high) in others:
            records = [r for r in records if low <= _moment_of(r, other) < high]
        return records

    def _commissions(self, root: graphql_lite.Field) -> dict:
        unknown = set(root.args) - CJ_ARGS
        if unknown:
            raise graphql_lite.GraphQLError(
                f'Unknown argument "{sorted(unknown)[0]}" on field "advertiserCommissions".'
            )
        advertisers = root.args.get("forAdvertisers")
        if not isinstance(advertisers, list) or not advertisers:
            raise graphql_lite.GraphQLError(
                'Argument "forAdvertisers" of type "[String!]!" is required.'
            )
        for cid in advertisers:
            try:
                self.world.account("cj", str(cid))
            except KeyError:
                raise graphql_lite.GraphQLError(
                    f"Not authorized to access advertiser {cid}"
                ) from None
        ranges = _date_ranges(root.args)
        unknown = {f.name for f in root.selections} - TOP_FIELDS
        if unknown:
            raise graphql_lite.GraphQLError(
                f'Cannot query field "{sorted(unknown)[0]}" on type "AdvertiserCommissions".'
            )
        records_field = root.child("records")
        wanted = [f.name for f in records_field.selections] if records_field else []
        bad = [w for w in wanted if w not in RECORD_FIELDS]
        if bad:
            raise graphql_lite.GraphQLError(
                f'Cannot query field "{bad[0]}" on type "AdvertiserCommission".'
            )
        as_of = self.world.as_of
        records: list[CjCommission] = self._cache.get_or_compute(
            (id(self.world.spec), tuple(advertisers), tuple(sorted(ranges.items())), as_of),
            lambda: sorted(
                (r for cid in advertisers for r in self._records(str(cid), ranges, as_of)),
                key=lambda r: int(r.commission_id),
            ),
        )
        after = root.args.get("sinceCommissionId")
        if after not in (None, "") and not str(after).isdigit():
            raise graphql_lite.GraphQLError(f'Invalid sinceCommissionId: "{after}"')
        if after not in (None, ""):
            records = [r for r in records if int(r.commission_id) > int(after)]
        page = records[: self.page_size]
        out: dict = {}
        for f in root.selections:
            if f.name == "count":
                out["count"] = len(page)
            elif f.name == "maxCommissionId":
                out["maxCommissionId"] = page[-1].commission_id if page else None
            elif f.name == "payloadComplete":
                out["payloadComplete"] = len(records) <= self.page_size
            else:
                out["records"] = [{w: RECORD_FIELDS[w](r) for w in wanted} for r in page]
        return out


def secrets(sandbox) -> dict[str, str]:
    """The personal access token the stand-in accepts."""
    return {"CJ_ACCESS_TOKEN": sandbox.credentials.cj.token}
