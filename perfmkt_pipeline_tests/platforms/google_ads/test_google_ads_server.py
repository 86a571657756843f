"""The Google Ads gRPC stand-in, driven by the official `google-ads` client library, unmodified."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import google.oauth2.credentials
import grpc
import pytest
from google.ads.googleads.client import GoogleAdsClient
from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure
from google.api_core import exceptions as core_exceptions

from perfmkt_pipeline.platforms.google_ads.standin import data as google_ads_data
from perfmkt_pipeline.platforms.google_ads.standin.errors import failure_metadata_key
from perfmkt_pipeline.platforms.google_ads.standin.server import GoogleAdsServer
from perfmkt_pipeline.sandbox.counters import RequestCounters
from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
from perfmkt_pipeline.sandbox.faults import RateLimit, SandboxFaults
from perfmkt_pipeline.sandbox.http_server import NonLoopbackBindError
from perfmkt_pipeline.sandbox.spec import SandboxAccount, WorldSpec
from perfmkt_pipeline.sandbox.world import World

AS_OF = date(2024, 3, 1)
MANAGER = "1000000001"
US = "1234567890"  # USD account under the manager
JP = "3456789012"  # JPY account
CANCELLED = "4567890123"
SUB_MANAGER = "5678901234"
FEB = ("2024-02-01", "2024-02-29")
DAILY = (
    "SELECT campaign.id, campaign.name, campaign.status, segments.date, metrics.cost_micros, "
    "metrics.impressions, metrics.clicks, metrics.conversions, metrics.conversions_value "
    "FROM campaign WHERE segments.date BETWEEN '{}' AND '{}'"
)
BY_ACTION = (
    "SELECT campaign.id, segments.date, segments.conversion_action_name, metrics.conversions, "
    "metrics.conversions_value FROM campaign WHERE segments.date BETWEEN '{}' AND '{}'"
)
BY_ACTION_ALL = (
    "SELECT campaign.id, segments.date, segments.conversion_action_name, metrics.conversions, "
    "metrics.conversions_value, metrics.all_conversions, metrics.all_conversions_value "
    "FROM campaign WHERE segments.date BETWEEN '{}' AND '{}'"
)


@pytest.fixture
def world() -> World:
    return World(WorldSpec.small(), as_of=AS_OF)


@pytest.fixture
def credentials() -> SandboxCredentials:
    return SandboxCredentials()


@pytest.fixture
def server(world, credentials) -> Iterator[GoogleAdsServer]:
    with GoogleAdsServer(
        world, SandboxFaults(), RequestCounters(), credentials, search_page_rows=7
    ) as srv:
        yield srv


def make_client(server: GoogleAdsServer, token: str | None = None, **overrides) -> GoogleAdsClient:
    settings = {
        "developer_token": server.credentials.google_ads.developer_token,
        "login_customer_id": MANAGER,
        **overrides,
    }
    token = token or server.credentials.google_ads.issue_access_token()
    return GoogleAdsClient(
        credentials=google.oauth2.credentials.Credentials(token=token),
        endpoint=server.endpoint,
        use_proto_plus=True,
        **settings,
    )


def ads_service(server: GoogleAdsServer, **kwargs):
    return make_client(server, **kwargs).get_service("GoogleAdsService")


def stream_rows(service, customer_id: str, query: str) -> list:
    return [
        row
        for batch in service.search_stream(customer_id=customer_id, query=query)
        for row in batch.results
    ]


def failure_in(exc: core_exceptions.GoogleAPICallError) -> GoogleAdsFailure:
    """The GoogleAdsFailure a RESOURCE_EXHAUSTED / INTERNAL error still carries in its trailers."""
    trailers = dict(exc.response.trailing_metadata())
    return GoogleAdsFailure.deserialize(trailers[failure_metadata_key("v26")])


def only_error(exc: GoogleAdsException):
    assert len(exc.failure.errors) == 1
    return exc.failure.errors[0]


# -- data -----------------------------------------------------------------------------------------


def test_search_stream_serves_the_world_campaign_days_exactly(server, world):
    rows = stream_rows(ads_service(server), US, DAILY.format(*FEB))

    campaigns = {c.campaign_id: c for c in world.campaigns("google_ads", US)}
    expected = [
        (int(r.campaign_id), campaigns[r.campaign_id].name, campaigns[r.campaign_id].status,
         r.day.isoformat(), r.cost_micros, r.impressions, r.clicks, r.conversions,
         r.conversions_value)
        for r in google_ads_data.campaign_days(world, US, date(2024, 2, 1), date(2024, 2, 29))
    ]  # fmt: skip
    served = [
        (r.campaign.id, r.campaign.name, r.campaign.status.name, r.segments.date,
         r.metrics.cost_micros, r.metrics.impressions, r.metrics.clicks, r.metrics.conversions,
         r.metrics.conversions_value)
        for r in rows
    ]  # fmt: skip
    assert len(expected) > 100
    assert served == expected


def test_conversion_action_query_serves_the_world_rows_per_action(server, world):
    rows = stream_rows(ads_service(server), JP, BY_ACTION_ALL.format("2024-02-20", "2024-02-29"))

    # Like the API: an action not "included in conversions" (Page view) reports 0 conversions and
    # its count only in all_conversions.
    expected = [
        (int(r.campaign_id), r.day.isoformat(), r.conversion_action_name,
         r.conversions if r.conversion_action_name != "Page view" else 0.0,
         r.conversions_value if r.conversion_action_name != "Page view" else 0.0,
         r.conversions, r.conversions_value)
        for r in google_ads_data.conversion_action_days(world, JP, date(2024, 2, 20), date(2024, 2, 29))
    ]  # fmt: skip
    served = [
        (r.campaign.id, r.segments.date, r.segments.conversion_action_name, r.metrics.conversions,
         r.metrics.conversions_value, r.metrics.all_conversions, r.metrics.all_conversions_value)
        for r in rows
    ]  # fmt: skip
    assert {row[2] for row in served} == {"Purchase", "Lead", "Page view"}
    assert any(row[2] == "Page view" and row[5] > 0 for row in served)
    assert served == expected


def test_all_conversions_without_the_action_segment_is_refused(server):
    query = "SELECT campaign.id, metrics.all_conversions FROM campaign WHERE segments.date DURING LAST_7_DAYS"
    with pytest.raises(GoogleAdsException) as error:
        stream_rows(ads_service(server), JP, query)
    assert only_error(error.value).error_code.query_error.name == "UNRECOGNIZED_FIELD"


def test_rows_hold_only_selected_fields_and_the_mask_keeps_select_order(server):
    query = (
        "SELECT metrics.clicks, segments.date, campaign.id FROM campaign "
        "WHERE segments.date = '2024-02-10'"
    )
    service = ads_service(server)  # the stream dies with its channel: keep the client
    batches = list(service.search_stream(customer_id=US, query=query))

    assert [list(b.field_mask.paths) for b in batches] == [
        ["metrics.clicks", "segments.date", "campaign.id"]
    ]
    row = type(batches[0].results[0]).pb(batches[0].results[0])
    assert [f.name for f, _ in row.campaign.ListFields()] == ["resource_name", "id"]
    assert [f.name for f, _ in row.metrics.ListFields()] == ["clicks"]
    assert not row.HasField("customer")


def test_comparison_operators_select_the_same_rows_as_between(server):
    service = ads_service(server)
    between = stream_rows(service, US, DAILY.format("2024-02-03", "2024-02-09"))
    compared = stream_rows(
        service,
        US,
        DAILY.split(" WHERE ")[0]
        + " WHERE segments.date >= '2024-02-03' AND segments.date <= '2024-02-09'",
    )
    assert compared == between
    assert {r.segments.date for r in between} == {f"2024-02-{d:02d}" for d in range(3, 10)}


def test_metrics_without_the_date_segment_are_summed_over_the_range(server, world):
    query = (
        "SELECT campaign.id, metrics.cost_micros, metrics.conversions_value FROM campaign "
        "WHERE segments.date BETWEEN '2024-02-01' AND '2024-02-29'"
    )
    rows = stream_rows(ads_service(server), US, query)

    cost: dict[int, int] = {}
    value: dict[int, Decimal] = {}
    for r in google_ads_data.campaign_days(world, US, date(2024, 2, 1), date(2024, 2, 29)):
        cost[int(r.campaign_id)] = cost.get(int(r.campaign_id), 0) + r.cost_micros
        value[int(r.campaign_id)] = value.get(int(r.campaign_id), Decimal(0)) + Decimal(
            repr(r.conversions_value)
        )
    assert {r.campaign.id: r.metrics.cost_micros for r in rows} == cost
    assert {r.campaign.id: Decimal(repr(r.metrics.conversions_value)) for r in rows} == value


def test_stream_sends_rows_in_batches_of_the_batch_size(world, credentials):
    with GoogleAdsServer(world, credentials=credentials, stream_batch_rows=40) as srv:
        service = ads_service(srv)
        batches = list(service.search_stream(customer_id=US, query=DAILY.format(*FEB)))
    total = len(google_ads_data.campaign_days(world, US, date(2024, 2, 1), date(2024, 2, 29)))
    sizes = [len(b.results) for b in batches]
    assert sizes == [40] * (total // 40) + ([total % 40] if total % 40 else [])


def test_search_pages_at_the_fixed_page_size_with_next_page_tokens(server):
    service = ads_service(server)
    streamed = stream_rows(service, US, DAILY.format("2024-02-01", "2024-02-05"))
    pager = service.search(customer_id=US, query=DAILY.format("2024-02-01", "2024-02-05"))
    pages = list(pager.pages)

    assert [len(p.results) for p in pages[:-1]] == [7] * (len(pages) - 1)
    assert 1 <= len(pages[-1].results) <= 7
    assert [bool(p.next_page_token) for p in pages] == [True] * (len(pages) - 1) + [False]
    assert [r for p in pages for r in p.results] == streamed
    assert server.counters.count(kind="google_ads.search", account_id=US) == len(pages)


def test_page_token_of_another_query_is_refused(server):
    service = ads_service(server)
    first = service.search(customer_id=US, query=DAILY.format(*FEB))
    token = next(iter(first.pages)).next_page_token
    with pytest.raises(GoogleAdsException) as caught:
        service.search(
            request={
                "customer_id": US,
                "query": DAILY.format(*FEB) + " LIMIT 3",
                "page_token": token,
            }
        )
    assert only_error(caught.value).error_code.request_error.name == "INVALID_PAGE_TOKEN"


def test_customer_client_lists_the_hierarchy_with_cancelled_and_sub_manager(server):
    query = (
        "SELECT customer_client.id, customer_client.descriptive_name, "
        "customer_client.currency_code, customer_client.time_zone, customer_client.manager, "
        "customer_client.status, customer_client.level, customer_client.client_customer "
        "FROM customer_client "
        "WHERE customer_client.level <= 1"
    )
    rows = list(ads_service(server).search(customer_id=MANAGER, query=query))

    served = [
        (c.id, c.currency_code, c.time_zone, c.manager, c.status.name, c.level, c.client_customer)
        for c in (r.customer_client for r in rows)
    ]
    assert served == [
        (1000000001, "USD", "America/New_York", True, "ENABLED", 0, "customers/1000000001"),
        (1234567890, "USD", "America/New_York", False, "ENABLED", 1, "customers/1234567890"),
        (2345678901, "EUR", "Europe/Berlin", False, "ENABLED", 1, "customers/2345678901"),
        (3456789012, "JPY", "Asia/Tokyo", False, "ENABLED", 1, "customers/3456789012"),
        (4567890123, "GBP", "Europe/London", False, "CANCELED", 1, "customers/4567890123"),
        (5678901234, "USD", "America/Chicago", True, "ENABLED", 1, "customers/5678901234"),
    ]
    assert rows[1].customer_client.descriptive_name == "Acme US Search"


def test_customer_query_describes_the_account(server):
    query = "SELECT customer.currency_code, customer.time_zone, customer.id FROM customer"
    rows = stream_rows(ads_service(server), JP, query)
    assert [(r.customer.id, r.customer.currency_code, r.customer.time_zone) for r in rows] == [
        (3456789012, "JPY", "Asia/Tokyo")
    ]


def test_list_accessible_customers_names_the_manager(server):
    service = make_client(server).get_service("CustomerService")
    assert list(service.list_accessible_customers().resource_names) == [f"customers/{MANAGER}"]


def test_served_values_follow_the_world_as_of_date(server, world):
    service = ads_service(server)
    before = stream_rows(service, US, BY_ACTION_ALL.format("2024-02-25", "2024-02-28"))
    world.as_of = AS_OF + timedelta(days=20)
    after = stream_rows(service, US, BY_ACTION_ALL.format("2024-02-25", "2024-02-28"))
    expected = google_ads_data.conversion_action_days(
        world, US, date(2024, 2, 25), date(2024, 2, 28)
    )
    assert [(r.campaign.id, r.metrics.all_conversions) for r in after] == [
        (int(r.campaign_id), r.conversions) for r in expected
    ]
    assert sum(r.metrics.all_conversions for r in after) > sum(
        r.metrics.all_conversions for r in before
    )


# -- invalid queries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "query", "code"),
    [
        (US, "SELECT campaign.bogus FROM campaign", "UNRECOGNIZED_FIELD"),
        # issue #17 serves ad_group, ad_group_ad and keyword_view; asset groups stay unserved
        (US, "SELECT asset_group.id FROM asset_group", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
        (US, "SELECT campaign.id, metrics.clicks FROM campaign", "EXPECTED_FILTERS_ON_DATE_RANGE"),
        (US, BY_ACTION.replace("metrics.conversions,", "metrics.cost_micros,").format(*FEB),
         "PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE"),
        (MANAGER, DAILY.format(*FEB), "REQUESTED_METRICS_FOR_MANAGER"),
        (US, DAILY.format("2024-02-31", "2024-03-01"), "INVALID_DATE_FORMAT"),
        (US, "SELECT campaign.id FROM campaign WHERE", "UNEXPECTED_END_OF_QUERY"),
    ],
)  # fmt: skip
def test_invalid_query_is_invalid_argument_with_a_query_error(server, customer, query, code):
    with pytest.raises(GoogleAdsException) as caught:
        stream_rows(ads_service(server), customer, query)
    assert caught.value.error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert only_error(caught.value).error_code.query_error.name == code
    assert caught.value.request_id == caught.value.failure.request_id != ""


# -- authentication and permission ----------------------------------------------------------------


def test_unknown_access_token_is_unauthenticated_without_echoing_it(server):
    with pytest.raises(GoogleAdsException) as caught:
        stream_rows(ads_service(server, token="ya29.not-issued-by-sandbox"), US, DAILY.format(*FEB))
    assert caught.value.error.code() == grpc.StatusCode.UNAUTHENTICATED
    error = only_error(caught.value)
    assert error.error_code.authentication_error.name == "OAUTH_TOKEN_INVALID"
    assert "not-issued" not in error.message and "not-issued" not in caught.value.error.details()


def test_expired_access_token_is_unauthenticated_as_expired(server):
    service = ads_service(server)
    server.credentials.google_ads.expire_access_tokens()
    with pytest.raises(GoogleAdsException) as caught:
        stream_rows(service, US, DAILY.format(*FEB))
    assert only_error(caught.value).error_code.authentication_error.name == "OAUTH_TOKEN_EXPIRED"


def test_wrong_developer_token_is_unauthenticated(server):
    with pytest.raises(GoogleAdsException) as caught:
        stream_rows(ads_service(server, developer_token="not-the-token"), US, DAILY.format(*FEB))
    assert caught.value.error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (
        only_error(caught.value).error_code.authentication_error.name == "DEVELOPER_TOKEN_INVALID"
    )


@pytest.mark.parametrize(
    ("login", "customer", "code"),
    [
        (None, US, "USER_PERMISSION_DENIED"),  # a client account needs its manager as login
        (SUB_MANAGER, US, "USER_PERMISSION_DENIED"),  # not a manager above the account
        (MANAGER, "9999999999", "USER_PERMISSION_DENIED"),  # no such customer
        (MANAGER, CANCELLED, "CUSTOMER_NOT_ENABLED"),
    ],
)
def test_customers_outside_the_login_manager_are_permission_denied(server, login, customer, code):
    with pytest.raises(GoogleAdsException) as caught:
        stream_rows(ads_service(server, login_customer_id=login), customer, DAILY.format(*FEB))
    assert caught.value.error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert only_error(caught.value).error_code.authorization_error.name == code


# -- faults and counters --------------------------------------------------------------------------


def test_rate_limit_is_resource_exhausted_with_the_configured_retry_delay(server):
    server.faults.set("google_ads", rate_limit_first_n=1, retry_delay_seconds=7.5)
    service = ads_service(server)
    with pytest.raises(core_exceptions.ResourceExhausted) as caught:
        stream_rows(service, US, DAILY.format(*FEB))

    error = failure_in(caught.value).errors[0]
    assert error.error_code.quota_error.name == "RESOURCE_TEMPORARILY_EXHAUSTED"
    assert error.details.quota_error_details.retry_delay == timedelta(seconds=7.5)
    assert len(stream_rows(service, US, DAILY.format(*FEB))) > 100
    assert server.counters.faults("google_ads", "rate_limit") == 1


def test_internal_error_then_success(server):
    server.faults.set("google_ads", fail_first_n=1)
    service = ads_service(server)
    with pytest.raises(core_exceptions.InternalServerError) as caught:
        stream_rows(service, US, DAILY.format(*FEB))
    assert failure_in(caught.value).errors[0].error_code.internal_error.name == "INTERNAL_ERROR"
    assert len(stream_rows(service, US, DAILY.format(*FEB))) > 100


def test_dropped_connection_is_unavailable_after_part_of_the_stream(world, credentials):
    faults = SandboxFaults()
    faults.set("google_ads", drop_first_n=1)
    with GoogleAdsServer(world, faults, credentials=credentials, stream_batch_rows=10) as srv:
        service = ads_service(srv)
        received = []
        with pytest.raises(core_exceptions.ServiceUnavailable):
            for batch in service.search_stream(customer_id=US, query=DAILY.format(*FEB)):
                received.extend(batch.results)
        assert len(received) == 10
        assert len(stream_rows(service, US, DAILY.format(*FEB))) > 100


def test_added_latency_delays_each_call(server):
    service = ads_service(server)
    server.faults.set("google_ads", latency_seconds=0.3)
    started = time.monotonic()
    stream_rows(service, JP, "SELECT customer.id FROM customer")
    assert time.monotonic() - started >= 0.3


def test_requests_are_counted_per_kind_and_customer(server):
    service = ads_service(server)
    for customer in (US, US, JP):
        stream_rows(service, customer, DAILY.format(*FEB))
    list(
        service.search(customer_id=MANAGER, query="SELECT customer_client.id FROM customer_client")
    )
    assert server.counters.snapshot() == {
        ("google_ads", "google_ads.search_stream", US): 2,
        ("google_ads", "google_ads.search_stream", JP): 1,
        ("google_ads", "google_ads.search", MANAGER): 1,
    }


# -- serving --------------------------------------------------------------------------------------


def test_two_servers_in_one_process_are_both_trusted(server, world, credentials):
    with GoogleAdsServer(world, credentials=credentials) as second:
        assert second.port != server.port
        assert stream_rows(ads_service(second), JP, "SELECT customer.id FROM customer")[
            0
        ].customer.id == int(JP)
    assert stream_rows(ads_service(server), JP, "SELECT customer.id FROM customer")[
        0
    ].customer.id == int(JP)


def test_server_bound_to_localhost_is_reached_by_name(world, credentials):
    # (Not "::1": machines without IPv6 loopback could not run the test.)
    with GoogleAdsServer(world, credentials=credentials, host="localhost") as srv:
        rows = stream_rows(ads_service(srv), JP, "SELECT customer.id FROM customer")
    assert rows[0].customer.id == int(JP)


def test_server_refuses_to_bind_a_non_loopback_address(world):
    with pytest.raises(NonLoopbackBindError):
        GoogleAdsServer(world, host="0.0.0.0")


def test_accounts_below_a_sub_manager_are_level_two_and_readable_through_the_top_manager(
    credentials,
):
    small = WorldSpec.small()
    nested = SandboxAccount(
        "google_ads", "6789012345", "Acme Regional Search", "USD", "America/Chicago", SUB_MANAGER
    )
    accounts = (*small.accounts("google_ads"), nested)
    world = World(small.with_platform("google_ads", accounts=accounts), as_of=AS_OF)
    with GoogleAdsServer(world, credentials=credentials) as srv:
        service = ads_service(srv)
        levels = [
            (r.customer_client.id, r.customer_client.level)
            for r in service.search(
                customer_id=MANAGER,
                query="SELECT customer_client.id, customer_client.level FROM customer_client",
            )
        ]
        rows = stream_rows(service, "6789012345", DAILY.format(*FEB))
    assert levels[-2:] == [(5678901234, 1), (6789012345, 2)]
    assert len(rows) == len(
        google_ads_data.campaign_days(world, "6789012345", date(2024, 2, 1), date(2024, 2, 29))
    )


def test_enforced_limit_is_resource_exhausted_until_the_window_frees_and_counts_a_violation(
    server,
):
    now = [1000.0]
    server.faults.set("google_ads", enforce_limit=RateLimit(2, 60.0), clock=lambda: now[0])
    service = ads_service(server)
    query = "SELECT customer.id FROM customer"
    stream_rows(service, US, query)
    now[0] += 15
    stream_rows(service, US, query)
    stream_rows(service, JP, query)  # limits are per account
    with pytest.raises(core_exceptions.ResourceExhausted) as caught:
        stream_rows(service, US, query)

    retry_delay = failure_in(caught.value).errors[0].details.quota_error_details.retry_delay
    assert retry_delay == timedelta(seconds=45)
    assert server.counters.violations("google_ads", US) == 1
    now[0] += 45
    assert stream_rows(service, US, query)[0].customer.id == int(US)


def test_expired_credentials_fault_is_unauthenticated(server):
    server.faults.set("google_ads", expired_credentials=True)
    with pytest.raises(GoogleAdsException) as caught:
        stream_rows(ads_service(server), US, "SELECT customer.id FROM customer")
    assert caught.value.error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert only_error(caught.value).error_code.authentication_error.name == "OAUTH_TOKEN_EXPIRED"


def test_search_refuses_a_page_size(server):
    with pytest.raises(GoogleAdsException) as caught:
        ads_service(server).search(
            request={"customer_id": US, "query": "SELECT customer.id FROM customer", "page_size": 5}
        )
    assert only_error(caught.value).error_code.request_error.name == "PAGE_SIZE_NOT_SUPPORTED"


def test_api_version_is_a_server_setting(world, credentials):
    with GoogleAdsServer(world, credentials=credentials, api_version="v25") as srv:
        service = ads_service(srv, version="v25")
        rows = stream_rows(service, JP, "SELECT customer.currency_code FROM customer")
        with pytest.raises(GoogleAdsException) as caught:
            stream_rows(service, JP, "SELECT customer.nonsense FROM customer")
    assert rows[0].customer.currency_code == "JPY"
    assert type(caught.value.failure).__module__ == "google.ads.googleads.v25.errors.types.errors"
