"""impact.com advertiser API: the Actions of each program, read by last-update time.

`GET /Advertisers/<SID>/Actions?CampaignId=..&StartDate=..&EndDate=..` with Basic auth
`AccountSID:AuthToken` and `Accept: application/json` (XML otherwise). The window filters on an
action's last update, at most 45 days wide; pages follow the relative `@nextpageuri` until it is
empty. Every field is a string on the wire, numbers included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

from perfmkt_pipeline.sources.affiliates.errors import FatalError
from perfmkt_pipeline.sources.affiliates.http import HttpClient
from perfmkt_pipeline.sources.affiliates.records import (
    ActionRecord,
    Where,
    Window,
    WindowedClient,
    chunks,
    day_in,
    decimal,
    last_second,
    midnight,
    moment,
    optional_text,
    record_json,
    required,
)

NETWORK = "impact"
# The Actions window (StartDate..EndDate) may be at most 45 days wide (PLATFORMS.md).
IMPACT_MAX_WINDOW_DAYS = 45
# Days per request: one less than the limit, since a window spanning a daylight-saving change
# is an hour longer than its calendar days.
IMPACT_WINDOW_DAYS = IMPACT_MAX_WINDOW_DAYS - 1
# Actions per page: the most impact.com serves (its documented PageSize maximum), so a window
# costs few of the ~1,000 calls an hour.
IMPACT_PAGE_SIZE = 20_000
# impact.com sends no update time on an action. A decided action last changed when it was
# decided, which impact.com records as its LockingDate; a pending one when it was created.
_DECIDED_STATES = frozenset({"APPROVED", "REVERSED"})
_SAFETY_PAGES = 100_000  # a paging loop that never ends is a bug, not data


class ImpactClient(WindowedClient):
    """Actions of impact.com accounts; one client per set of credentials."""

    def __init__(
        self,
        http: HttpClient,
        base_url: str,
        account_sid: str,
        auth_token: str,
        *,
        program_ids: Mapping[str, Sequence[str]],
        zone: ZoneInfo,
        page_size: int = IMPACT_PAGE_SIZE,
    ):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._auth = (account_sid, auth_token)
        self.program_ids = program_ids
        self.zone = zone
        self.page_size = page_size

    def windows(self, account_id: str, start: dt.date, end: dt.date) -> Iterator[Window]:
        """[start, end] one request window at a time: (first, last, actions of every program
        last updated on a day in [first, last]), so a caller lands each before the next."""
        programs = self.program_ids.get(account_id)
        if not programs:
            raise FatalError(
                f"impact account {account_id}: no program configured "
                f"(set impact.program_ids.{account_id})",
                network=NETWORK,
                account_id=account_id,
            )
        windows = list(chunks(start, end, IMPACT_WINDOW_DAYS))
        so_far = 0
        for number, (first, last) in enumerate(windows, start=1):
            records: list[ActionRecord] = []
            for program in programs:
                found = self.actions(account_id, program, first, last)
                records.extend(found)
                so_far += len(found)
                self.http.log.info(
                    f"impact account {account_id}, program {program}: window {number} of "
                    f"{len(windows)} ({first}..{last}): {len(found)} actions, {so_far} so far"
                )
            yield first, last, records
            del records, found  # not held while the next window is read

    def actions(
        self, account_id: str, program_id: str, start: dt.date, end: dt.date
    ) -> list[ActionRecord]:
        """One window (at most 44 days), every page."""
        if (end - start).days + 1 > IMPACT_WINDOW_DAYS:
            raise ValueError(f"impact windows are at most {IMPACT_WINDOW_DAYS} days")
        where = Where(NETWORK, account_id, f"{start}..{end}")
        url: str | None = f"{self.base_url}/Advertisers/{account_id}/Actions"
        params: dict | None = {
            "CampaignId": program_id,
            "StartDate": midnight(start, self.zone).isoformat(),
            "EndDate": last_second(end, self.zone).isoformat(),
            "PageSize": self.page_size,
        }
        records: list[ActionRecord] = []
        seen: set[str] = set()
        total = None
        while url:
            if url in seen or len(seen) > _SAFETY_PAGES:
                raise where.error("@nextpageuri", f"paging loops back to {url}")
            seen.add(url)
            page = self._get(url, params, account_id, where)
            total = page.get("@total", total)
            actions = page.get("Actions")
            if not isinstance(actions, list):
                raise where.error("Actions", "missing from the page")
            records.extend(self.parse(a, account_id, start, end) for a in actions)
            next_uri = page.get("@nextpageuri") or ""
            # The next page's URI is relative to the API root and carries every parameter.
            url, params = (self.base_url + next_uri, None) if next_uri else (None, None)
        if total is not None and str(total) != str(len(records)):
            self.http.log.warning(
                f"impact account {account_id}, {start}..{end}: @total said {total}, "
                f"pages held {len(records)} (actions changed while paging)"
            )
        return records

    def _get(self, url: str, params: dict | None, account_id: str, where: Where) -> dict:
        response = self.http.send(
            "GET",
            url,
            account_id=account_id,
            params=params,
            auth=self._auth,
            headers={"Accept": "application/json"},
        )
        try:
            page = response.json()
        except ValueError:
            raise where.error("(body)", "the answer is not JSON") from None
        if not isinstance(page, dict):
            raise where.error("(body)", "the answer is not a JSON object")
        return page

    def parse(self, data: dict, account_id: str, start: dt.date, end: dt.date) -> ActionRecord:
        """One action -> ActionRecord; its window day is its last change, kept inside the window."""
        where = Where(NETWORK, account_id, f"{start}..{end}", str(data.get("Id") or "?"))
        action_id = str(required(data, "Id", where))
        state = str(required(data, "State", where))
        event = moment(required(data, "EventDate", where), "EventDate", where)
        changed_field = "LockingDate" if state in _DECIDED_STATES else "CreationDate"
        changed = moment(required(data, changed_field, where), changed_field, where)
        # A reversal can precede the scheduled lock: the record still belongs to this window.
        window_day = min(max(day_in(changed, self.zone), start), end)
        return ActionRecord(
            platform=NETWORK,
            account_id=account_id,
            record_id=action_id,
            action_id=action_id,
            window_date=window_day,
            event_date=day_in(event, self.zone),
            updated_at=changed,
            status=state,
            action_type=optional_text(data, "ActionTrackerName"),
            partner_id=optional_text(data, "MediaPartnerId"),
            partner_name=optional_text(data, "MediaPartnerName"),
            currency=optional_text(data, "Currency"),
            sale_amount=(
                decimal(data["Amount"], "Amount", where)
                if data.get("Amount") not in (None, "")
                else None
            ),
            commission=decimal(required(data, "Payout", where), "Payout", where),
            is_correction=False,
            record=record_json(data),
        )
