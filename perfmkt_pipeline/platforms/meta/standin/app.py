"""Meta Graph API stand-in: insights (sync and async report runs), account info, campaigns.

Routes under `/<version>/` (any `vNN.N`):
  GET  act_<id>                 account node (fields: id, account_id, name, currency, timezone_name)
  GET  act_<id>/campaigns       campaigns (id, name, status, effective_status), cursor paged
  GET  act_<id>/adsets          ad sets (listings.py), cursor paged, fields selected as asked
  GET  act_<id>/ads             ads with their creative (`creative{...}`), cursor paged
  GET  act_<id>/insights        sync insights (meta_insights.py), cursor paged
  POST act_<id>/insights        start an async report run -> {"report_run_id"}
  GET  <run_id>                 report run status (async_status, async_percent_completion)
  GET  <run_id>/insights        report run results, paged; before completion: 2601 / 1815107
Every response carries the usage headers; errors use Graph's envelope. `access_token` (query or
form) is checked, and `appsecret_proof` when sent.
"""

from __future__ import annotations

import hmac
import itertools
import json
import re
import threading
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from perfmkt_pipeline.platforms.meta.standin import listings
from perfmkt_pipeline.platforms.meta.standin.insights import (
    InsightsQuery,
    MetaParamError,
    decode_cursor,
    encode_cursor,
    insight_rows,
    parse_insights_query,
)
from perfmkt_pipeline.platforms.meta.standin.sandbox import MetaFaults
from perfmkt_pipeline.sandbox.http_server import PlatformApp, Request, Response, ResultCache

_PATH = re.compile(r"^/(v\d+\.\d+)/([^/]+)(?:/([^/]*))?/?$")
# Graph's "too many calls" family: code -> (message, error_subcode).
RATE_LIMIT_ERRORS = {
    4: ("(#4) Application request limit reached", None),
    17: ("(#17) User request limit reached", 2446079),
    32: ("(#32) Page request limit reached", None),
    613: ("(#613) Calls to this api have exceeded the rate limit.", 1487742),
    80000: ("(#80000) There have been too many calls from this ad-account. Wait a bit and try again.", 2446079),
}  # fmt: skip
# Statuses of an async report run, in order.
JOB_NOT_STARTED, JOB_RUNNING, JOB_COMPLETED, JOB_FAILED = (
    "Job Not Started", "Job Running", "Job Completed", "Job Failed",
)  # fmt: skip


@dataclass
class ReportRun:
    run_id: str
    account_id: str
    query: InsightsQuery
    as_of: date
    fails: bool
    polls_to_complete: int
    stuck_polls: int
    polls: int = 0

    def status(self) -> tuple[str, int]:
        k, p = self.polls, max(1, self.polls_to_complete)
        if k == 0:
            return JOB_NOT_STARTED, 0
        if k < p:
            return (JOB_NOT_STARTED, 0) if k == 1 else (JOB_RUNNING, int(100 * (k - 1) / p))
        if self.fails:
            return JOB_FAILED, int(100 * (p - 1) / p)
        if k < p + self.stuck_polls:
            return JOB_RUNNING, 100  # reads 100% but is not done: results are not ready yet
        return JOB_COMPLETED, 100


class MetaApp(PlatformApp):
    platform = "meta"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._runs: dict[str, ReportRun] = {}
        self._run_ids = itertools.count(1)
        self._trace = itertools.count(1)
        self._lock = threading.Lock()
        self._rows_cache = ResultCache()

    # -- plumbing ------------------------------------------------------------------------------

    def _error(self, status, code, message, *, etype="OAuthException", subcode=None,
               transient=False, title=None, user_msg=None, account=None) -> Response:  # fmt: skip
        err = {"message": message, "type": etype, "code": code}
        if subcode is not None:
            err["error_subcode"] = subcode
        err["is_transient"] = transient
        if title:
            err["error_user_title"] = title
            err["error_user_msg"] = user_msg or message
        err["fbtrace_id"] = f"ASbx{next(self._trace):012d}"
        return self._with_usage(Response.json({"error": err}, status), account, limited=False)

    def _with_usage(self, response: Response, account_id: str | None, limited: bool) -> Response:
        config: MetaFaults = self.faults
        used = config.usage_fraction(account_id)
        pct = config.usage_percent
        if pct is None:
            pct = 100 if limited else (min(100, int(used * 100)) if used is not None else 1)
        regain = config.regain_access_minutes if (limited or pct >= 100) else 0
        if isinstance(regain, float) and regain.is_integer():
            regain = int(regain)
        usage = {
            "call_count": pct,
            "total_cputime": max(1, pct // 2),
            "total_time": max(1, pct // 2),
        }
        key = account_id or "0"
        headers = {
            "x-business-use-case-usage": json.dumps(
                {
                    key: [
                        {"type": "ads_insights", **usage, "estimated_time_to_regain_access": regain}
                    ]
                }
            ),
            "x-fb-ads-insights-throttle": json.dumps(
                {
                    "app_id_util_pct": pct,
                    "acc_id_util_pct": pct,
                    "ads_api_access_tier": "standard_access",
                }
            ),
            "x-app-usage": json.dumps(usage),
        }
        response.headers.update(headers)
        return response

    def _params(self, request: Request) -> dict[str, str]:
        merged = {k: v[-1] for k, v in request.query.items()}
        merged.update({k: v[-1] for k, v in request.form().items()})
        return merged

    def _auth_error(self, params: dict[str, str], account_id: str | None) -> Response | None:
        token = params.get("access_token")
        if not token:
            return self._error(400, 2500, "An active access token must be used to query information about the current user.", account=account_id)  # fmt: skip
        if not hmac.compare_digest(token, self.credentials.meta.access_token):
            return self._error(400, 190, "Invalid OAuth access token - Cannot parse access token", account=account_id)  # fmt: skip
        proof = params.get("appsecret_proof")
        if proof is not None and not hmac.compare_digest(
            proof, self.credentials.meta.appsecret_proof(token)
        ):
            return self._error(400, 100, "Invalid appsecret_proof provided in the API argument", etype="GraphMethodException", account=account_id)  # fmt: skip
        return None

    def _fault_response(self, decision: str, account_id: str | None) -> Response:
        config: MetaFaults = self.faults
        if decision == "auth":
            return self._error(400, 190, "Error validating access token: Session has expired.", subcode=463, account=account_id)  # fmt: skip
        if decision in ("rate_limit", "limit_exceeded"):
            message, subcode = RATE_LIMIT_ERRORS.get(
                config.rate_limit_code, RATE_LIMIT_ERRORS[80000]
            )
            if 80000 <= config.rate_limit_code <= 80014:
                message = message.replace("80000", str(config.rate_limit_code))
            resp = self._error(400, config.rate_limit_code, message, subcode=subcode, transient=True,
                               title="Too many calls", account=account_id)  # fmt: skip
            return self._with_usage(resp, account_id, limited=True)
        return self._error(config.server_error_status, 2, "An unexpected error has occurred. Please retry your request later.", transient=True, account=account_id)  # fmt: skip

    def _unknown_object(self, object_id: str, account_id=None) -> Response:
        return self._error(
            400, 100,
            f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded "
            "due to missing permissions, or does not support this operation.",
            etype="GraphMethodException", subcode=33, account=account_id,
        )  # fmt: skip

    # -- routing -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        m = _PATH.match(request.path)
        if not m:
            self.counters.record(self.platform, "meta.unknown")
            return self._error(400, 2500, "Unknown path components: " + request.path)
        _, node, edge = m.groups()
        edge = edge or ""
        params = self._params(request)
        if node.startswith("act_"):
            account_id = node[4:]
            kind = {
                ("GET", ""): "meta.account",
                ("GET", "campaigns"): "meta.campaigns",
                ("GET", "adsets"): "meta.adsets",
                ("GET", "ads"): "meta.ads",
                ("GET", "insights"): "meta.insights_sync",
                ("POST", "insights"): "meta.report_run",
            }.get((request.method, edge), "meta.unknown")
        else:
            run = self._runs.get(node)
            account_id = run.account_id if run else None
            kind = {("GET", ""): "meta.report_poll", ("GET", "insights"): "meta.report_page"}.get(
                (request.method, edge), "meta.unknown"
            )
        decision = self.guard(kind, account_id)
        if decision is not None:
            return self._fault_response(decision, account_id)
        denied = self._auth_error(params, account_id)
        if denied is not None:
            return denied
        try:
            if kind == "meta.unknown":
                return self._unknown_object(node, account_id)
            if node.startswith("act_"):
                try:
                    account = self.world.account("meta", account_id)
                except KeyError:
                    return self._unknown_object(node)
                handler = {
                    "meta.account": self._account,
                    "meta.campaigns": self._campaigns,
                    "meta.adsets": self._listing,
                    "meta.ads": self._listing,
                    "meta.insights_sync": self._insights_sync,
                    "meta.report_run": self._report_run,
                }[kind]
                return self._with_usage(handler(request, params, account), account_id, False)
            if run is None:
                return self._unknown_object(node)
            handler = self._report_poll if kind == "meta.report_poll" else self._report_page
            return self._with_usage(handler(request, params, run), account_id, False)
        except MetaParamError as e:
            return self._error(400, e.code, e.message, subcode=e.subcode, account=account_id)

    # -- endpoints -----------------------------------------------------------------------------

    def _account(self, request, params, account) -> Response:
        available = {
            "id": f"act_{account.account_id}",
            "account_id": account.account_id,
            "name": account.name,
            "currency": account.currency,
            "timezone_name": account.timezone,
            "account_status": 1,
        }
        wanted = [f for f in (params.get("fields") or "").split(",") if f] or ["name"]
        body = {f: available[f] for f in wanted if f in available}
        body["id"] = available["id"]
        return Response.json(body)

    def _campaigns(self, request, params, account) -> Response:
        items = [
            {"id": c.campaign_id, "name": c.name, "status": c.status, "effective_status": c.status}
            for c in self.world.campaigns("meta", account.account_id)
        ]
        wanted = [f for f in (params.get("fields") or "").split(",") if f] or ["id"]
        items = [{k: v for k, v in it.items() if k in wanted or k == "id"} for it in items]
        return self._page(request, params, items, int(params.get("limit") or 25))

    def _listing(self, request, params, account) -> Response:
        edge = request.path.rstrip("/").rsplit("/", 1)[-1]
        listed = {"adsets": listings.adsets, "ads": listings.ads}[edge]
        fields = listings.parse_fields(params.get("fields") or "id")
        statuses = params.get("effective_status")
        try:
            asked = json.loads(statuses) if statuses else None
        except json.JSONDecodeError:
            asked = None
        if statuses and not (isinstance(asked, list) and all(isinstance(a, str) for a in asked)):
            raise MetaParamError(f"(#100) Param effective_status must be an array: {statuses}")
        everything = listed(self.world.spec, account, self.world.as_of)
        items = [listings.select(item, fields) for item in listings.listed(everything, asked)]
        return self._page(request, params, items, int(params.get("limit") or 25))

    def _insights_sync(self, request, params, account) -> Response:
        q = parse_insights_query(params, account, self.world.as_of)
        limit_days = self.faults.reduce_data_max_days
        if limit_days is not None and q.days > limit_days:
            return self._error(500, 1, "Please reduce the amount of data you're asking for, then retry your request", transient=False, account=account.account_id)  # fmt: skip
        rows = self._rows(account, q, self.world.as_of)
        return self._page(request, params, rows, q.limit)

    def _report_run(self, request, params, account) -> Response:
        q = parse_insights_query(params, account, self.world.as_of)
        config: MetaFaults = self.faults
        with self._lock:
            run_id = str(1_000_000_000_000_000 + next(self._run_ids))
            self._runs[run_id] = ReportRun(
                run_id, account.account_id, q, self.world.as_of, config.next_run_fails(),
                config.async_polls_to_complete, config.async_stuck_at_100_polls,
            )  # fmt: skip
        return Response.json({"report_run_id": run_id})

    def _report_poll(self, request, params, run: ReportRun) -> Response:
        with self._lock:
            run.polls += 1
            status, pct = run.status()
        body = {
            "id": run.run_id,
            "account_id": run.account_id,
            "async_status": status,
            "async_percent_completion": pct,
            "date_start": run.query.since.isoformat(),
            "date_stop": run.query.until.isoformat(),
            "is_running": status in (JOB_NOT_STARTED, JOB_RUNNING),
        }
        return Response.json(body)

    def _report_page(self, request, params, run: ReportRun) -> Response:
        with self._lock:
            status, _ = run.status()
        if status == JOB_FAILED:
            return self._error(400, 2601, "Error accessing adreportrun: the report run failed", account=run.account_id)  # fmt: skip
        if status != JOB_COMPLETED:
            return self._error(
                400, 2601, "Error accessing adreportrun", subcode=1815107, transient=True,
                title="Loading Async Ads Report Failed",
                user_msg="Sorry, the report cannot be loaded successfully. Please check if your job status is completed instead of failed or running before fetching the data.",
                account=run.account_id,
            )  # fmt: skip
        account = self.world.account("meta", run.account_id)
        rows = self._rows(account, run.query, run.as_of)
        limit = int(params.get("limit") or run.query.limit)
        return self._page(request, params, rows, limit)

    # -- helpers -------------------------------------------------------------------------------

    def _rows(self, account, q: InsightsQuery, as_of: date) -> list[dict]:
        """Rows of a query; cached so that paging through a large result stays linear."""
        return self._rows_cache.get_or_compute(
            (id(self.world.spec), account.account_id, q, as_of),
            lambda: insight_rows(self.world, account, q, as_of),
        )

    def _page(self, request: Request, params: dict[str, str], items: list, limit: int) -> Response:
        offset = decode_cursor(params["after"]) if params.get("after") else 0
        page = items[offset : offset + limit]
        body: dict = {"data": page}
        if page:
            paging: dict = {
                "cursors": {
                    "before": encode_cursor(offset),
                    "after": encode_cursor(offset + len(page)),
                }
            }
            if offset + len(page) < len(items):
                query = {k: v[-1] for k, v in request.query.items()}
                query.update({"limit": str(limit), "after": encode_cursor(offset + len(page))})
                paging["next"] = f"http://{request.host}{request.path}?{urlencode(query)}"
            body["paging"] = paging
        return Response.json(body)
