"""The impact.com, CJ and Awin stand-ins: documented shapes, paging, errors, ground truth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import requests

from perfmkt_pipeline.platforms.cj.standin import data as cj_data
from perfmkt_pipeline.platforms.impact.standin import data as impact_data
from perfmkt_pipeline.sandbox.faults import RateLimit
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec

AS_OF = date(2024, 6, 1)
MAY = (date(2024, 5, 1), date(2024, 5, 31))
IMPACT_FIELDS = {
    "Id", "CampaignId", "ActionTrackerName", "MediaPartnerId", "MediaPartnerName", "State",
    "Amount", "Payout", "Currency", "EventDate", "CreationDate", "LockingDate", "Oid",
}  # fmt: skip
CJ_RECORD_FIELDS = (
    "commissionId originalActionId original actionStatus actionType publisherId publisherName "
    "orderId eventDate postingDate saleAmountAdvCurrency advCommissionAmountAdvCurrency"
)
CJ_QUERY = (
    "query Commissions($cid: String!, $since: String!, $before: String!, $after: String) {\n"
    "  advertiserCommissions(forAdvertisers: [$cid], sincePostingDate: $since,\n"
    "                        beforePostingDate: $before, sinceCommissionId: $after) {\n"
    "    count maxCommissionId payloadComplete records { " + CJ_RECORD_FIELDS + " }\n"
    "  }\n"
    "}\n"
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(as_of=AS_OF, google_ads=False) as sb:
        yield sb


@pytest.fixture(autouse=True)
def clean(sandbox: Sandbox) -> Iterator[None]:
    sandbox.faults.clear()
    sandbox.counters.reset()
    yield
    sandbox.apps["cj"].page_size = 10_000


def _truth_by_day(sandbox: Sandbox, platform: str) -> dict:
    df = sandbox.world.ground_truth(platform, *MAY, level="account")
    return {r.day: (r.spend, r.conversions, r.conversion_value) for r in df.itertuples()}


# -- impact.com -----------------------------------------------------------------------------------
# The stand-in follows impact.com's "List all actions" (brand API) reference; see sandbox/impact.py.


def impact_get(sandbox: Sandbox, path_or_params, *, auth=None, accept="application/json"):
    env = sandbox.env()
    sid = env["IMPACT_ACCOUNT_SID"]
    auth = auth or (sid, env["IMPACT_AUTH_TOKEN"])
    headers = {"Accept": accept} if accept else {}
    if isinstance(path_or_params, str):
        return requests.get(env["PERFMKT_IMPACT_URL"] + path_or_params, auth=auth, headers=headers)
    url = f"{env['PERFMKT_IMPACT_URL']}/Advertisers/{sid}/Actions"
    return requests.get(url, params=path_or_params, auth=auth, headers=headers)


def _impact_window(start: str, end: str, **extra) -> dict:
    return {"CampaignId": "12345", "ActionDateStart": start, "ActionDateEnd": end, **extra}


def _ids(response: requests.Response) -> set[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["@nextpageuri"] == ""
    return {a["Id"] for a in body["Actions"]}


def _refusal(response: requests.Response) -> str:
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"Status", "Message"} and body["Status"] == "ERROR"
    return body["Message"]


NY = ZoneInfo("America/New_York")
MAY_20 = (
    datetime(2024, 5, 20, tzinfo=NY).isoformat(),
    datetime(2024, 5, 20, 23, 59, 59, tzinfo=NY).isoformat(),
)


@pytest.fixture(scope="module")
def dense() -> Iterator[Sandbox]:
    """500 actions a day: enough for pages of impact.com's smallest PageSize (2,000)."""
    spec = replace(WorldSpec.small(), affiliate_actions_per_day=500.0)
    with Sandbox(spec, as_of=AS_OF, google_ads=False) as sb:
        yield sb


def test_impact_pages_follow_nextpageuri_with_string_fields_and_sum_to_ground_truth(dense):
    # May 2024 holds 14,588 actions: 8 pages of 2,000.
    first = impact_get(
        dense,
        _impact_window("2024-05-01T00:00:00-04:00", "2024-05-31T23:59:59-04:00", PageSize=2000),
    )
    assert first.status_code == 200
    assert (
        first.headers["x-ratelimit-remaining-hour"] == "999"
        and "x-ratelimit-reset" in first.headers
    )
    pages, body = [first.json()], first.json()
    while body["@nextpageuri"]:
        assert body["@nextpageuri"].startswith("/Advertisers/")
        body = impact_get(dense, body["@nextpageuri"]).json()
        pages.append(body)
    assert [p["@page"] for p in pages] == [str(i) for i in range(1, 9)]
    assert all(p["@numpages"] == "8" and p["@pagesize"] == "2000" for p in pages)
    actions = [a for p in pages for a in p["Actions"]]
    assert pages[0]["@total"] == str(len(actions)) == "14588"
    created = [datetime.fromisoformat(a["CreationDate"]) for a in actions]
    assert created == sorted(created, reverse=True)  # newest creation first, as documented
    served: dict = {}
    for a in actions:
        assert set(a) == IMPACT_FIELDS and all(isinstance(v, str) for v in a.values())
        assert a["State"] in ("PENDING", "APPROVED", "REVERSED")
        event = datetime.fromisoformat(a["EventDate"])
        assert event.utcoffset() is not None and MAY[0] <= event.date() <= MAY[1]
        if a["State"] != "REVERSED":
            t = served.setdefault(event.date(), [Decimal(0), Decimal(0), Decimal(0)])
            t[0] += Decimal(a["Payout"])
            t[1] += 1
            t[2] += Decimal(a["Amount"])
    assert {d: tuple(v) for d, v in served.items()} == _truth_by_day(dense, "impact")


def test_impact_date_pairs_filter_event_locking_and_update_times_and_combine(sandbox):
    world = sandbox.world
    sid = sandbox.env()["IMPACT_ACCOUNT_SID"]
    day = tuple(datetime.fromisoformat(t) for t in MAY_20)
    by_event = _ids(impact_get(sandbox, _impact_window(*MAY_20)))
    assert by_event == {
        a.action_id for a in world.affiliate_actions("impact", sid, *[date(2024, 5, 20)] * 2)
    }
    locking = {"CampaignId": "12345", "LockingDateStart": MAY_20[0], "LockingDateEnd": MAY_20[1]}
    by_locking = _ids(impact_get(sandbox, locking))
    # 9 actions locked (were decided) on 05-20, all created days before.
    decided = [
        a
        for a in impact_data.impact_actions(world, sid, event=(day[0] - timedelta(days=60), day[1]))
        if day[0] <= a.lock_at <= day[1]
    ]
    assert by_locking == {a.action_id for a in decided} and len(decided) == 9
    assert {a.status for a in decided} == {"approved", "reversed"}
    # Inclusive bounds, to the second: one action's own event time selects it alone.
    one = world.affiliate_actions("impact", sid, date(2024, 5, 20), date(2024, 5, 20))[0]
    assert _ids(impact_get(sandbox, _impact_window(*[one.event_time.isoformat()] * 2))) == {
        one.action_id
    }
    # Pairs together must all hold: 05-20's lockers with an event day in 04-20..05-10: 5.
    both = impact_get(
        sandbox,
        {
            **locking,
            "ActionDateStart": "2024-04-20T00:00:00-04:00",
            "ActionDateEnd": "2024-05-10T23:59:59-04:00",
        },
    )
    assert _ids(both) == {
        a.action_id for a in decided if date(2024, 4, 20) <= a.event_day <= date(2024, 5, 10)
    }
    assert len(_ids(both)) == 5


def test_impact_state_transitions_are_not_updates(sandbox):
    # StartDate/EndDate filter on the last update, and a decision is not one: the 9 actions
    # decided on 05-20 are not in 05-20's update window, which holds the 7 actions created that
    # day (all still pending then), nor in any later one; their creation day's window has them.
    world = sandbox.world
    sid = sandbox.env()["IMPACT_ACCOUNT_SID"]
    updated = {"CampaignId": "12345", "StartDate": MAY_20[0], "EndDate": MAY_20[1]}
    created_that_day = _ids(impact_get(sandbox, updated))
    day = tuple(datetime.fromisoformat(t) for t in MAY_20)
    assert created_that_day == {
        a.action_id
        for a in world.affiliate_actions("impact", sid, date(2024, 5, 1), date(2024, 5, 31))
        if day[0] <= a.created_at <= day[1]
    }
    assert len(created_that_day) == 7
    decided = {a.action_id: a for a in impact_data.impact_actions(world, sid, locking=day)}
    assert decided and not created_that_day & set(decided)
    later = {
        "CampaignId": "12345",
        "StartDate": "2024-05-20T00:00:00-04:00",
        "EndDate": "2024-05-31T23:59:59-04:00",
    }
    assert not _ids(impact_get(sandbox, later)) & set(decided)
    some = next(iter(decided.values()))
    creation = some.created_at.astimezone(NY).date()
    own_day = {
        "CampaignId": "12345",
        "StartDate": datetime.combine(creation, datetime.min.time(), NY).isoformat(),
        "EndDate": datetime.combine(
            creation, datetime.max.time().replace(microsecond=0), NY
        ).isoformat(),
    }
    found = impact_get(sandbox, own_day).json()["Actions"]
    assert [a["State"] for a in found if a["Id"] == some.action_id] == [some.status.upper()]


def test_impact_without_a_date_pair_serves_the_last_7_days_of_updates(sandbox):
    # As of 2024-06-01: actions last updated (created) from 2024-05-25 00:00 UTC: 85.
    body = impact_get(sandbox, {"CampaignId": "12345"}).json()
    assert body["@total"] == "85" and body["@pagesize"] == "20000"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        # 45 days and a second: too wide, for every pair.
        (
            {"ActionDateStart": "2024-04-01T00:00:00Z", "ActionDateEnd": "2024-05-16T00:00:01Z"},
            "The date range between ActionDateStart and ActionDateEnd cannot exceed 45 days",
        ),
        (
            {"LockingDateStart": "2024-04-01T00:00:00Z", "LockingDateEnd": "2024-05-16T00:00:01Z"},
            "The date range between LockingDateStart and LockingDateEnd cannot exceed 45 days",
        ),
        (
            {"StartDate": "2024-04-01T00:00:00Z", "EndDate": "2024-05-16T00:00:01Z"},
            "The date range between StartDate and EndDate cannot exceed 45 days",
        ),
        # 45 calendar days across New York's autumn change are 45 days and an hour.
        (
            {
                "ActionDateStart": "2023-10-01T00:00:00-04:00",
                "ActionDateEnd": "2023-11-14T23:59:59-05:00",
            },
            "The date range between ActionDateStart and ActionDateEnd cannot exceed 45 days",
        ),
        # As of 2024-06-01, no start before 2021-06-01 00:00 UTC.
        (
            {"ActionDateStart": "2021-05-31T23:59:59Z", "ActionDateEnd": "2021-06-02T00:00:00Z"},
            "ActionDateStart cannot be more than 3 years in the past",
        ),
        (
            {"StartDate": "2021-05-31T19:59:59-04:00", "EndDate": "2021-06-02T00:00:00Z"},
            "StartDate cannot be more than 3 years in the past",
        ),
        ({"StartDate": "2024-05-01T00:00:00Z"}, "StartDate requires EndDate"),
        ({"EndDate": "2024-05-01T00:00:00Z"}, "EndDate requires StartDate"),
        ({"ActionDateStart": "2024-05-01T00:00:00Z"}, "ActionDateStart requires ActionDateEnd"),
        ({"LockingDateEnd": "2024-05-01T00:00:00Z"}, "LockingDateEnd requires LockingDateStart"),
        (
            {"ActionDateStart": "2024-05-02T00:00:00Z", "ActionDateEnd": "2024-05-01T00:00:00Z"},
            "ActionDateEnd must be after ActionDateStart",
        ),
        (
            {"ActionDateStart": "2024-05-01T00:00:00", "ActionDateEnd": "2024-05-02T00:00:00"},
            "ActionDateStart must carry a UTC offset",
        ),
        (
            {
                "ActionDateStart": "2024-05-01T00:00:00Z",
                "ActionDateEnd": "2024-05-02T00:00:00Z",
                "PageSize": "1999",
            },
            "PageSize must be at least 2000",
        ),
    ],
)
def test_impact_refuses_what_its_reference_forbids_with_its_error_envelope(
    sandbox, params, message
):
    assert _refusal(impact_get(sandbox, {"CampaignId": "12345", **params})) == message


def test_impact_accepts_the_limits_themselves(sandbox):
    ok = [
        # Exactly 45 days; a start exactly 3 years back; the smallest PageSize.
        {"ActionDateStart": "2024-04-01T00:00:00Z", "ActionDateEnd": "2024-05-16T00:00:00Z"},
        {"StartDate": "2021-06-01T00:00:00Z", "EndDate": "2021-06-02T00:00:00Z"},
        {"ActionDateStart": "2024-05-01T00:00:00Z", "ActionDateEnd": "2024-05-02T00:00:00Z",
         "PageSize": "2000"},
        # Spring forward makes 45 calendar days an hour shorter.
        {"ActionDateStart": "2024-03-01T00:00:00-05:00", "ActionDateEnd": "2024-04-14T23:59:59-04:00"},
    ]  # fmt: skip
    assert [impact_get(sandbox, {"CampaignId": "12345", **p}).status_code for p in ok] == [200] * 4


def test_impact_refuses_a_query_that_would_need_more_than_10_pages(dense):
    # 2024-04-01..05-15 (45 days) holds 21,202 actions: 11 pages of 2,000, 2 of the default.
    window = _impact_window("2024-04-01T00:00:00-04:00", "2024-05-15T23:59:59-04:00")
    assert _refusal(impact_get(dense, {**window, "PageSize": "2000"})) == (
        "The query matches 21202 records, more than 10 pages of 2000: adjust the PageSize or "
        "the date range so that the response has no more than 10 pages"
    )
    body = impact_get(dense, window).json()
    assert (body["@total"], body["@numpages"], len(body["Actions"])) == ("21202", "2", 20000)


def test_impact_refuses_bad_credentials_and_answers_xml_without_accept(sandbox):
    bad_auth = impact_get(
        sandbox,
        _impact_window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"),
        auth=("IRsbxAcme0000000000000000000000001", "nope"),
    )
    assert bad_auth.status_code == 401
    missing = impact_get(
        sandbox, {"StartDate": "2024-05-01T00:00:00Z", "EndDate": "2024-05-02T00:00:00Z"}
    )
    assert _refusal(missing) == "CampaignId is required"
    xml = impact_get(
        sandbox, _impact_window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"), accept=None
    )
    assert xml.headers["Content-Type"].startswith("application/xml") and "<Actions " in xml.text


def test_impact_rate_limits_answer_429_with_reset_headers_and_count_violations(sandbox):
    window = _impact_window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z")
    sandbox.faults.set("impact", rate_limit_first_n=1, reset_seconds=7)
    limited = impact_get(sandbox, window)
    assert limited.status_code == 429
    assert (
        limited.headers["x-ratelimit-remaining-hour"],
        limited.headers["x-ratelimit-reset"],
    ) == ("0", "7")
    assert impact_get(sandbox, window).status_code == 200
    sandbox.faults.set("impact", enforce_limit=RateLimit(2, 3600.0))
    assert [impact_get(sandbox, window).status_code for _ in range(3)] == [200, 200, 429]
    assert sandbox.counters.violations("impact") == 1
    assert sandbox.counters.count("impact", "impact.actions") == 5


# -- CJ -----------------------------------------------------------------------------------------


def cj_post(sandbox: Sandbox, body, token: str | None = None) -> requests.Response:
    env = sandbox.env()
    headers = {"Authorization": f"Bearer {token or env['CJ_ACCESS_TOKEN']}"}
    if isinstance(body, str):
        return requests.post(env["PERFMKT_CJ_URL"] + "/query", data=body, headers=headers)
    return requests.post(env["PERFMKT_CJ_URL"] + "/query", json=body, headers=headers)


def _cj_all(sandbox: Sandbox, since: str, before: str) -> tuple[list[dict], list[dict]]:
    variables = {"cid": "5551234", "since": since, "before": before, "after": None}
    pages = []
    while True:
        response = cj_post(sandbox, {"query": CJ_QUERY, "variables": variables})
        assert response.status_code == 200
        page = response.json()["data"]["advertiserCommissions"]
        pages.append(page)
        if page["payloadComplete"]:
            return [r for p in pages for r in p["records"]], pages
        variables["after"] = page["maxCommissionId"]


def test_cj_pages_by_max_commission_id_until_payload_complete(sandbox):
    whole, _ = _cj_all(sandbox, "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z")
    sandbox.apps["cj"].page_size = 100
    paged, pages = _cj_all(sandbox, "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z")
    assert paged == whole and len(pages) == -(-len(whole) // 100) > 2
    assert [p["payloadComplete"] for p in pages] == [False] * (len(pages) - 1) + [True]
    assert all(p["count"] == len(p["records"]) for p in pages)
    assert [p["maxCommissionId"] for p in pages] == [
        p["records"][-1]["commissionId"] for p in pages
    ]
    for r in whole:
        assert isinstance(r["original"], bool) and r["actionStatus"] in ("new", "locked", "closed")
        assert all(isinstance(r[f], str) for f in CJ_RECORD_FIELDS.split() if f != "original")
        Decimal(r["saleAmountAdvCurrency"])


def test_cj_records_net_to_the_ground_truth_of_non_reversed_actions(sandbox):
    records, _ = _cj_all(sandbox, "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z")
    served: dict = {}
    for r in records:
        day = datetime.fromisoformat(r["eventDate"]).date()
        if MAY[0] <= day <= MAY[1]:
            t = served.setdefault(day, [Decimal(0), Decimal(0), Decimal(0)])
            t[0] += Decimal(r["advCommissionAmountAdvCurrency"])
            t[1] += 1 if r["original"] else -1  # a correction cancels its original
            t[2] += Decimal(r["saleAmountAdvCurrency"])
    truth = _truth_by_day(sandbox, "cj")
    assert {d: tuple(v) for d, v in served.items() if v[1]} == truth
    corrections = [r for r in records if not r["original"]]
    assert corrections and all(Decimal(r["saleAmountAdvCurrency"]) < 0 for r in corrections)


CJ_BY_EVENT = (
    '{ advertiserCommissions(forAdvertisers: ["5551234"], sinceEventDate: "2024-04-03T00:00:00Z", '
    'beforeEventDate: "2024-04-04T00:00:00Z") { count payloadComplete records { commissionId '
    "original eventDate postingDate } } }"
)


def test_cj_reads_by_event_date_with_each_corrections_posted_weeks_later(sandbox):
    # 2024-04-03's 10 actions, as of 2024-06-01, with the correction records of the 4 reversed:
    # each correction has its action's event date and the posting date of its reversal.
    page = cj_post(sandbox, CJ_BY_EVENT).json()["data"]["advertiserCommissions"]
    served = cj_data.cj_commissions(
        sandbox.world,
        "5551234",
        datetime(2024, 4, 3, tzinfo=UTC),
        datetime(2024, 4, 4, tzinfo=UTC),
        by="event",
    )
    assert [r["commissionId"] for r in page["records"]] == [c.commission_id for c in served]
    assert page["payloadComplete"] is True and page["count"] == len(served)
    assert {r["eventDate"][:10] for r in page["records"]} == {"2024-04-03"}
    corrections = [r["postingDate"][:10] for r in page["records"] if not r["original"]]
    assert sorted(corrections) == ["2024-04-30", "2024-05-07", "2024-05-08", "2024-05-08"]
    assert len(served) == 14
    # By posting date, that day holds the originals only.
    by_posting = cj_data.cj_commissions(
        sandbox.world, "5551234", datetime(2024, 4, 3, tzinfo=UTC), datetime(2024, 4, 4, tzinfo=UTC)
    )
    assert [c.original for c in by_posting if c.event_date.date() == date(2024, 4, 3)] == [
        True
    ] * 10


def test_cj_needs_a_whole_date_range(sandbox):
    none = '{ advertiserCommissions(forAdvertisers: ["5551234"]) { count } }'
    half = (
        '{ advertiserCommissions(forAdvertisers: ["5551234"], '
        'sinceEventDate: "2024-04-01T00:00:00Z") { count } }'
    )
    assert (
        cj_post(sandbox, none).json()["errors"][0]["message"].startswith("A date range is required")
    )
    assert cj_post(sandbox, half).json()["errors"][0]["message"] == (
        'Argument "beforeEventDate" is required (ISO 8601 UTC date-time).'
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('{ advertiserCommissions(forAdvertisers: ["5551234"] { count } }', "Syntax Error"),
        (
            '{ advertiserCommissions(forAdvertisers: ["5551234"], sincePostingDate: "yesterday", beforePostingDate: "2024-05-02T00:00:00Z") { count } }',
            "Invalid date",
        ),
        (
            '{ advertiserCommissions(forAdvertisers: ["999"], sincePostingDate: "2024-05-01T00:00:00Z", beforePostingDate: "2024-05-02T00:00:00Z") { count } }',
            "Not authorized",
        ),
        (
            '{ advertiserCommissions(forAdvertisers: ["5551234"], sincePostingDate: "2024-05-01T00:00:00Z", beforePostingDate: "2024-05-02T00:00:00Z") { records { shoeSize } } }',
            "Cannot query field",
        ),
    ],
)
def test_cj_graphql_errors_come_back_with_http_200(sandbox, body, fragment):
    response = cj_post(sandbox, body)
    assert response.status_code == 200
    assert (
        set(response.json()) == {"errors"} and fragment in response.json()["errors"][0]["message"]
    )


def test_cj_raw_query_bodies_are_understood_and_bad_tokens_get_401(sandbox):
    raw = '{ advertiserCommissions(forAdvertisers: ["5551234"], sincePostingDate: "2024-05-01T00:00:00Z", beforePostingDate: "2024-05-02T00:00:00Z") { count payloadComplete } }'
    ok = cj_post(sandbox, raw).json()["data"]["advertiserCommissions"]
    assert ok["payloadComplete"] is True and ok["count"] > 0
    assert cj_post(sandbox, raw, token="wrong").status_code == 401
    sandbox.faults.set("cj", graphql_error_first_n=1)
    assert "errors" in cj_post(sandbox, raw).json()
    assert "data" in cj_post(sandbox, raw).json()
    sandbox.faults.set("cj", rate_limit_first_n=1, reset_seconds=4)
    limited = cj_post(sandbox, raw)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "4"


# -- Awin -----------------------------------------------------------------------------------------


def awin_get(sandbox: Sandbox, start: str, end: str, token: str | None = None, **extra):
    env = sandbox.env()
    return requests.get(
        f"{env['PERFMKT_AWIN_URL']}/advertisers/45678/transactions/",
        params={
            "startDate": start,
            "endDate": end,
            "timezone": "UTC",
            "dateType": "transaction",
            **extra,
        },
        headers={"Authorization": f"Bearer {token or env['AWIN_ACCESS_TOKEN']}"},
    )


def test_awin_returns_a_json_array_with_numbers_matching_ground_truth(sandbox):
    response = awin_get(sandbox, "2024-05-01T00:00:00", "2024-05-31T23:59:59")
    assert response.status_code == 200
    transactions = response.json()
    assert isinstance(transactions, list) and transactions
    served: dict = {}
    for t in transactions:
        assert isinstance(t["id"], int) and isinstance(t["publisherId"], int)
        assert (
            isinstance(t["saleAmount"]["amount"], int | float)
            and t["saleAmount"]["currency"] == "GBP"
        )
        assert isinstance(t["commissionAmount"]["amount"], int | float)
        assert t["commissionStatus"] in ("pending", "approved", "declined")
        assert (t["validationDate"] is None) == (t["commissionStatus"] == "pending")
        if t["commissionStatus"] != "declined":
            s = served.setdefault(
                date.fromisoformat(t["transactionDate"][:10]), [Decimal(0), Decimal(0), Decimal(0)]
            )
            s[0] += Decimal(str(t["commissionAmount"]["amount"]))
            s[1] += 1
            s[2] += Decimal(str(t["saleAmount"]["amount"]))
    assert {d: tuple(v) for d, v in served.items()} == _truth_by_day(sandbox, "awin")
    by_status = Counter(t["commissionStatus"] for t in transactions)
    assert set(by_status) == {"pending", "approved", "declined"}
    validated = awin_get(
        sandbox, "2024-05-01T00:00:00", "2024-05-31T23:59:59", dateType="validation"
    ).json()
    assert validated and all(t["validationDate"][:7] == "2024-05" for t in validated)


def test_awin_enforces_31_days_auth_and_the_per_minute_limit(sandbox):
    too_wide = awin_get(sandbox, "2024-04-01T00:00:00", "2024-05-03T00:00:00")
    assert too_wide.status_code == 400 and set(too_wide.json()) == {"error", "description"}
    assert (
        awin_get(sandbox, "2024-05-01T00:00:00", "2024-05-02T00:00:00", token="nope").status_code
        == 401
    )
    sandbox.faults.set("awin", enforce_limit=RateLimit(20, 60.0))
    codes = [
        awin_get(sandbox, "2024-05-01T00:00:00", "2024-05-02T00:00:00").status_code
        for _ in range(21)
    ]
    assert codes == [200] * 20 + [429]
    assert sandbox.counters.violations("awin", "45678") == 1


def _network_call(sandbox: Sandbox, platform: str) -> requests.Response:
    if platform == "impact":
        return impact_get(sandbox, _impact_window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"))
    if platform == "cj":
        raw = '{ advertiserCommissions(forAdvertisers: ["5551234"], sincePostingDate: "2024-05-01T00:00:00Z", beforePostingDate: "2024-05-02T00:00:00Z") { count } }'
        return cj_post(sandbox, raw)
    return awin_get(sandbox, "2024-05-01T00:00:00", "2024-05-02T00:00:00")


@pytest.mark.parametrize("platform", ["impact", "cj", "awin"])
@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ({"fail_first_n": 1}, 503),
        ({"fail_first_n": 1, "server_error_status": 502}, 502),
        ({"rate_limit_first_n": 1}, 429),
        ({"expired_credentials": True}, 401),
        ({"drop_first_n": 1}, "dropped"),
    ],
)
def test_every_network_fault_is_switched_on_by_configuration_alone(
    sandbox, platform, setting, expected
):
    sandbox.faults.set(platform, **setting)
    try:
        outcome = _network_call(sandbox, platform).status_code
    except requests.ConnectionError:
        outcome = "dropped"
    assert outcome == expected
    if "expired_credentials" not in setting:  # the other switches hit the first request only
        assert _network_call(sandbox, platform).status_code == 200
    assert sandbox.counters.faults(platform) == 1
