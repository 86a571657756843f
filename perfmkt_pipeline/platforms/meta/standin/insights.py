"""Meta insights query parsing and rendering, as the Graph API does it (pure functions).

Understands the parameters the facebook-business SDK sends for `AdAccount.get_insights`:
`level` (ad | adset | campaign | account), `time_increment` (1 or all_days), `time_range` (JSON
{"since","until"}) or `date_preset`, `fields` (comma list), `action_attribution_windows` (JSON
list or comma list), `action_breakdowns` (empty or action_type), `limit`, `after`. Rows are
rolled up from the World's ad-level rows; all metrics are strings; zero-activity rows are
omitted; `actions` entries carry `value` plus one key per requested, non-zero window.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from perfmkt_pipeline.platforms.meta.standin import data
from perfmkt_pipeline.sandbox.spec import SandboxAccount

# Insights are kept for 37 months; older start dates get error 3018 (PLATFORMS.md).
META_RETENTION_MONTHS = 37
META_DEFAULT_LIMIT = 25
META_MAX_LIMIT = 5000
# Windows Meta still returns; 7d_view/28d_view are accepted but no longer returned (Jan 2026).
RETURNED_WINDOWS = ("1d_click", "7d_click", "28d_click", "1d_view")
ACCEPTED_WINDOWS = frozenset(RETURNED_WINDOWS) | {"7d_view", "28d_view", "default"}
LEVELS = ("account", "campaign", "adset", "ad")
_LEVEL_FIELDS = {
    "account": ("account_id", "account_name", "account_currency"),
    "campaign": ("campaign_id", "campaign_name"),
    "adset": ("adset_id", "adset_name"),
    "ad": ("ad_id", "ad_name"),
}
METRIC_FIELDS = ("spend", "impressions", "clicks", "actions", "action_values")
KNOWN_FIELDS = (
    frozenset(f for fs in _LEVEL_FIELDS.values() for f in fs)
    | set(METRIC_FIELDS)
    | {
        "date_start",
        "date_stop",
    }
)
DEFAULT_FIELDS = ("spend", "impressions")


class MetaParamError(Exception):
    def __init__(self, message: str, code: int = 100, subcode: int | None = None):
        super().__init__(message)
        self.message, self.code, self.subcode = message, code, subcode


@dataclass(frozen=True)
class InsightsQuery:
    account_id: str
    level: str
    since: date
    until: date
    daily: bool
    fields: tuple[str, ...]
    windows: tuple[str, ...]
    limit: int

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


def _list_param(raw: str | None) -> list[str]:
    if raw is None or raw.strip() == "":
        return []
    raw = raw.strip()
    if raw.startswith("["):
        try:
            values = json.loads(raw)
        except ValueError as e:
            raise MetaParamError(f"(#100) Invalid JSON list: {raw}") from e
        return [str(v) for v in values]
    return [v.strip() for v in raw.split(",") if v.strip()]


def _months_back(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, 28))


def _preset(name: str, today: date) -> tuple[date, date]:
    yesterday = today - timedelta(days=1)
    if name == "today":
        return today, today
    if name == "yesterday":
        return yesterday, yesterday
    if name.startswith("last_") and name.endswith("d") and name[5:-1].isdigit():
        n = int(name[5:-1])
        return today - timedelta(days=n), yesterday
    if name == "this_month":
        return today.replace(day=1), today
    if name == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if name == "maximum":
        return _months_back(today, META_RETENTION_MONTHS), today
    raise MetaParamError(f"(#100) date_preset must be one of the supported presets, got {name}")


def parse_insights_query(
    params: dict[str, str], account: SandboxAccount, today: date
) -> InsightsQuery:
    """Validate insights parameters the way Graph does (error code 100 for bad parameters)."""
    level = params.get("level") or "account"
    if level not in LEVELS:
        raise MetaParamError(
            f"(#100) level must be one of the following values: {', '.join(LEVELS)}"
        )
    increment = params.get("time_increment") or "all_days"
    if increment not in ("1", "all_days"):
        raise MetaParamError("(#100) The sandbox supports time_increment 1 or all_days only")
    if params.get("time_range"):
        try:
            tr = json.loads(params["time_range"])
            since, until = date.fromisoformat(tr["since"]), date.fromisoformat(tr["until"])
        except (ValueError, KeyError, TypeError) as e:
            raise MetaParamError(
                "(#100) param time_range must be an object with since and until as YYYY-MM-DD"
            ) from e
    else:
        since, until = _preset(params.get("date_preset") or "last_30d", today)
    if since > until:
        raise MetaParamError("(#100) time_range: since must be on or before until")
    if since < _months_back(today, META_RETENTION_MONTHS):
        raise MetaParamError(
            "The start date of the time range cannot be beyond 37 months from the current date",
            code=3018,
            subcode=1487534,
        )
    fields = tuple(_list_param(params.get("fields"))) or DEFAULT_FIELDS
    unknown = [f for f in fields if f not in KNOWN_FIELDS]
    if unknown:
        raise MetaParamError(f"(#100) {unknown[0]} is not valid for fields param.")
    windows = tuple(_list_param(params.get("action_attribution_windows")))
    bad = [w for w in windows if w not in ACCEPTED_WINDOWS]
    if bad:
        raise MetaParamError(
            f"(#100) action_attribution_windows[0] must be one of the following values: "
            f"{', '.join(sorted(ACCEPTED_WINDOWS))}; got {bad[0]}"
        )
    if _list_param(params.get("action_breakdowns")) not in ([], ["action_type"]):
        raise MetaParamError("(#100) The sandbox supports action_breakdowns=action_type only")
    if _list_param(params.get("breakdowns")):
        raise MetaParamError("(#100) The sandbox does not support breakdowns")
    try:
        limit = int(params.get("limit") or META_DEFAULT_LIMIT)
    except ValueError as e:
        raise MetaParamError("(#100) param limit must be an integer") from e
    return InsightsQuery(
        account_id=account.account_id,
        level=level,
        since=since,
        until=until,
        daily=increment == "1",
        fields=fields,
        windows=tuple(w for w in RETURNED_WINDOWS if w in windows),
        limit=max(1, min(limit, META_MAX_LIMIT)),
    )


def _add_actions(total: dict[str, dict[str, Decimal]], entries) -> None:
    for a in entries:
        t = total.setdefault(a.action_type, {})
        t["value"] = t.get("value", Decimal(0)) + a.value
        for w, v in a.windows:
            t[w] = t.get(w, Decimal(0)) + v


def _render_actions(total: dict[str, dict[str, Decimal]], windows: tuple[str, ...]) -> list[dict]:
    out = []
    for action_type, values in total.items():
        entry = {"action_type": action_type, "value": str(values.get("value", Decimal(0)))}
        for w in windows:
            if values.get(w):
                entry[w] = str(values[w])
        out.append(entry)
    return out


def insight_rows(world, account: SandboxAccount, q: InsightsQuery, as_of: date) -> list[dict]:
    """All rows of a query (before paging), rolled up to `q.level`, as Graph serialises them."""
    ad_days = data.ad_days(world, account.account_id, q.since, q.until, as_of=as_of)
    groups: dict[tuple, dict] = {}
    for r in ad_days:
        level_ids = {
            "account": (),
            "campaign": (r.campaign_id,),
            "adset": (r.campaign_id, r.adset_id),
            "ad": (r.campaign_id, r.adset_id, r.ad_id),
        }[q.level]
        start, stop = (r.day, r.day) if q.daily else (q.since, q.until)
        key = (start, *level_ids)
        g = groups.get(key)
        if g is None:
            g = groups[key] = {
                "row": r,
                "start": start,
                "stop": stop,
                "spend": Decimal(0),
                "impressions": 0,
                "clicks": 0,
                "actions": {},
                "action_values": {},
            }
        g["spend"] += r.spend
        g["impressions"] += r.impressions
        g["clicks"] += r.clicks
        _add_actions(g["actions"], r.actions)
        _add_actions(g["action_values"], r.action_values)
    names = {
        "account_id": lambda r: account.account_id,
        "account_name": lambda r: account.name,
        "account_currency": lambda r: account.currency,
        "campaign_id": lambda r: r.campaign_id,
        "campaign_name": lambda r: r.campaign_name,
        "adset_id": lambda r: r.adset_id,
        "adset_name": lambda r: r.adset_name,
        "ad_id": lambda r: r.ad_id,
        "ad_name": lambda r: r.ad_name,
    }
    allowed = {f for lvl in LEVELS[: LEVELS.index(q.level) + 1] for f in _LEVEL_FIELDS[lvl]}
    rows = []
    for key in sorted(groups):
        g = groups[key]
        row: dict = {}
        for f in q.fields:
            if f in names:
                if f in allowed:
                    row[f] = names[f](g["row"])
            elif f in ("spend",):
                row[f] = str(g["spend"])
            elif f in ("impressions", "clicks"):
                row[f] = str(g[f])
            elif f in ("actions", "action_values") and g[f]:
                row[f] = _render_actions(g[f], q.windows)
        row["date_start"] = g["start"].isoformat()
        row["date_stop"] = g["stop"].isoformat()
        rows.append(row)
    return rows


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"sbx:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, offset = raw.split(":")
        if prefix != "sbx":
            raise ValueError(raw)
        return int(offset)
    except (ValueError, UnicodeDecodeError) as e:
        raise MetaParamError("(#100) Invalid cursor: after") from e
