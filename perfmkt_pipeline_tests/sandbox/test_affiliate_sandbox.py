"""The impact.com, CJ and Awin stand-ins: documented shapes, paging, errors, ground truth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pytest
import requests

from perfmkt_pipeline.sandbox.faults import RateLimit
from perfmkt_pipeline.sandbox.runner import Sandbox

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
    return {"CampaignId": "12345", "StartDate": start, "EndDate": end, **extra}


def test_impact_pages_follow_nextpageuri_with_string_fields_and_sum_to_ground_truth(sandbox):
    first = impact_get(
        sandbox,
        _impact_window("2024-05-01T00:00:00-04:00", "2024-06-01T00:00:00-04:00", PageSize=150),
    )
    assert first.status_code == 200
    assert (
        first.headers["x-ratelimit-remaining-hour"] == "999"
        and "x-ratelimit-reset" in first.headers
    )
    pages, body = [first.json()], first.json()
    while body["@nextpageuri"]:
        assert body["@nextpageuri"].startswith("/Advertisers/")
        body = impact_get(sandbox, body["@nextpageuri"]).json()
        pages.append(body)
    assert [p["@page"] for p in pages] == [str(i) for i in range(1, len(pages) + 1)]
    assert all(p["@numpages"] == str(len(pages)) for p in pages) and len(pages) > 2
    actions = [a for p in pages for a in p["Actions"]]
    assert pages[0]["@total"] == str(len(actions))
    for a in actions:
        assert set(a) == IMPACT_FIELDS and all(isinstance(v, str) for v in a.values())
        assert a["State"] in ("PENDING", "APPROVED", "REVERSED")
        assert datetime.fromisoformat(a["EventDate"]).utcoffset() is not None
    served: dict = {}
    for a in actions:
        day = datetime.fromisoformat(a["EventDate"]).date()
        if MAY[0] <= day <= MAY[1] and a["State"] != "REVERSED":
            t = served.setdefault(day, [Decimal(0), Decimal(0), Decimal(0)])
            t[0] += Decimal(a["Payout"])
            t[1] += 1
            t[2] += Decimal(a["Amount"])
    assert {d: tuple(v) for d, v in served.items()} == _truth_by_day(sandbox, "impact")


def test_impact_refuses_bad_windows_and_credentials_with_its_own_errors(sandbox):
    too_wide = impact_get(sandbox, _impact_window("2024-04-01T00:00:00Z", "2024-05-17T00:00:00Z"))
    assert too_wide.status_code == 400 and too_wide.json()["Status"] == "ERROR"
    no_offset = impact_get(sandbox, _impact_window("2024-05-01T00:00:00", "2024-05-02T00:00:00"))
    assert no_offset.status_code == 400
    missing = impact_get(
        sandbox, {"StartDate": "2024-05-01T00:00:00Z", "EndDate": "2024-05-02T00:00:00Z"}
    )
    assert missing.status_code == 400
    bad_auth = impact_get(
        sandbox,
        _impact_window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"),
        auth=("IRsbxAcme0000000000000000000000001", "nope"),
    )
    assert bad_auth.status_code == 401
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
