"""impact.com advertiser API: the Actions of each program, read by event day (ActionDate).

`GET /Advertisers/<SID>/Actions?CampaignId=..&ActionDateStart=..&ActionDateEnd=..` with Basic
auth `AccountSID:AuthToken` and `Accept: application/json` (XML otherwise); pages follow the
relative `@nextpageuri` until it is empty. Every field is a string on the wire, numbers included.

Why ActionDate. impact.com's reference for "List all actions" (brand API) says `StartDate`/
`EndDate` filter on an action's last update and that state transitions (pending to approved or
reversed) are not updates, so a last-update window never sees a decision, and a range read that
way long after the fact finds nothing for its own days. `ActionDateStart`/`ActionDateEnd` filter
on EventDate: reading a range of event days returns those days' actions in their current state,
which is what a backfill needs, and every record lands in the window of its own event day
(`window_date` = event day), so a re-read replaces exactly what it re-read. Decisions are caught
by re-reading the event days still inside the locking period: the daily sync re-reads the
trailing `impact.lookback_days` (default 90), and once an action's LockingDate has passed it can
no longer change. Reading by `LockingDateStart`/`LockingDateEnd` instead would need a second
read per run and would land an action's decision under its locking day, beside its first
version under its event day, without making a backfill any cheaper; a program whose locking
period is longer than the lookback is better served by a longer lookback (the client warns when
it sees an action locking beyond it).

The reference's limits (since 5 August 2024), each honoured here:
- every date pair spans at most 45 days: windows are cut to fit 45 days of elapsed time, so a
  window across the autumn daylight-saving change has a day less;
- no start more than 3 years back: a refused window is searched with one-day probes for the first
  day impact.com still serves, and the days before are skipped with a warning (they keep what the
  warehouse holds), as Meta's 37-month retention is handled;
- PageSize defaults to 20,000 and may not be below 2,000;
- a query that would need more than 10 pages is refused: the window is read in halves instead
  (days, then hours within a single day).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

from perfmkt_pipeline.platforms.base.affiliates.records import (
    ActionRecord,
    Where,
    Window,
    WindowedClient,
    day_in,
    decimal,
    last_second,
    midnight,
    moment,
    optional_text,
    record_json,
    required,
)
from perfmkt_pipeline.platforms.base.errors import FatalError, RequestRefusedError
from perfmkt_pipeline.platforms.base.http import HttpClient

NETWORK = "impact"
# A date pair (ActionDateStart..ActionDateEnd) spans at most 45 days (List all actions, since
# 5 August 2024); measured as elapsed time, so daylight-saving changes count.
IMPACT_MAX_WINDOW = dt.timedelta(days=45)
# impact.com serves actions at most 3 years back (same note); for messages only: the client
# learns the first day served from impact.com's refusal, never from a clock.
IMPACT_YEARS_BACK = 3
# Actions per page: impact.com's default and the most it serves, so a window costs few of the
# ~1,000 calls an hour; below 2,000 is refused (same note).
IMPACT_PAGE_SIZE = 20_000
IMPACT_MIN_PAGE_SIZE = 2_000
# A query needing more than this many pages is refused (same note).
IMPACT_MAX_PAGES = 10
# Words of impact.com's 400 answers that mean "too many pages" and "too far back". The reference
# describes these errors without quoting them; any other refusal fails the run with its message.
_TOO_MANY_PAGES = ("10 pages", "ten pages")
_TOO_FAR_BACK = ("3 years", "three years")
# impact.com sends no update time on an action. A decided action last changed when it was
# decided, which impact.com records as its LockingDate; a pending one when it was created.
_DECIDED_STATES = frozenset({"APPROVED", "REVERSED"})
_SAFETY_PAGES = 100_000  # a paging loop that never ends is a bug, not data
_ONE_DAY = dt.timedelta(days=1)
_ONE_SECOND = dt.timedelta(seconds=1)
# An inclusive range of aware datetimes, as an ActionDate pair.
Span = tuple[dt.datetime, dt.datetime]


def _says(refused: RequestRefusedError, words: tuple[str, ...]) -> bool:
    detail = refused.detail.lower()
    return refused.status == 400 and any(word in detail for word in words)


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
        lookback_days: int | None = None,
    ):
        if page_size < IMPACT_MIN_PAGE_SIZE:
            raise ValueError(
                f"impact.com page size {page_size}: its Actions endpoint refuses a PageSize "
                f"below {IMPACT_MIN_PAGE_SIZE}"
            )
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._auth = (account_sid, auth_token)
        self.program_ids = program_ids
        self.zone = zone
        self.page_size = page_size
        # The days a sync re-reads, to warn when an action locks later than that (None: no check).
        self.lookback_days = lookback_days

    def windows(self, account_id: str, start: dt.date, end: dt.date) -> Iterator[Window]:
        """[start, end] one ActionDate window at a time: (first, last, actions of every program
        whose event day is in [first, last], in their current state), so a caller lands each
        before the next. Days impact.com no longer serves (over 3 years back) are left out."""
        programs = self.program_ids.get(account_id)
        if not programs:
            raise FatalError(
                f"impact account {account_id}: no program configured "
                f"(set impact.program_ids.{account_id})",
                network=NETWORK,
                account_id=account_id,
            )
        plan, number, so_far = plan_windows(start, end, self.zone), 0, 0
        while number < len(plan):
            first, last = plan[number]
            try:
                found = [self.actions(account_id, p, first, last) for p in programs]
            except RequestRefusedError as refused:
                if not _says(refused, _TOO_FAR_BACK):
                    raise
                served = self._skip_to_served(account_id, programs[0], first, end, refused)
                plan, number = plan_windows(served, end, self.zone), 0
                continue
            number += 1
            records: list[ActionRecord] = []
            for program, actions in zip(programs, found, strict=True):
                records.extend(actions)
                so_far += len(actions)
                self.http.log.info(
                    f"impact account {account_id}, program {program}: window {number} of "
                    f"{len(plan)} ({first}..{last}): {len(actions)} actions, {so_far} so far"
                )
            self._check_locking(account_id, records)
            yield first, last, records
            del records, found  # not held while the next window is read

    def actions(
        self, account_id: str, program_id: str, start: dt.date, end: dt.date
    ) -> list[ActionRecord]:
        """The actions of one program with an event day in [start, end] (at most 45 days of
        elapsed time), read in halves where impact.com refuses a window for its size."""
        span = (midnight(start, self.zone), last_second(end, self.zone))
        if _elapsed(span) > IMPACT_MAX_WINDOW:
            raise ValueError(f"impact windows span at most {IMPACT_MAX_WINDOW.days} days")
        return self._read(
            account_id, program_id, span, Where(NETWORK, account_id, f"{start}..{end}")
        )

    def _read(
        self, account_id: str, program_id: str, span: Span, where: Where
    ) -> list[ActionRecord]:
        try:
            return self._pages(account_id, program_id, span, self.page_size, where)
        except RequestRefusedError as refused:
            if not _says(refused, _TOO_MANY_PAGES):
                raise
            halves = halve(span, self.zone)
            if halves is None:
                raise FatalError(
                    f"impact account {account_id}, program {program_id}: more than "
                    f"{IMPACT_MAX_PAGES} pages of {self.page_size} actions at {span[0]}, "
                    "a window that cannot be split further",
                    network=NETWORK,
                    account_id=account_id,
                ) from refused
            self.http.log.info(
                f"impact account {account_id}, program {program_id}: {_describe(span)} needs "
                f"more than {IMPACT_MAX_PAGES} pages of {self.page_size} actions; reading it "
                f"as {_describe(halves[0])} and {_describe(halves[1])}"
            )
            return [r for half in halves for r in self._read(account_id, program_id, half, where)]

    def _pages(
        self, account_id: str, program_id: str, span: Span, page_size: int, where: Where
    ) -> list[ActionRecord]:
        url: str | None = f"{self.base_url}/Advertisers/{account_id}/Actions"
        params: dict | None = {
            "CampaignId": program_id,
            "ActionDateStart": span[0].isoformat(),
            "ActionDateEnd": span[1].isoformat(),
            "PageSize": page_size,
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
            records.extend(self.parse(a, account_id, *span) for a in actions)
            next_uri = page.get("@nextpageuri") or ""
            # The next page's URI is relative to the API root and carries every parameter.
            url, params = (self.base_url + next_uri, None) if next_uri else (None, None)
        if total is not None and str(total) != str(len(records)):
            self.http.log.warning(
                f"impact account {account_id}, {_describe(span)}: @total said {total}, "
                f"pages held {len(records)} (actions changed while paging)"
            )
        return records

    def _skip_to_served(
        self,
        account_id: str,
        program_id: str,
        first: dt.date,
        end: dt.date,
        refused: RequestRefusedError,
    ) -> dt.date:
        """The first day of [first, end] impact.com still serves (the day after `end` if none),
        impact.com having refused a window starting on `first`; the days before are logged as
        skipped."""
        served = self._first_served_day(account_id, program_id, first, end)
        if served <= first:  # refused, yet its first day is served: not a limit we can route
            raise refused
        self.http.log.warning(
            f"impact account {account_id}: {refused.detail}: impact.com serves actions at most "
            f"{IMPACT_YEARS_BACK} years back; {first}..{min(served - _ONE_DAY, end)} skipped "
            "(the warehouse keeps what it holds for those days)"
        )
        return served

    def _first_served_day(
        self, account_id: str, program_id: str, refused: dt.date, end: dt.date
    ) -> dt.date:
        """A binary search over one-day reads (a handful, made only when a window was refused
        for being too far back)."""
        if not self._serves(account_id, program_id, end):
            return end + _ONE_DAY
        served = end
        while (served - refused).days > 1:
            middle = refused + dt.timedelta(days=(served - refused).days // 2)
            if self._serves(account_id, program_id, middle):
                served = middle
            else:
                refused = middle
        return served

    def _serves(self, account_id: str, program_id: str, day: dt.date) -> bool:
        span = (midnight(day, self.zone), last_second(day, self.zone))
        where = Where(NETWORK, account_id, f"{day} (probe)")
        try:  # the smallest page: a probe only needs impact.com's yes or no
            self._pages(account_id, program_id, span, IMPACT_MIN_PAGE_SIZE, where)
        except RequestRefusedError as refused:
            if _says(refused, _TOO_FAR_BACK):
                return False
            if _says(refused, _TOO_MANY_PAGES):
                return True  # refused for its size, so its date was accepted
            raise
        return True

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

    def _check_locking(self, account_id: str, records: list[ActionRecord]) -> None:
        """Warn once per window when a pending action locks after the lookback stops re-reading
        its event day: its decision would then never be read."""
        if self.lookback_days is None:
            return
        late = []
        for record in records:
            if record.status in _DECIDED_STATES or record.event_date is None:
                continue
            locking = json.loads(record.record).get("LockingDate")
            try:
                locks_on = day_in(dt.datetime.fromisoformat(locking), self.zone)
            except (TypeError, ValueError):
                continue  # no usable LockingDate: nothing to warn about
            if (locks_on - record.event_date).days >= self.lookback_days:
                late.append((locks_on - record.event_date, record.action_id, locks_on))
        if late:
            lag, action_id, locks_on = max(late)
            self.http.log.warning(
                f"impact account {account_id}: {len(late)} pending actions lock "
                f"{self.lookback_days} or more days after their event day (action {action_id} "
                f"locks on {locks_on}, {lag.days} days after); the daily sync stops re-reading a "
                f"day after impact.lookback_days = {self.lookback_days} days, so their decisions "
                "would be missed: raise it to cover the program's locking period"
            )

    def parse(
        self, data: dict, account_id: str, start: dt.datetime, end: dt.datetime
    ) -> ActionRecord:
        """One action -> ActionRecord; its window day is its event day."""
        first, last = day_in(start, self.zone), day_in(end, self.zone)
        where = Where(NETWORK, account_id, f"{first}..{last}", str(data.get("Id") or "?"))
        action_id = str(required(data, "Id", where))
        state = str(required(data, "State", where))
        event = moment(required(data, "EventDate", where), "EventDate", where)
        event_day = day_in(event, self.zone)
        if not first <= event_day <= last:
            raise where.error("EventDate", f"{event_day} is outside the window asked for")
        changed_field = "LockingDate" if state in _DECIDED_STATES else "CreationDate"
        changed = moment(required(data, changed_field, where), changed_field, where)
        return ActionRecord(
            platform=NETWORK,
            account_id=account_id,
            record_id=action_id,
            action_id=action_id,
            window_date=event_day,
            event_date=event_day,
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


def plan_windows(start: dt.date, end: dt.date, zone: ZoneInfo) -> list[tuple[dt.date, dt.date]]:
    """[start, end] as consecutive windows of as many days as fit in 45 days of elapsed time
    (45, or 44 across the autumn daylight-saving change)."""
    windows = []
    first = start
    while first <= end:
        last = min(end, first + dt.timedelta(days=IMPACT_MAX_WINDOW.days - 1))
        while last > first and _elapsed((midnight(first, zone), last_second(last, zone))) > (
            IMPACT_MAX_WINDOW
        ):
            last -= _ONE_DAY
        windows.append((first, last))
        first = last + _ONE_DAY
    return windows


def halve(span: Span, zone: ZoneInfo) -> tuple[Span, Span] | None:
    """Two halves of a window: by days when it spans several, else by time within its day
    (whole seconds, as impact.com's dates have); None for a single second."""
    low, high = span
    first, last = day_in(low, zone), day_in(high, zone)
    if first < last:
        middle = first + dt.timedelta(days=((last - first).days + 2) // 2)  # the extra day first
        return (low, last_second(middle - _ONE_DAY, zone)), (midnight(middle, zone), high)
    seconds = int(_elapsed(span).total_seconds())
    if seconds < 1:
        return None
    split = low.astimezone(dt.UTC) + dt.timedelta(seconds=seconds // 2)
    return (low, split.astimezone(zone)), ((split + _ONE_SECOND).astimezone(zone), high)


def _elapsed(span: Span) -> dt.timedelta:
    # In UTC: a difference of two times in one zone would ignore a daylight-saving change.
    return span[1].astimezone(dt.UTC) - span[0].astimezone(dt.UTC)


def _describe(span: Span) -> str:
    return f"{span[0].isoformat()}..{span[1].isoformat()}"
